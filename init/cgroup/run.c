/*
 * run.c: a worker's cgroup while otpd runs.
 *
 * A worker is its cgroup (otp.conf(5)): when the main process ends and
 * leaves processes behind, the core stops them (its SIGNAL and KILL
 * actions reach the cgroup while the main process is gone) and this file
 * tells it when the cgroup is empty.  Emptiness and freezing are watched
 * with inotify on cgroup.events, never polled.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../cgroups/cgroups.h"
#include "../core.h"
#include "cgroup.h"

int cgroup_watch_add(int dirfd)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/self/fd/%d/cgroup.events", dirfd);
	return inotify_add_watch(cgs.ino_fd, p, IN_MODIFY);
}

/* Drop watch wd unless another waiter shares it (same file, same wd). */
void cgroup_watch_drop(int wd)
{
	for (struct cg_worker *c = cgs.waiting; c; c = c->wait_next)
		if (c->wd == wd)
			return;
	for (size_t i = 0; i < cgs.n_freezing; i++)
		if (cgs.freezing[i].wd == wd)
			return;
	(void)inotify_rm_watch(cgs.ino_fd, wd);
}

int cgroup_wait_empty(int dirfd, int timeout_ms)
{
	int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK), r;
	char p[64], buf[4096];

	if (ino < 0)
		return -errno;
	snprintf(p, sizeof(p), "/proc/self/fd/%d/cgroup.events", dirfd);
	if (inotify_add_watch(ino, p, IN_MODIFY) < 0) {
		close(ino);
		return -errno;
	}
	while ((r = cg_populated(dirfd)) > 0) {
		struct pollfd pfd = { .fd = ino, .events = POLLIN };

		if (poll(&pfd, 1, timeout_ms) <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		while (read(ino, buf, sizeof(buf)) > 0)
			;
	}
	close(ino);
	return r;
}

/*
 * --- a worker's cgroup -------------------------------------------------
 * No descriptor of it is kept: with thousands of workers, one fd each
 * would cost a third of what otpd may open.  Its directory is opened when
 * needed (one openat from the base) and closed again.
 */

void cgroup_worker_init(struct cg_worker *c, struct sup_node *n)
{
	*c = (struct cg_worker){ .node = n, .ooms = -1, .wd = -1 };
}

/* Remove n's (empty) cgroup and what is below it; say so if that fails. */
static void remove_node_cgroup(const struct sup_node *n)
{
	char *rel = cgroup_relpath_dup(n);
	int r = rel ? cg_remove(cgs.base_fd, rel) : -errno;

	free(rel);
	if (r < 0)
		log_warn("cannot remove the cgroup of %s below %s: %s", sup_node_name(n), cgs.base,
			 strerror(-r));
}

