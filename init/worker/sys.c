/*
 * sys.c: otpd's connection to a worker's mailbox for its system messages
 * (sys.h), and the doorway's watcher that drives monitors and pings from
 * the core's actions:
 *
 *   SPAWN of a worker with a wsys   a new connection, the monitors' state
 *   STATE running                   UP to its monitors; its pings begin
 *   STATE other than running        its pings end
 *   EXITED                          DOWN to its monitors; its connection
 *                                   closes, nothing more until its next spawn
 *   FORGET                          mailbox_close() drops the wsys
 *
 * A worker without monitors or ping has no wsys, and no wsys means no
 * timer and no connection: an otpd whose workers use neither does nothing
 * here but look at a null pointer per action.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../core.h"
#include "sys.h"

#define SYS_RETRY_MS 1000       /* no connection (backlog full): try again after this */

static struct wsys *all;
static struct wsys *parked;     /* dropped this loop iteration (ws_collect frees them) */
static struct core_watcher watcher;

struct wsys *wsys_first(void)
{
	return all;
}

void wsys_watch(struct wsys *s)
{
	uint32_t ev = (s->ping_out ? EPOLLIN : 0) | (s->resync ? EPOLLOUT : 0);

	if (s->fd < 0)
		return;
	if (ev == 0) {
		ev_del(&s->src);
		s->src.events = 0;
		return;
	}
	if (ev_mod(&s->src, ev) < 0)
		wsys_disconnect(s);     /* the next message connects again */
}

void wsys_disconnect(struct wsys *s)
{
	if (s->fd < 0)
		return;
	ev_del(&s->src);
	s->src.events = 0;
	close(s->fd);
	s->fd = -1;
}

/* Room for the state, or a connection at last: send it whole. */
static void sys_retry(struct ev_timer *t, int64_t now)
{
	struct wsys *s = t->data;

	if (s->live && s->resync)
		monitor_resync(s);
}

static int sys_connect(struct wsys *s)
{
	int fd = mailbox_connect(sup_node_name(s->w->node));

	if (fd < 0) {
		/* No event will say when the backlog has room: a timer will. */
		if (!s->retry_timer.armed)
			(void)ev_timer_arm(&s->retry_timer, ev_after(SYS_RETRY_MS));
		return fd;
	}
	s->fd = fd;
	s->src.fd = fd;
	s->src.events = 0;
	return 0;
}

int wsys_send(struct wsys *s, char kind, const char *text)
{
	size_t len = strlen(text);
	char buf[1 + 512];
	int r, tries;

	if (len + 1 > sizeof(buf))
		return -EMSGSIZE;
	buf[0] = kind;
	memcpy(buf + 1, text, len);
	for (tries = 0; tries < 2; tries++) {
		if (s->fd < 0 && (r = sys_connect(s)) < 0)
			return r;
		r = mailbox_send(s->fd, buf, len + 1);
		if (r == 0 || r == -EAGAIN)
			return r;
		/* The process that took the connection closed it (an older
		 * library drops kinds it does not know): once more, anew. */
		wsys_disconnect(s);
		ping_closed(s);
	}
	return r;
}

static void sys_event(struct ev_source *src, uint32_t revents)
{
	struct wsys *s = src->data;

	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
		ping_readable(s);       /* reads the answer, or closes at EOF */
	if (s->fd >= 0 && (revents & EPOLLOUT) && s->resync)
		monitor_resync(s);
	if (s->fd >= 0 && (revents & (EPOLLHUP | EPOLLERR)) && !(revents & EPOLLIN)) {
		wsys_disconnect(s);
		ping_closed(s);
	}
}

static bool sys_wanted(const struct ws *w)
{
	const struct cfg_worker *c = &w->cfg->w;

	return c->mailbox && (c->n_monitors > 0 || c->ping_ms > 0);
}

static struct wsys *sys_new(struct ws *w, bool live)
{
	struct wsys *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->w = w;
	s->fd = -1;
	s->live = live;
	s->src = (struct ev_source){ .fd = -1, .fn = sys_event, .data = s };
	s->ping_timer.data = s;
	s->retry_timer.fn = sys_retry;
	s->retry_timer.data = s;
	s->next = all;
	all = s;
	w->sys = s;
	return s;
}

void wsys_drop(struct ws *w)
{
	struct wsys *s = w->sys, **p;

	if (!s)
		return;
	for (p = &all; *p != s; p = &(*p)->next)
		;
	*p = s->next;
	ev_timer_stop(&s->ping_timer);
	ev_timer_stop(&s->retry_timer);
	wsys_disconnect(s);
	free(s->mon);
	s->mon = NULL;
	/* An event of this loop iteration may still name its source. */
	s->src.fn = NULL;
	s->next = parked;
	parked = s;
	w->sys = NULL;
}

void wsys_collect(void)
{
	while (parked) {
		struct wsys *nx = parked->next;

		free(parked);
		parked = nx;
	}
}

/* Follow w's config; a new wsys is `live` (its process runs) or not. */
static int sys_follow(struct ws *w, bool live)
{
	struct wsys *s = w->sys;
	int r;

	if (!sys_wanted(w)) {
		wsys_drop(w);
		return 0;
	}
	if (!s && !(s = sys_new(w, live)))
		return -ENOMEM;
	r = monitor_follow(s);
	if (sup_node_state(w->node) == SUP_RUNNING)
		ping_running(s);
	return r;
}

int wsys_follow(struct ws *w)
{
	/* A reload: a process that runs is told at once what it monitors now. */
	return sys_follow(w, w->pid > 0);
}

int64_t wsys_lost(const struct ws *w)
{
	if (!w->cfg || w->cfg->w.n_monitors == 0)
		return -1;
	return w->sys ? (int64_t)w->sys->lost : 0;
}

