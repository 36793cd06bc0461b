/*
 * cmd.c: management commands (OTP's restart_child, terminate_child,
 * delete_child, start_child, plus otpd's restart and kill).
 *
 * A command aimed at a supervisor that is busy with a plan, or at a node
 * with a command already in flight, waits in that supervisor's deferred
 * queue and runs when it is free, as a call waits in an OTP supervisor's
 * mailbox.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void sup_defer_push(struct sup_node *sup, struct sup_deferred *d)
{
	struct sup_sv *sv = sup->sv;

	d->next = NULL;
	if (sv->dq_tail)
		sv->dq_tail->next = d;
	else
		sv->dq_head = d;
	sv->dq_tail = d;
}

static void deferred_free_args(struct sup_deferred *d)
{
	for (int i = 0; i < d->argc; i++)
		free(d->args[i]);
	free(d->args);
	d->args = NULL;
	d->argc = 0;
}

static void deferred_free(struct sup_deferred *d)
{
	deferred_free_args(d);
	free(d);
}

static bool busy(const struct sup_node *sup)
{
	return sup->sv->plan != SUP_PLAN_NONE;
}

/* The node a command is about: removal also takes out what delete_child
 * or a temporary exit hid. */
static struct sup_node *cmd_target(struct sup_tree *t, const struct sup_deferred *d)
{
	return d->cmd == SUP_CMD_REMOVE ? sup_find_any(t, d->name) : sup_find(t, d->name);
}

static void drain_exit(struct sup_deferred *d)
{
	struct sup_node *n = d->node;

	/*
	 * Restarted meanwhile by a group restart, stopped for good, or its
	 * supervisor ended meanwhile (init failed, gave up): absorbed.
	 */
	if (!n->crash_pending || n->state != SUP_STOPPED || n->hidden ||
	    !sup_node_live(n->parent)) {
		n->crash_pending = false;
		return;
	}
	sup_child_crashed(n, &d->reason);
}

/* A queued retry of a failed group start; a stop meanwhile ended the loop. */
static void drain_retry(struct sup_node *n)
{
	if (n->state == SUP_RESTARTING && !n->hidden)
		sup_retry(n);
}

/* Run what waited while `sup` was busy, in order, until it is busy again. */
void sup_defer_drain(struct sup_node *sup)
{
	struct sup_sv *sv;

	if (!sup || !sup->sv)
		return;
	sv = sup->sv;
	while (sv->dq_head && !busy(sup)) {
		struct sup_deferred *d = sv->dq_head;

		/* start-child names this supervisor, whose own command is not its business. */
		if (d->kind == SUP_DEF_CMD && d->cmd != SUP_CMD_START_CHILD) {
			struct sup_node *n = cmd_target(sup->tree, d);

			if (n && n->pending != SUP_PEND_NONE)
				return;         /* still in flight: keep the order */
		}
		sv->dq_head = d->next;
		if (!sv->dq_head)
			sv->dq_tail = NULL;
		if (d->kind == SUP_DEF_EXIT)
			drain_exit(d);
		else if (d->kind == SUP_DEF_RESTART)
			sup_restart_decide(d->node);
		else if (d->kind == SUP_DEF_RETRY)
			drain_retry(d->node);
		else
			sup_cmd_run(sup->tree, d);
		deferred_free(d);
	}
}

/* `n` is about to be freed: what waits for it in its supervisor's queue goes. */
void sup_defer_forget(struct sup_node *n)
{
	struct sup_sv *sv = n->parent ? n->parent->sv : NULL;
	struct sup_deferred **p, *prev = NULL;

	if (!sv)
		return;
	for (p = &sv->dq_head; *p;) {
		struct sup_deferred *d = *p;

		if (d->kind != SUP_DEF_CMD && d->node == n) {
			*p = d->next;
			deferred_free(d);
			continue;
		}
		prev = d;
		p = &d->next;
	}
	sv->dq_tail = prev;
}

void sup_defer_cancel(struct sup_node *sup)
{
	struct sup_sv *sv = sup->sv;

	while (sv->dq_head) {
		struct sup_deferred *d = sv->dq_head;

		sv->dq_head = d->next;
		if (d->kind == SUP_DEF_CMD)
			sup_emit_reply(sup->tree, d->cookie, SUP_E_NOT_FOUND, NULL);
		deferred_free(d);
	}
	sv->dq_tail = NULL;
}

