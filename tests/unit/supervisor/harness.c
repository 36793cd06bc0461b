/*
 * harness.c: the fake shell of the supervision core tests (see harness.h).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* What the harness knows of one node (sup_node_shell points here). */
struct h_rec {
	struct sup_node *node;          /* NULL once a dynamic node was forgotten */
	char name[SUP_NAME_MAX + 1];
	bool worker, dynamic, forgotten;
	enum sup_state state;           /* replayed from STATE actions */
	int pid;                        /* live fake process, 0: none */
	int left;                       /* processes its last main process left, 0: none */
	int64_t left_delay;             /* how long they take to go after a stop signal */
	bool leaves;                    /* its main process leaves processes behind */
	bool killed_all;                /* KILL: the whole cgroup dies, nothing is left */
	int spawns;
	bool fail_always, manual;
	int fail_next;
	int64_t ready_delay, stop_delay;
	int stop_status;                /* 0: the stop signal itself */
	int cmd_out;                    /* stop/restart commands awaiting reply */
	int64_t stopping_at;            /* supervisors: when they last began to stop */
	int64_t *rst;                   /* supervisors: restart instants */
	int rst_n;
	size_t rst_cap;
};

enum h_ev_kind { EV_READY, EV_FAIL, EV_EXIT, EV_GONE };

struct h_ev {
	int64_t at;
	enum h_ev_kind kind;
	struct h_rec *rec;
	int pid, status;
};

struct h_act {
	enum sup_action_kind kind;
	char name[SUP_NAME_MAX + 1];
	char child[SUP_NAME_MAX + 1];
	int signo;
	bool cont, counted, held;
	enum sup_result result;
	uint64_t cookie;
	int code;
	struct sup_reason reason;
	enum sup_state state;
	int64_t at;
	bool other;
};

struct h_cmd {
	int result;
	int replies;
	struct h_rec *target;           /* stop/restart: the node stopped */
	char name[SUP_NAME_MAX + 1];    /* reply's node */
	char what[SUP_NAME_MAX + 16];   /* verb and target, for messages */
};

struct h {
	struct sup_tree *t;
	int64_t now;
	int next_pid;
	struct h_rec **recs;
	size_t n_recs, cap_recs;
	struct h_ev *ev;                /* pending answers: [ev_h, ev_n) */
	size_t ev_h, ev_n, ev_cap;
	struct h_act *log;
	size_t log_n, log_cap;
	struct h_cmd *cmds;
	size_t n_cmds, cap_cmds;
	char *buf;
	size_t buf_cap;
	int64_t def_stop_delay, def_ready_delay;
	bool def_fail_always;
	bool check_order;
	int otpd_exit, otpd_exits;
};

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap * 2 : 16;

	while (n < need)
		n *= 2;
	p = realloc(p, n * size);
	cr_assert_not_null(p);
	*cap = n;
	return p;
}

/* --- records -------------------------------------------------------------- */

static struct h_rec *rec_new(struct h *h, struct sup_node *n)
{
	struct h_rec *r = calloc(1, sizeof(*r));

	cr_assert_not_null(r);
	r->node = n;
	snprintf(r->name, sizeof(r->name), "%s", sup_node_name(n));
	r->worker = sup_node_type(n) == SUP_WORKER;
	r->dynamic = sup_node_is_dynamic(n);
	r->state = sup_node_state(n);
	r->stop_delay = h->def_stop_delay;
	r->ready_delay = h->def_ready_delay;
	r->fail_always = h->def_fail_always;
	h->recs = grow(h->recs, &h->cap_recs, h->n_recs + 1, sizeof(*h->recs));
	h->recs[h->n_recs++] = r;
	sup_node_set_shell(n, r);
	return r;
}

static struct h_rec *rec_of(struct h *h, struct sup_node *n)
{
	struct h_rec *r = sup_node_shell(n);

	return r ? r : rec_new(h, n);
}

/* The record of a named node; dynamic children may already have left. */
static struct h_rec *rec_named(struct h *h, const char *name)
{
	struct sup_node *n = sup_find(h->t, name);

	if (n)
		return rec_of(h, n);
	for (size_t i = h->n_recs; i-- > 0;)
		if (strcmp(h->recs[i]->name, name) == 0)
			return h->recs[i];
	cr_assert_fail("harness: no node named %s", name);
	return NULL;
}

/* --- fake processes ------------------------------------------------------- */

static void ev_push(struct h *h, int64_t at, enum h_ev_kind k, struct h_rec *r, int status)
{
	size_t i;

	h->ev = grow(h->ev, &h->ev_cap, h->ev_n + 1, sizeof(*h->ev));
	/* Keep the queue sorted by time, FIFO among equal times. */
	for (i = h->ev_n; i > h->ev_h && h->ev[i - 1].at > at; i--)
		;
	memmove(h->ev + i + 1, h->ev + i, (h->ev_n - i) * sizeof(*h->ev));
	h->ev[i] = (struct h_ev){ at, k, r, k == EV_GONE ? r->left : r->pid, status };
	h->ev_n++;
}

