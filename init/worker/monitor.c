/*
 * monitor.c: `monitors = NAME...` (otp.conf(5)): OTP's erlang:monitor/2
 * for the nodes of the tree.
 *
 * The monitoring worker gets a system cast "DOWN NAME PID REASON" when
 * NAME stops running (its process ended: REASON as otpctl status shows
 * it), and "UP NAME PID" when NAME is running again.  Each of its
 * processes is first told the state of every node it monitors (UP, or
 * DOWN with the node's last exit, "noproc" when it never ran or is not in
 * the tree), so it never has to ask; from then on only changes come, UP
 * and DOWN in turn for each node.  A reload that adds a name tells the
 * running process that node's state at once.
 *
 * A message the socket does not take is lost and counted
 * (otpd_worker_monitor_lost_total); what follows is dropped too, until
 * there is room: then the whole state is sent again, so the worker's view
 * is right again, without the changes in between.  Nothing is sent while
 * the monitoring worker's process is not running (nothing is queued for
 * the next one, which is told the state at its start).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core.h"
#include "sys.h"

#define MON_TEXT_MAX 512

/* The pid a node runs as now (0: a supervisor, or none). */
static pid_t mon_pid(const struct sup_node *n)
{
	const struct ws *w = sup_node_type(n) == SUP_WORKER ? sup_node_shell((struct sup_node *)n)
							    : NULL;

	return w ? w->pid : 0;
}

/* The pid of the process whose end `why` is (0: none, or a start that made none). */
static pid_t mon_last_pid(const struct sup_node *n, const struct sup_reason *why)
{
	const struct ws *w = sup_node_type(n) == SUP_WORKER ? sup_node_shell((struct sup_node *)n)
							    : NULL;

	return w && why->kind != SUP_R_START_FAILED ? w->last_pid : 0;
}

static struct wmon *mon_find(struct wsys *s, const char *name)
{
	for (size_t i = 0; i < s->n_mon; i++)
		if (strcmp(s->mon[i].name, name) == 0)
			return &s->mon[i];
	return NULL;
}

/* Send one cast to s's process and remember what it was told; a loss is counted. */
static void mon_send(struct wsys *s, struct wmon *m, const char *text, bool up, pid_t pid)
{
	if (!s->live)
		return;
	if (s->resync || wsys_send(s, WSYS_CAST, text) < 0) {
		s->lost++;
		s->resync = true;       /* the state goes whole once there is room */
		wsys_watch(s);
		return;
	}
	m->known = true;
	m->up = up;
	m->pid = pid;
}

static void mon_send_up(struct wsys *s, struct wmon *m, pid_t pid)
{
	char text[MON_TEXT_MAX];

	snprintf(text, sizeof(text), "UP %s %d", m->name, (int)pid);
	mon_send(s, m, text, true, pid);
}

static void mon_send_down(struct wsys *s, struct wmon *m, pid_t pid, const char *why)
{
	char text[MON_TEXT_MAX];

	snprintf(text, sizeof(text), "DOWN %s %d %s", m->name, (int)pid, why);
	mon_send(s, m, text, false, 0);
}

/* Tell s's process the state of m's node as it is now. */
static void mon_tell(struct wsys *s, struct wmon *m)
{
	struct sup_node *n = core_find(m->name);
	struct sup_reason buf;
	const struct sup_reason *last = n ? sup_node_last_exit(n, &buf) : NULL;
	char why[200] = "noproc";

	if (n && sup_node_state(n) == SUP_RUNNING) {
		mon_send_up(s, m, mon_pid(n));
		return;
	}
	if (last && last->kind != SUP_R_NONE)
		sup_reason_format(last, why, sizeof(why));
	mon_send_down(s, m, n && last ? mon_last_pid(n, last) : 0, why);
}

/* Tell the state of every node not told yet; stops at a loss. */
static void mon_tell_unknown(struct wsys *s)
{
	for (size_t i = 0; i < s->n_mon && s->live && !s->resync; i++)
		if (!s->mon[i].known)
			mon_tell(s, &s->mon[i]);
}

int monitor_follow(struct wsys *s)
{
	const struct cfg_worker *c = &s->w->cfg->w;
	size_t n = (size_t)c->n_monitors;
	struct wmon *v = NULL, *old;

	if (n > 0 && !(v = calloc(n, sizeof(*v))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		snprintf(v[i].name, sizeof(v[i].name), "%s", c->monitors[i]);
		if ((old = mon_find(s, v[i].name)))
			v[i] = *old;
	}
	free(s->mon);
	s->mon = v;
	s->n_mon = n;
	mon_tell_unknown(s);    /* names the reload added */
	return 0;
}

void monitor_spawned(struct wsys *s)
{
	for (size_t i = 0; i < s->n_mon; i++)
		s->mon[i].known = false;
	mon_tell_unknown(s);
}

void monitor_resync(struct wsys *s)
{
	s->resync = false;
	wsys_watch(s);
	monitor_spawned(s);
}

void monitor_up(struct sup_node *n)
{
	const char *name = sup_node_name(n);
	pid_t pid = mon_pid(n);
	struct wmon *m;

	for (struct wsys *s = wsys_first(); s; s = s->next) {
		if (!s->live || !(m = mon_find(s, name)))
			continue;
		if (!(m->known && m->up && m->pid == pid))
			mon_send_up(s, m, pid);
	}
}

void monitor_down(struct sup_node *n, const struct sup_reason *why)
{
	const char *name = sup_node_name(n);
	char text[200];
	struct wmon *m;

	sup_reason_format(why, text, sizeof(text));
	for (struct wsys *s = wsys_first(); s; s = s->next) {
		if (!s->live || !(m = mon_find(s, name)))
			continue;
		if (!m->known || m->up)
			mon_send_down(s, m, mon_last_pid(n, why), text);
	}
}
