/*
 * freeze.c: `otpctl freeze` / `thaw` through cgroup.freeze.
 *
 * Freezing is asynchronous: cgroup.freeze=1 is a request, "frozen 1" in
 * cgroup.events the answer.  Waiters are woken from the inotify handler.
 * A node shows as "frozen" while it or a supervisor above it is frozen;
 * stopping or killing a frozen worker thaws what froze it first (a stop
 * signal is not acted on by a frozen process), as systemd does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../cgroups/cgroups.h"
#include "../core.h"
#include "cgroup.h"

static bool in_list(const struct sup_node *n)
{
	for (size_t i = 0; i < cgs.n_frozen; i++)
		if (cgs.frozen[i] == n)
			return true;
	return false;
}

static void list_remove(const struct sup_node *n)
{
	for (size_t i = 0; i < cgs.n_frozen; i++) {
		if (cgs.frozen[i] == n) {
			cgs.frozen[i] = cgs.frozen[--cgs.n_frozen];
			return;
		}
	}
}

/* The frozen node n is, or is below; NULL when none. */
struct sup_node *cgroup_frozen_by(const struct sup_node *n)
{
	for (; n && cgs.n_frozen; n = sup_node_parent(n))
		if (in_list(n))
			return (struct sup_node *)n;
	return NULL;
}

static void freezing_remove(size_t i)
{
	int wd = cgs.freezing[i].wd;

	cgs.freezing[i] = cgs.freezing[--cgs.n_freezing];
	cgroup_watch_drop(wd);
}

static int freezing_add(struct sup_node *n, int fd)
{
	struct cg_freezing *v = realloc(cgs.freezing, (cgs.n_freezing + 1) * sizeof(*v));
	int wd;

	if (!v)
		return -ENOMEM;
	cgs.freezing = v;
	if ((wd = cgroup_watch_add(fd)) < 0)
		return -errno;
	cgs.freezing[cgs.n_freezing++] = (struct cg_freezing){ .node = n, .wd = wd };
	/* Frozen between the first check and the watch: no event will come. */
	return cg_frozen(fd) > 0 ? (freezing_remove(cgs.n_freezing - 1), 0) : 1;
}

/* Something changed in a watched cgroup.events: wake freeze waiters. */
void cgroup_freeze_check(void)
{
	for (size_t i = 0; i < cgs.n_freezing; i++) {
		struct sup_node *n = cgs.freezing[i].node;
		const char *why;
		int fd = cgroup_node_open(n, false, &why), f = fd < 0 ? fd : cg_frozen(fd);

		if (fd >= 0)
			close(fd);
		if (f == 0 && in_list(n))
			continue;
		freezing_remove(i--);
		if (f > 0)
			core_node_shown(n);
	}
}

void cgroup_frozen_forget(struct sup_node *n)
{
	list_remove(n);
	for (size_t i = 0; i < cgs.n_freezing; i++)
		if (cgs.freezing[i].node == n)
			freezing_remove(i--);
}

/* Freeze (on) or thaw n.  0 when done at once, 1 when the kernel is
 * still freezing (cgroup_freeze_check will tell waiters), or -errno. */
int cgroup_freeze(struct sup_node *n, bool on)
{
	const char *why;
	int fd, r;

	if (!cgs.on)
		return -EOPNOTSUPP;
	if ((fd = cgroup_node_open(n, false, &why)) < 0)
		return fd;
	if ((r = cg_freeze(fd, on)) < 0)
		goto out;
	if (!on) {
		list_remove(n);
		r = 0;
		goto out;
	}
	if (!in_list(n)) {
		struct sup_node **v = realloc(cgs.frozen, (cgs.n_frozen + 1) * sizeof(*v));

		if (!v) {
			(void)cg_freeze(fd, false);
			r = -ENOMEM;
			goto out;
		}
		cgs.frozen = v;
		cgs.frozen[cgs.n_frozen++] = n;
	}
	r = cg_frozen(fd) > 0 ? 0 : freezing_add(n, fd);
out:
	close(fd);
	return r;
}

/*
 * Would a process started in c's cgroup be frozen at birth?  Frozen by
 * otpctl, or by hand above it: an empty cgroup reports "frozen 1" as soon
 * as a freeze reaches it.  A read error counts as frozen (the cautious
 * answer only costs a slower spawn).
 */
bool cgroup_worker_frozen(const struct cg_worker *c, int dirfd)
{
	if (dirfd < 0)
		return false;
	return cgroup_frozen_by(c->node) || cg_frozen(dirfd) != 0;
}
