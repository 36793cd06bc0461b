/*
 * reload.c: `otpctl reload` and SIGHUP (DESIGN §7, otpd(8) RELOAD).
 *
 * The new configuration is loaded completely first; an invalid one changes
 * nothing.  Then the difference is applied in two steps:
 *
 *   1. children that left the configuration (or changed type, parent or
 *      simple_one_for_one-ness) are stopped and taken out of the tree,
 *      each under its own shutdown, all at once;
 *   2. once they are gone: every kept node gets its new spec in place (OTP
 *      code_change: same process, restart history kept) and its place in
 *      the new start order, new children are inserted where the config
 *      puts them, cgroup limits, mailbox settings and forwarded signals
 *      follow the new config in place, and then new children are started
 *      and kept workers whose process-level keys changed are restarted
 *      (supervisorctl `update`).  `--keep-running` is OTP's form: specs are
 *      swapped and nothing is started or restarted.
 *
 * Step 2 never runs inside actions_run()'s batch: the last removal's reply
 * arrives there, so it only marks the reload due and reload_poll() runs it
 * once the batch is done.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "sandbox.h"

static struct {
	struct otp_config *next;        /* loaded; applied once removals are done */
	bool keep_running;
	size_t waiting;                 /* removals not answered yet */
	uint64_t first, end;            /* cookies of those removals: [first, end) */
	uint64_t done_cookie;           /* the client's */
	bool client;                    /* false: SIGHUP, nobody to answer */
	bool due;
} rl;

/* --- the difference ---------------------------------------------------- */

static const struct cfg_node *template_of(const struct otp_config *c, const struct cfg_node *sup)
{
	for (size_t i = 1; i < c->n_nodes; i++)
		if (strcmp(c->nodes[i].parent, sup->spec.name) == 0)
			return &c->nodes[i];
	return NULL;
}

/* Old node `o` cannot stay: gone from the config, or reshaped. */
static bool must_go(const struct otp_config *old, const struct otp_config *nw,
		    const struct cfg_node *o)
{
	const struct cfg_node *n = cfg_find(nw, o->spec.name);
	const struct cfg_node *ot, *nt;

	if (!n || (cfg_node_changes(o, n) & CFG_CHANGED_SHAPE))
		return true;
	if (o->spec.type != SUP_SUPERVISOR || o->spec.strategy != SUP_SIMPLE_ONE_FOR_ONE)
		return false;
	/* A simple_one_for_one supervisor whose template was renamed is a new one. */
	ot = template_of(old, o);
	nt = template_of(nw, n);
	return !ot || !nt || strcmp(ot->spec.name, nt->spec.name) != 0;
}

/*
 * The root cannot be replaced while otpd runs: a change of its
 * simple_one_for_one-ness or of its template needs a restart of otpd.
 */
static bool root_reshaped(const struct otp_config *old, const struct otp_config *nw)
{
	const struct cfg_node *o = &old->nodes[0], *n = &nw->nodes[0];

	if (cfg_node_changes(o, n) & CFG_CHANGED_SHAPE)
		return true;
	return o->spec.strategy == SUP_SIMPLE_ONE_FOR_ONE && must_go(old, nw, o);
}

/* Is an ancestor of old node `o` going too?  Then `o` goes with it. */
static bool goes_with_parent(const struct otp_config *old, const struct otp_config *nw,
			     const struct cfg_node *o)
{
	for (const struct cfg_node *p = cfg_find(old, o->parent); p && p->parent[0];
	     p = cfg_find(old, p->parent))
		if (must_go(old, nw, p))
			return true;
	return false;
}

static bool removed_in(const struct otp_config *old, const struct otp_config *nw,
		       const struct cfg_node *o)
{
	return must_go(old, nw, o) || goes_with_parent(old, nw, o);
}

/* A process runs (or is starting) for n: a restart would replace it. */
static bool runs(const struct sup_node *n)
{
	return sup_node_state(n) == SUP_RUNNING || sup_node_state(n) == SUP_STARTING;
}

/* The dynamic child after n (a template, or one of its dynamic children). */
static struct sup_node *next_dynamic(const struct sup_node *n)
{
	struct sup_node *d = sup_node_next(n);

	return d && sup_node_is_dynamic(d) ? d : NULL;
}

/* --- step 1 ------------------------------------------------------------- */

static void say(struct ctl_client *cl, const char *what, const char *name)
{
	if (cl)
		(void)ipc_conn_printf(ctl_client_conn(cl), IPC_OUT, "%s %s\n", what, name);
	log_info("reload: %s %s", what, name);
}

