/*
 * events.c: the core's entry points for what happened outside it.  Each
 * sets the clock, handles the event, then runs the work queue until the
 * cascade it started has settled.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static void settle(struct sup_tree *t)
{
	sup_work_run(t);
}

void sup_boot(struct sup_tree *t, int64_t now)
{
	t->now = now;
	t->root->sv->exit_code = 1;
	sup_node_start(t->root);
	settle(t);
}

void sup_child_ready(struct sup_tree *t, struct sup_node *n, int64_t now)
{
	t->now = now;
	if (n->spec.type != SUP_WORKER || n->state != SUP_STARTING)
		return;
	sup_deadline_clear(n);
	sup_set_state(n, SUP_RUNNING);
	if (n->spec.watchdog_ms > 0)
		sup_deadline_after(n, n->spec.watchdog_ms);
	sup_work_push(t, SUP_W_UP, n);
	settle(t);
}

static void exited_stopping(struct sup_tree *t, struct sup_node *n);

static void start_failed(struct sup_tree *t, struct sup_node *n, const struct sup_reason *r)
{
	struct sup_action a = { .kind = SUP_A_EXITED, .node = n, .reason = *r };

	sup_deadline_clear(n);
	sup_last_set(n, r);
	n->stop_why = SUP_STOP_NONE;
	n->kill_sent = false;
	n->retrying = false;    /* set again if the failure is retried */
	sup_set_state(n, SUP_STOPPED);
	sup_emit(t, &a);
	sup_work_push(t, SUP_W_FAILED, n);
}

void sup_child_start_failed(struct sup_tree *t, struct sup_node *n, const char *why, int64_t now)
{
	struct sup_reason r;

	t->now = now;
	if (n->spec.type != SUP_WORKER)
		return;
	if (n->state == SUP_STOPPING) {
		/* Stopped while starting, and no process remains: it is gone. */
		exited_stopping(t, n);
		settle(t);
		return;
	}
	if (n->state != SUP_STARTING)
		return;
	sup_reason_set(&r, SUP_R_START_FAILED, 0);
	snprintf(r.why, sizeof(r.why), "%s", why ? why : "unknown");
	start_failed(t, n, &r);
	settle(t);
}

/* A process that ended before it was ready failed to start. */
static void exited_starting(struct sup_tree *t, struct sup_node *n, const struct sup_reason *r)
{
	struct sup_reason f;
	char buf[64];

	sup_reason_format(r, buf, sizeof(buf));
	sup_reason_set(&f, SUP_R_START_FAILED, 0);
	snprintf(f.why, sizeof(f.why), "exited before ready (%s)", buf);
	start_failed(t, n, &f);
}

static void exited_stopping(struct sup_tree *t, struct sup_node *n)
{
	struct sup_reason r;

	if (n->stop_why == SUP_STOP_READY_TIMEOUT) {
		sup_reason_set(&r, SUP_R_START_FAILED, 0);
		snprintf(r.why, sizeof(r.why), "ready_timeout");
		start_failed(t, n, &r);
		return;
	}
	sup_reason_set(&r, n->kill_sent ? SUP_R_KILLED : SUP_R_SHUTDOWN, 0);
	sup_node_gone(n, &r);
}

/* Why the main process of n ended, from its wait status. */
static void exit_reason(const struct sup_node *n, int wstatus, unsigned flags, struct sup_reason *r)
{
	sup_reason_from_status(r, wstatus);
	if (flags & SUP_EXIT_OOM)
		sup_reason_set(r, SUP_R_OOM, 0);
	else if (n->fired != SUP_R_NONE)
		sup_reason_set(r, n->fired, 0);
}

/* n is gone, having been in `state` when its main process ended. */
static void worker_gone(struct sup_tree *t, struct sup_node *n, enum sup_state state,
			const struct sup_reason *r)
{
	switch (state) {
	case SUP_STARTING:
		exited_starting(t, n, r);
		break;
	case SUP_RUNNING:
		sup_child_crashed(n, r);
		break;
	default:
		exited_stopping(t, n);
		break;
	}
}

/*
 * An exit of n's main process the core waits for: false when it does not
 * (stale, or leftovers already decide: sup_child_gone), else its reason.
 */
static bool main_exited(struct sup_tree *t, struct sup_node *n, int wstatus, unsigned flags,
			int64_t now, struct sup_reason *r)
{
	t->now = now;
	if (n->spec.type != SUP_WORKER || !sup_node_live(n) || n->leftovers)
		return false;
	exit_reason(n, wstatus, flags, r);
	sup_overlap_main_gone(n, "the old process exited");
	return true;
}