static void proc_spawn(struct h *h, struct h_rec *r)
{
	cr_assert(r->worker, "SPAWN of supervisor %s", r->name);
	cr_assert_eq(r->pid, 0, "SPAWN of %s while its process %d lives", r->name, r->pid);
	cr_assert_eq(r->left, 0, "SPAWN of %s while processes it left live", r->name);
	r->pid = ++h->next_pid;
	r->killed_all = false;
	r->spawns++;
	if (r->manual)
		return;
	if (r->fail_always || r->fail_next > 0) {
		if (r->fail_next > 0)
			r->fail_next--;
		ev_push(h, h->now + r->ready_delay, EV_FAIL, r, 0);
	} else {
		ev_push(h, h->now + r->ready_delay, EV_READY, r, 0);
	}
}

/* A signal or KILL reaches what the last main process left. */
static void left_signal(struct h *h, struct h_rec *r, int signo, bool cont)
{
	if (signo == SIGKILL || !cont)
		ev_push(h, h->now, EV_GONE, r, 0);
	else if (r->left_delay >= 0)
		ev_push(h, h->now + r->left_delay, EV_GONE, r, 0);
}

static void proc_signal(struct h *h, struct h_rec *r, const struct sup_action *a)
{
	if (!r->pid && r->left) {
		left_signal(h, r, a->signo, a->cont);
		return;
	}
	cr_assert_neq(r->pid, 0, "signal %d to %s which has no process", a->signo, r->name);
	if (!a->cont) {         /* otpctl kill: the process dies of it */
		ev_push(h, h->now, EV_EXIT, r, H_SIG(a->signo));
		return;
	}
	if (r->stop_delay >= 0)
		ev_push(h, h->now + r->stop_delay, EV_EXIT, r,
			r->stop_status ? r->stop_status : H_SIG(a->signo));
}

static void proc_kill(struct h *h, struct h_rec *r)
{
	if (!r->pid && r->left) {
		left_signal(h, r, SIGKILL, true);
		return;
	}
	cr_assert_neq(r->pid, 0, "KILL of %s which has no process", r->name);
	r->killed_all = true;
	ev_push(h, h->now, EV_EXIT, r, H_SIG(SIGKILL));
}

/* --- checks --------------------------------------------------------------- */

static void check_intensity(struct h *h, struct sup_node *child)
{
	struct sup_node *sup = sup_node_parent(child);
	const struct sup_spec *s = sup_node_spec(sup);
	struct h_rec *r = rec_of(h, sup);
	int in = 0;

	/* Restarts out of the window are dropped for good, as OTP's add_restart
	 * does: a reload that widens the period later does not bring them back. */
	for (int i = 0; i < r->rst_n; i++)
		if (r->rst[i] >= h->now - s->period_ms)
			r->rst[in++] = r->rst[i];
	r->rst_n = in;
	r->rst = grow(r->rst, &r->rst_cap, (size_t)r->rst_n + 1, sizeof(*r->rst));
	r->rst[r->rst_n++] = h->now;
	cr_assert_leq(r->rst_n, s->intensity, "%s restarted %d times within %lld ms (intensity %d)",
		      r->name, r->rst_n, (long long)s->period_ms, s->intensity);
}

/*
 * Is a supervisor above `n` being killed (brutal_kill, or its shutdown
 * deadline passed)?  Then its whole subtree dies at once, in no order.
 */
static bool under_killed(struct h *h, struct sup_node *n)
{
	for (struct sup_node *p = sup_node_parent(n); p; p = sup_node_parent(p)) {
		int64_t sd = sup_node_spec(p)->shutdown_ms;

		if (rec_of(h, p)->state != SUP_STOPPING || !sup_node_parent(p))
			continue;
		if (sd == SUP_SHUTDOWN_BRUTAL || (sd >= 0 && h->now >= rec_of(h, p)->stopping_at + sd))
			return true;
	}
	return false;
}

/* A plan stops siblings one at a time from the last: later ones are gone. */
static void check_stop_order(struct h *h, struct h_rec *r)
{
	struct sup_node *p = sup_node_parent(r->node);

	if (!h->check_order || !p || r->cmd_out || r->dynamic ||
	    sup_node_spec(p)->strategy == SUP_SIMPLE_ONE_FOR_ONE ||
	    sup_node_spec(p)->shutdown_order == SUP_ORDER_PARALLEL ||
	    sup_node_spec(r->node)->ready_timeout_ms > 0 || under_killed(h, r->node))
		return;
	for (struct sup_node *s = sup_node_next(r->node); s; s = sup_node_next(s)) {
		struct h_rec *sr = rec_of(h, s);

		cr_assert_eq(sr->state, SUP_STOPPED,
			     "%s stopped while its later sibling %s is %s", r->name, sr->name,
			     sup_state_str(sr->state));
	}
}

