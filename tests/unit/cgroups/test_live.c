/*
 * The machine's real cgroup2: a cgroup of the test's own,
 * <mount>/otpd-unit.<pid>, with real processes in it.  Skipped (saying
 * why) only where no writable cgroup2 exists.  No controller is needed:
 * cgroup.events, cgroup.freeze, cgroup.kill and cpu.stat are core files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgtest.h"

#define PREFIX "otpd-unit."

static char skip_why[PATH_MAX + 64];
static char name[64];
static int mnt_fd = -1, cg_fd = -1;
static pid_t kids[8];                   /* our unreaped children, 0 once reaped */

/* Cgroups of earlier runs that crashed before their teardown: their pid
 * is gone and they are empty (a populated one refuses removal). */
static void remove_stale(void)
{
	DIR *d = fdopendir(dup(mnt_fd));
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		long pid;

		if (strncmp(e->d_name, PREFIX, strlen(PREFIX)) != 0)
			continue;
		pid = strtol(e->d_name + strlen(PREFIX), NULL, 10);
		if (pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			cg_remove(mnt_fd, e->d_name);
	}
	closedir(d);
}

static void live_setup(void)
{
	char mnt[PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	bool created;
	int r;

	cr_assert_not_null(f);
	r = cg_find_mount(f, mnt, sizeof(mnt));
	fclose(f);
	if (r < 0) {
		snprintf(skip_why, sizeof(skip_why), "no cgroup2 mounted (%s)", strerror(-r));
		return;
	}
	mnt_fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(mnt_fd, 0, "%s: %s", mnt, strerror(errno));
	remove_stale();
	snprintf(name, sizeof(name), PREFIX "%d", (int)getpid());
	cg_fd = cg_open_child(mnt_fd, name, true, &created);
	if (cg_fd < 0) {
		snprintf(skip_why, sizeof(skip_why), "cgroup2 at %s is not writable here: %s", mnt,
			 strerror(-cg_fd));
		return;
	}
	cr_assert(created, "%s/%s existed before this test", mnt, name);
}

static void need_cgroup2(void)
{
	if (cg_fd < 0)
		cr_skip("%s", skip_why);
}

/* Also after a failed assertion: nothing of ours may stay behind. */
static void live_teardown(void)
{
	if (cg_fd >= 0)
		cg_kill(cg_fd);
	for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++) {
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);         /* unreaped: still ours */
			waitpid(kids[i], NULL, 0);
		}
	}
	if (cg_fd >= 0) {
		close(cg_fd);
		/* the last exit may reach cgroup.events after waitpid */
		for (int i = 0; i < 5000 && cg_remove(mnt_fd, name) == -EBUSY; i++)
			usleep(1000);
		cr_expect_eq(faccessat(mnt_fd, name, F_OK, 0), -1, "%s left behind", name);
	}
	if (mnt_fd >= 0)
		close(mnt_fd);
}

TestSuite(cg_live, .init = live_setup, .fini = live_teardown, .timeout = 30);

static void remember(pid_t pid)
{
	for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++) {
		if (!kids[i]) {
			kids[i] = pid;
			return;
		}
	}
	cr_assert_fail("too many children");
}

/* A child that moves itself into dirfd's cgroup, then sleeps until killed. */
static pid_t child_in(int dirfd)
{
	pid_t parent = getpid(), pid;
	int p[2], r = -EIO;

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		r = getppid() == parent ? cg_move_self(dirfd) : -ESRCH;
		if (write(p[1], &r, sizeof(r)) != sizeof(r) || r < 0)
			_exit(1);
		for (;;)
			pause();
	}
	remember(pid);
	close(p[1]);
	cr_assert_eq(read(p[0], &r, sizeof(r)), (ssize_t)sizeof(r));
	close(p[0]);
	cr_assert_eq(r, 0, "cg_move_self: %s", strerror(-r));
	return pid;
}

/* Reap our child `pid`; the signal that ended it (-1: it exited). */
static int reap(pid_t pid)
{
	for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
		if (kids[i] == pid)
			kids[i] = 0;
	return ct_reap(pid);
}

/* Poll fn(dirfd) until it returns `want` (bounded: a hang is a failure,
 * not a slow pass). */
static int wait_for(int (*fn)(int), int dirfd, int want)
{
	int r = fn(dirfd);

	for (int i = 0; i < 5000 && r != want; i++) {
		usleep(1000);
		r = fn(dirfd);
	}
	return r;
}

static bool has_file(int dirfd, const char *file)
{
	return faccessat(dirfd, file, F_OK, 0) == 0;
}

Test(cg_live, empty_cgroup)
{
	need_cgroup2();
	cr_assert_eq(cg_populated(cg_fd), 0);
	cr_assert_eq(cg_frozen(cg_fd), 0);
	cr_assert_eq(cg_signal(cg_fd, 0), 0);
}

Test(cg_live, child_populates)
{
	char path[PATH_MAX], proc[64];
	pid_t pid;
	FILE *f;

	need_cgroup2();
	pid = child_in(cg_fd);
	cr_assert_eq(cg_populated(cg_fd), 1);
	/* and the kernel places it where the library says */
	snprintf(proc, sizeof(proc), "/proc/%d/cgroup", (int)pid);
	f = fopen(proc, "re");
	cr_assert_not_null(f);
	cr_assert_eq(cg_own_path(f, path, sizeof(path)), 0);
	fclose(f);
	cr_assert_str_eq(strrchr(path, '/') + 1, name, "%s in %s", proc, path);
}