void sup_child_exited(struct sup_tree *t, struct sup_node *n, int wstatus, unsigned flags,
		      int64_t now)
{
	struct sup_reason r;

	if (!main_exited(t, n, wstatus, flags, now, &r))
		return;
	worker_gone(t, n, n->state, &r);
	settle(t);
}

/*
 * The main process is gone, what it left is not: stopped like the worker
 * (lifecycle.c), under the deadline of a stop already under way, else its
 * own.  The exit is remembered for sup_child_gone().
 */
void sup_child_leftovers(struct sup_tree *t, struct sup_node *n, int wstatus, unsigned flags,
			 int64_t now)
{
	struct sup_reason r;

	if (!main_exited(t, n, wstatus, flags, now, &r))
		return;
	n->leftovers = true;
	n->left_from = n->state;
	n->left_kind = r.kind;
	n->left_code = r.code;
	sup_worker_leftovers_stop(n);
	settle(t);
}

void sup_child_gone(struct sup_tree *t, struct sup_node *n, int64_t now)
{
	struct sup_reason r;
	enum sup_state from = n->left_from;

	t->now = now;
	if (n->spec.type != SUP_WORKER || !n->leftovers)
		return;
	n->leftovers = false;
	sup_reason_set(&r, n->left_kind, n->left_code);
	/* Stopped by otpd meanwhile (a command, a plan): not a crash. */
	if (n->stop_why != SUP_STOP_NONE)
		from = SUP_STOPPING;
	worker_gone(t, n, from, &r);
	settle(t);
}

void sup_child_watchdog(struct sup_tree *t, struct sup_node *n, int64_t now)
{
	t->now = now;
	if (n->state == SUP_RUNNING && n->spec.watchdog_ms > 0 && n->fired == SUP_R_NONE)
		sup_deadline_after(n, n->spec.watchdog_ms);
}

/* A liveness miss (watchdog, ping): killed now, its exit handled as a crash. */
static void liveness_missed(struct sup_node *n, enum sup_reason_kind why)
{
	n->fired = why;
	sup_emit_node(n->tree, SUP_A_KILL, n);
}

void sup_child_ping_timeout(struct sup_tree *t, struct sup_node *n, int64_t now)
{
	t->now = now;
	if (n->spec.type != SUP_WORKER || n->state != SUP_RUNNING || n->fired != SUP_R_NONE)
		return;
	sup_deadline_clear(n);  /* its watchdog, if any: one miss, one reason */
	liveness_missed(n, SUP_R_PING_TIMEOUT);
	settle(t);
}

static void deadline_passed(struct sup_node *n)
{
	struct sup_tree *t = n->tree;

	if (n->spec.type == SUP_SUPERVISOR) {
		if (n->state == SUP_STOPPING)
			sup_subtree_kill(n);
		return;
	}
	switch (n->state) {
	case SUP_STARTING:
		n->stop_why = SUP_STOP_READY_TIMEOUT;
		sup_set_state(n, SUP_STOPPING);
		n->kill_sent = true;
		sup_emit_node(t, SUP_A_KILL, n);
		break;
	case SUP_STOPPING:
		if (!n->kill_sent) {
			n->kill_sent = true;
			sup_emit_node(t, SUP_A_KILL, n);
		}
		break;
	case SUP_RUNNING:
		/* Watchdog: no WATCHDOG=1 in time. Killed, then handled as a crash. */
		liveness_missed(n, SUP_R_WATCHDOG);
		break;
	case SUP_RESTARTING:
		sup_restart_decide(n);
		break;
	case SUP_STOPPED:
		break;
	}
}

void sup_timer(struct sup_tree *t, int64_t now)
{
	struct sup_node *n;

	t->now = now;
	while ((n = sup_deadline_due(t, now)))
		deadline_passed(n);
	sup_overlap_timer(t, now);
	settle(t);
}

void sup_shutdown(struct sup_tree *t, int64_t now)
{
	struct sup_reason r;

	t->now = now;
	if (t->shutting_down || t->done)
		return;
	t->shutting_down = true;
	if (t->root->sv->plan == SUP_PLAN_SHUTDOWN)
		return;         /* already ending (intensity, auto_shutdown): keep its code */
	t->root->sv->exit_code = 0;
	sup_reason_set(&r, SUP_R_SHUTDOWN, 0);
	if (t->root->state == SUP_STOPPED) {
		struct sup_action a = { .kind = SUP_A_OTPD_EXIT, .code = 0 };

		t->done = true;
		sup_emit(t, &a);
		return;
	}
	sup_set_state(t->root, SUP_STOPPING);
	sup_exit_begin(t->root, &r);
	settle(t);
}
