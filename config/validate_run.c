/*
 * validate_run.c: what would only fail once otpd runs, refused at load, so
 * that what `otpd --check` accepts can start (otp.conf(5), VALIDATION):
 * supervision deeper than otpd nests cgroups, and Unix socket paths longer
 * than sun_path.  Runs after the defaults are filled in (run_dir, socket).
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define DYN_SUFFIX_MAX 11               /* "@4294967295": a dynamic child's number */
#define DYN_PREFIX_MAX 50               /* the template's name is cut to 50 in T@N */

static void depth_check(struct cfg_ctx *x, const struct cfg_pnode *p)
{
	/* Only the first node too deep on each path: its subtree says nothing new. */
	if (p->node.depth == CFG_DEPTH_MAX + 1)
		cfg_err_section(x, &p->node,
				"nested %u levels below the root supervisor; at most %d are "
				"supported (each level is a nested cgroup)",
				p->node.depth, CFG_DEPTH_MAX);
}

/* A template's dynamic children are named T@N, T cut to 50 characters. */
static bool is_template(struct cfg_ctx *x, const struct cfg_pnode *p)
{
	return x->pn[p->parent].node.spec.strategy == SUP_SIMPLE_ONE_FOR_ONE;
}

static void mailbox_path_check(struct cfg_ctx *x, const struct cfg_pnode *p)
{
	const char *run_dir = x->cfg->otpd.run_dir, *name = p->node.spec.name;
	bool dyn = is_template(x, p);
	size_t nlen = strlen(name), len;

	if (dyn)
		nlen = (nlen < DYN_PREFIX_MAX ? nlen : DYN_PREFIX_MAX) + DYN_SUFFIX_MAX;
	len = strlen(run_dir) + strlen("/mailbox/") + nlen;
	if (len <= CFG_SOCKET_PATH_MAX)
		return;
	cfg_err_at_key(x, &p->seen, CFG_K_MAILBOX,
		       "the socket %s/mailbox/%s%s would be %zu bytes long, a Unix socket "
		       "path holds at most %d: shorten run_dir or the name",
		       run_dir, name, dyn ? "@N" : "", len, CFG_SOCKET_PATH_MAX);
}

/* A socket of otpd's own, `dir` + `name` made from run_dir (or set by `key`). */
static void socket_path_check(struct cfg_ctx *x, enum cfg_key_id key, const char *dir,
			      const char *name, const char *what)
{
	size_t len = strlen(dir) + strlen(name);

	if (len <= CFG_SOCKET_PATH_MAX)
		return;
	if (!(x->otpd_seen.bits & (1ULL << key)))
		key = CFG_K_RUN_DIR;
	cfg_err_at_key(x, &x->otpd_seen, key,
		       "%s %s%s would be %zu bytes long, a Unix socket path holds at most %d",
		       what, dir, name, len, CFG_SOCKET_PATH_MAX);
}

static void otpd_sockets_check(struct cfg_ctx *x)
{
	const struct cfg_otpd *o = &x->cfg->otpd;

	/* No PATH_MAX buffer to join them: it set otpd's stack high-water
	 * mark, for good (issue 19). */
	socket_path_check(x, CFG_K_SOCKET, o->socket, "", "the control socket");
	socket_path_check(x, CFG_K_RUN_DIR, o->run_dir, "/notify", "the notify socket");
}

void cfg_validate_run(struct cfg_ctx *x, const size_t *order, size_t n)
{
	otpd_sockets_check(x);
	for (size_t k = 0; k < n; k++) {
		const struct cfg_pnode *p = &x->pn[order[k]];

		depth_check(x, p);
		if (k > 0 && p->node.spec.type == SUP_WORKER && p->node.w.mailbox)
			mailbox_path_check(x, p);
	}
}