static void on_state(struct h *h, struct h_rec *r, enum sup_state s)
{
	r->state = s;
	if (s == SUP_STOPPING && !r->worker)
		r->stopping_at = h->now;
	/* Leftovers of an exit otpd did not ask for: no plan is stopping it. */
	if (s == SUP_STOPPING && !r->left)
		check_stop_order(h, r);
	/* The parent's state as replayed so far (the core's may be later). */
	if (s == SUP_STARTING && sup_node_parent(r->node)) {
		cr_assert_neq(rec_of(h, sup_node_parent(r->node))->state, SUP_STOPPING,
			      "%s starts under %s, which is stopping", r->name,
			      sup_node_name(sup_node_parent(r->node)));
		cr_assert(!under_killed(h, r->node), "%s starts below a supervisor being killed",
			  r->name);
	}
	if (s == SUP_STARTING && !r->worker)
		r->rst_n = 0;   /* a new supervisor incarnation, a new history */
}

static void on_reply(struct h *h, const struct sup_action *a)
{
	cr_assert(a->cookie > 0 && a->cookie <= h->n_cmds, "reply with unknown cookie %llu",
		  (unsigned long long)a->cookie);
	struct h_cmd *c = &h->cmds[a->cookie - 1];

	cr_assert_eq(c->replies, 0, "second reply to command %llu", (unsigned long long)a->cookie);
	c->replies++;
	c->result = a->result;
	if (a->node)
		snprintf(c->name, sizeof(c->name), "%s", sup_node_name(a->node));
	if (c->target)
		c->target->cmd_out--;
}

static void on_forget(struct h *h, struct h_rec *r, bool final)
{
	cr_assert_eq(r->pid, 0, "%s forgotten while its process %d lives", r->name, r->pid);
	if (final)
		r->left = 0;    /* removed for good: the shell kills its cgroup */
	cr_assert(!final || r->dynamic || sup_node_removed(r->node),
		  "%s: final FORGET for a node that may come back", r->name);
	if (final) {
		r->forgotten = true;
		r->node = NULL;
	}
}

/* --- actions -------------------------------------------------------------- */

static void log_action(struct h *h, const struct sup_action *a, struct h_rec *r)
{
	struct h_act *l;

	h->log = grow(h->log, &h->log_cap, h->log_n + 1, sizeof(*h->log));
	l = &h->log[h->log_n++];
	memset(l, 0, sizeof(*l));
	l->kind = a->kind;
	if (r)
		snprintf(l->name, sizeof(l->name), "%s", r->name);
	if (a->kind == SUP_A_GAVE_UP && a->child)
		snprintf(l->child, sizeof(l->child), "%s", sup_node_name(a->child));
	l->signo = a->signo;
	l->cont = a->cont;
	l->counted = a->counted;
	l->held = a->held;
	l->result = a->result;
	l->cookie = a->cookie;
	l->code = a->code;
	l->reason = a->reason;
	l->state = a->state;
	l->other = a->other;
	l->at = h->now;
}

static void do_action(struct h *h, const struct sup_action *a)
{
	struct h_rec *r = a->node ? rec_of(h, a->node) : NULL;

	cr_assert(!r || !r->forgotten, "action %d names %s after FORGET", a->kind, r->name);
	log_action(h, a, r);
	if (a->other)
		return;         /* an overlap's second process: the test drives it */
	switch (a->kind) {
	case SUP_A_SPAWN: proc_spawn(h, r); break;
	case SUP_A_SIGNAL: proc_signal(h, r, a); break;
	case SUP_A_KILL: proc_kill(h, r); break;
	case SUP_A_REPLY: on_reply(h, a); break;
	case SUP_A_RESTART: check_intensity(h, a->node); break;
	case SUP_A_GAVE_UP:
		if (a->held)
			r->rst_n = 0;   /* a held root starts its history afresh */
		break;
	case SUP_A_FORGET: on_forget(h, r, a->final); break;
	case SUP_A_STATE: on_state(h, r, a->state); break;
	case SUP_A_OTPD_EXIT:
		h->otpd_exit = a->code;
		h->otpd_exits++;
		break;
	default:
		break;
	}
}

