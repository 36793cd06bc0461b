/* Kill, signal, emptiness and stats against files standing in for
 * cgroupfs: the kernel-independent half, including cg_kill's fallback for
 * kernels without cgroup.kill (before 5.14), with real processes. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgtest.h"

TestSuite(cg_ops, .init = ct_setup, .fini = ct_teardown, .timeout = 20);

static void put_pids(const char *rel, pid_t a, pid_t b)
{
	char text[64];

	if (b > 0)
		snprintf(text, sizeof(text), "%d\n%d\n", (int)a, (int)b);
	else
		snprintf(text, sizeof(text), "%d\n", (int)a);
	ct_put(rel, text);
}

Test(cg_ops, events)
{
	ct_put("cgroup.events", "populated 1\nfrozen 0\n");
	cr_assert_eq(cg_populated(ct_fd), 1);
	cr_assert_eq(cg_frozen(ct_fd), 0);
	ct_put("cgroup.events", "populated 0\nfrozen 1\n");
	cr_assert_eq(cg_populated(ct_fd), 0);
	cr_assert_eq(cg_frozen(ct_fd), 1);
}

Test(cg_ops, events_unreadable_or_odd)
{
	cr_assert_eq(cg_populated(ct_fd), -ENOENT);
	cr_assert_eq(cg_frozen(ct_fd), -ENOENT);
	/* before 5.2 cgroup.events had no "frozen" */
	ct_put("cgroup.events", "populated 1\n");
	cr_assert_eq(cg_populated(ct_fd), 1);
	cr_assert_eq(cg_frozen(ct_fd), -EINVAL);
}

Test(cg_ops, freeze_writes)
{
	ct_put("cgroup.freeze", "");
	cr_assert_eq(cg_freeze(ct_fd, true), 0);
	cr_assert_str_eq(ct_get("cgroup.freeze"), "1");
	ct_put("cgroup.freeze", "");
	cr_assert_eq(cg_freeze(ct_fd, false), 0);
	cr_assert_str_eq(ct_get("cgroup.freeze"), "0");
}

Test(cg_ops, signal_counts_listed_processes)
{
	pid_t a = ct_sleeper(), b = ct_sleeper();

	put_pids("cgroup.procs", a, b);
	cr_assert_eq(cg_signal(ct_fd, 0), 2);
	cr_assert_eq(cg_signal(ct_fd, SIGTERM), 2);
	cr_assert_eq(ct_reap(a), SIGTERM);
	cr_assert_eq(ct_reap(b), SIGTERM);
	ct_put("cgroup.procs", "");
	cr_assert_eq(cg_signal(ct_fd, SIGTERM), 0);
}

Test(cg_ops, signal_without_procs)
{
	cr_assert_eq(cg_signal(ct_fd, 0), -ENOENT);
}

Test(cg_ops, kill_uses_cgroup_kill)
{
	pid_t a = ct_sleeper();

	/* with cgroup.kill the kernel does it all: nothing is signalled by pid */
	ct_put("cgroup.kill", "");
	put_pids("cgroup.procs", a, 0);
	cr_assert_eq(cg_kill(ct_fd), 0);
	cr_assert_str_eq(ct_get("cgroup.kill"), "1");
	cr_assert_eq(kill(a, 0), 0, "signalled although cgroup.kill exists");
	kill(a, SIGKILL);
	cr_assert_eq(ct_reap(a), SIGKILL);
}

Test(cg_ops, kill_fallback_walks_the_subtree)
{
	pid_t top = ct_sleeper(), mid = ct_sleeper(), deep = ct_sleeper();

	/* no cgroup.kill anywhere: SIGKILL by pid, this cgroup and each below */
	put_pids("cgroup.procs", top, 0);
	ct_mkdir("sup");
	put_pids("sup/cgroup.procs", mid, 0);
	ct_mkdir("sup/w");
	put_pids("sup/w/cgroup.procs", deep, 0);
	ct_mkdir("empty");
	ct_put("empty/cgroup.procs", "");
	cr_assert_eq(cg_kill(ct_fd), 0);
	cr_assert_eq(ct_reap(top), SIGKILL);
	cr_assert_eq(ct_reap(mid), SIGKILL);
	cr_assert_eq(ct_reap(deep), SIGKILL);
}

Test(cg_ops, kill_fallback_without_procs)
{
	cr_assert_eq(cg_kill(ct_fd), -ENOENT);
}

Test(cg_ops, stats_read)
{
	struct cg_stats s;

	ct_put("memory.current", "1269760\n");
	ct_put("memory.peak", "4096000\n");
	ct_put("cpu.stat", "usage_usec 7531\nuser_usec 5000\nsystem_usec 2531\n"
			   "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\n");
	ct_put("pids.current", "3\n");
	cg_stats_read(ct_fd, &s);
	cr_assert_eq(s.memory_current, 1269760);
	cr_assert_eq(s.memory_peak, 4096000);
	cr_assert_eq(s.cpu_usage_usec, 7531);
	cr_assert_eq(s.pids_current, 3);
}

Test(cg_ops, stats_absent_are_minus_one)
{
	struct cg_stats s;

	ct_put("cpu.stat", "usage_usec 12\n");
	ct_put("memory.peak", "");      /* unreadable as a number: also -1 */
	ct_put("pids.current", "max\n");
	cg_stats_read(ct_fd, &s);
	cr_assert_eq(s.memory_current, -1);
	cr_assert_eq(s.memory_peak, -1);
	cr_assert_eq(s.cpu_usage_usec, 12);
	cr_assert_eq(s.pids_current, -1);
	cr_assert_eq(unlinkat(ct_fd, "cpu.stat", 0), 0);
	cg_stats_read(ct_fd, &s);
	cr_assert_eq(s.cpu_usage_usec, -1);
}

Test(cg_ops, oom_kills)
{
	cr_assert_eq(cg_oom_kills(ct_fd), 0, "no memory controller: no OOM kills");
	ct_put("memory.events", "low 0\nhigh 4\nmax 9\noom 3\noom_kill 2\noom_group_kill 0\n");
	cr_assert_eq(cg_oom_kills(ct_fd), 2);
}