/* Running values of keys that cannot change while otpd runs. */
static void keep_fixed(struct cfg_otpd *now, struct cfg_otpd *was, struct ctl_client *cl)
{
	char **pairs[][2] = { { &now->run_dir, &was->run_dir }, { &now->socket, &was->socket },
			      { &now->control_group, &was->control_group },
			      { &now->cgroup_base, &was->cgroup_base } };
	static const char *const names[] = { "run_dir", "socket", "control_group", "cgroup_base" };
	bool changed = now->cgroup != was->cgroup;

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		char *a = *pairs[i][0], *b = *pairs[i][1];

		if (strcmp(a ? a : "", b ? b : "") != 0) {
			say(cl, "unchanged until otpd restarts: [otpd]", names[i]);
			*pairs[i][0] = b;       /* swap: the old config frees the new value */
			*pairs[i][1] = a;
		}
	}
	if (changed)
		say(cl, "unchanged until otpd restarts: [otpd]", "cgroup");
	now->cgroup = was->cgroup;
}

static void remove_gone(struct ctl_client *cl)
{
	const struct otp_config *old = otpd.cfg, *nw = rl.next;

	rl.first = rl.end = otpd.next_cookie;
	/* Last in start order first, as a shutdown would. */
	for (size_t i = old->n_nodes; i-- > 1;) {
		const struct cfg_node *o = &old->nodes[i];

		if (!removed_in(old, nw, o))
			continue;
		say(cl, "removed", o->spec.name);
		if (goes_with_parent(old, nw, o))
			continue;
		rl.waiting++;
		rl.end = ++otpd.next_cookie;
		sup_cmd_remove(otpd.tree, o->spec.name, rl.end - 1, ev_now());
	}
}

/* What the new config adds and changes, said before anything happens. */
static void summary(struct ctl_client *cl)
{
	const struct otp_config *old = otpd.cfg, *nw = rl.next;

	for (size_t i = 0; i < nw->n_nodes; i++) {
		const struct cfg_node *c = &nw->nodes[i], *o = cfg_find(old, c->spec.name);
		struct sup_node *n = sup_find(otpd.tree, c->spec.name);
		unsigned ch;

		if (!o || removed_in(old, nw, o)) {
			say(cl, "added", c->spec.name);
			continue;
		}
		ch = cfg_node_changes(o, c);
		if ((ch & CFG_CHANGED_RUN) && !rl.keep_running && c->spec.type == SUP_WORKER && n &&
		    runs(n))
			say(cl, "restarted", c->spec.name);
		else if (ch)
			say(cl, "changed", c->spec.name);
	}
}

static void fail_errors(struct ctl_client *cl, const struct cfg_errors *errs, int r)
{
	for (size_t i = 0; i < errs->n; i++) {
		log_err("reload: %s", errs->msgs[i]);
		if (cl)
			(void)ipc_conn_printf(ctl_client_conn(cl), IPC_ERR, "otpctl: reload: %s\n",
					      errs->msgs[i]);
	}
	if (!errs->n)
		log_err("reload: cannot load the configuration: %s", strerror(-r));
	if (cl)
		ctl_client_fail(cl, IPC_EXIT_REFUSED,
				"otpctl: reload: configuration not valid, nothing changed");
}

void reload_begin(struct ctl_client *cl, bool keep_running)
{
	struct cfg_errors errs = { 0 };
	struct otp_config *nw = NULL;
	int r;

	if (rl.next || otpd.stopping) {
		log_warn("reload refused: %s", otpd.stopping ? "otpd is stopping" :
			 "a reload is in progress");
		if (cl)
			ctl_client_fail(cl, IPC_EXIT_REFUSED, "otpctl: reload: %s",
					otpd.stopping ? "shutting_down" : "a reload is in progress");
		return;
	}
	if ((r = cfg_load(otpd.config_path, &nw, &errs)) < 0) {
		fail_errors(cl, &errs, r);
		cfg_errors_clear(&errs);
		return;
	}
	cfg_errors_clear(&errs);
	if (root_reshaped(otpd.cfg, nw)) {
		log_err("reload: the root supervisor changed to or from simple_one_for_one, or "
			"its template changed: restart otpd for that; nothing changed");
		if (cl)
			ctl_client_fail(cl, IPC_EXIT_REFUSED, "otpctl: reload: the root supervisor "
					"changed to or from simple_one_for_one, or its template "
					"changed: restart otpd for that; nothing changed");
		cfg_free(nw);
		return;
	}
	rl.next = nw;
	rl.keep_running = keep_running;
	rl.client = cl != NULL;
	if (cl) {
		rl.done_cookie = otpd.next_cookie++;
		ctl_client_await_reply(cl, rl.done_cookie, "reload", false);
	}
	keep_fixed(&nw->otpd, &otpd.cfg->otpd, cl);
	remove_gone(cl);
	summary(cl);
	rl.due = rl.waiting == 0;
	actions_run();          /* ends with reload_poll() */
}

bool reload_reply(uint64_t cookie)
{
	if (!rl.next || cookie < rl.first || cookie >= rl.end)
		return false;
	if (--rl.waiting == 0)
		rl.due = true;
	return true;
}

/* --- step 2 ------------------------------------------------------------- */

struct names {
	char (*v)[SUP_NAME_MAX + 1];
	size_t n;
};

