/*
 * plan.c: a supervisor's multi-step operations.
 *
 * A plan is a set of children in start order.  The TERM phase stops them
 * from the last to the first, one at a time, waiting for each (OTP's
 * terminate_children); a simple_one_for_one supervisor, and one with
 * shutdown_order = parallel, stops all at once.  The START phase starts
 * them from the first, each waiting for the previous one to be ready
 * (OTP's start_children).  What ends the plan depends on its kind:
 *   INIT        START only; success makes the supervisor RUNNING, a
 *               failure turns the plan into INIT_ABORT
 *   INIT_ABORT  TERM of what INIT started; then the supervisor failed
 *   GROUP       TERM then START (one_for_all, rest_for_one)
 *   SHUTDOWN    TERM of everything; then the supervisor exits
 *   START       START of one child (a one_for_one restart, a start
 *               command): the supervisor is blocked meanwhile, as OTP's
 *               is in its synchronous start call; a failed restart is
 *               retried behind what waited (OTP's try_again_restart cast)
 *   STOP        one child stopped by a command (stop, the stop half of
 *               restart): blocked until it is gone, as OTP's is in
 *               terminate_child
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int set_push(struct sup_sv *sv, struct sup_node *n)
{
	if (sv->set_n == sv->set_cap) {
		size_t cap = sv->set_cap ? sv->set_cap * 2 : 8;
		struct sup_node **p = realloc(sv->set, cap * sizeof(*p));

		if (!p)
			return -1;
		sv->set = p;
		sv->set_cap = cap;
	}
	sv->set[sv->set_n++] = n;
	return 0;
}

static void set_fill(struct sup_node *sup, struct sup_node *from)
{
	struct sup_sv *sv = sup->sv;

	sv->set_n = 0;
	for (struct sup_node *c = from; c; c = c->next) {
		if (c->hidden || c->is_template)
			continue;
		if (set_push(sv, c) < 0)
			sup->tree->oom = true;
	}
}

bool sup_plan_member(const struct sup_node *sup, const struct sup_node *child)
{
	const struct sup_sv *sv = sup->sv;

	for (size_t i = 0; i < sv->set_n; i++)
		if (sv->set[i] == child)
			return true;
	return false;
}

void sup_plan_begin(struct sup_node *sup, enum sup_plan_kind kind, struct sup_node *from)
{
	struct sup_sv *sv = sup->sv;

	if (kind == SUP_PLAN_INIT) {
		/* A new incarnation: every static spec is back, dynamic ones are gone. */
		sv->plan = SUP_PLAN_NONE;
		sup_remove_dynamic(sup);
	}
	sv->plan = kind;
	sv->waiting = 0;
	sv->failed = NULL;
	/* Fixed for the plan: a reload may change the key meanwhile. */
	sv->parallel = sup_is_simple(sup) || sup->spec.shutdown_order == SUP_ORDER_PARALLEL;
	if (kind == SUP_PLAN_INIT) {
		for (struct sup_node *c = sup->first; c; c = c->next)
			c->hidden = false;
		set_fill(sup, sup_is_simple(sup) ? NULL : sup->first);
		sv->phase = SUP_PHASE_START;
		sv->cur = 0;
	} else {
		set_fill(sup, from ? from : sup->first);
		sv->phase = SUP_PHASE_TERM;
		sv->cur = sv->set_n;
	}
	/* Stepped from the work queue, so nested supervisors never recurse. */
	sup_work_push(sup->tree, SUP_W_STEP, sup);
}

/*
 * Start child `n` of `sup` (a restart, or a start command): `sup` is busy
 * until `n` is up or its start failed.  Without memory for the plan, `n`
 * starts anyway and `sup` is not held.
 */
void sup_plan_start_one(struct sup_node *sup, struct sup_node *n)
{
	struct sup_sv *sv = sup->sv;

	sv->set_n = 0;
	if (set_push(sv, n) == 0) {
		sv->plan = SUP_PLAN_START;
		sv->phase = SUP_PHASE_START;
		sv->cur = 0;
		sv->waiting = 0;
		sv->failed = NULL;
	}
	sup_node_start(n);
}

/*
 * Stop child `n` of `sup` for a command: `sup` is busy until `n` is gone
 * (stop_one_done).  A child with no process stops at once, and without
 * memory for the plan `n` stops anyway and `sup` is not held.
 */
void sup_plan_stop_one(struct sup_node *sup, struct sup_node *n)
{
	struct sup_sv *sv = sup->sv;

	if (sup_node_live(n) && n->state != SUP_STARTING) {
		sv->set_n = 0;
		if (set_push(sv, n) == 0) {
			sv->plan = SUP_PLAN_STOP;
			sv->phase = SUP_PHASE_TERM;
			sv->cur = 1;
			sv->waiting = 0;
			sv->failed = NULL;
		}
	}
	sup_node_terminate(n, SUP_STOP_CMD);
}

