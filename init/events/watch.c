/*
 * watch.c: the doorway's watcher that turns what the core does into
 * events (events.h).
 *
 *   SPAWN (carried out, pid known)  -> started
 *   STATE running                   -> ready
 *   EXITED counted / not counted    -> exited / stopped (+ crash report)
 *   RESTART                         -> restarting
 *   GAVE_UP                         -> gave_up, then escalated (not at the root)
 *   shown (freeze, thaw)            -> frozen / thawed
 *   notes (reload)                  -> reloaded / reload_failed
 *   notes (upgrade)                 -> upgrade_started, upgraded, upgrade_failed,
 *                                      rolled_back, rollback_failed
 *
 * A crash report is the last EVENT_REPORT_LINES lines of the worker's
 * ring, each cut at EVENT_REPORT_LINE_MAX bytes: the doorway settles the
 * worker's output pipes before it tells the core of an exit, so the
 * lines a dying process wrote are in the ring by now.
 */
#include <stdlib.h>
#include <string.h>

#include "../cgroup/cgroup.h"
#include "../core.h"
#include "../worker/worker.h"
#include "events.h"

static struct core_watcher watcher;

/* The node's own fields of an event. */
static void ev_node(struct event *e, enum event_kind kind, const struct sup_node *n)
{
	const struct sup_node *p = sup_node_parent(n);

	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->worker = sup_node_type(n) == SUP_WORKER;
	e->name = sup_node_name(n);
	e->supervisor = p ? sup_node_name(p) : "";
}

/*
 * Collecting the last lines one process wrote (a ring holds the lines of
 * the processes before it too): a window of the last EVENT_REPORT_LINES
 * seen, oldest dropped as newer ones come.
 */
struct report {
	pid_t pid;
	char *lines[EVENT_REPORT_LINES];
	size_t n, first;
};

static void report_line(void *data, const struct log_entry *e)
{
	struct report *r = data;
	size_t len = e->len > EVENT_REPORT_LINE_MAX ? EVENT_REPORT_LINE_MAX : e->len;
	char *s;

	if (e->pid != r->pid || e->stream == OUT_START || !(s = malloc(len + 1)))
		return;
	memcpy(s, e->line, len);
	s[len] = '\0';
	if (r->n < EVENT_REPORT_LINES) {
		r->lines[r->n++] = s;
		return;
	}
	free(r->lines[r->first]);
	r->lines[r->first] = s;
	r->first = (r->first + 1) % EVENT_REPORT_LINES;
}

/* The window in order, oldest first, into out[]. */
static void report_order(const struct report *r, char **out)
{
	for (size_t i = 0; i < r->n; i++)
		out[i] = r->lines[(r->first + i) % r->n];
}

/* An end is worth a report unless it was clean or asked for. */
static bool abnormal(const struct sup_reason *r)
{
	return r->kind != SUP_R_NONE && r->kind != SUP_R_NORMAL && r->kind != SUP_R_SHUTDOWN;
}

static void on_exited(const struct sup_action *a)
{
	struct ws *w = sup_node_type(a->node) == SUP_WORKER ? sup_node_shell(a->node) : NULL;
	struct report rep = { .n = 0 };
	char *lines[EVENT_REPORT_LINES];
	char why[200];
	struct event e;

	ev_node(&e, a->counted ? EVENT_EXITED : EVENT_STOPPED, a->node);
	sup_reason_format(&a->reason, why, sizeof(why));
	e.reason = why;
	if (w && a->reason.kind != SUP_R_START_FAILED)
		e.pid = w->last_pid;
	if (w && w->last_pid > 0 && abnormal(&a->reason)) {
		rep.pid = w->last_pid;
		log_ring_each(ws_ring(w), 0, false, report_line, &rep);
	}
	report_order(&rep, lines);
	e.n_lines = rep.n;
	e.lines = (const char *const *)lines;
	(void)events_record(&e);
	for (size_t i = 0; i < rep.n; i++)
		free(rep.lines[i]);
}

static void on_gave_up(const struct sup_action *a)
{
	const struct sup_spec *s = sup_node_spec(a->node);
	const struct sup_node *p = sup_node_parent(a->node);
	struct event e;

	events_gave_up_add(sup_node_name(a->node));
	ev_node(&e, EVENT_GAVE_UP, a->node);
	e.other = a->child ? sup_node_name(a->child) : "";
	e.intensity = s->intensity;
	e.period_ms = s->period_ms;
	(void)events_record(&e);
	if (!p)
		return;         /* the root: otpd exits (otpd(8)) */
	ev_node(&e, EVENT_ESCALATED, a->node);
	e.other = sup_node_name(p);
	(void)events_record(&e);
}

static void on_action(struct core_watcher *wt, const struct sup_action *a)
{
	struct ws *w;
	struct event e;

	switch (a->kind) {
	case SUP_A_SPAWN:
		w = sup_node_shell(a->node);
		if (!w || w->pid <= 0)
			return;         /* failed: its exited (start_failed) follows */
		ev_node(&e, EVENT_STARTED, a->node);
		e.pid = w->pid;
		break;
	case SUP_A_STATE:
		if (a->state != SUP_RUNNING)
			return;
		ev_node(&e, EVENT_READY, a->node);
		break;
	case SUP_A_EXITED:
		on_exited(a);
		return;
	case SUP_A_RESTART:
		ev_node(&e, EVENT_RESTARTING, a->node);
		e.delay_ms = sup_node_spec(a->node)->restart_delay_ms;
		e.restarts = sup_node_restarts(a->node);
		break;
	case SUP_A_GAVE_UP:
		on_gave_up(a);
		return;
	default:
		return;
	}
	(void)events_record(&e);
}

static void on_shown(struct core_watcher *wt, struct sup_node *n)
{
	struct event e;

	ev_node(&e, cgroup_frozen_by(n) ? EVENT_FROZEN : EVENT_THAWED, n);
	(void)events_record(&e);
}

static void on_note(struct core_watcher *wt, const struct core_note_info *n)
{
	static const enum event_kind kinds[] = {
		[CORE_NOTE_RELOADED] = EVENT_RELOADED,
		[CORE_NOTE_RELOAD_FAILED] = EVENT_RELOAD_FAILED,
		[CORE_NOTE_UPGRADE_STARTED] = EVENT_UPGRADE_STARTED,
		[CORE_NOTE_UPGRADED] = EVENT_UPGRADED,
		[CORE_NOTE_UPGRADE_FAILED] = EVENT_UPGRADE_FAILED,
		[CORE_NOTE_ROLLED_BACK] = EVENT_ROLLED_BACK,
		[CORE_NOTE_ROLLBACK_FAILED] = EVENT_ROLLBACK_FAILED,
	};
	struct event e = { .kind = kinds[n->what], .name = "", .supervisor = "" };

	switch (n->what) {
	case CORE_NOTE_RELOAD_FAILED:
		e.reason = n->detail;
		break;
	case CORE_NOTE_ROLLED_BACK:
	case CORE_NOTE_ROLLBACK_FAILED:
		e.other = n->child;
		e.reason = n->last_exit;
		e.detail = n->detail;
		break;
	default:
		e.reason = n->config;
		e.delay_ms = n->within_ms;
		e.detail = n->detail;
		break;
	}
	(void)events_record(&e);
}

int events_init(void)
{
	watcher = (struct core_watcher){ .action = on_action, .shown = on_shown, .note = on_note };
	core_watch(&watcher);
	return 0;
}

void events_fini(void)
{
	events_ring_free();
}