/* c's cgroup directory, open (close it); -errno when there is none. */
static int worker_dir(const struct cg_worker *c)
{
	char *rel;
	int r;

	if (!c->made)
		return -ENOENT;
	if (!(rel = cgroup_relpath_dup(c->node)))
		return -errno;
	r = openat(cgs.base_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = r < 0 ? -errno : r;
	free(rel);
	return r;
}

/*
 * A cgroup that once got cgroup.kill is replaced by a fresh one before the
 * next start: since the fork/kill race fix (kill_seq), Linux kills a child
 * cloned with CLONE_INTO_CGROUP into such a cgroup at birth (seen on 6.18;
 * tests/integration/t_cgroup.sh restarts after a kill).
 */
static void replace_if_killed(struct cg_worker *c)
{
	if (!c->made || !c->killed)
		return;
	c->made = c->killed = false;
	remove_node_cgroup(c->node);
}

/*
 * The cgroup whose memory.events counts c's OOM kills, open: its own
 * (`fd`, duplicated), or, when only a supervisor above has a memory limit
 * (the memory controller is enabled only where limits need it), the
 * nearest such ancestor; -1 when none.
 */
static int memory_events_fd(const struct cg_worker *c, int fd)
{
	const char *why;

	if (!(cgs.usable & CG_MEMORY) || fd < 0)
		return -1;
	if (faccessat(fd, "memory.events", F_OK, 0) == 0)
		return fcntl(fd, F_DUPFD_CLOEXEC, 3);
	for (struct sup_node *p = sup_node_parent(c->node); p; p = sup_node_parent(p)) {
		int pfd = cgroup_node_open(p, false, &why);

		if (pfd < 0)
			return -1;
		if (faccessat(pfd, "memory.events", F_OK, 0) == 0)
			return pfd;
		close(pfd);
	}
	return -1;
}

/* The OOM kills counted for c so far, or -1 when nothing counts them. */
static int64_t oom_kills(const struct cg_worker *c, int fd)
{
	int mfd = memory_events_fd(c, fd);
	int64_t n = mfd < 0 ? -1 : cg_oom_kills(mfd);

	if (mfd >= 0)
		close(mfd);
	return n;
}

int cgroup_worker_prepare(struct cg_worker *c, int *ret_fd, const char **why)
{
	int fd;

	*why = NULL;
	*ret_fd = -1;
	replace_if_killed(c);
	if (!cgs.on)
		return 0;
	fd = worker_dir(c);
	if (fd < 0 && (fd = cgroup_node_open(c->node, true, why)) < 0)
		return fd;
	c->made = true;
	/* Per start: a supervisor's counter also moves with its other children. */
	c->ooms = oom_kills(c, fd);
	*ret_fd = fd;
	return 0;
}

static void wait_unlink(struct cg_worker *c)
{
	for (struct cg_worker **p = &cgs.waiting; *p; p = &(*p)->wait_next) {
		if (*p == c) {
			*p = c->wait_next;
			break;
		}
	}
	c->waiting = false;
	c->wait_next = NULL;
	if (c->wd >= 0) {
		int wd = c->wd;

		c->wd = -1;
		cgroup_watch_drop(wd);
	}
}

unsigned cgroup_exit_flags(struct cg_worker *c, int wstatus)
{
	int fd = c->ooms >= 0 ? worker_dir(c) : -1;
	int64_t ooms = oom_kills(c, fd);

	if (fd >= 0)
		close(fd);
	if (ooms <= c->ooms)
		return 0;
	c->ooms = ooms;
	return WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL ? SUP_EXIT_OOM : 0;
}

/* Is c's cgroup populated? */
static bool populated(const struct cg_worker *c)
{
	int fd = worker_dir(c);
	bool r = fd >= 0 && cg_populated(fd) > 0;

	if (fd >= 0)
		close(fd);
	return r;
}

bool cgroup_leftovers_watch(struct cg_worker *c)
{
	int fd = worker_dir(c);

	if (fd < 0)
		return false;
	if (cg_populated(fd) <= 0) {
		close(fd);
		return false;
	}
	/* Watch first, then look again, so no change is missed. */
	c->wd = cgroup_watch_add(fd);
	close(fd);
	if (c->wd < 0)
		log_warn("%s: cannot watch its cgroup: %s", sup_node_name(c->node),
			 strerror(errno));
	c->waiting = true;
	c->wait_next = cgs.waiting;
	cgs.waiting = c;
	/* Emptied meanwhile (the inotify event may already be queued: harmless). */
	if (populated(c))
		return true;
	wait_unlink(c);
	return false;
}

/* cgroup.kill, remembering that this cgroup must not be reused. */
void cgroup_kill(struct cg_worker *c)
{
	int fd = worker_dir(c);

	if (fd < 0)
		return;
	(void)cg_kill(fd);
	close(fd);
	c->killed = true;
}

int cgroup_signal_leftovers(struct cg_worker *c, int sig)
{
	int fd = worker_dir(c), r;

	if (fd < 0)
		return fd;
	r = cg_signal(fd, sig);
	close(fd);
	return r;
}

/* The worker leaves the tree, or otpd exits: remove its cgroup. */
void cgroup_worker_release(struct cg_worker *c)
{
	if (c->waiting)
		wait_unlink(c);
	if (!c->made)
		return;
	c->made = c->killed = false;
	remove_node_cgroup(c->node);
}

/* A supervisor left the tree: its (by now empty) cgroup goes too. */
void cgroup_node_release(struct sup_node *n)
{
	cgroup_frozen_forget(n);
	if (cgs.on && sup_node_type(n) == SUP_SUPERVISOR)
		remove_node_cgroup(n);
}

/* --- inotify ------------------------------------------------------------ */

static void on_events(struct ev_source *s, uint32_t revents)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct cg_worker *c;

	while (read(cgs.ino_fd, buf, sizeof(buf)) > 0)
		;
	/* Few waiters at any time: re-check them all rather than map wds.
	 * Each report may change the list (the core acts), so start over. */
	do {
		for (c = cgs.waiting; c && populated(c); c = c->wait_next)
			;
		if (c) {
			wait_unlink(c);
			core_child_gone(c->node);
		}
	} while (c);
	cgroup_freeze_check();
}

int cgroup_watch_init(void)
{
	cgs.ino_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (cgs.ino_fd < 0)
		return -errno;
	cgs.ino_src = (struct ev_source){ .fd = cgs.ino_fd, .events = EPOLLIN, .fn = on_events };
	return ev_add(&cgs.ino_src);
}
