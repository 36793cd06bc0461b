/*
 * upgrade_watch.c: the watch over the tree after a change (doorway.h,
 * struct watch), part of the doorway's room.  The upgrade uses it for its
 * window; upgrade --binary will use it after a re-exec.
 *
 * The watch is a doorway watcher: it sees every action of every batch and
 * notes what its workers do (a clean end, a stop otpd was asked for, a
 * new process) and fails at the first give-up or the first end of a
 * watched worker that is not clean.  At its deadline it looks at the
 * state of each watched worker.  Watchers never call into the core, so a
 * failure seen inside a batch only arms the watch's timer at once; the
 * verdict runs from the timer, in a later loop iteration, where its
 * callback may issue commands (a rollback).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "doorway.h"

/* What the watch knows of one watched worker. */
struct watch_node {
	char name[SUP_NAME_MAX + 1];
	bool ended_clean;       /* transient or temporary, ended cleanly */
	bool stopped;           /* otpd stopped it (a command, its supervisor) */
};

static struct watch *of_watcher(struct core_watcher *cw)
{
	return (struct watch *)((char *)cw - offsetof(struct watch, watcher));
}

static struct watch_node *watched(struct watch *w, const struct sup_node *n)
{
	const char *name = sup_node_name(n);

	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->nodes[i].name, name) == 0)
			return &w->nodes[i];
	return NULL;
}

int watch_add(struct watch *w, const char *name)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 8;
		struct watch_node *v = realloc(w->nodes, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		w->nodes = v;
		w->cap = cap;
	}
	memset(&w->nodes[w->n], 0, sizeof(w->nodes[0]));
	snprintf(w->nodes[w->n++].name, SUP_NAME_MAX + 1, "%s", name);
	return 0;
}

/* Say why (the first failure only), and have the timer deliver it. */
static void failing(struct watch *w, const char *child, const struct sup_reason *last,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void failing(struct watch *w, const char *child, const struct sup_reason *last,
		    const char *fmt, ...)
{
	va_list ap;

	if (w->failed)
		return;
	w->failed = true;
	snprintf(w->child, sizeof(w->child), "%s", child ? child : "");
	if (!last || last->kind == SUP_R_NONE)
		snprintf(w->last_exit, sizeof(w->last_exit), "none");
	else
		sup_reason_format(last, w->last_exit, sizeof(w->last_exit));
	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
	/* Re-arming an armed timer never needs memory. */
	(void)ev_timer_arm(&w->timer, ev_now());
}

void watch_fail(struct watch *w, const char *child, const char *last_exit, const char *why)
{
	if (!w->active || w->failed)
		return;
	failing(w, child, NULL, "%s", why);
	snprintf(w->last_exit, sizeof(w->last_exit), "%s", last_exit ? last_exit : "none");
}

static void on_gave_up(struct watch *w, const struct sup_action *a)
{
	const struct sup_spec *s = sup_node_spec(a->node);
	const char *child = a->child ? sup_node_name(a->child) : NULL;
	struct sup_reason buf;
	const struct sup_reason *last = a->child ? sup_node_last_exit(a->child, &buf) : NULL;

	if (a->held)
		failing(w, child, last, "the root supervisor %s would have given up (intensity %d "
			"in %lldms): otpd would have exited", sup_node_name(a->node), s->intensity,
			(long long)s->period_ms);
	else
		failing(w, child, last, "supervisor %s gave up (intensity %d in %lldms)",
			sup_node_name(a->node), s->intensity, (long long)s->period_ms);
}

static void on_exited(struct watch *w, const struct sup_action *a)
{
	struct watch_node *wn = watched(w, a->node);

	if (!wn)
		return;
	wn->ended_clean = false;
	wn->stopped = false;
	/* Also the start of a requested restart (reload restarts a changed
	 * worker that way), which is not counted as a crash. */
	if (a->reason.kind == SUP_R_START_FAILED) {
		failing(w, sup_node_name(a->node), &a->reason, "failed to start");
		return;
	}
	if (!a->counted) {
		wn->stopped = true;
		return;
	}
	if (sup_node_spec(a->node)->restart != SUP_PERMANENT &&
	    sup_node_exit_clean(a->node, &a->reason)) {
		wn->ended_clean = true;
		return;
	}
	failing(w, sup_node_name(a->node), &a->reason, "ended by itself during the window");
}

static void on_action(struct core_watcher *cw, const struct sup_action *a)
{
	struct watch *w = of_watcher(cw);
	struct watch_node *wn;

	if (!w->active || w->failed)
		return;
	switch (a->kind) {
	case SUP_A_GAVE_UP:
		on_gave_up(w, a);
		break;
	case SUP_A_EXITED:
		on_exited(w, a);
		break;
	case SUP_A_SPAWN:
		if ((wn = watched(w, a->node)))
			wn->ended_clean = wn->stopped = false;
		break;
	default:
		break;
	}
}

/* At the deadline: is watched worker wn where it should be?  If not, say why. */
static bool settled(struct watch *w, const struct watch_node *wn)
{
	struct sup_node *n = core_find(wn->name);
	struct sup_reason buf;
	const char *state;

	/* Out of the tree: a temporary that ended cleanly (any other end
	 * failed the watch already), or deleted on request. */
	if (!n)
		return true;
	switch (sup_node_state(n)) {
	case SUP_RUNNING:
		return true;
	case SUP_STOPPED:
		if (wn->ended_clean || wn->stopped)
			return true;
		state = "stopped";
		break;
	case SUP_STARTING: state = "still starting, not ready"; break;
	case SUP_RESTARTING: state = "restarting"; break;
	default: state = "stopping"; break;
	}
	failing(w, wn->name, sup_node_last_exit(n, &buf), "%s at the end of the window", state);
	return false;
}

/* The watch is over: forget its workers, stop its timer. */
static void over(struct watch *w)
{
	w->active = false;
	ev_timer_stop(&w->timer);
	free(w->nodes);
	w->nodes = NULL;
	w->n = w->cap = 0;
}

static void on_timer(struct ev_timer *t, int64_t now)
{
	struct watch *w = t->data;

	if (!w->active)
		return;
	for (size_t i = 0; !w->failed && now >= w->deadline && i < w->n; i++)
		(void)settled(w, &w->nodes[i]);
	if (!w->failed && now < w->deadline) {
		(void)ev_timer_arm(&w->timer, w->deadline);     /* early: not yet */
		return;
	}
	over(w);
	if (w->failed)
		w->fail(w);
	else
		w->pass(w);
}

void watch_begin(struct watch *w, int64_t within_ms)
{
	if (!w->registered) {
		w->watcher = (struct core_watcher){ .action = on_action };
		core_watch(&w->watcher);
		w->registered = true;
	}
	w->active = true;
	w->failed = false;
	w->child[0] = w->last_exit[0] = w->why[0] = '\0';
	w->deadline = ev_after(within_ms);
	w->timer.fn = on_timer;
	w->timer.data = w;
	if (ev_timer_arm(&w->timer, w->deadline) < 0)
		log_err("upgrade: out of memory for the watch's timer: the window does not end");
}

void watch_end(struct watch *w)
{
	over(w);
}