/* A live worker's supervisor chain is live: nothing runs under a stopped one. */
static void check_parents(struct h *h)
{
	if (!h->check_order)
		return;
	for (size_t i = 0; i < h->n_recs; i++) {
		struct h_rec *r = h->recs[i];

		if ((!r->pid && !r->left) || !r->node)
			continue;
		for (struct sup_node *p = sup_node_parent(r->node); p; p = sup_node_parent(p)) {
			enum sup_state s = sup_node_state(p);

			cr_assert(s == SUP_STARTING || s == SUP_RUNNING || s == SUP_STOPPING,
				  "%s has a process under %s which is %s", r->name,
				  sup_node_name(p), sup_state_str(s));
		}
	}
}

/* Execute the batch the last event produced. */
static void take(struct h *h)
{
	size_t n;
	const struct sup_action *a = sup_actions(h->t, &n);

	size_t from = h->log_n;

	for (size_t i = 0; i < n; i++) {
		if (getenv("H_TRACE") && a[i].node)
			fprintf(stderr, "  [%d %s %s %s]\n", a[i].kind, sup_node_name(a[i].node),
				sup_state_str(a[i].state), sup_result_str(a[i].result));
		do_action(h, &a[i]);
	}
	if (getenv("H_TRACE") && h->log_n > from)
		fprintf(stderr, "@%lld %s\n", (long long)(h->now - H_T0), h_trace(h, from, H_ALL));
	sup_actions_clear(h->t);
	check_parents(h);
}

/* r's main process ends; what it leaves (h_leaves) stays until stopped. */
static void main_exit(struct h *h, struct h_rec *r, int wstatus, unsigned flags)
{
	r->pid = 0;
	if (!r->leaves || r->killed_all) {
		r->killed_all = false;
		sup_child_exited(h->t, r->node, wstatus, flags, h->now);
		return;
	}
	r->left = ++h->next_pid;
	sup_child_leftovers(h->t, r->node, wstatus, flags, h->now);
}

static void deliver(struct h *h, struct h_ev e)
{
	struct h_rec *r = e.rec;

	if (e.kind == EV_GONE) {
		if (!r->left || r->left != e.pid)
			return;
		r->left = 0;
		sup_child_gone(h->t, r->node, h->now);
		take(h);
		return;
	}
	if (!r->pid || r->pid != e.pid)
		return;         /* that process is gone already */
	cr_assert_not_null(r->node, "event for forgotten %s", r->name);
	switch (e.kind) {
	case EV_READY:
		sup_child_ready(h->t, r->node, h->now);
		break;
	case EV_FAIL:
		r->pid = 0;
		sup_child_start_failed(h->t, r->node, "exec failed", h->now);
		break;
	case EV_EXIT:
		main_exit(h, r, e.status, 0);
		break;
	case EV_GONE:
		break;          /* handled above */
	}
	take(h);
}

void h_run(struct h *h)
{
	while (h->ev_h < h->ev_n && h->ev[h->ev_h].at <= h->now) {
		struct h_ev e = h->ev[h->ev_h++];

		if (h->ev_h == h->ev_n)
			h->ev_h = h->ev_n = 0;
		deliver(h, e);
	}
}

void h_advance(struct h *h, int64_t ms)
{
	int64_t end = h->now + ms;

	h_run(h);
	for (;;) {
		int64_t next = sup_next_deadline(h->t);

		if (h->ev_h < h->ev_n && h->ev[h->ev_h].at < next)
			next = h->ev[h->ev_h].at;
		if (next > end)
			break;
		if (next > h->now)
			h->now = next;
		/* Processes act before the core's timers due at the same instant. */
		h_run(h);
		if (sup_next_deadline(h->t) <= h->now) {
			sup_timer(h->t, h->now);
			take(h);
			h_run(h);
		}
	}
	h->now = end;
	h_run(h);
}

void h_finish(struct h *h, int64_t max_ms)
{
	int64_t end = h->now + max_ms;

	while (!sup_tree_done(h->t) && h->now < end)
		h_advance(h, 100);
}

/* --- building --------------------------------------------------------------- */

struct h *h_new_spec(const struct sup_spec *root)
{
	struct h *h = calloc(1, sizeof(*h));

	cr_assert_not_null(h);
	h->t = sup_tree_new(root);
	cr_assert_not_null(h->t);
	h->now = H_T0;
	h->next_pid = 100;
	h->check_order = true;
	h->otpd_exit = -1;
	rec_new(h, sup_tree_root(h->t));
	return h;
}

struct h *h_new(enum sup_strategy s, int intensity, int64_t period_ms)
{
	struct sup_spec spec;

	sup_spec_init(&spec, SUP_SUPERVISOR, "root");
	spec.strategy = s;
	spec.intensity = intensity;
	spec.period_ms = period_ms;
	return h_new_spec(&spec);
}

