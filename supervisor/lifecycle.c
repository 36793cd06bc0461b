/*
 * lifecycle.c: starting and terminating one node, and a node leaving the
 * tree.  These are the only places that emit SPAWN, SIGNAL and KILL.
 */
#include <signal.h>
#include <stdlib.h>

#include "internal.h"

bool sup_node_live(const struct sup_node *n)
{
	return n->state == SUP_STARTING || n->state == SUP_RUNNING || n->state == SUP_STOPPING;
}

/* Start `n`: a worker is spawned, a supervisor runs its init plan. */
void sup_node_start(struct sup_node *n)
{
	struct sup_tree *t = n->tree;

	n->hidden = false;
	n->kill_sent = false;
	n->fired = SUP_R_NONE;
	n->crash_pending = false;
	n->stop_why = SUP_STOP_NONE;
	sup_deadline_clear(n);
	sup_set_state(n, SUP_STARTING);
	if (n->spec.type == SUP_SUPERVISOR) {
		n->gave_up = false;
		n->sv->hist_n = 0;      /* a new supervisor starts with no history */
		sup_plan_begin(n, SUP_PLAN_INIT, NULL);
		return;
	}
	sup_emit_node(t, SUP_A_SPAWN, n);
	if (n->spec.ready_timeout_ms > 0)
		sup_deadline_after(n, n->spec.ready_timeout_ms);
}

static void worker_kill(struct sup_node *n)
{
	n->kill_sent = true;
	sup_emit_node(n->tree, SUP_A_KILL, n);
}

static void worker_terminate(struct sup_node *n)
{
	struct sup_action a = { .kind = SUP_A_SIGNAL, .node = n, .cont = true };

	sup_set_state(n, SUP_STOPPING);
	if (n->spec.shutdown_ms == SUP_SHUTDOWN_BRUTAL) {
		worker_kill(n);
		return;
	}
	a.signo = n->spec.stop_signal;
	sup_emit(n->tree, &a);
	if (n->spec.shutdown_ms != SUP_SHUTDOWN_INFINITY)
		sup_deadline_after(n, n->spec.shutdown_ms);
}

/*
 * n's main process ended and left processes behind: they get the stop
 * signal (the main process is gone, so SIGNAL reaches them) or, with
 * brutal_kill, SIGKILL.  A worker otpd was stopping already keeps its
 * deadline and is not signalled twice by KILL.
 */
void sup_worker_leftovers_stop(struct sup_node *n)
{
	struct sup_action a = { .kind = SUP_A_SIGNAL, .node = n, .cont = true,
				.signo = n->spec.stop_signal };
	bool stopping = n->state == SUP_STOPPING;

	if (!stopping) {
		sup_deadline_clear(n);
		sup_set_state(n, SUP_STOPPING);
	}
	if (n->kill_sent)
		return;
	if (n->spec.shutdown_ms == SUP_SHUTDOWN_BRUTAL) {
		worker_kill(n);
		return;
	}
	sup_emit(n->tree, &a);
	if (!stopping && n->spec.shutdown_ms != SUP_SHUTDOWN_INFINITY)
		sup_deadline_after(n, n->spec.shutdown_ms);
}

/*
 * Ask `n` to stop.  Completion is reported as SUP_W_DOWN (or, for a node
 * stopped because it started too slowly, SUP_W_FAILED) once it is gone.
 */
void sup_node_terminate(struct sup_node *n, enum sup_stop_why why)
{
	struct sup_reason r;

	/* otpd's shutdown does not wait for an old process still stopping. */
	if (n->tree->shutting_down)
		sup_overlap_kill(n);
	else
		sup_overlap_main_gone(n, "stopped");
	switch (n->state) {
	case SUP_STOPPED:
		return;
	case SUP_RESTARTING:
		/* No process: the queued retry is simply dropped. */
		sup_deadline_clear(n);
		sup_last_get(n, &r);
		sup_node_gone(n, &r);
		return;
	case SUP_STOPPING:
		/* A plan takes over a stop under way; a stop of leftovers of an
		 * exit nobody asked for is asked for now. */
		if (why == SUP_STOP_PLAN || (n->leftovers && n->stop_why == SUP_STOP_NONE))
			n->stop_why = why;
		return;
	case SUP_STARTING:
	case SUP_RUNNING:
		break;
	}
	n->stop_why = why;
	sup_deadline_clear(n);
	if (n->spec.type == SUP_WORKER) {
		worker_terminate(n);
		return;
	}
	sup_set_state(n, SUP_STOPPING);
	if (n->spec.shutdown_ms >= 0)
		sup_deadline_after(n, n->spec.shutdown_ms);
	sup_reason_set(&r, SUP_R_SHUTDOWN, 0);
	sup_exit_begin(n, &r);
	/* brutal_kill: SIGKILL to the whole subtree (its cgroup) at once. */
	if (n->spec.shutdown_ms == SUP_SHUTDOWN_BRUTAL)
		sup_subtree_kill(n);
}

