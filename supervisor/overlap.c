/*
 * overlap.c: overlapping restarts (otpctl restart --overlap, upgrade =
 * overlap): for a while a worker has two processes.
 *
 * The worker's process (the "main" one, which the rest of the core knows)
 * keeps running while a second one (the "other") starts; SPAWN, SIGNAL and
 * KILL actions with `other` set are for the second process.  When the other
 * is ready the shell swaps them (the new process becomes the main one) and
 * tells the core (sup_overlap_ready); the old one, now the other, is
 * stopped as the worker is stopped (stop signal, KILL at the shutdown
 * deadline).  The command is answered once the other is gone.
 *
 *   STARTING  the new process starts; the old one is the worker.  Its
 *             deadline is the command's timeout: then it is stopped
 *             (ABORTING).  It exits, or the old one exits or is stopped:
 *             the overlap failed (the old one's exit follows the usual
 *             rules); nothing counts toward intensity.
 *   RETIRING  the new process is the worker, the old one is stopping.
 *   ABORTING  the new process is stopping; the overlap failed.
 *
 * Overlaps are few: a list in the tree, each with its own deadline (the
 * node's one deadline stays the worker's: watchdog, shutdown).
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

static void ov_unlink(struct sup_ov *ov)
{
	struct sup_tree *t = ov->node->tree;

	for (struct sup_ov **p = &t->ovs; *p; p = &(*p)->next) {
		if (*p == ov) {
			*p = ov->next;
			break;
		}
	}
	ov->node->ov = NULL;
	free(ov);
}

static void emit_other(struct sup_node *n, enum sup_action_kind k, int signo)
{
	struct sup_action a = { .kind = k, .node = n, .other = true, .signo = signo,
				.cont = k == SUP_A_SIGNAL };

	sup_emit(n->tree, &a);
}

static void kill_other(struct sup_ov *ov)
{
	if (ov->kill_sent)
		return;
	ov->kill_sent = true;
	ov->deadline = SUP_NO_DEADLINE;
	emit_other(ov->node, SUP_A_KILL, 0);
}

/* The other process is stopped as the worker is: stop signal, KILL at the
 * shutdown deadline (at once for brutal_kill). */
static void stop_other(struct sup_ov *ov)
{
	const struct sup_spec *s = &ov->node->spec;

	if (s->shutdown_ms == SUP_SHUTDOWN_BRUTAL) {
		kill_other(ov);
		return;
	}
	emit_other(ov->node, SUP_A_SIGNAL, s->stop_signal);
	ov->deadline = s->shutdown_ms == SUP_SHUTDOWN_INFINITY ? SUP_NO_DEADLINE
		       : ov->node->tree->now + s->shutdown_ms;
}

/* The overlap failed for `why`; the new process goes (killed at once when
 * `kill`: the old one is going too, or never got the switch). */
static void ov_abort(struct sup_ov *ov, const char *why, bool kill)
{
	if (ov->phase != SUP_OV_STARTING)
		return;
	ov->phase = SUP_OV_ABORTING;
	snprintf(ov->why, sizeof(ov->why), "%s", why);
	if (kill)
		kill_other(ov);
	else
		stop_other(ov);
}

static enum sup_result ov_check(const struct sup_tree *t, const struct sup_node *n)
{
	if (!n)
		return SUP_E_NOT_FOUND;
	if (n->spec.type != SUP_WORKER)
		return SUP_E_INVALID;
	if (t->shutting_down)
		return SUP_E_SHUTTING_DOWN;
	if (n->ov || n->pending != SUP_PEND_NONE)
		return SUP_E_BUSY;
	if (n->state != SUP_RUNNING || n->leftovers || n->fired != SUP_R_NONE)
		return SUP_E_NOT_RUNNING;
	if (n->parent && n->parent->state != SUP_RUNNING)
		return SUP_E_BUSY;
	return SUP_OK;
}

void sup_cmd_overlap(struct sup_tree *t, const char *name, int64_t timeout_ms, uint64_t cookie,
		     int64_t now)
{
	struct sup_node *n = sup_find(t, name);
	enum sup_result r;
	struct sup_ov *ov;

	t->now = now;
	r = ov_check(t, n);

	if (r == SUP_OK && !(ov = calloc(1, sizeof(*ov))))
		r = SUP_E_NOMEM;
	if (r != SUP_OK) {
		sup_emit_reply(t, cookie, r, NULL);
		return;
	}
	ov->node = n;
	ov->phase = SUP_OV_STARTING;
	ov->cookie = cookie;
	ov->deadline = timeout_ms > 0 ? now + timeout_ms : SUP_NO_DEADLINE;
	ov->next = t->ovs;
	t->ovs = ov;
	n->ov = ov;
	emit_other(n, SUP_A_SPAWN, 0);
}