void h_free(struct h *h)
{
	sup_tree_free(h->t);
	for (size_t i = 0; i < h->n_recs; i++) {
		free(h->recs[i]->rst);
		free(h->recs[i]);
	}
	free(h->recs);
	free(h->ev);
	free(h->log);
	free(h->cmds);
	free(h->buf);
	free(h);
}

struct sup_tree *h_tree(struct h *h) { return h->t; }
int64_t h_now(struct h *h) { return h->now; }
void h_check_order(struct h *h, bool on) { h->check_order = on; }
void h_default_stop_delay(struct h *h, int64_t ms) { h->def_stop_delay = ms; }
void h_default_ready_delay(struct h *h, int64_t ms) { h->def_ready_delay = ms; }
void h_default_fail_always(struct h *h, bool on) { h->def_fail_always = on; }

struct sup_node *h_add(struct h *h, const char *parent, const struct sup_spec *spec)
{
	struct sup_node *p = parent ? sup_find(h->t, parent) : sup_tree_root(h->t);
	enum sup_result err = SUP_OK;
	struct sup_node *n;

	cr_assert_not_null(p, "no parent %s", parent);
	n = sup_tree_add(h->t, p, spec, &err);
	cr_assert_not_null(n, "sup_tree_add %s: %s", spec->name, sup_result_str(err));
	rec_new(h, n);
	return n;
}

struct sup_node *h_worker(struct h *h, const char *parent, const char *name,
			  enum sup_restart restart)
{
	struct sup_spec s;

	sup_spec_init(&s, SUP_WORKER, name);
	s.restart = restart;
	s.shutdown_ms = 1000;
	return h_add(h, parent, &s);
}

struct sup_node *h_sup(struct h *h, const char *parent, const char *name, enum sup_strategy st,
		       int intensity, int64_t period_ms)
{
	struct sup_spec s;

	sup_spec_init(&s, SUP_SUPERVISOR, name);
	s.strategy = st;
	s.intensity = intensity;
	s.period_ms = period_ms;
	return h_add(h, parent, &s);
}

/* --- events ------------------------------------------------------------------ */

void h_boot(struct h *h)
{
	sup_boot(h->t, h->now);
	take(h);
	h_run(h);
}

void h_shutdown(struct h *h)
{
	sup_shutdown(h->t, h->now);
	take(h);
	h_run(h);
}

void h_crash_flags(struct h *h, const char *name, int wstatus, unsigned flags)
{
	struct h_rec *r = rec_named(h, name);

	cr_assert_neq(r->pid, 0, "crash of %s which has no process", name);
	main_exit(h, r, wstatus, flags);
	take(h);
	h_run(h);
}

void h_crash(struct h *h, const char *name, int wstatus)
{
	h_crash_flags(h, name, wstatus, 0);
}

void h_watchdog(struct h *h, const char *name)
{
	sup_child_watchdog(h->t, h_node(h, name), h->now);
	take(h);
	h_run(h);
}

void h_ping_timeout(struct h *h, const char *name)
{
	sup_child_ping_timeout(h->t, h_node(h, name), h->now);
	take(h);
	h_run(h);
}

void h_ready(struct h *h, const char *name)
{
	struct h_rec *r = rec_named(h, name);

	cr_assert_neq(r->pid, 0);
	sup_child_ready(h->t, r->node, h->now);
	take(h);
	h_run(h);
}

void h_start_fail(struct h *h, const char *name)
{
	struct h_rec *r = rec_named(h, name);

	cr_assert_neq(r->pid, 0);
	r->pid = 0;
	sup_child_start_failed(h->t, r->node, "exec failed", h->now);
	take(h);
	h_run(h);
}

void h_fail_always(struct h *h, const char *name, bool on) { rec_named(h, name)->fail_always = on; }
void h_fail_next(struct h *h, const char *name, int n) { rec_named(h, name)->fail_next = n; }
void h_ready_delay(struct h *h, const char *name, int64_t ms) { rec_named(h, name)->ready_delay = ms; }
void h_stop_delay(struct h *h, const char *name, int64_t ms) { rec_named(h, name)->stop_delay = ms; }
void h_leaves(struct h *h, const char *name, int64_t left_delay)
{
	struct h_rec *r = rec_named(h, name);

	r->leaves = left_delay != H_NONE;
	r->left_delay = left_delay;
}
int h_left(struct h *h, const char *name) { return rec_named(h, name)->left; }
void h_stop_status(struct h *h, const char *name, int st) { rec_named(h, name)->stop_status = st; }
void h_manual(struct h *h, const char *name, bool on) { rec_named(h, name)->manual = on; }

/* --- commands ------------------------------------------------------------------ */

