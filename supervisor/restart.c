/*
 * restart.c: what happens when a child ends by itself (OTP's do_restart):
 * the restart type decides whether it comes back, the intensity whether
 * the supervisor survives, and the strategy which siblings go with it.
 */
#include <signal.h>
#include <stdlib.h>

#include "internal.h"

void sup_pending_reply(struct sup_node *n, enum sup_result r)
{
	/* A node that already left the tree (FORGET) is not named again. */
	struct sup_action a = { .kind = SUP_A_REPLY, .node = n->hidden ? NULL : n,
				.cookie = n->cookie, .result = r };

	sup_last_get(n, &a.reason);
	n->pending = SUP_PEND_NONE;
	sup_emit(n->tree, &a);
	if (n->parent)
		sup_work_push(n->tree, SUP_W_DRAIN, n->parent);
}

/* otpd's exit status for a significant child's end: code, or 128+signal. */
int sup_reason_code(const struct sup_reason *r)
{
	switch (r->kind) {
	case SUP_R_NORMAL:
	case SUP_R_SHUTDOWN:
		return 0;
	case SUP_R_EXIT:
		return r->code;
	case SUP_R_SIGNAL:
		return 128 + r->code;
	case SUP_R_KILLED:
	case SUP_R_OOM:
	case SUP_R_WATCHDOG:
	case SUP_R_PING_TIMEOUT:
		return 128 + SIGKILL;
	default:
		return 1;
	}
}

/* A significant child stopped by itself and stays down: auto_shutdown? */
void sup_auto_shutdown_check(struct sup_node *n)
{
	struct sup_node *sup = n->parent;
	struct sup_reason r, last;

	if (!n->spec.significant || sup->spec.auto_shutdown == SUP_AUTO_NEVER)
		return;
	if (sup->spec.auto_shutdown == SUP_AUTO_ALL) {
		for (struct sup_node *c = sup->first; c; c = c->next)
			if (c != n && c->spec.significant && !c->hidden && c->state != SUP_STOPPED)
				return;
	}
	sup_last_get(n, &last);
	sup->sv->exit_code = n->spec.type == SUP_SUPERVISOR ? n->sv->exit_code
							    : sup_reason_code(&last);
	sup_reason_set(&r, SUP_R_SHUTDOWN, 0);
	sup_exit_begin(sup, &r);
}

void sup_give_up(struct sup_node *sup, struct sup_node *child)
{
	struct sup_action a = { .kind = SUP_A_GAVE_UP, .node = sup, .child = child };
	struct sup_reason r;

	sup_deadline_clear(child);
	child->retrying = false;
	if (child->state == SUP_RESTARTING)
		sup_set_state(child, SUP_STOPPED);
	if (child->spec.restart == SUP_TEMPORARY)
		sup_node_remove(child);
	if (!sup->parent && sup->tree->hold_root) {
		/* Held (sup_tree_hold_root): the root runs on, with a fresh
		 * history, as if otpd had started again; the child stays down. */
		a.held = true;
		sup->sv->hist_n = 0;
		sup_emit(sup->tree, &a);
		return;
	}
	sup_emit(sup->tree, &a);
	sup->gave_up = true;
	sup->sv->exit_code = 1;
	sup_reason_set(&r, SUP_R_SHUTDOWN, 0);
	sup_exit_begin(sup, &r);
}

static void restart_now(struct sup_node *n)
{
	struct sup_node *sup = n->parent;

	switch (sup->spec.strategy) {
	case SUP_ONE_FOR_ALL:
		sup_plan_begin(sup, SUP_PLAN_GROUP, NULL);
		break;
	case SUP_REST_FOR_ONE:
		sup_plan_begin(sup, SUP_PLAN_GROUP, n);
		break;
	default:
		n->restarts++;
		sup_plan_start_one(sup, n);
		break;
	}
}

/*
 * Count a restart of `n` in its supervisor's history and carry it out, or
 * give up.  Also the retry of a failed restart (OTP's try_again_restart),
 * which counts again.
 */
