/*
 * limits.c: step 3, rlimit_*, nice, oom_score_adj and
 * cpu_affinity.
 *
 * otpd as PID 1 gives itself oom_score_adj -1000; a worker would inherit
 * it (and one the OOM killer may not kill turns its cgroup's memory_max
 * into a livelock), so there the worker gets back the score otpd started
 * with (0 when that was -1000 too) unless configured otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include "child.h"

static rlim_t rl_value(uint64_t v)
{
	return v == CFG_RLIM_INFINITY ? RLIM_INFINITY : (rlim_t)v;
}

static void set_rlimits(struct child_plan *p)
{
	const struct cfg_sandbox *sb = cfg_worker_sandbox(p->cfg);

	for (int r = 0; r < CFG_RLIMIT_N; r++) {
		struct rlimit rl;

		if (!sb->rlimit[r].set)
			continue;
		rl.rlim_cur = rl_value(sb->rlimit[r].cur);
		rl.rlim_max = rl_value(sb->rlimit[r].max);
		if (setrlimit((__rlimit_resource_t)r, &rl) < 0)
			child_fail(p, cfg_rlimit_key(r), errno);
	}
}

/*
 * Opened before step 1: read_only_paths may cover /proc, and the
 * namespaces must not keep the worker from its configured score.  Without
 * /proc, PID 1 could not lower its own score either: nothing to undo.
 */
void sb_limits_open(struct child_plan *p)
{
	const struct cfg_sandbox *sb = cfg_worker_sandbox(p->cfg);

	p->oom_fd = -1;
	if (!sb->oom_set && !p->pid1)
		return;
	p->oom_fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (p->oom_fd < 0 && (sb->oom_set || errno != ENOENT))
		child_fail(p, "oom_score_adj", errno);
}

static int write_oom(int fd, int v)
{
	char buf[16];
	ssize_t n = (ssize_t)child_text_int(buf, v);
	int r = 0;

	if (write(fd, buf, (size_t)n) != n)
		r = -errno;
	close(fd);
	return r;
}

static void set_affinity(struct child_plan *p)
{
	const struct cfg_sandbox *sb = cfg_worker_sandbox(p->cfg);
	cpu_set_t set;

	_Static_assert(sizeof(set) * 8 >= CFG_CPU_MAX, "cpu_set_t holds every CPU we parse");
	CPU_ZERO(&set);
	for (int c = 0; c < CFG_CPU_MAX; c++)
		if (sb->affinity[c / 64] & (1ULL << (c % 64)))
			CPU_SET(c, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		child_fail(p, "cpu_affinity", errno);
}

void sb_limits(struct child_plan *p)
{
	const struct cfg_sandbox *sb = cfg_worker_sandbox(p->cfg);
	int r;

	set_rlimits(p);
	if (sb->nice_set && setpriority(PRIO_PROCESS, 0, sb->nice) < 0)
		child_fail(p, "nice", errno);
	if (p->oom_fd >= 0 &&
	    (r = write_oom(p->oom_fd, sb->oom_set ? sb->oom_score_adj : p->oom_back)) < 0)
		child_fail(p, "oom_score_adj", -r);
	if (sb->affinity_set)
		set_affinity(p);
}