/* Queue a start of `n` (answering its pending command) until its supervisor is free. */
void sup_cmd_defer_start(struct sup_node *n)
{
	struct sup_deferred *d = calloc(1, sizeof(*d));

	if (!d) {
		sup_emit_reply(n->tree, n->cookie, SUP_E_NOMEM, NULL);
		return;
	}
	d->kind = SUP_DEF_CMD;
	d->cmd = SUP_CMD_START;
	d->cookie = n->cookie;
	snprintf(d->name, sizeof(d->name), "%s", n->spec.name);
	sup_defer_push(n->parent, d);
}

static void reply(struct sup_tree *t, uint64_t cookie, enum sup_result r)
{
	sup_emit_reply(t, cookie, r, NULL);
}

/*
 * OTP's {restarting, _}: a retry is queued, or (otpd never blocks) a retry
 * is being started after failed attempts.
 */
static bool restarting(const struct sup_node *n)
{
	return n->state == SUP_RESTARTING || (n->state == SUP_STARTING && n->retrying);
}

static void cmd_start(struct sup_node *n, uint64_t cookie)
{
	if (restarting(n)) {
		reply(n->tree, cookie, SUP_E_RESTARTING);
		return;
	}
	switch (n->state) {
	case SUP_STOPPED:
		n->pending = SUP_PEND_START;
		n->cookie = cookie;
		sup_plan_start_one(n->parent, n);       /* not counted: OTP restart_child */
		return;
	default:
		reply(n->tree, cookie, SUP_E_RUNNING);
		return;
	}
}

static void cmd_stop(struct sup_node *n, uint64_t cookie)
{
	if (n->state == SUP_STOPPED) {
		if (n->dynamic || n->spec.restart == SUP_TEMPORARY)
			sup_node_remove(n);
		reply(n->tree, cookie, SUP_OK);
		return;
	}
	n->pending = SUP_PEND_STOP;
	n->cookie = cookie;
	/*
	 * On a RESTARTING child this ends the retry loop at once.  A dynamic
	 * child leaves the tree once it is gone (the end of the STOP plan),
	 * not now: its process still runs and its exit must find the node.
	 */
	sup_plan_stop_one(n->parent, n);
}

static void cmd_restart(struct sup_node *n, uint64_t cookie)
{
	if (restarting(n)) {
		reply(n->tree, cookie, SUP_E_RESTARTING);
		return;
	}
	n->cookie = cookie;
	if (n->state == SUP_STOPPED) {
		n->pending = SUP_PEND_START;
		n->restarts++;
		sup_plan_start_one(n->parent, n);
		return;
	}
	n->pending = SUP_PEND_RESTART;
	sup_plan_stop_one(n->parent, n);
}

static void cmd_delete(struct sup_node *n, uint64_t cookie)
{
	if (restarting(n)) {
		reply(n->tree, cookie, SUP_E_RESTARTING);
	} else if (n->state != SUP_STOPPED) {
		reply(n->tree, cookie, SUP_E_RUNNING);
	} else {
		sup_node_hide(n);
		reply(n->tree, cookie, SUP_OK);
	}
}

/* Stop it if it runs, then take it out of the tree with its subtree. */
static void cmd_remove(struct sup_node *n, uint64_t cookie)
{
	n->cookie = cookie;
	if (n->state == SUP_STOPPED) {
		sup_node_purge(n);
		reply(n->tree, cookie, SUP_OK);
		return;
	}
	n->pending = SUP_PEND_REMOVE;
	/* RESTARTING: the queued retry is dropped and it is gone at once. */
	sup_node_terminate(n, SUP_STOP_CMD);
}

static void cmd_kill(struct sup_node *n, int signo, uint64_t cookie)
{
	struct sup_action a = { .kind = SUP_A_SIGNAL, .node = n, .signo = signo };

	if (n->spec.type != SUP_WORKER) {
		reply(n->tree, cookie, SUP_E_INVALID);
		return;
	}
	if (!sup_node_live(n)) {
		reply(n->tree, cookie, SUP_E_NOT_RUNNING);
		return;
	}
	sup_emit(n->tree, &a);
	reply(n->tree, cookie, SUP_OK);
}

static struct sup_node *dynamic_new(struct sup_node *sup, struct sup_deferred *d,
				    enum sup_result *ret_err)
{
	struct sup_tree *t = sup->tree;
	struct sup_spec spec = sup->first->spec;
	struct sup_node *n;