static uint64_t cmd_new(struct h *h, const char *target, const char *verb, const char *name)
{
	struct h_cmd *c;

	h->cmds = grow(h->cmds, &h->cap_cmds, h->n_cmds + 1, sizeof(*h->cmds));
	c = &h->cmds[h->n_cmds++];
	memset(c, 0, sizeof(*c));
	c->result = H_PENDING;
	snprintf(c->what, sizeof(c->what), "%s %.64s", verb, name ? name : "");
	if (target) {
		struct sup_node *n = sup_find(h->t, target);

		if (n) {
			c->target = rec_of(h, n);
			c->target->cmd_out++;
		}
	}
	return h->n_cmds;
}

static int cmd_done(struct h *h, uint64_t cookie)
{
	take(h);
	h_run(h);
	return h->cmds[cookie - 1].result;
}

int h_cmd_start(struct h *h, const char *name)
{
	uint64_t c = cmd_new(h, NULL, "start", name);

	sup_cmd_start(h->t, name, c, h->now);
	return cmd_done(h, c);
}

int h_cmd_stop(struct h *h, const char *name)
{
	uint64_t c = cmd_new(h, name, "stop", name);

	sup_cmd_stop(h->t, name, c, h->now);
	return cmd_done(h, c);
}

int h_cmd_restart(struct h *h, const char *name)
{
	uint64_t c = cmd_new(h, name, "restart", name);

	sup_cmd_restart(h->t, name, c, h->now);
	return cmd_done(h, c);
}

int h_cmd_overlap(struct h *h, const char *name, int64_t timeout_ms)
{
	uint64_t c = cmd_new(h, NULL, "overlap", name);

	sup_cmd_overlap(h->t, name, timeout_ms, c, h->now);
	return cmd_done(h, c);
}

void h_overlap_ready(struct h *h, const char *name)
{
	struct sup_node *n = h_node(h, name);
	struct h_rec *r = rec_of(h, n);

	/* The shell swaps: the worker's process is the new one. */
	r->pid = ++h->next_pid;
	sup_overlap_ready(h->t, n, h->now);
	take(h);
	h_run(h);
}

void h_overlap_exited(struct h *h, const char *name, int wstatus, const char *why)
{
	sup_overlap_exited(h->t, h_node(h, name), wstatus, why, h->now);
	take(h);
	h_run(h);
}

int h_cmd_delete(struct h *h, const char *name)
{
	uint64_t c = cmd_new(h, NULL, "delete", name);

	sup_cmd_delete(h->t, name, c, h->now);
	return cmd_done(h, c);
}

int h_cmd_remove(struct h *h, const char *name)
{
	uint64_t c = cmd_new(h, name, "remove", name);

	sup_cmd_remove(h->t, name, c, h->now);
	return cmd_done(h, c);
}

struct sup_node *h_insert(struct h *h, const char *parent, const char *after,
			  const struct sup_spec *spec)
{
	struct sup_node *p = parent ? sup_find(h->t, parent) : sup_tree_root(h->t);
	struct sup_node *a = after ? sup_find_any(h->t, after) : NULL;
	enum sup_result err = SUP_OK;
	struct sup_node *n;

	cr_assert_not_null(p, "no parent %s", parent);
	n = sup_tree_insert(h->t, p, a, spec, &err);
	cr_assert_not_null(n, "sup_tree_insert %s: %s", spec->name, sup_result_str(err));
	rec_new(h, n);
	return n;
}

int h_cmd_kill(struct h *h, const char *name, int signo)
{
	uint64_t c = cmd_new(h, NULL, "kill", name);

	sup_cmd_kill(h->t, name, signo, c, h->now);
	return cmd_done(h, c);
}

int h_cmd_start_child(struct h *h, const char *sup, const char *name, int argc,
		      char *const *args, char *ret_name)
{
	uint64_t c = cmd_new(h, NULL, "start_child", sup);
	int res;

	sup_cmd_start_child(h->t, sup, name, argc, args, c, h->now);
	res = cmd_done(h, c);
	if (ret_name)
		snprintf(ret_name, SUP_NAME_MAX + 1, "%s", h->cmds[c - 1].name);
	return res;
}

int h_result(struct h *h, uint64_t cookie) { return h->cmds[cookie - 1].result; }
uint64_t h_last_cookie(struct h *h) { return h->n_cmds; }
int h_last_result(struct h *h) { return h->cmds[h->n_cmds - 1].result; }

/* --- reading ----------------------------------------------------------------------- */

struct sup_node *h_node(struct h *h, const char *name)
{
	struct sup_node *n = sup_find(h->t, name);

	cr_assert_not_null(n, "no node %s", name);
	return n;
}

int h_pid(struct h *h, const char *name) { return rec_named(h, name)->pid; }
int h_spawns(struct h *h, const char *name) { return rec_named(h, name)->spawns; }
enum sup_state h_state(struct h *h, const char *name) { return sup_node_state(h_node(h, name)); }
unsigned h_restarts(struct h *h, const char *name) { return sup_node_restarts(h_node(h, name)); }
int h_otpd_exit(struct h *h) { return h->otpd_exit; }
int h_otpd_exits(struct h *h) { return h->otpd_exits; }