/* A new process of w: a new connection, told the state of what it monitors. */
static void sys_spawned(struct ws *w)
{
	struct wsys *s = w->sys;

	if (s) {
		/* What the last process left unread is lost with it. */
		wsys_disconnect(s);
		ping_stop(s);
		s->live = false;
	}
	if (sys_follow(w, false) < 0)
		log_warn("%s: monitors and ping: out of memory", sup_node_name(w->node));
	if (!(s = w->sys))
		return;
	s->live = true;
	s->resync = false;
	monitor_spawned(s);
}

/* w's process is gone: nothing more for it until its next spawn. */
static void sys_exited(struct ws *w)
{
	struct wsys *s = w->sys;

	if (!s)
		return;
	s->live = false;
	s->resync = false;
	ping_stop(s);
	ev_timer_stop(&s->retry_timer);
	wsys_disconnect(s);
}

static void sys_action(struct core_watcher *wt, const struct sup_action *a)
{
	struct ws *w = a->node && sup_node_type(a->node) == SUP_WORKER ? sup_node_shell(a->node)
								      : NULL;

	switch (a->kind) {
	case SUP_A_SPAWN:
		if (w && w->pid > 0)
			sys_spawned(w);
		break;
	case SUP_A_STATE:
		if (a->state == SUP_RUNNING)
			monitor_up(a->node);
		if (w && w->sys && a->state == SUP_RUNNING)
			ping_running(w->sys);
		else if (w && w->sys)
			ping_stop(w->sys);
		break;
	case SUP_A_EXITED:
		monitor_down(a->node, &a->reason);
		if (w)
			sys_exited(w);
		break;
	default:
		break;
	}
}

void wsys_init(void)
{
	watcher.action = sys_action;
	core_watch(&watcher);
}

/* --- re-execution (save.c) ------------------------------------------------ */

enum { SY_FD = 1, SY_LIVE, SY_RESYNC, SY_PING_OUT, SY_LOST, SY_PING_LEFT, SY_RETRY_LEFT, SY_MON };
enum { SM_NAME = 1, SM_KNOWN, SM_UP, SM_PID };

/* A timer's time left (-1: not armed); it resumes with it after the exec. */
static int64_t timer_left(const struct ev_timer *t)
{
	int64_t left = t->at - ev_now();

	return !t->armed ? -1 : left < 0 ? 0 : left;
}

void wsys_save(const struct ws *w, struct st_buf *b)
{
	const struct wsys *s = w->sys;

	st_put_fd(b, SY_FD, s->fd);
	st_put_u64(b, SY_LIVE, s->live);
	st_put_u64(b, SY_RESYNC, s->resync);
	st_put_u64(b, SY_PING_OUT, s->ping_out);
	st_put_u64(b, SY_LOST, s->lost);
	st_put_i64(b, SY_PING_LEFT, timer_left(&s->ping_timer));
	st_put_i64(b, SY_RETRY_LEFT, timer_left(&s->retry_timer));
	for (size_t i = 0; i < s->n_mon; i++) {
		size_t at = st_open(b, SY_MON);

		st_put_str(b, SM_NAME, s->mon[i].name);
		st_put_u64(b, SM_KNOWN, s->mon[i].known);
		st_put_u64(b, SM_UP, s->mon[i].up);
		st_put_i64(b, SM_PID, s->mon[i].pid);
		st_close(b, at);
	}
}

/* What the process was told of each node it monitors, by name. */
static void mon_back(struct wsys *s, const struct st_rd *r)
{
	struct st_rd it = *r, v;
	unsigned tag;

	while (st_next(&it, &tag, &v) == 1) {
		char name[SUP_NAME_MAX + 1];

		if (tag != SY_MON || !st_str(&v, SM_NAME, name, sizeof(name)))
			continue;
		for (size_t i = 0; i < s->n_mon; i++) {
			if (strcmp(s->mon[i].name, name) != 0)
				continue;
			s->mon[i].known = st_flag(&v, SM_KNOWN);
			s->mon[i].up = st_flag(&v, SM_UP);
			(void)st_int(&v, SM_PID, &s->mon[i].pid);
		}
	}
}

static void timer_back(struct ev_timer *t, int64_t left)
{
	if (left >= 0)
		(void)ev_timer_arm(t, ev_after(left));
}

int wsys_restore(struct ws *w, const struct st_rd *r, bool dry)
{
	struct wsys *s;
	int64_t ping_left = -1, retry_left = -1;
	int fd = -1;

	if (!st_fd(r, SY_FD, &fd))
		return -EBADMSG;
	if (dry)
		return 0;
	if (!sys_wanted(w)) {
		/* The configuration as loaded has none (cannot happen: the same
		 * configuration), so the connection is not needed. */
		if (fd >= 0)
			close(fd);
		return 0;
	}
	if (!w->sys && !sys_new(w, false))
		return -ENOMEM;
	s = w->sys;
	if (monitor_follow(s) < 0)
		return -ENOMEM;
	mon_back(s, r);
	s->live = st_flag(r, SY_LIVE);
	s->resync = st_flag(r, SY_RESYNC);
	s->ping_out = st_flag(r, SY_PING_OUT);
	(void)st_u64(r, SY_LOST, &s->lost);
	(void)st_i64(r, SY_PING_LEFT, &ping_left);
	(void)st_i64(r, SY_RETRY_LEFT, &retry_left);
	if (fd >= 0) {
		s->fd = fd;
		s->src.fd = fd;
		s->src.events = 0;
		wsys_watch(s);
	}
	ping_resume(s, ping_left);
	timer_back(&s->retry_timer, retry_left);
	return 0;
}