/* `n` stopped (otpd stopped it, or it is down for good): tell the parent. */
void sup_node_gone(struct sup_node *n, const struct sup_reason *r)
{
	struct sup_action a = { .kind = SUP_A_EXITED, .node = n, .reason = *r };

	sup_deadline_clear(n);
	sup_last_set(n, r);
	n->stop_why = SUP_STOP_NONE;
	n->kill_sent = false;
	/* A group restart stops a looping child only to start it again. */
	if (!n->parent || n->parent->sv->plan != SUP_PLAN_GROUP)
		n->retrying = false;
	sup_set_state(n, SUP_STOPPED);
	sup_emit(n->tree, &a);
	/* terminate_child deletes temporary and simple_one_for_one children. */
	if (n->spec.restart == SUP_TEMPORARY || (n->dynamic && n->pending == SUP_PEND_STOP))
		sup_node_remove(n);
	sup_work_push(n->tree, SUP_W_DOWN, n);
}

/* Static nodes are hidden (they come back when their supervisor re-inits). */
void sup_node_hide(struct sup_node *n)
{
	if (n->hidden)
		return;
	sup_deadline_clear(n);
	n->hidden = true;
	sup_emit_node(n->tree, SUP_A_FORGET, n);
}

/* `n` leaves the tree: temporary, deleted, or a dynamic child. */
void sup_node_remove(struct sup_node *n)
{
	struct sup_tree *t = n->tree;
	struct sup_node *p = n->parent;

	if (!n->dynamic) {
		sup_node_hide(n);
		return;
	}
	/* Inside a running plan the set still points at it: the plan's end
	 * removes every dynamic child (sup_remove_dynamic), or the failed
	 * start of a START plan does, once the plan is over. */
	if (p && sup_plan_holds(p, n))
		return;
	if (n->freed)
		return;
	sup_deadline_clear(n);
	sup_defer_forget(n);
	sup_emit_final_forget(t, n);
	sup_name_unindex(t, n);
	sup_node_unlink(n);
	n->freed = true;
	n->hidden = true;
	n->gnext = t->graveyard;
	t->graveyard = n;
}

/* A simple_one_for_one supervisor's dynamic children are lost when it exits. */
void sup_remove_dynamic(struct sup_node *sup)
{
	struct sup_node *c = sup->first, *nx;

	for (; c; c = nx) {
		nx = c->next;
		if (c->dynamic)
			sup_node_remove(c);
	}
}

/*
 * A node below a supervisor being killed: a live worker is stopping and gets
 * SIGKILL; a live supervisor is stopping too, killed, and runs its exit
 * plan, which only waits (its children are all stopping or stopped), so
 * nothing below restarts anything.
 */
static void kill_one(struct sup_node *n)
{
	struct sup_reason r;

	if (!sup_node_live(n) || n->kill_sent)
		return;
	sup_deadline_clear(n);
	if (n->state != SUP_STOPPING) {
		n->stop_why = SUP_STOP_PLAN;
		sup_set_state(n, SUP_STOPPING);
	} else if (n->stop_why == SUP_STOP_NONE) {
		n->stop_why = SUP_STOP_PLAN;    /* its leftovers: ours now */
	}
	if (n->spec.type == SUP_WORKER) {
		sup_overlap_kill(n);
		worker_kill(n);
		return;
	}
	n->kill_sent = true;
	sup_reason_set(&r, SUP_R_SHUTDOWN, 0);
	sup_exit_begin(n, &r);
}

/*
 * `sup` (stopping) is killed: brutal_kill, or its shutdown deadline passed.
 * Its whole subtree dies at once (SIGKILL to its cgroup); it is gone when
 * every process below is.  OTP kills the supervisor process alone: a
 * deliberate deviation, otp.conf(5) DEVIATIONS FROM OTP.
 */
void sup_subtree_kill(struct sup_node *sup)
{
	sup->kill_sent = true;
	sup_deadline_clear(sup);
	for (struct sup_node *n = sup_walk_all(sup, sup); n; n = sup_walk_all(sup, n))
		kill_one(n);
}
