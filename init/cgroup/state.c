/*
 * state.c: the cgroup room's part of otpd's saved state (cgroup.h).
 *
 * Nothing of the kernel's changes: the tree's directories, their limits,
 * processes and freezing stay as they are.  The base's descriptor goes
 * through the exec with its flock(2), so no other otpd can take the base
 * meanwhile, and the new image never treats the tree as stale (no kill,
 * no removal): what was ours stays ours.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core.h"
#include "cgroup.h"

enum { CS_ON = 1, CS_BASE_FD, CS_BASE, CS_MOUNT_LEN, CS_MOVED, CS_PRIVATE, CS_FROZEN };
enum { CW_MADE = 1, CW_KILLED, CW_OOMS };

void cgroup_save(struct st_buf *b)
{
	st_put_u64(b, CS_ON, cgs.on);
	if (!cgs.on)
		return;
	st_put_fd(b, CS_BASE_FD, cgs.base_fd);
	st_put_str(b, CS_BASE, cgs.base);
	st_put_u64(b, CS_MOUNT_LEN, cgs.mount_len);
	st_put_u64(b, CS_MOVED, cgs.moved);
	st_put_u64(b, CS_PRIVATE, cgs.private_base);
	for (size_t i = 0; i < cgs.n_frozen; i++)
		st_put_str(b, CS_FROZEN, sup_node_name(cgs.frozen[i]));
}

int cgroup_restore(const struct st_rd *r, bool dry, const char **why)
{
	uint64_t mount_len = 0;
	char *base;
	int fd, k;

	cgs.base_fd = cgs.ino_fd = -1;
	*why = "cgroup: no base";
	if (!st_flag(r, CS_ON))
		return 0;
	if (!st_fd(r, CS_BASE_FD, &fd) || fd < 0 || !st_u64(r, CS_MOUNT_LEN, &mount_len) ||
	    !(base = st_strdup(r, CS_BASE)))
		return -EBADMSG;
	k = mount_len > strlen(base) ? -EBADMSG : 0;
	if (k < 0 || dry) {
		free(base);
		return k;
	}
	free(cgs.base);
	cgs.base = base;
	cgs.base_fd = fd;
	cgs.mount_len = (size_t)mount_len;
	cgs.moved = st_flag(r, CS_MOVED);
	cgs.private_base = st_flag(r, CS_PRIVATE);
	*why = "cgroup: the controllers of the configuration";
	if ((k = cgroup_masks_setup()) < 0)
		return k;
	*why = "cgroup: inotify";
	if ((k = cgroup_watch_init()) < 0)
		return k;
	cgs.on = true;
	return 0;
}

int cgroup_restore_frozen(const struct st_rd *r, bool dry, const char **why)
{
	struct st_rd it = *r, v;
	char name[SUP_NAME_MAX + 1];
	unsigned tag;

	while (st_next(&it, &tag, &v) == 1) {
		struct sup_node *n;

		if (tag != CS_FROZEN)
			continue;
		*why = "cgroup: a frozen node";
		if (v.n >= sizeof(name) || memchr(v.p, '\0', v.n))
			return -EBADMSG;
		memcpy(name, v.p, v.n);
		name[v.n] = '\0';
		if (dry || !cgs.on)
			continue;
		/* Frozen again (it is already): listed, and watched while the
		 * kernel is still freezing it. */
		if ((n = core_find_any(name)) && cgroup_freeze(n, true) < 0)
			log_warn("%s: cannot freeze it again after the re-execution", name);
	}
	return 0;
}

void cgroup_worker_save(const struct cg_worker *c, struct st_buf *b)
{
	st_put_u64(b, CW_MADE, c->made);
	st_put_u64(b, CW_KILLED, c->killed);
	st_put_i64(b, CW_OOMS, c->ooms);
}

int cgroup_worker_restore(struct cg_worker *c, const struct st_rd *r, bool dry)
{
	int64_t ooms = -1;

	(void)st_i64(r, CW_OOMS, &ooms);
	if (dry)
		return 0;
	c->made = st_flag(r, CW_MADE) && cgs.on;
	c->killed = st_flag(r, CW_KILLED);
	c->ooms = ooms;
	return 0;
}