Test(cg_live, freeze_and_thaw)
{
	need_cgroup2();
	child_in(cg_fd);
	cr_assert_eq(cg_freeze(cg_fd, true), 0);
	cr_assert_eq(wait_for(cg_frozen, cg_fd, 1), 1);
	/* frozen, still there */
	cr_assert_eq(cg_populated(cg_fd), 1);
	cr_assert_eq(cg_signal(cg_fd, 0), 1);
	cr_assert_eq(cg_freeze(cg_fd, false), 0);
	cr_assert_eq(wait_for(cg_frozen, cg_fd, 0), 0);
}

Test(cg_live, signal_counts)
{
	pid_t a, b;

	need_cgroup2();
	a = child_in(cg_fd);
	b = child_in(cg_fd);
	cr_assert_eq(cg_signal(cg_fd, 0), 2);
	cr_assert_eq(cg_signal(cg_fd, SIGTERM), 2);
	cr_assert_eq(reap(a), SIGTERM);
	cr_assert_eq(reap(b), SIGTERM);
	cr_assert_eq(wait_for(cg_populated, cg_fd, 0), 0);
	cr_assert_eq(cg_signal(cg_fd, SIGTERM), 0);
}

Test(cg_live, kill_empties_the_subtree)
{
	pid_t top, below;
	bool created;
	int sub;

	need_cgroup2();
	sub = cg_open_child(cg_fd, "w", true, &created);
	cr_assert_geq(sub, 0, "%s", strerror(-sub));
	cr_assert(created);
	top = child_in(cg_fd);
	below = child_in(sub);
	cr_assert_eq(cg_populated(sub), 1);
	/* cg_signal does not reach below; cg_kill does */
	cr_assert_eq(cg_signal(cg_fd, 0), 1);
	cr_assert_eq(cg_kill(cg_fd), 0);
	cr_assert_eq(reap(top), SIGKILL);
	cr_assert_eq(reap(below), SIGKILL);
	cr_assert_eq(wait_for(cg_populated, cg_fd, 0), 0);
	cr_assert_eq(cg_populated(sub), 0);
	close(sub);
	/* control files do not stand in the way of removal, children first */
	cr_assert_eq(cg_remove(mnt_fd, name), 0);
	cr_assert(!has_file(mnt_fd, name));
}

Test(cg_live, kill_a_frozen_cgroup)
{
	pid_t pid;

	need_cgroup2();
	pid = child_in(cg_fd);
	cr_assert_eq(cg_freeze(cg_fd, true), 0);
	cr_assert_eq(wait_for(cg_frozen, cg_fd, 1), 1);
	cr_assert_eq(cg_kill(cg_fd), 0);
	cr_assert_eq(reap(pid), SIGKILL);
	cr_assert_eq(wait_for(cg_populated, cg_fd, 0), 0);
}

Test(cg_live, remove_refused_while_populated)
{
	need_cgroup2();
	child_in(cg_fd);
	cr_assert_eq(cg_remove(mnt_fd, name), -EBUSY);
	cr_assert(has_file(mnt_fd, name));
	cr_assert(has_file(cg_fd, "cgroup.procs"), "the open cgroup is still usable");
}

Test(cg_live, stats)
{
	struct cg_stats s;

	need_cgroup2();
	child_in(cg_fd);
	cg_stats_read(cg_fd, &s);
	cr_assert_geq(s.cpu_usage_usec, 0, "cpu.stat is a core file");
	if (has_file(cg_fd, "memory.current"))
		cr_assert_geq(s.memory_current, 0);
	else
		cr_assert_eq(s.memory_current, -1);
	if (has_file(cg_fd, "memory.peak"))
		cr_assert_geq(s.memory_peak, 0);
	else
		cr_assert_eq(s.memory_peak, -1);
	if (has_file(cg_fd, "pids.current"))
		cr_assert_eq(s.pids_current, 1);
	else
		cr_assert_eq(s.pids_current, -1);
}

Test(cg_live, oom_kills)
{
	need_cgroup2();
	if (has_file(cg_fd, "memory.events"))
		cr_log_info("memory controller on: memory.events read, no OOM expected");
	cr_assert_eq(cg_oom_kills(cg_fd), 0);
}

Test(cg_live, controllers_that_are_not_there)
{
	char avail[256] = "";
	struct cg_limits l = ct_no_limits();
	const char *file = NULL;
	int r;

	need_cgroup2();
	cr_assert_geq(cg_read(cg_fd, "cgroup.controllers", avail, sizeof(avail)), 0);
	l.memory_max = INT64_MAX;
	r = cg_limits_apply(cg_fd, &l, CG_MEMORY, &file);
	if (cg_controllers_parse(avail) & CG_MEMORY) {
		cr_assert_eq(r, 0);
		return;
	}
	/* the kernel has no memory.max here: the caller learns which file */
	cr_assert_eq(r, -ENOENT);
	cr_assert_str_eq(file, "memory.max");
	cr_assert_eq(cg_enable(cg_fd, CG_MEMORY), -ENOENT, "enabling an absent controller");
}
