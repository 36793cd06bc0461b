/*
 * reload.c: `otpctl reload` and SIGHUP (otpd(8) RELOAD), part of the
 * doorway's room: it edits the tree through doorway.h.
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
 * Step 2 runs as a job posted by the last removal's reply, after the batch
 * that carried it.  A reload asked for while one is under way waits for it
 * and then runs once, with the configuration as the files say at that
 * moment: the last request wins, and every requester is answered when it
 * is applied.  Requesters are known by their cookie only (doorway.h), so
 * one that went away meanwhile is simply not answered.
 *
 * otpctl upgrade (upgrade.c) runs rounds of its own through reload_apply():
 * NEW from its path, and the rollback with the configuration that was in
 * force, as it was loaded (never read again).  Its hooks hear which
 * workers step 2 starts, and get the replaced configuration to keep.
 * While an upgrade is under way, reloads are refused (busy).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "cgroup/cgroup.h"
#include "doorway.h"
#include "system/system.h"
#include "worker/worker.h"

#define RELOAD_TALKS_MAX 64     /* requesters of one round (clients are bounded anyway) */

/* The requesters of one reload: told what happens, answered at the end. */
struct talks {
	uint64_t cookie[RELOAD_TALKS_MAX];
	size_t n;
	bool keep_running;
};

static struct {
	struct otp_config *next;        /* loaded; applied once removals are done */
	struct talks now;               /* this round's */
	struct talks queued;            /* the next round's */
	bool again;                     /* a request came during this round */
	size_t waiting;                 /* removals not answered yet (+1 while issuing) */
	struct core_req *removals;      /* one requester per removal */
	bool hooked;                    /* this round is upgrade.c's: */
	struct reload_hooks hooks;
	unsigned failures;              /* step 2: nodes that could not be added */
} rl;

/* "reload", or the upgrade's word for this round. */
static const char *what(void)
{
	return rl.hooked && rl.hooks.what ? rl.hooks.what : "reload";
}