struct sup_counts h_counts(struct h *h, const char *sup)
{
	return sup_count_children(sup ? h_node(h, sup) : sup_tree_root(h->t));
}

static char *buf_reserve(struct h *h, size_t need)
{
	h->buf = grow(h->buf, &h->buf_cap, need, 1);
	return h->buf;
}

const char *h_counts_str(struct h *h, const char *sup)
{
	struct sup_counts c = h_counts(h, sup);
	char *b = buf_reserve(h, 64);

	snprintf(b, 64, "%d,%d,%d,%d", c.specs, c.active, c.supervisors, c.workers);
	return b;
}

const char *h_last_exit(struct h *h, const char *name)
{
	char *b = buf_reserve(h, 256);
	struct sup_reason last;

	sup_reason_format(sup_node_last_exit(h_node(h, name), &last), b, 256);
	return b;
}

size_t h_mark(struct h *h) { return h->log_n; }

static int act_format(const struct h_act *a, char *out, size_t len)
{
	char why[200];

	if (a->other) {
		switch (a->kind) {
		case SUP_A_SPAWN: return snprintf(out, len, "spawn+:%s", a->name);
		case SUP_A_SIGNAL: return snprintf(out, len, "sig%d+:%s", a->signo, a->name);
		default: return snprintf(out, len, "kill+:%s", a->name);
		}
	}
	switch (a->kind) {
	case SUP_A_SPAWN: return snprintf(out, len, "spawn:%s", a->name);
	case SUP_A_SIGNAL:
		if (a->cont && a->signo == SIGTERM)
			return snprintf(out, len, "term:%s", a->name);
		return snprintf(out, len, "sig%d%s:%s", a->signo, a->cont ? "" : "!", a->name);
	case SUP_A_KILL: return snprintf(out, len, "kill:%s", a->name);
	case SUP_A_REPLY: return snprintf(out, len, "reply:%s", sup_result_str(a->result));
	case SUP_A_EXITED:
		sup_reason_format(&a->reason, why, sizeof(why));
		return snprintf(out, len, "%s:%s=%s", a->counted ? "crash" : "exit", a->name, why);
	case SUP_A_RESTART: return snprintf(out, len, "restart:%s", a->name);
	case SUP_A_GAVE_UP:
		return snprintf(out, len, "gaveup:%s/%s%s", a->name, a->child, a->held ? "(held)" : "");
	case SUP_A_FORGET: return snprintf(out, len, "forget:%s", a->name);
	case SUP_A_STATE:
		return snprintf(out, len, "%s=%s", a->name, sup_state_str(a->state));
	case SUP_A_OTPD_EXIT: return snprintf(out, len, "otpd_exit:%d", a->code);
	}
	return snprintf(out, len, "?");
}

const char *h_trace(struct h *h, size_t from, unsigned mask)
{
	size_t used = 0;
	char one[300];

	buf_reserve(h, 1)[0] = '\0';
	for (size_t i = from; i < h->log_n; i++) {
		if (!(mask & HM(h->log[i].kind)))
			continue;
		int k = act_format(&h->log[i], one, sizeof(one));
		char *b = buf_reserve(h, used + (size_t)k + 2);

		if (used)
			b[used++] = ' ';
		memcpy(b + used, one, (size_t)k + 1);
		used += (size_t)k;
	}
	return h->buf;
}

int h_count(struct h *h, size_t from, enum sup_action_kind kind, const char *name)
{
	int n = 0;

	for (size_t i = from; i < h->log_n; i++)
		n += h->log[i].kind == kind && (!name || strcmp(h->log[i].name, name) == 0);
	return n;
}

int64_t h_when(struct h *h, size_t from, enum sup_action_kind kind, const char *name)
{
	for (size_t i = from; i < h->log_n; i++)
		if (h->log[i].kind == kind && (!name || strcmp(h->log[i].name, name) == 0))
			return h->log[i].at;
	return -1;
}

/* --- re-execution -------------------------------------------------------------------- */

/* A tree with the specs of `old`'s static nodes, in their order, never booted. */
static struct sup_tree *tree_twin(struct sup_tree *old)
{
	struct sup_node *root = sup_tree_root(old);
	struct sup_tree *t = sup_tree_new(sup_node_spec(root));