void sup_retry(struct sup_node *n)
{
	struct sup_node *sup = n->parent;
	struct sup_action a = { .kind = SUP_A_RESTART, .node = n };

	if (!sup_add_restart(sup, n->tree->now)) {
		sup_give_up(sup, n);
		return;
	}
	sup_emit(n->tree, &a);
	if (n->spec.restart_delay_ms > 0) {
		sup_set_state(n, SUP_RESTARTING);
		sup_deadline_after(n, n->spec.restart_delay_ms);
		return;
	}
	restart_now(n);
}

/*
 * Queue `kind` for `n` behind what already waits for its supervisor; the
 * entry or NULL (out of memory: the tree notes it, sup_out_of_memory()).
 */
static struct sup_deferred *defer_node(struct sup_node *n, int kind)
{
	struct sup_deferred *d = calloc(1, sizeof(*d));

	if (!d) {
		n->tree->oom = true;
		return NULL;
	}
	d->kind = kind;
	d->node = n;
	sup_defer_push(n->parent, d);
	return d;
}

/* Queue a retry of `n` behind what already waits for its supervisor. */
void sup_defer_retry(struct sup_node *n)
{
	(void)defer_node(n, SUP_DEF_RETRY);
}

/*
 * The restart_delay of `n` is over.  If its supervisor is busy with a plan
 * (another child's start or group restart), the restart waits in the
 * deferred queue like an 'EXIT' would; dropping it would leave `n`
 * RESTARTING forever.
 */
void sup_restart_decide(struct sup_node *n)
{
	enum sup_plan_kind plan;

	if (n->state != SUP_RESTARTING || n->hidden)
		return;
	plan = n->parent->sv->plan;
	if (plan == SUP_PLAN_NONE) {
		restart_now(n);
		return;
	}
	/* A shutdown plan stops `n` anyway (and may free a dynamic one). */
	if (plan == SUP_PLAN_SHUTDOWN || plan == SUP_PLAN_INIT_ABORT)
		return;
	(void)defer_node(n, SUP_DEF_RESTART);
}

/* OTP do_restart: `n` ended by itself with reason `r` and nobody is busy. */
static void do_restart(struct sup_node *n, const struct sup_reason *r)
{
	struct sup_action a = { .kind = SUP_A_EXITED, .node = n, .reason = *r, .counted = true };

	sup_last_set(n, r);
	n->crash_pending = false;
	sup_deadline_clear(n);
	sup_set_state(n, SUP_STOPPED);
	sup_emit(n->tree, &a);
	if (n->spec.restart == SUP_TEMPORARY ||
	    (n->spec.restart == SUP_TRANSIENT && sup_reason_clean(n, r))) {
		/* OTP deletes a simple_one_for_one child it does not restart. */
		if (n->spec.restart == SUP_TEMPORARY || n->dynamic)
			sup_node_remove(n);
		sup_auto_shutdown_check(n);
		return;
	}
	sup_retry(n);
}

/*
 * `n` (a worker whose process is gone, or a supervisor that ended by
 * itself) died without otpd asking.  While its supervisor runs a plan, the
 * death is absorbed (a member about to be terminated anyway) or waits until
 * the plan is over, as an 'EXIT' waits in an OTP supervisor's mailbox.
 */
void sup_child_crashed(struct sup_node *n, const struct sup_reason *r)
{
	struct sup_node *sup = n->parent;
	struct sup_sv *sv = sup->sv;
	struct sup_deferred *d;

	if (sv->plan == SUP_PLAN_NONE) {
		do_restart(n, r);
		return;
	}
	sup_last_set(n, r);
	sup_deadline_clear(n);
	sup_set_state(n, SUP_STOPPED);
	if (sv->plan == SUP_PLAN_SHUTDOWN || sv->plan == SUP_PLAN_INIT_ABORT ||
	    (sv->plan == SUP_PLAN_GROUP && sv->phase == SUP_PHASE_TERM &&
	     sup_plan_member(sup, n))) {
		struct sup_action a = { .kind = SUP_A_EXITED, .node = n, .reason = *r };

		sup_emit(n->tree, &a);
		if (n->spec.restart == SUP_TEMPORARY)
			sup_node_remove(n);
		sup_work_push(n->tree, SUP_W_DOWN, n);
		return;
	}
	if (!(d = defer_node(n, SUP_DEF_EXIT)))
		return;
	d->reason = *r;
	n->crash_pending = true;
}