	if (d->child[0])
		snprintf(spec.name, sizeof(spec.name), "%s", d->child);
	else
		do
			snprintf(spec.name, sizeof(spec.name), "%.50s@%u", sup->first->spec.name,
				 ++sup->sv->next_dyn);
		while (sup_find_any(t, spec.name));
	if (!sup_name_valid(spec.name, NULL)) {
		*ret_err = SUP_E_INVALID;
		return NULL;
	}
	if (sup_find_any(t, spec.name)) {
		*ret_err = SUP_E_ALREADY_PRESENT;
		return NULL;
	}
	n = sup_node_alloc(t, &spec);
	if (!n) {
		*ret_err = SUP_E_NOMEM;
		return NULL;
	}
	n->dynamic = true;
	n->args = d->args;      /* ownership moves to the node */
	n->argc = d->argc;
	d->args = NULL;
	d->argc = 0;
	sup_node_link(sup, n);
	sup_name_index(t, n);
	return n;
}

static void cmd_start_child(struct sup_tree *t, struct sup_node *sup, struct sup_deferred *d)
{
	enum sup_result err = SUP_OK;
	struct sup_node *n;

	if (sup->spec.type != SUP_SUPERVISOR || !sup_is_simple(sup) || !sup->first) {
		reply(t, d->cookie, SUP_E_NOT_SIMPLE);
		return;
	}
	if (sup->state != SUP_RUNNING) {
		reply(t, d->cookie, SUP_E_NOPROC);
		return;
	}
	n = dynamic_new(sup, d, &err);
	if (!n) {
		reply(t, d->cookie, err);
		return;
	}
	n->pending = SUP_PEND_START;
	n->cookie = d->cookie;
	sup_plan_start_one(sup, n);
}

static void cmd_on_node(struct sup_tree *t, struct sup_node *n, struct sup_deferred *d)
{
	bool simple_child = n->dynamic || n->is_template;

	switch (d->cmd) {
	case SUP_CMD_START:
		if (simple_child)
			reply(t, d->cookie, SUP_E_SIMPLE_ONE_FOR_ONE);
		else
			cmd_start(n, d->cookie);
		break;
	case SUP_CMD_STOP:
		if (n->is_template)
			reply(t, d->cookie, SUP_E_SIMPLE_ONE_FOR_ONE);
		else
			cmd_stop(n, d->cookie);
		break;
	case SUP_CMD_RESTART:
		if (n->is_template)
			reply(t, d->cookie, SUP_E_SIMPLE_ONE_FOR_ONE);
		else
			cmd_restart(n, d->cookie);
		break;
	case SUP_CMD_DELETE:
		if (simple_child)
			reply(t, d->cookie, SUP_E_SIMPLE_ONE_FOR_ONE);
		else
			cmd_delete(n, d->cookie);
		break;
	case SUP_CMD_KILL:
		cmd_kill(n, d->signo, d->cookie);
		break;
	case SUP_CMD_REMOVE:
		if (n->dynamic || n->is_template)
			reply(t, d->cookie, SUP_E_SIMPLE_ONE_FOR_ONE);
		else
			cmd_remove(n, d->cookie);
		break;
	}
}

/*
 * A command on a child of a supervisor that is down (stopped, or waiting
 * for its own restart) goes nowhere: OTP answers noproc, as the call is
 * made to a process that does not exist.  A reload's removal still works.
 */
static bool under_stopped(const struct sup_node *n, int cmd)
{
	const struct sup_node *sup = cmd == SUP_CMD_START_CHILD ? n : n->parent;

	if (cmd == SUP_CMD_REMOVE || !sup || sup->spec.type != SUP_SUPERVISOR)
		return false;
	return sup->state == SUP_STOPPED || sup->state == SUP_RESTARTING;
}