static bool plan_of_one(const struct sup_sv *sv)
{
	return sv->plan == SUP_PLAN_START || sv->plan == SUP_PLAN_STOP;
}

/* Does the running plan of `sup` hold `child` (its set points at it)? */
bool sup_plan_holds(const struct sup_node *sup, const struct sup_node *child)
{
	const struct sup_sv *sv = sup->sv;

	if (sv->plan == SUP_PLAN_NONE)
		return false;
	if (plan_of_one(sv))
		return sv->set_n && sv->set[0] == child;
	return true;
}

/* simple_one_for_one, shutdown_order = parallel: every child gets its stop at once. */
static bool term_parallel(struct sup_node *sup)
{
	struct sup_sv *sv = sup->sv;

	if (sv->cur) {
		for (size_t i = 0; i < sv->set_n; i++) {
			struct sup_node *c = sv->set[i];

			if (c->state == SUP_RESTARTING || sup_node_live(c))
				sup_node_terminate(c, SUP_STOP_PLAN);
		}
		sv->cur = 0;
	}
	sv->waiting = 0;
	for (size_t i = 0; i < sv->set_n; i++)
		sv->waiting += sup_node_live(sv->set[i]);
	return sv->waiting == 0;
}

/* Walk the TERM phase; true when every member is stopped. */
static bool term_step(struct sup_node *sup)
{
	struct sup_sv *sv = sup->sv;

	if (sv->parallel)
		return term_parallel(sup);
	while (sv->cur > 0) {
		struct sup_node *c = sv->set[sv->cur - 1];

		if (c->state == SUP_STOPPED) {
			sv->cur--;
			continue;
		}
		/* Stopping already: by command, or its leftovers (it is ours now). */
		sup_node_terminate(c, SUP_STOP_PLAN);
		if (c->state != SUP_STOPPED)
			return false;
	}
	return true;
}

/* Walk the START phase; true when every member is running. */
static bool start_step(struct sup_node *sup)
{
	struct sup_sv *sv = sup->sv;

	while (sv->cur < sv->set_n) {
		struct sup_node *c = sv->set[sv->cur];

		/* A member a reload is taking out (its exit may not have reached
		 * us yet) is not started again. */
		if (c->hidden || c->state == SUP_RUNNING ||
		    (c->pending == SUP_PEND_REMOVE && c->state == SUP_STOPPED)) {
			sv->cur++;
			continue;
		}
		if (c->state == SUP_STOPPED || c->state == SUP_RESTARTING) {
			if (sv->plan == SUP_PLAN_GROUP)
				c->restarts++;
			sup_node_start(c);
		}
		if (c->state != SUP_RUNNING)
			return false;
	}
	return true;
}

static void plan_end(struct sup_node *sup)
{
	struct sup_sv *sv = sup->sv;
	bool one = plan_of_one(sv);

	sv->plan = SUP_PLAN_NONE;
	sv->set_n = 0;
	sv->cur = 0;
	/* A simple_one_for_one supervisor's init or end: no dynamic child stays. */
	if (sup_is_simple(sup) && !one)
		sup_remove_dynamic(sup);
	sup_purge_removed(sup);
}

static void group_term_done(struct sup_node *sup)
{
	struct sup_sv *sv = sup->sv;

	/* Temporary children caught in a group restart are removed. */
	for (size_t i = 0; i < sv->set_n; i++)
		if (sv->set[i]->spec.restart == SUP_TEMPORARY)
			sup_node_remove(sv->set[i]);
	sv->phase = SUP_PHASE_START;
	sv->cur = 0;
}

static void init_done(struct sup_node *sup)
{
	plan_end(sup);
	sup_set_state(sup, SUP_RUNNING);
	if (sup->pending == SUP_PEND_START)
		sup_pending_reply(sup, SUP_OK);
	sup_work_push(sup->tree, SUP_W_UP, sup);
	sup_work_push(sup->tree, SUP_W_DRAIN, sup);
}

/*
 * `sup` is down: a command still waiting on one of its children (a start
 * that a failed group start never reached) can no longer complete.
 */
static void pending_sweep(struct sup_node *sup)
{
	for (struct sup_node *c = sup->first; c; c = c->next)
		if (c->pending != SUP_PEND_NONE)
			sup_pending_reply(c, SUP_E_SHUTTING_DOWN);
}