static void say(bool err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Tell this round's requesters `line` (err: something went wrong). */
static void tell(bool err, const char *line)
{
	for (size_t i = 0; i < rl.now.n; i++) {
		struct core_req *r = core_pending(rl.now.cookie[i]);

		if (r)
			((struct core_talk *)r)->say((struct core_talk *)r, err, line);
	}
}

/* Log a line and tell it. */
static void say(bool err, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (err)
		log_err("%s: %s", what(), line);
	else
		log_info("%s: %s", what(), line);
	tell(err, line);
}

/* Answer this round's requesters with `result`: the round is over. */
static void answer(enum sup_result result)
{
	size_t n = rl.now.n;

	if (!rl.hooked)
		core_note(&(struct core_note_info){
			.what = result == SUP_OK ? CORE_NOTE_RELOADED : CORE_NOTE_RELOAD_FAILED,
			.detail = result == SUP_OK ? NULL : sup_result_str(result) });
	rl.hooked = false;
	rl.now.n = 0;
	for (size_t i = 0; i < n; i++)
		core_answer(rl.now.cookie[i], result);
}

/* --- the difference ---------------------------------------------------- */

/* A simple_one_for_one supervisor's template: its first child, right after it. */
static const struct cfg_node *template_of(const struct otp_config *c, const struct cfg_node *sup)
{
	size_t i = (size_t)(sup - c->nodes);

	return i + 1 < c->n_nodes && c->nodes[i + 1].parent_index == i ? &c->nodes[i + 1] : NULL;
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

/*
 * Which old nodes leave the tree: gone[i] when old node i must go or an
 * ancestor below the root does (it goes with it).  One pass in pre-order
 * (a parent before its children), one lookup per node: walking every
 * node's ancestors in each use cost 40,000 x depth lookups several times.
 * NULL when out of memory.
 */
static bool *gone_of(const struct otp_config *old, const struct otp_config *nw)
{
	bool *gone = calloc(old->n_nodes, sizeof(*gone));

	for (size_t i = 1; gone && i < old->n_nodes; i++) {
		size_t p = old->nodes[i].parent_index;

		gone[i] = must_go(old, nw, &old->nodes[i]) || (p != CFG_NO_NODE && p != 0 && gone[p]);
	}
	return gone;
}

/* Old node i goes because its supervisor does (not on its own account). */
static bool goes_with_parent(const struct otp_config *old, const bool *gone, size_t i)
{
	size_t p = old->nodes[i].parent_index;

	return p != CFG_NO_NODE && p != 0 && gone[p];
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

/*
 * Running values of keys that cannot change while otpd runs: copied into
 * the new configuration, so that the one in force stays as it was loaded
 * (an upgrade may go back to it).  0 or -ENOMEM.
 */
static int keep_fixed(struct cfg_otpd *now, const struct cfg_otpd *was)
{
	char **mine[] = { &now->run_dir, &now->socket, &now->control_group, &now->cgroup_base };
	char *const theirs[] = { was->run_dir, was->socket, was->control_group, was->cgroup_base };
	static const char *const names[] = { "run_dir", "socket", "control_group", "cgroup_base" };
	bool changed = now->cgroup != was->cgroup;

	for (size_t i = 0; i < sizeof(mine) / sizeof(mine[0]); i++) {
		char *a = *mine[i], *b = theirs[i], *copy = NULL;

		if (strcmp(a ? a : "", b ? b : "") == 0)
			continue;
		if (b && !(copy = strdup(b)))
			return -ENOMEM;
		say(false, "unchanged until otpd restarts: [otpd] %s", names[i]);
		free(a);
		*mine[i] = copy;
	}
	if (changed)
		say(false, "unchanged until otpd restarts: [otpd] cgroup");
	now->cgroup = was->cgroup;
	return 0;
}

/* What the new config adds and changes, said before anything happens. */
static void summary(const struct otp_config *old, const struct otp_config *nw, const bool *gone)
{
	for (size_t i = 0; i < nw->n_nodes; i++) {
		const struct cfg_node *c = &nw->nodes[i], *o = cfg_find(old, c->spec.name);
		struct sup_node *n = core_find(c->spec.name);
		unsigned ch;

		if (!o || gone[o - old->nodes]) {
			say(false, "added %s", c->spec.name);
			continue;
		}
		ch = cfg_node_changes(o, c);
		if ((ch & CFG_CHANGED_RUN) && !rl.now.keep_running && c->spec.type == SUP_WORKER && n &&
		    runs(n))
			say(false, "restarted %s", c->spec.name);
		else if (ch)
			say(false, "changed %s", c->spec.name);
	}
}

static void apply(void *unused);

/* A removal is over; the last one makes step 2 due (after this batch). */
static void removal_done(struct core_req *r, const struct sup_action *reply)
{
	if (--rl.waiting == 0 && core_post(apply, NULL) < 0)
		log_err("%s: out of memory: the new configuration is not applied", what());
}

static size_t count_removals(const struct otp_config *old, const bool *gone)
{
	size_t n = 0;

	for (size_t i = old->n_nodes; i-- > 1;)
		if (gone[i] && !goes_with_parent(old, gone, i))
			n++;
	return n;
}

/* Say what goes, then stop and remove it: last in start order first, as a
 * shutdown would; a node whose supervisor goes leaves with it. */
static int remove_gone(const struct otp_config *old, const struct otp_config *nw)
{
	bool *gone = gone_of(old, nw);
	size_t n, k = 0;

	if (!gone)
		return -ENOMEM;
	n = count_removals(old, gone);
	for (size_t i = old->n_nodes; i-- > 1;)
		if (gone[i])
			say(false, "removed %s", old->nodes[i].spec.name);
	summary(old, nw, gone);
	if (n && !(rl.removals = calloc(n, sizeof(*rl.removals)))) {
		free(gone);
		return -ENOMEM;
	}
	rl.waiting = n + 1;     /* + 1 until every removal is issued */
	for (size_t i = old->n_nodes; i-- > 1;) {
		if (!gone[i] || goes_with_parent(old, gone, i))
			continue;
		rl.removals[k].done = removal_done;
		core_cmd_remove(old->nodes[i].spec.name, &rl.removals[k++]);
	}
	free(gone);
	removal_done(NULL, NULL);
	return 0;
}

/* Load and check the configuration at `path`: NULL (after saying why) when
 * it cannot be applied. */
static struct otp_config *load(const char *path)
{
	struct cfg_errors errs = { 0 };
	struct otp_config *nw = NULL;
	/* `otpd -- CMD` keeps its main worker, word for word. */
	const struct cfg_node *m = core_config()->main_cmd ? cfg_find(core_config(), CFG_MAIN_NAME)
							   : NULL;
	int r = cfg_load_main(path, m ? m->w.argv : NULL, &nw, &errs);
	size_t n_errs = errs.n;

	for (size_t i = 0; r < 0 && i < errs.n; i++)
		say(true, "%s", errs.msgs[i]);
	cfg_errors_clear(&errs);
	if (r < 0) {
		if (!n_errs)
			say(true, "cannot load the configuration: %s", strerror(-r));
		tell(true, "configuration not valid, nothing changed");
		return NULL;
	}
	if (root_reshaped(core_config(), nw)) {
		say(true, "the root supervisor changed to or from simple_one_for_one, or its "
			  "template changed: restart otpd for that; nothing changed");
		cfg_free(nw);
		return NULL;
	}
	return nw;
}

/* A round with rl.now's requesters, applying `nw` (NULL: the configuration
 * the files say now). */
static void round_begin(struct otp_config *nw)
{
	if (!nw && !(nw = load(core_config_path()))) {
		answer(SUP_E_INVALID);
		return;
	}
	rl.next = nw;
	rl.failures = 0;
	if (keep_fixed(&nw->otpd, &core_config()->otpd) < 0 ||
	    remove_gone(core_config(), nw) < 0) {
		say(true, "out of memory, nothing changed");
		cfg_free(nw);
		rl.next = NULL;
		answer(SUP_E_NOMEM);
	}
}

/* Requesters beyond what one round keeps are refused at once. */
static void talks_add(struct talks *l, struct core_talk *t, bool keep_running)
{
	l->keep_running = keep_running;
	if (!t)
		return;
	if (l->n == RELOAD_TALKS_MAX) {
		t->say(t, true, "too many reloads waiting");
		t->req.done(&t->req, &(struct sup_action){ .kind = SUP_A_REPLY,
							  .result = SUP_E_NOMEM });
		return;
	}
	l->cookie[l->n++] = core_request(&t->req);
}

/* Refuse requester t at once: `line`, then `result`. */
static void refuse(struct core_talk *t, const char *line, enum sup_result result)
{
	if (!t)
		return;
	t->say(t, true, line);
	t->req.done(&t->req, &(struct sup_action){ .kind = SUP_A_REPLY, .result = result });
}

void core_reload(struct core_talk *t, bool keep_running)
{
	const char *busy = upgrade_busy();

	if (busy) {
		/* A reload now would replace what the upgrade may have to roll back. */
		log_warn("reload refused: %s", busy);
		refuse(t, busy, SUP_E_BUSY);
		return;
	}
	if (core_stopping()) {
		log_warn("reload refused: otpd is stopping");
		if (t) {
			t->say(t, true, "shutting_down");
			t->req.done(&t->req, &(struct sup_action){ .kind = SUP_A_REPLY,
								  .result = SUP_E_SHUTTING_DOWN });
		}
		return;
	}
	if (rl.next) {
		/* The last request wins: it runs once this round is over. */
		log_info("reload: one is under way; this one follows it");
		if (t)
			t->say(t, false, "a reload is under way: this one follows it");
		rl.again = true;
		talks_add(&rl.queued, t, keep_running);
		return;
	}
	talks_add(&rl.now, t, keep_running);
	round_begin(NULL);
}

void reload_apply(struct core_talk *t, const char *path, struct otp_config *cfg,
		  const struct reload_hooks *h)
{
	rl.hooked = true;
	rl.hooks = *h;
	talks_add(&rl.now, t, false);
	if (!cfg && !(cfg = load(path))) {
		answer(SUP_E_INVALID);
		return;
	}
	round_begin(cfg);
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
		log_err("%s: out of memory: %s not started", what(), name);
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
		struct sup_node *n = core_find_any(c->nodes[i].spec.name);

		if (!n || sup_node_type(n) != SUP_WORKER)
			continue;
		ws_follow(n);
		for (struct sup_node *d = next_dynamic(n); d; d = next_dynamic(d))
			ws_follow(d);
	}
}

/* Node i's previous sibling in the new start order, as it is in the tree now. */
static struct sup_node *prev_sibling(const struct otp_config *c, size_t i)
{
	size_t p = c->nodes[i].prev_sibling;

	return p == CFG_NO_NODE ? NULL : core_find_any(c->nodes[p].spec.name);
}

/* Kept node: new spec and place; restart it if a process-level key changed. */
static void apply_kept(struct sup_node *n, const struct cfg_node *c, size_t i,
		       struct names *restart)
{
	const struct cfg_node *was = sup_node_spec(n)->user;
	unsigned ch = cfg_node_changes(was, c);
	bool running = runs(n);

	if (sup_node_respec(n, &c->spec) != SUP_OK) {
		say(true, "%s: spec not replaced", c->spec.name);
		rl.failures++;
	}
	(void)sup_node_place(n, prev_sibling(rl.next, i));
	if (!(ch & CFG_CHANGED_RUN) || rl.now.keep_running || c->spec.type != SUP_WORKER)
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
	struct sup_node *parent = core_find_any(c->parent);
	enum sup_result err = SUP_OK;

	if (!sup_tree_insert(core_tree(), parent, prev_sibling(rl.next, i), &c->spec, &err)) {
		say(true, "cannot add %s: %s", c->spec.name, sup_result_str(err));
		rl.failures++;
		return;
	}
	names_add(added, c->spec.name);
	if (!rl.now.keep_running && !names_has(added, c->parent))
		names_add(start, c->spec.name);
}

/* --overlap's default when the worker has no ready_timeout (otpctl(1)). */
#define RELOAD_OVERLAP_TIMEOUT_MS 30000

/*
 * A running worker whose process-level keys changed: restarted, or with
 * upgrade = overlap, replaced by an overlapping restart (the new process
 * first; if it fails, the old one keeps running: worker/overlap.c logs it).
 */
static void restart_changed(const char *name)
{
	struct sup_node *n = core_find(name);
	const struct cfg_node *c = n ? sup_node_spec(n)->user : NULL;
	int64_t ready_ms;

	if (!c || !c->w.upgrade_overlap || sup_node_state(n) != SUP_RUNNING ||
	    sup_node_overlapping(n)) {
		core_cmd_restart(name, NULL);
		return;
	}
	ready_ms = sup_node_spec(n)->ready_timeout_ms;
	say(false, "overlapping restart of %s", name);
	core_cmd_overlap(name, ready_ms > 0 ? ready_ms : RELOAD_OVERLAP_TIMEOUT_MS, NULL);
}

/* An upgrade's round: which workers step 2 adds and restarts, before any
 * starts, then the configuration replaced (the hook's from now on). */
static void hooks_tell(const struct names *added, const struct names *restart,
		       struct otp_config *old)
{
	for (size_t i = 0; i < added->n; i++) {
		struct sup_node *n = core_find_any(added->v[i]);

		if (n && sup_node_type(n) == SUP_WORKER && rl.hooks.touched)
			rl.hooks.touched(rl.hooks.data, added->v[i]);
	}
	for (size_t i = 0; i < restart->n && rl.hooks.touched; i++)
		rl.hooks.touched(rl.hooks.data, restart->v[i]);
	rl.hooks.applied(rl.hooks.data, old, rl.failures);
}

/* Step 2: the removals are done.  Then the next round, if one was asked for. */
/* A logger pipe stays while the new configuration still logs to it. */
static bool logger_kept(const char *name, void *cfg)
{
	const struct cfg_node *c = cfg_find(cfg, name);

	return c && c->spec.type == SUP_WORKER && c->w.is_logger;
}

static void apply(void *unused)
{
	struct otp_config *old = (struct otp_config *)core_config(), *nw = rl.next;
	struct names start = { 0 }, restart = { 0 }, added = { 0 };

	(void)sup_node_respec(core_root(), &nw->nodes[0].spec);
	for (size_t i = 1; i < nw->n_nodes; i++) {
		const struct cfg_node *c = &nw->nodes[i];
		struct sup_node *n = core_find_any(c->spec.name);

		if (n && !sup_node_is_dynamic(n))
			apply_kept(n, c, i, &restart);
		else
			apply_added(c, i, &added, &start);
	}
	core_config_swap(nw);
	rl.next = NULL;
	free(rl.removals);
	rl.removals = NULL;
	shells_follow(nw);
	out_loggers_keep(logger_kept, nw);
	cgroup_reload(old);
	signals_refresh();
	if (rl.hooked)
		hooks_tell(&added, &restart, old);
	else
		cfg_free(old);
	for (size_t i = 0; i < start.n; i++)
		core_cmd_start(start.v[i], NULL);
	for (size_t i = 0; i < restart.n; i++)
		restart_changed(restart.v[i]);
	free(start.v);
	free(restart.v);
	free(added.v);
	log_info("%s: done", what());
	answer(SUP_OK);
	if (rl.again) {
		rl.again = false;
		rl.now = rl.queued;
		rl.queued.n = 0;
		round_begin(NULL);
	}
}

bool reload_busy(void)
{
	return rl.next != NULL || rl.waiting > 0 || rl.now.n > 0 || rl.again;
}
