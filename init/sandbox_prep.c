/*
 * sandbox_prep.c: what otpd prepares for a worker's sandbox before the
 * clone.  Today that is the seccomp filter, built at the first start of a
 * worker and kept for its restarts (a worker's configuration never changes
 * while its state lives).
 */
#include <errno.h>
#include <stdlib.h>

#include "spawn_child.h"

int sandbox_prepare(struct ws *w, struct child_plan *p, const char **ret_why)
{
	const struct cfg_worker *c = &w->cfg->w;
	int r;

	p->filter = NULL;
	if (c->seccomp == CFG_SECCOMP_NONE)
		return 0;
	if (!w->sb && !(w->sb = calloc(1, sizeof(*w->sb))))
		return -ENOMEM;
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

void sandbox_free(struct ws *w)
{
	if (!w->sb)
		return;
	sb_filter_release(&w->sb->filter);
	free(w->sb);
	w->sb = NULL;
}