bool sup_node_overlapping(const struct sup_node *n)
{
	return n->ov != NULL;
}

bool sup_overlap_awaits_ready(const struct sup_node *n)
{
	return n->ov && n->ov->phase == SUP_OV_STARTING;
}

void sup_overlap_ready(struct sup_tree *t, struct sup_node *n, int64_t now)
{
	struct sup_ov *ov = n->ov;

	t->now = now;
	if (!ov || ov->phase != SUP_OV_STARTING)
		return;
	/* The shell swapped the processes: the worker is the new one. */
	ov->phase = SUP_OV_RETIRING;
	n->restarts++;
	n->since = now;
	if (n->state == SUP_RUNNING && n->spec.watchdog_ms > 0 && n->fired == SUP_R_NONE)
		sup_deadline_after(n, n->spec.watchdog_ms);
	stop_other(ov);
	sup_work_run(t);
}

void sup_overlap_exited(struct sup_tree *t, struct sup_node *n, int wstatus, const char *why,
			int64_t now)
{
	struct sup_ov *ov = n->ov;
	struct sup_reason r;
	char buf[64];

	t->now = now;
	if (!ov)
		return;
	if (ov->phase == SUP_OV_RETIRING) {
		sup_emit_reply(t, ov->cookie, SUP_OK, NULL);
		ov_unlink(ov);
		return;
	}
	sup_reason_set(&r, SUP_R_START_FAILED, 0);
	if (ov->phase == SUP_OV_ABORTING) {
		snprintf(r.why, sizeof(r.why), "overlap: %s", ov->why);
	} else if (why) {
		snprintf(r.why, sizeof(r.why), "overlap: %s", why);
	} else {
		struct sup_reason e;

		sup_reason_from_status(&e, wstatus);
		sup_reason_format(&e, buf, sizeof(buf));
		snprintf(r.why, sizeof(r.why), "overlap: exited before ready (%s)", buf);
	}
	sup_emit_reply(t, ov->cookie, SUP_E_START_FAILED, &r);
	ov_unlink(ov);
}

/* The main process of n ended, or otpd stops n: an overlap not yet
 * switched fails (its new process is killed); a retiring one goes on. */
void sup_overlap_main_gone(struct sup_node *n, const char *why)
{
	if (n->ov)
		ov_abort(n->ov, why, true);
}

/* n's whole subtree is killed: so is its other process. */
void sup_overlap_kill(struct sup_node *n)
{
	if (!n->ov)
		return;
	ov_abort(n->ov, "killed", true);
	kill_other(n->ov);
}

/* n leaves the tree for good: the command is answered, the other killed. */
void sup_overlap_forget(struct sup_node *n)
{
	struct sup_ov *ov = n->ov;
	struct sup_reason r;

	if (!ov)
		return;
	kill_other(ov);
	sup_reason_set(&r, SUP_R_START_FAILED, 0);
	snprintf(r.why, sizeof(r.why), "overlap: removed");
	if (ov->phase == SUP_OV_RETIRING)
		sup_emit_reply(n->tree, ov->cookie, SUP_OK, NULL);
	else
		sup_emit_reply(n->tree, ov->cookie, SUP_E_START_FAILED, &r);
	ov_unlink(ov);
}

/* n is freed (no actions any more). */
void sup_overlap_drop(struct sup_node *n)
{
	if (n->ov)
		ov_unlink(n->ov);
}

int64_t sup_overlap_deadline(const struct sup_tree *t)
{
	int64_t d = SUP_NO_DEADLINE;

	for (const struct sup_ov *ov = t->ovs; ov; ov = ov->next)
		if (ov->deadline < d)
			d = ov->deadline;
	return d;
}

void sup_overlap_timer(struct sup_tree *t, int64_t now)
{
	for (struct sup_ov *ov = t->ovs; ov; ov = ov->next) {
		if (ov->deadline > now)
			continue;
		if (ov->phase == SUP_OV_STARTING)
			ov_abort(ov, "ready_timeout", false);
		else
			kill_other(ov);
	}
}
