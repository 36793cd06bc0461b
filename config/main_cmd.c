/*
 * main_cmd.c: `otpd [-c PATH] -- CMD ARGS...`.  The command line's program
 * becomes a worker of the root named CFG_MAIN_NAME, as if declared last:
 *
 *   exec        CMD ARGS..., word for word (no splitting, no quoting)
 *   restart     temporary: never restarted, so the root's intensity is
 *               never spent on it and its status is never turned into 1
 *   significant true, and the root's auto_shutdown becomes any_significant
 *               unless the file set one: its end ends the tree, and otpd
 *               exits with its status (code, or 128+signal)
 *   stdout, stderr  inherit: CMD writes to otpd's own, byte for byte
 *
 * Every other key keeps its default.  The name is taken: a file that
 * declares a node of that name is refused.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static int argv_copy(struct cfg_worker *w, char *const *argv)
{
	for (char *const *a = argv; *a; a++)
		if (cfg_strv_push(&w->argv, &w->argc, *a) < 0)
			return -ENOMEM;
	return 0;
}

int cfg_main_add(struct cfg_ctx *x, char *const *argv)
{
	const struct cfg_pnode *old = cfg_pnode_find(x, CFG_MAIN_NAME);
	struct cfg_node *n;
	size_t i, r;

	if (!argv || !argv[0] || !argv[0][0]) {
		cfg_err(x, NULL, 0, NULL, NULL, "--: expected a program to run after it");
		return -EINVAL;
	}
	if (old) {
		cfg_err(x, old->node.file, old->node.line, NULL, CFG_MAIN_NAME,
			"the name is taken by the program after -- (otpd -- CMD)");
		return -EINVAL;
	}
	x->file = NULL;
	x->line = 0;
	if ((r = cfg_root_get(x)) == CFG_NONE)
		return -ENOMEM;
	if (x->pn[r].node.spec.strategy == SUP_SIMPLE_ONE_FOR_ONE) {
		cfg_err_section(x, &x->pn[r].node, "the program after -- cannot be a child of a "
				"simple_one_for_one root");
		return -EINVAL;
	}
	if (x->pn[r].node.spec.auto_shutdown == SUP_AUTO_NEVER)
		x->pn[r].node.spec.auto_shutdown = SUP_AUTO_ANY;
	if ((i = cfg_pnode_add(x, SUP_WORKER, CFG_MAIN_NAME)) == CFG_NONE ||
	    cfg_pnode_index(x, i) < 0)
		return -ENOMEM;
	n = &x->pn[i].node;
	n->spec.restart = SUP_TEMPORARY;
	n->spec.significant = true;
	n->w.out.mode = CFG_OUT_INHERIT;
	n->w.err.mode = CFG_OUT_INHERIT;
	x->pn[i].err_set = true;
	x->cfg->main_cmd = true;
	return argv_copy(&n->w, argv);
}