static void names_add(struct names *l, const char *name)
{
	void *p = realloc(l->v, (l->n + 1) * sizeof(*l->v));

	if (!p) {
		log_err("reload: out of memory: %s not started", name);
		return;
	}
	l->v = p;
	snprintf(l->v[l->n++], sizeof(*l->v), "%s", name);
}

static void ws_follow(struct sup_node *n)
{
	struct ws *w = sup_node_shell(n);
	int r;

	if (!w)
		return;
	w->cfg = sup_node_spec(n)->user;
	sandbox_free(w);        /* rebuilt from the new config at the next start */
	if ((r = mailbox_update(w)) < 0)
		log_warn("%s: reload: mailbox: %s", sup_node_name(n), strerror(-r));
}

/*
 * Every worker's shell state follows its node's new config: found by name,
 * so that nodes out of the tree for now (deleted, exited temporary, below
 * a deleted supervisor), which keep their state for their next start, do
 * not keep pointers into the old config; a template's dynamic children
 * follow it.
 */
static void shells_follow(const struct otp_config *c)
{
	for (size_t i = 1; i < c->n_nodes; i++) {
		struct sup_node *n = sup_find_any(otpd.tree, c->nodes[i].spec.name);

		if (!n || sup_node_type(n) != SUP_WORKER)
			continue;
		ws_follow(n);
		for (struct sup_node *d = next_dynamic(n); d; d = next_dynamic(d))
			ws_follow(d);
	}
}

/* The last node placed under `parent` in this pass (previous sibling). */
static struct sup_node *prev_sibling(const struct otp_config *c, size_t i)
{
	for (size_t j = i; j-- > 1;)
		if (strcmp(c->nodes[j].parent, c->nodes[i].parent) == 0)
			return sup_find_any(otpd.tree, c->nodes[j].spec.name);
	return NULL;
}

/* Kept node: new spec and place; restart it if a process-level key changed. */
static void apply_kept(struct sup_node *n, const struct cfg_node *c, size_t i,
		       struct names *restart)
{
	const struct cfg_node *was = sup_node_spec(n)->user;
	unsigned ch = cfg_node_changes(was, c);
	bool running = runs(n);

	if (sup_node_respec(n, &c->spec) != SUP_OK)
		log_err("reload: %s: spec not replaced", c->spec.name);
	(void)sup_node_place(n, prev_sibling(rl.next, i));
	if (!(ch & CFG_CHANGED_RUN) || rl.keep_running || c->spec.type != SUP_WORKER)
		return;
	if (running)
		names_add(restart, c->spec.name);
	/* A template's change reaches its running dynamic children too. */
	for (struct sup_node *d = next_dynamic(n); d; d = next_dynamic(d))
		if (runs(d))
			names_add(restart, sup_node_name(d));
}

static bool names_has(const struct names *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], name) == 0)
			return true;
	return false;
}

/* New node: inserted stopped; started unless its supervisor is new too
 * (which starts its children itself) or the reload keeps things running. */
static void apply_added(const struct cfg_node *c, size_t i, struct names *added,
			struct names *start)
{
	struct sup_node *parent = sup_find_any(otpd.tree, c->parent);
	enum sup_result err = SUP_OK;

	if (!sup_tree_insert(otpd.tree, parent, prev_sibling(rl.next, i), &c->spec, &err)) {
		log_err("reload: cannot add %s: %s", c->spec.name, sup_result_str(err));
		return;
	}
	names_add(added, c->spec.name);
	if (!rl.keep_running && !names_has(added, c->parent))
		names_add(start, c->spec.name);
}

static void apply(void)
{
	struct otp_config *old = otpd.cfg, *nw = rl.next;
	struct names start = { 0 }, restart = { 0 }, added = { 0 };
	uint64_t done = rl.done_cookie;
	bool client = rl.client;

	(void)sup_node_respec(sup_tree_root(otpd.tree), &nw->nodes[0].spec);
	for (size_t i = 1; i < nw->n_nodes; i++) {
		const struct cfg_node *c = &nw->nodes[i];
		struct sup_node *n = sup_find_any(otpd.tree, c->spec.name);

		if (n && !sup_node_is_dynamic(n))
			apply_kept(n, c, i, &restart);
		else
			apply_added(c, i, &added, &start);
	}
	otpd.cfg = nw;
	rl.next = NULL;
	shells_follow(nw);
	cgroup_reload(old);
	signals_refresh();
	cfg_free(old);
	for (size_t i = 0; i < start.n; i++)
		sup_cmd_start(otpd.tree, start.v[i], otpd.next_cookie++, ev_now());
	for (size_t i = 0; i < restart.n; i++)
		sup_cmd_restart(otpd.tree, restart.v[i], otpd.next_cookie++, ev_now());
	free(start.v);
	free(restart.v);
	free(added.v);
	log_info("reload: done");
	if (client)
		control_reply(done, &(struct sup_action){ .kind = SUP_A_REPLY, .cookie = done,
							   .result = SUP_OK });
	actions_run();
}

void reload_poll(void)
{
	if (!rl.due)
		return;
	rl.due = false;
	apply();
}
