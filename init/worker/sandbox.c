/*
 * sandbox.c: what otpd prepares for a worker's sandbox before the
 * clone, so that the child only has to apply it (it may share otpd's
 * memory: spawn_child.h).  That is the seccomp filter, and the slots the
 * child fills with inaccessible_paths' nodes, both made at the first
 * start of a worker and kept for its restarts (a worker's configuration
 * never changes while its state lives).
 */
#include <errno.h>
#include <stdlib.h>

#include "spawn.h"

static int prep_of(struct ws *w)
{
	if (!w->sb && !(w->sb = calloc(1, sizeof(*w->sb))))
		return -ENOMEM;
	return 0;
}

static int prepare_filter(struct ws *w, struct child_plan *p, const char **ret_why)
{
	const struct cfg_worker *c = &w->cfg->w;
	int r;

	if (c->seccomp == CFG_SECCOMP_NONE)
		return 0;
	if ((r = prep_of(w)) < 0)
		return r;
	if (!w->sb->built) {
		if ((r = sb_seccomp_build(c, &w->sb->filter)) < 0) {
			*ret_why = "seccomp";
			return r;
		}
		w->sb->built = true;
	}
	p->filter = &w->sb->filter;
	return 0;
}

static int prepare_nodes(struct ws *w, struct child_plan *p)
{
	size_t n = sb_strv_len(cfg_worker_sandbox(&w->cfg->w)->inaccessible_paths);
	int r;

	if (n == 0)
		return 0;
	if ((r = prep_of(w)) < 0)
		return r;
	if (!w->sb->node_fds && !(w->sb->node_fds = calloc(n, sizeof(int))))
		return -ENOMEM;
	p->node_fds = w->sb->node_fds;
	return 0;
}

int sandbox_prepare(struct ws *w, struct child_plan *p, const char **ret_why)
{
	int r;

	p->filter = NULL;
	p->node_fds = NULL;
	if ((r = prepare_filter(w, p, ret_why)) < 0 || (r = prepare_nodes(w, p)) < 0)
		return r;
	return 0;
}

void sandbox_free(struct ws *w)
{
	if (!w->sb)
		return;
	sb_filter_release(&w->sb->filter);
	free(w->sb->node_fds);
	free(w->sb);
	w->sb = NULL;
}