/* Run command `d` now, or queue it where it must wait.  `d` stays the caller's. */
void sup_cmd_run(struct sup_tree *t, struct sup_deferred *d)
{
	struct sup_node *any = sup_find_any(t, d->name);
	struct sup_node *n = cmd_target(t, d);
	struct sup_node *waiter;

	if (t->shutting_down || t->done) {
		reply(t, d->cookie, SUP_E_SHUTTING_DOWN);
		return;
	}
	/* Before not_found: a deleted child of a stopped supervisor is noproc too. */
	if (any && under_stopped(any, d->cmd)) {
		reply(t, d->cookie, SUP_E_NOPROC);
		return;
	}
	if (!n) {
		reply(t, d->cookie, SUP_E_NOT_FOUND);
		return;
	}
	/* start-child names a supervisor; anything else has no plan to wait on. */
	if (d->cmd == SUP_CMD_START_CHILD && n->spec.type != SUP_SUPERVISOR) {
		reply(t, d->cookie, SUP_E_NOT_SIMPLE);
		return;
	}
	waiter = d->cmd == SUP_CMD_START_CHILD ? n : n->parent;
	if (d->cmd != SUP_CMD_KILL && waiter &&
	    (busy(waiter) || (d->cmd != SUP_CMD_START_CHILD && n->pending != SUP_PEND_NONE))) {
		struct sup_deferred *copy = malloc(sizeof(*copy));

		if (!copy) {
			reply(t, d->cookie, SUP_E_NOMEM);
			return;
		}
		*copy = *d;
		d->args = NULL;
		d->argc = 0;
		sup_defer_push(waiter, copy);
		return;
	}
	if (d->cmd == SUP_CMD_START_CHILD)
		cmd_start_child(t, n, d);
	else if (!n->parent)
		reply(t, d->cookie, SUP_E_INVALID);     /* the root is not a child */
	else
		cmd_on_node(t, n, d);
}

void sup_cmd_submit(struct sup_tree *t, int cmd, const char *name, int signo, uint64_t cookie,
		       int64_t now)
{
	struct sup_deferred d = { .kind = SUP_DEF_CMD, .cmd = cmd, .signo = signo,
				  .cookie = cookie };

	t->now = now;
	if (!name || strlen(name) > SUP_NAME_MAX) {
		reply(t, cookie, SUP_E_NOT_FOUND);
		return;
	}
	snprintf(d.name, sizeof(d.name), "%s", name);
	sup_cmd_run(t, &d);
	sup_work_run(t);
}

void sup_cmd_start(struct sup_tree *t, const char *name, uint64_t cookie, int64_t now)
{
	sup_cmd_submit(t, SUP_CMD_START, name, 0, cookie, now);
}

void sup_cmd_stop(struct sup_tree *t, const char *name, uint64_t cookie, int64_t now)
{
	sup_cmd_submit(t, SUP_CMD_STOP, name, 0, cookie, now);
}

void sup_cmd_restart(struct sup_tree *t, const char *name, uint64_t cookie, int64_t now)
{
	sup_cmd_submit(t, SUP_CMD_RESTART, name, 0, cookie, now);
}

void sup_cmd_delete(struct sup_tree *t, const char *name, uint64_t cookie, int64_t now)
{
	sup_cmd_submit(t, SUP_CMD_DELETE, name, 0, cookie, now);
}

void sup_cmd_kill(struct sup_tree *t, const char *name, int signo, uint64_t cookie, int64_t now)
{
	if (signo <= 0 || signo >= 65) {
		t->now = now;
		reply(t, cookie, SUP_E_INVALID);
		return;
	}
	sup_cmd_submit(t, SUP_CMD_KILL, name, signo, cookie, now);
}

void sup_cmd_start_child(struct sup_tree *t, const char *sup, const char *name, int argc,
			 char *const *args, uint64_t cookie, int64_t now)
{
	struct sup_deferred d = { .kind = SUP_DEF_CMD, .cmd = SUP_CMD_START_CHILD,
				  .cookie = cookie };

	t->now = now;
	if (!sup || strlen(sup) > SUP_NAME_MAX || (name && strlen(name) > SUP_NAME_MAX)) {
		reply(t, cookie, SUP_E_INVALID);
		return;
	}
	snprintf(d.name, sizeof(d.name), "%s", sup);
	if (argc > 0) {
		d.args = calloc((size_t)argc + 1, sizeof(char *));
		if (!d.args) {
			reply(t, cookie, SUP_E_NOMEM);
			return;
		}
		for (int i = 0; i < argc; i++) {
			d.args[i] = strdup(args[i]);
			if (!d.args[i]) {
				d.argc = i;
				deferred_free_args(&d);
				reply(t, cookie, SUP_E_NOMEM);
				return;
			}
		}
		d.argc = argc;
	}
	snprintf(d.child, sizeof(d.child), "%s", name ? name : "");
	sup_cmd_run(t, &d);
	deferred_free_args(&d);
	sup_work_run(t);
}