	cr_assert_not_null(t);
	for (struct sup_node *n = sup_walk_all(root, root); n; n = sup_walk_all(root, n)) {
		enum sup_result err = SUP_OK;
		struct sup_node *p;

		if (sup_node_is_dynamic(n))
			continue;
		p = sup_find_any(t, sup_node_name(sup_node_parent(n)));
		cr_assert_not_null(p);
		cr_assert_not_null(sup_tree_add(t, p, sup_node_spec(n), &err), "twin %s: %s",
				   sup_node_name(n), sup_result_str(err));
	}
	return t;
}

struct sup_tree *h_twin(struct h *h)
{
	return tree_twin(h->t);
}

bool h_reexec(struct h *h)
{
	struct sup_tree *old = h->t, *t;
	struct sup_node *root;
	char why[256] = "";
	void *buf = NULL, *again = NULL;
	size_t len = 0, len2 = 0;
	int r = sup_save(old, h->now, &buf, &len);

	if (r == -EBUSY)
		return false;
	cr_assert_eq(r, 0, "sup_save: %d", r);
	t = tree_twin(old);
	r = sup_restore(t, buf, len, h->now, why, sizeof(why));
	cr_assert_eq(r, 0, "sup_restore: %s", why);
	/* Everything saved was put back: the restored tree saves the same bytes. */
	cr_assert_eq(sup_save(t, h->now, &again, &len2), 0);
	cr_assert(len2 == len && memcmp(buf, again, len) == 0, "a restored tree saves other bytes");
	free(again);
	free(buf);
	root = sup_tree_root(t);
	for (struct sup_node *n = root; n; n = sup_walk_all(root, n)) {
		struct sup_node *o = sup_find_any(old, sup_node_name(n));
		struct h_rec *rec;

		cr_assert_not_null(o, "restored %s is not in the saved tree", sup_node_name(n));
		cr_assert_eq(sup_node_state(o), sup_node_state(n), "%s: state", sup_node_name(n));
		cr_assert_eq(sup_node_restarts(o), sup_node_restarts(n));
		cr_assert_eq(sup_node_id(o), sup_node_id(n));
		if (!(rec = sup_node_shell(o)))
			continue;
		rec->node = n;
		sup_node_set_shell(n, rec);
	}
	cr_assert_eq(sup_next_deadline(old), sup_next_deadline(t));
	sup_tree_free(old);
	h->t = t;
	return true;
}

const char *h_dump(struct h *h)
{
	struct sup_node *root = sup_tree_root(h->t);
	size_t used = 0;
	char one[512], why[200];

	buf_reserve(h, 1)[0] = '\0';
	for (struct sup_node *n = root; n; n = sup_walk_all(root, n)) {
		struct sup_counts c = sup_count_children(n);
		struct sup_reason last;
		int k;

		sup_reason_format(sup_node_last_exit(n, &last), why, sizeof(why));
		k = snprintf(one, sizeof(one), "%s:%s:%u:%s:%lld:%d:%d,%d,%d,%d:%d;", sup_node_name(n),
			     sup_state_str(sup_node_state(n)), sup_node_restarts(n), why,
			     (long long)(sup_node_since(n) < 0 ? -1 : h->now - sup_node_since(n)),
			     sup_node_failed(n), c.specs, c.active, c.supervisors, c.workers,
			     sup_node_window_restarts(n, h->now));
		memcpy(buf_reserve(h, used + (size_t)k + 1) + used, one, (size_t)k + 1);
		used += (size_t)k;
	}
	return h->buf;
}

/* --- the end ------------------------------------------------------------------------ */

static void check_all_stopped(struct h *h)
{
	/* Iterative walk of the visible tree. */
	struct sup_node *root = sup_tree_root(h->t), *n = root;

	while (n) {
		cr_assert_eq(sup_node_state(n), SUP_STOPPED, "%s is %s at the end",
			     sup_node_name(n), sup_state_str(sup_node_state(n)));
		if (sup_node_type(n) == SUP_SUPERVISOR && sup_node_first(n)) {
			n = sup_node_first(n);
			continue;
		}
		while (n != root && !sup_node_next(n))
			n = sup_node_parent(n);
		n = n == root ? NULL : sup_node_next(n);
	}
}

void h_end(struct h *h)
{
	h_shutdown(h);
	h_finish(h, 24 * 3600 * 1000LL);
	cr_assert(sup_tree_done(h->t), "tree not done after shutdown");
	cr_assert_eq(h->otpd_exits, 1, "OTPD_EXIT emitted %d times", h->otpd_exits);
	check_all_stopped(h);
	for (size_t i = 0; i < h->n_recs; i++)
		cr_assert_eq(h->recs[i]->pid, 0, "%s still has a process", h->recs[i]->name);
	for (size_t i = 0; i < h->n_cmds; i++)
		cr_assert_eq(h->cmds[i].replies, 1, "command %zu (%s) got %d replies", i + 1,
			     h->cmds[i].what, h->cmds[i].replies);
	h_free(h);
}