static void init_failed(struct sup_node *sup)
{
	struct sup_sv *sv = sup->sv;
	struct sup_tree *t = sup->tree;

	plan_end(sup);
	sup_last_set(sup, &sv->exit_reason);
	sup_set_state(sup, SUP_STOPPED);
	pending_sweep(sup);
	/* Commands that waited for the plan get their answer now. */
	sup_work_push(t, SUP_W_DRAIN, sup);
	if (!sup->parent) {
		struct sup_action a = { .kind = SUP_A_OTPD_EXIT, .code = 1 };

		t->done = true;
		sup_emit(t, &a);
		return;
	}
	sup_work_push(t, SUP_W_FAILED, sup);
}

void sup_plan_step(struct sup_node *sup)
{
	struct sup_sv *sv = sup->sv;

	if (sv->plan == SUP_PLAN_NONE)
		return;
	if (sv->phase == SUP_PHASE_TERM) {
		if (!term_step(sup))
			return;
		switch (sv->plan) {
		case SUP_PLAN_GROUP:
			group_term_done(sup);
			break;
		case SUP_PLAN_SHUTDOWN:
			plan_end(sup);
			sup_exit_finish(sup);
			return;
		case SUP_PLAN_INIT_ABORT:
			init_failed(sup);
			return;
		default:
			return;
		}
	}
	if (!start_step(sup))
		return;
	if (sv->plan == SUP_PLAN_INIT) {
		init_done(sup);
		return;
	}
	plan_end(sup);
	sup_work_push(sup->tree, SUP_W_DRAIN, sup);
}

/* The child the START phase waits for. */
static bool is_current_start(const struct sup_node *sup, const struct sup_node *c)
{
	const struct sup_sv *sv = sup->sv;

	return (sv->plan == SUP_PLAN_INIT || sv->plan == SUP_PLAN_GROUP ||
		sv->plan == SUP_PLAN_START) &&
	       sv->phase == SUP_PHASE_START && sv->cur < sv->set_n && sv->set[sv->cur] == c;
}

void sup_plan_child_up(struct sup_node *sup, struct sup_node *child)
{
	if (child->pending == SUP_PEND_START)
		sup_pending_reply(child, SUP_OK);
	if (is_current_start(sup, child))
		sup_plan_step(sup);
}

/* The stop half of a restart command is done: now the start half. */
static void restart_stopped(struct sup_node *sup, struct sup_node *child)
{
	enum sup_plan_kind plan = sup->sv->plan;

	child->pending = SUP_PEND_START;
	if (child->hidden) {
		/* A temporary child is deleted by its stop: nothing to start. */
		sup_pending_reply(child, SUP_E_NOT_FOUND);
	} else if (plan == SUP_PLAN_NONE) {
		child->restarts++;
		sup_plan_start_one(sup, child);
	} else if (plan == SUP_PLAN_SHUTDOWN || plan == SUP_PLAN_INIT_ABORT) {
		sup_pending_reply(child, SUP_E_SHUTTING_DOWN);
	} else if (plan != SUP_PLAN_GROUP || !sup_plan_member(sup, child)) {
		/* Another child's start or group restart runs: start this one after it. */
		child->pending = SUP_PEND_NONE;
		sup_cmd_defer_start(child);
	}
	/* A member of the running group restart is started by it (and replied). */
}

/*
 * The child of a STOP plan is gone (or, stopped while it started, failed):
 * `sup` is free, and a dynamic child that terminate_child stopped leaves
 * the tree now that the plan no longer holds it.
 */
static void stop_one_done(struct sup_node *sup, struct sup_node *child)
{
	struct sup_sv *sv = sup->sv;

	if (sv->plan != SUP_PLAN_STOP || !sup_plan_holds(sup, child))
		return;
	plan_end(sup);
	if (child->dynamic && child->pending == SUP_PEND_STOP)
		sup_node_remove(child);
	sup_work_push(sup->tree, SUP_W_DRAIN, sup);
}

void sup_plan_child_down(struct sup_node *sup, struct sup_node *child)
{
	stop_one_done(sup, child);
	if (child->pending == SUP_PEND_STOP) {
		sup_pending_reply(child, SUP_OK);
	} else if (child->pending == SUP_PEND_REMOVE) {
		sup_pending_reply(child, SUP_OK);
		sup_node_purge(child);
	} else if (child->pending == SUP_PEND_RESTART) {
		restart_stopped(sup, child);
	} else if (child->pending == SUP_PEND_START && !(sup->sv->plan == SUP_PLAN_GROUP &&
		   sup_plan_member(sup, child) && !child->hidden)) {
		/* Stopped before it was up (its supervisor is ending): still one reply. */
		sup_pending_reply(child, SUP_E_SHUTTING_DOWN);
	}
	if (sup->sv->plan != SUP_PLAN_NONE && sup->sv->phase == SUP_PHASE_TERM)
		sup_plan_step(sup);
}

/*
 * The one child of a START plan failed to start.  A command's start is not
 * retried (OTP restart_child returns the error, a failed start_child adds
 * nothing); a restart enters the retry loop behind what waited meanwhile.
 */
static void one_failed(struct sup_node *sup, struct sup_node *child)
{
	bool cmd = child->pending == SUP_PEND_START;

	plan_end(sup);
	if (cmd) {
		sup_pending_reply(child, SUP_E_START_FAILED);
		if (child->dynamic)
			sup_node_remove(child);
	} else {
		sup_set_state(child, SUP_RESTARTING);
		child->retrying = true;
		sup_defer_retry(child);
	}
	sup_work_push(sup->tree, SUP_W_DRAIN, sup);
}

/* `child` failed to start; its last_exit says why and it has no process. */
void sup_plan_child_failed(struct sup_node *sup, struct sup_node *child)
{
	struct sup_sv *sv = sup->sv;

	stop_one_done(sup, child);
	if (sv->plan == SUP_PLAN_START && is_current_start(sup, child)) {
		one_failed(sup, child);
		return;
	}
	if (child->pending == SUP_PEND_START) {
		sup_pending_reply(child, SUP_E_START_FAILED);
		if (!is_current_start(sup, child)) {
			if (child->dynamic)
				sup_node_remove(child);
			return;
		}
	}
	if (sv->plan == SUP_PLAN_SHUTDOWN || sv->plan == SUP_PLAN_INIT_ABORT) {
		sup_plan_step(sup);
		return;
	}
	if (is_current_start(sup, child) && sv->plan == SUP_PLAN_INIT) {
		/* OTP: abort, stop what started, fail with failed_to_start_child. */
		char why[96];
		struct sup_reason last;

		sup_last_get(child, &last);
		sup_reason_format(&last, why, sizeof(why));
		sup_reason_set(&sv->exit_reason, SUP_R_START_FAILED, 0);
		snprintf(sv->exit_reason.why, sizeof(sv->exit_reason.why), "%.64s: %.90s",
			 child->spec.name, why);
		sv->plan = SUP_PLAN_INIT_ABORT;
		sv->phase = SUP_PHASE_TERM;
		sup_plan_step(sup);
		return;
	}
	if (is_current_start(sup, child)) {
		/*
		 * Group start stops at the failed child; the retry redoes the
		 * group.  Like OTP's try_again cast it queues behind what waited
		 * during the group (commands are served between attempts).
		 */
		plan_end(sup);
		sup_set_state(child, SUP_RESTARTING);
		child->retrying = true;
		sup_defer_retry(child);
		sup_work_push(sup->tree, SUP_W_DRAIN, sup);
		return;
	}
	if (sv->plan == SUP_PLAN_NONE) {
		sup_set_state(child, SUP_RESTARTING);
		child->retrying = true;
		sup_retry(child);
	}
}

/* The supervisor ends: stop all its children, then sup_exit_finish(). */
void sup_exit_begin(struct sup_node *sup, const struct sup_reason *why)
{
	struct sup_sv *sv = sup->sv;

	if (sv->plan == SUP_PLAN_SHUTDOWN)
		return;
	sv->exit_reason = *why;
	sup_plan_begin(sup, SUP_PLAN_SHUTDOWN, NULL);
}

void sup_exit_finish(struct sup_node *sup)
{
	struct sup_tree *t = sup->tree;
	struct sup_sv *sv = sup->sv;

	/* Commands that waited for the shutdown get their answer now. */
	pending_sweep(sup);
	sup_work_push(t, SUP_W_DRAIN, sup);

	if (!sup->parent) {
		struct sup_action a = { .kind = SUP_A_OTPD_EXIT, .code = sv->exit_code };

		sup_last_set(sup, &sv->exit_reason);
		sup_set_state(sup, SUP_STOPPED);
		t->done = true;
		sup_emit(t, &a);
		return;
	}
	if (sup->state == SUP_STOPPING) {
		struct sup_reason r;

		sup_reason_set(&r, sup->kill_sent ? SUP_R_KILLED : SUP_R_SHUTDOWN, 0);
		sup_node_gone(sup, &r);
		return;
	}
	/* It ended by itself (intensity, auto_shutdown): its parent decides. */
	sup_last_set(sup, &sv->exit_reason);
	sup_set_state(sup, SUP_STOPPED);
	sup_work_push(t, SUP_W_EXIT, sup);
}
