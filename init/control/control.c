/*
 * control.c: the control socket: listening, accepting, checking peers,
 * and the life of each client until its IPC_END is flushed.
 *
 * Clients live in a fixed table of CTL_CLIENTS_MAX slots, so the number of
 * clients and the memory they hold are bounded.  The table (78 KiB) is
 * mapped when the socket is taken, not static: in .bss it spread
 * otpd's small globals over more pages (issue 19: base memory); its
 * untouched slots cost nothing either way.  A slot's ev_source stays
 * valid memory after the client is freed; a stale event for a reused slot
 * is harmless because no handler trusts the event bits: it reads or
 * flushes, and the connection itself says whether anything happened.
 *
 * Phases of a client:
 *   READING   until its request is in (deadline CTL_REQUEST_MS)
 *   DISPATCH  while its verb runs; the verb moves it on
 *   CMD       a core command is pending: the client is its requester
 *   WAIT      `otpctl wait`: re-checked on every state change (deadline)
 *   LOGS      `otpctl logs -f`: subscribed to a worker's ring
 *   EVENTS    `otpctl events`: a cursor into the ring of events (below)
 *   FLUSHING  IPC_END queued; freed once flushed (deadline CTL_FLUSH_MS)
 * A client that goes away early is freed at once, and cancels its request:
 * the core's reply, when it comes, goes nowhere.  Each phase's deadline is
 * the client's timer in the loop.
 *
 * With --json anywhere in the request (before a "--"), every reply is one
 * JSON object on the client's stdout, {"ok":true,...} or
 * {"ok":false,"error":ATOM,"message":TEXT}, with the same exit codes; the
 * streams (events, logs -f) are one JSON value per line.
 *
 * An events follower holds no queue of its own: it holds the number of
 * the next event it is to get, and is fed from the ring of events while
 * its connection has less than CTL_EVENTS_QUEUE bytes queued, when an
 * event comes and when its socket drains.  A reader too slow for the ring
 * is told how many events it missed (and they are counted), and otpd
 * never waits for it; an idle follower costs no wake-up.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/base.h"
#include "../core.h"
#include "../events/events.h"
#include "../worker/worker.h"
#include "client.h"
#include "json.h"

#define CTL_CLIENTS_MAX 256
#define CTL_BACKLOG 256
#define CTL_OUT_TOTAL (64u << 20)       /* output queued for all clients */
#define CTL_REQUEST_MS 5000
#define CTL_FLUSH_MS 30000
#define CTL_ACCEPT_BACKOFF_MS 100
#define CTL_EVENTS_QUEUE (64 * 1024)    /* an events follower is fed up to this */

enum ctl_phase { CTL_FREE, CTL_READING, CTL_DISPATCH, CTL_CMD, CTL_WAIT, CTL_LOGS, CTL_EVENTS,
		 CTL_FLUSHING };

struct ctl_client {
	struct ipc_conn *conn;
	struct ev_source src;
	struct ev_timer timer;          /* the deadline of the current phase */
	struct core_talk talk;          /* CMD: waiting for the core's reply (reload: and its lines) */
	enum ctl_phase phase;
	bool allowed;
	uint64_t gen;                   /* unique per client; log subscriptions carry it */
	bool print_node;                /* CMD: start-child prints the new name */
	bool say_ok;                    /* WAIT: print "ok" when reached (freeze) */
	char name[SUP_NAME_MAX + 1];    /* CMD, WAIT, LOGS */
	char state[16];                 /* WAIT */
	struct log_ring *ring;          /* LOGS */
	int sub;
	uint64_t dropped;               /* LOGS: lines lost to a full queue */
	bool json;                      /* --json: replies are JSON (LOGS -f: a string a line) */
	bool ev_follow;                 /* EVENTS: go on after the last event */
	uint64_t ev_next;               /* EVENTS: the next event it gets */
	struct jbuf said;               /* CMD of reload --json: its lines, as JSON strings */
	enum logs_fmt fmt;              /* LOGS */
};

static struct {
	int fd;
	char *path;
	struct ev_source src;
	struct ev_timer accept_resume;  /* armed while accepting is paused */
	struct core_watcher watcher;
	struct events_listener listener;
	gid_t gid;
	bool has_gid;
	uint64_t next_gen;
	size_t n_clients;               /* slots in use */
	size_t n_slots;                 /* 0 until ctl_take, then CTL_CLIENTS_MAX */
	struct ctl_client *clients;
} ctl;  /* .bss: control_init() sets fd */

static void ctl_client_sync(struct ctl_client *cl);
static void ctl_client_expire(struct ev_timer *t, int64_t now);
static void ctl_accept_resume(struct ev_timer *t, int64_t now);
static void ctl_out_bound(struct ctl_client *keep);
static void ctl_watch_action(struct core_watcher *w, const struct sup_action *a);
static void ctl_watch_shown(struct core_watcher *w, struct sup_node *n);
static void ctl_events_heard(struct events_listener *l, const struct event *e);

/* The current phase ends at `at` (INT64_MAX: no deadline). */
static void ctl_client_deadline(struct ctl_client *cl, int64_t at)
{
	/* Out of memory for the timer: the client has no deadline, say so. */
	if (ev_timer_arm(&cl->timer, at) < 0)
		log_warn("control: no room for a client's deadline, ignoring");
}

struct ipc_conn *ctl_client_conn(struct ctl_client *cl)
{
	return cl->conn;
}

/* Drop a logs -f subscription, if the ring is still the node's own. */
static void ctl_client_unfollow(struct ctl_client *cl)
{
	struct sup_node *n;
	struct ws *w;

	if (!cl->ring)
		return;
	/* A dynamic child's ring dies with its node: never touch a stale one. */
	n = core_find(cl->name);
	w = n && sup_node_type(n) == SUP_WORKER ? sup_node_shell(n) : NULL;
	if (w && ws_ring(w) == cl->ring)
		log_ring_unsubscribe(cl->ring, cl->sub);
	cl->ring = NULL;
	cl->sub = 0;
}

static void ctl_client_free(struct ctl_client *cl)
{
	ctl_client_unfollow(cl);
	core_req_cancel(&cl->talk.req);
	ev_timer_stop(&cl->timer);
	ev_del(&cl->src);
	ipc_conn_free(cl->conn);
	jbuf_free(&cl->said);
	*cl = (struct ctl_client){ .phase = CTL_FREE };
	/* The last client gone: what its replies took (a status of thousands
	 * of workers) goes back to the system, not kept by malloc. */
	if (--ctl.n_clients == 0)
		(void)malloc_trim(0);
}

void ctl_client_end(struct ctl_client *cl, int code)
{
	if (cl->phase == CTL_FREE || cl->phase == CTL_FLUSHING)
		return;
	ctl_client_unfollow(cl);
	if (ipc_conn_end(cl->conn, code) < 0) {
		ctl_client_free(cl);
		return;
	}
	cl->phase = CTL_FLUSHING;
	ctl_client_deadline(cl, ev_after(CTL_FLUSH_MS));
	ctl_client_sync(cl);
}

bool ctl_client_json(const struct ctl_client *cl)
{
	return cl->json;
}

/* Queue a JSON document built in b (and free b); 0 or -errno. */
int ctl_client_doc(struct ctl_client *cl, struct jbuf *b)
{
	int r;

	jbuf_puts(b, "\n");
	r = b->failed ? -ENOMEM : ipc_conn_out(cl->conn, IPC_OUT, b->p, b->len);
	jbuf_free(b);
	return r;
}

/* The lines a reload said, as a "lines" member (reload --json). */
static void ctl_client_said(struct ctl_client *cl, struct jbuf *b)
{
	if (!cl->said.len)
		return;
	json_key(b, "lines");
	json_arr_begin(b);
	jbuf_putn(b, cl->said.p, cl->said.len);
	json_arr_end(b);
}

void ctl_client_fail(struct ctl_client *cl, int code, const char *error, const char *fmt, ...)
{
	struct jbuf b = { 0 };
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	if (cl->json) {
		json_error(&b, error, msg);
		ctl_client_said(cl, &b);
		json_obj_end(&b);
		(void)ctl_client_doc(cl, &b);
	} else {
		(void)ipc_conn_printf(cl->conn, IPC_ERR, "otpctl: %s\n", msg);
	}
	ctl_client_end(cl, code);
}

void ctl_client_ok(struct ctl_client *cl, const char *name, bool say_ok)
{
	struct jbuf b = { 0 };

	if (cl->json) {
		json_ok(&b);
		if (name) {
			json_key(&b, "name");
			json_str(&b, name);
		}
		ctl_client_said(cl, &b);
		json_obj_end(&b);
		(void)ctl_client_doc(cl, &b);
	} else if (name) {
		(void)ipc_conn_printf(cl->conn, IPC_OUT, "%s\n", name);
	} else if (say_ok) {
		(void)ipc_conn_printf(cl->conn, IPC_OUT, "ok\n");
	}
	ctl_client_end(cl, IPC_EXIT_OK);
}

static void ctl_reply_send(struct ctl_client *cl, const struct sup_action *a);

/* The core's reply to this client's command. */
static void ctl_client_replied(struct core_req *r, const struct sup_action *a)
{
	struct ctl_client *cl = (struct ctl_client *)((char *)r - offsetof(struct ctl_client, talk.req));

	if (cl->phase != CTL_CMD)
		return;
	/* A reload said what went wrong as it went (--json: in its lines). */
	if (cl->talk.say && a->result != SUP_OK && !cl->json)
		ctl_client_end(cl, IPC_EXIT_REFUSED);
	else
		ctl_reply_send(cl, a);
}

/* Reload's lines, as it goes. */
static void ctl_client_hears(struct core_talk *t, bool err, const char *line)
{
	struct ctl_client *cl = (struct ctl_client *)((char *)t - offsetof(struct ctl_client, talk));

	if (cl->json)
		json_str(&cl->said, line);
	else if (err)
		(void)ipc_conn_printf(cl->conn, IPC_ERR, "otpctl: %s: %s\n", cl->name, line);
	else
		(void)ipc_conn_printf(cl->conn, IPC_OUT, "%s\n", line);
}

struct core_req *ctl_client_await_reply(struct ctl_client *cl, const char *name, bool print_node)
{
	cl->phase = CTL_CMD;
	cl->print_node = print_node;
	snprintf(cl->name, sizeof(cl->name), "%s", name);
	ev_timer_stop(&cl->timer);
	cl->talk.req.done = ctl_client_replied;
	cl->talk.say = NULL;
	cl->talk.verdict = NULL;
	return &cl->talk.req;
}

struct core_talk *ctl_client_await_talk(struct ctl_client *cl, const char *verb)
{
	ctl_client_await_reply(cl, verb, false);
	cl->talk.say = ctl_client_hears;
	return &cl->talk;
}

/* An upgrade's verdict (otpctl(1) UPGRADE): exit 0 upgraded, 1 refused or
 * rolled back, IPC_EXIT_ROLLBACK_FAILED when the rollback failed. */
static void ctl_client_verdict(struct core_talk *t, const struct core_verdict *v)
{
	struct ctl_client *cl = (struct ctl_client *)((char *)t - offsetof(struct ctl_client, talk));
	int code = v->outcome == CORE_ROLLBACK_FAILED ? IPC_EXIT_ROLLBACK_FAILED : IPC_EXIT_REFUSED;
	struct jbuf b = { 0 };

	if (cl->phase != CTL_CMD)
		return;
	if (v->outcome == CORE_UPGRADED) {
		ctl_client_ok(cl, NULL, true);
		return;
	}
	if (!cl->json) {
		(void)ipc_conn_printf(cl->conn, IPC_ERR, "otpctl: upgrade: %s\n", v->message);
		ctl_client_end(cl, code);
		return;
	}
	json_error(&b, v->error, v->message);
	if (v->outcome == CORE_ROLLED_BACK || v->outcome == CORE_ROLLBACK_FAILED) {
		json_kv_str(&b, "child", v->child);
		json_kv_str(&b, "last_exit", v->last_exit);
		json_kv_bool(&b, "rolled_back", v->outcome == CORE_ROLLED_BACK);
	}
	ctl_client_said(cl, &b);
	json_obj_end(&b);
	(void)ctl_client_doc(cl, &b);
	ctl_client_end(cl, code);
}

struct core_talk *ctl_client_await_upgrade(struct ctl_client *cl)
{
	struct core_talk *t = ctl_client_await_talk(cl, "upgrade");

	t->verdict = ctl_client_verdict;
	return t;
}

struct core_talk *ctl_client_await_reload(struct ctl_client *cl)
{
	return ctl_client_await_talk(cl, "reload");
}

void ctl_client_await_state(struct ctl_client *cl, const char *name, const char *state,
			    int64_t deadline, bool say_ok)
{
	cl->phase = CTL_WAIT;
	cl->say_ok = say_ok;
	snprintf(cl->name, sizeof(cl->name), "%s", name);
	snprintf(cl->state, sizeof(cl->state), "%s", state);
	ctl_client_deadline(cl, deadline);
}

int ctl_client_entry(struct ctl_client *cl, const char *name, const struct log_entry *e,
		     enum logs_fmt fmt, bool follow)
{
	struct jbuf b = { 0 };
	bool to_err = fmt == LOGS_PLAIN && e->stream == OUT_START;
	int r;

	if (to_err && !follow)
		return 0;
	/* One frame per entry keeps lines whole (rings cut them at OUT_LINE_MAX). */
	logs_entry_render(&b, name, e, fmt);
	r = b.failed ? -ENOMEM : ipc_conn_out(cl->conn, to_err ? IPC_ERR : IPC_OUT, b.p, b.len);
	jbuf_free(&b);
	return r;
}

/* Tell a follower how many lines it lost, once there is room again. */
static void ctl_client_drop_marker(struct ctl_client *cl)
{
	if (cl->dropped == 0)
		return;
	if (ipc_conn_printf(cl->conn, IPC_ERR, "otpctl: %llu lines dropped (reader too slow)\n",
			    (unsigned long long)cl->dropped) == 0)
		cl->dropped = 0;
}

static struct ctl_client *ctl_client_by_gen(uint64_t gen)
{
	for (size_t i = 0; i < ctl.n_slots; i++)
		if (ctl.clients[i].phase != CTL_FREE && ctl.clients[i].gen == gen)
			return &ctl.clients[i];
	return NULL;
}

/* A new entry in a followed ring; `data` is the subscriber's generation. */
static void ctl_follow_line(void *data, const struct log_entry *e)
{
	struct ctl_client *cl = ctl_client_by_gen((uint64_t)(uintptr_t)data);

	if (!cl || cl->phase != CTL_LOGS || !e)
		return;
	ctl_client_drop_marker(cl);
	if (cl->dropped > 0 || ctl_client_entry(cl, cl->name, e, cl->fmt, true) < 0)
		cl->dropped++;
	ctl_client_sync(cl);
}

int ctl_client_follow(struct ctl_client *cl, struct log_ring *ring, const char *name,
		      enum logs_fmt fmt)
{
	int id = log_ring_subscribe(ring, ctl_follow_line, (void *)(uintptr_t)cl->gen);

	if (id < 0)
		return id;
	cl->phase = CTL_LOGS;
	cl->fmt = fmt;
	cl->ring = ring;
	cl->sub = id;
	snprintf(cl->name, sizeof(cl->name), "%s", name);
	ev_timer_stop(&cl->timer);
	return 0;
}

/* Queue what b holds (then empty it) on the client's stdout, or stderr. */
static int ctl_client_queue(struct ctl_client *cl, struct jbuf *b, enum ipc_type type)
{
	int r = b->failed ? -ENOMEM : ipc_conn_out(cl->conn, type, b->p, b->len);

	jbuf_free(b);
	return r;
}

/*
 * Feed an events follower from the ring while its queue has room: first
 * what it missed, if the ring wrapped over its place, then the events.
 * Without --follow it ends after the last event.
 */
static void ctl_events_feed(struct ctl_client *cl)
{
	uint64_t first = events_first(), next = events_next();
	struct jbuf b = { 0 };

	if (cl->ev_next < first) {
		event_render_missed(&b, cl->ev_next, first - 1, cl->json);
		if (ctl_client_queue(cl, &b, cl->json ? IPC_OUT : IPC_ERR) < 0)
			return;         /* no room: when it drains */
		events_dropped_add(first - cl->ev_next);
		cl->ev_next = first;
	}
	while (cl->ev_next < next && ipc_conn_queued(cl->conn) < CTL_EVENTS_QUEUE) {
		struct event e;

		if (events_get(cl->ev_next, &e))
			event_render(&b, &e, cl->json);
		if (ctl_client_queue(cl, &b, IPC_OUT) < 0)
			return;
		cl->ev_next++;
	}
	if (!cl->ev_follow && cl->ev_next >= next)
		ctl_client_end(cl, IPC_EXIT_OK);
}

int ctl_client_events(struct ctl_client *cl, bool has_since, uint64_t since, bool follow)
{
	uint64_t next = events_next();
	struct jbuf b = { 0 };

	cl->phase = CTL_EVENTS;
	cl->ev_follow = follow;
	ev_timer_stop(&cl->timer);
	if (!has_since) {
		cl->ev_next = follow ? next : events_first();
	} else if (since < next) {
		cl->ev_next = since + 1;
	} else {
		/* Numbers otpd never gave: another otpd gave them (a restart). */
		event_render_reset(&b, since, next - 1, cl->json);
		(void)ctl_client_queue(cl, &b, cl->json ? IPC_OUT : IPC_ERR);
		cl->ev_next = events_first();
	}
	ctl_events_feed(cl);
	return 0;
}

/* A new event: feed the followers that have room. */
static void ctl_events_heard(struct events_listener *l, const struct event *e)
{
	for (size_t i = 0; i < ctl.n_slots; i++) {
		struct ctl_client *cl = &ctl.clients[i];

		if (cl->phase == CTL_EVENTS && ipc_conn_queued(cl->conn) < CTL_EVENTS_QUEUE)
			ctl_client_sync(cl);
	}
}

/* Flush, free when done or broken, else watch what is needed. */
static void ctl_client_sync(struct ctl_client *cl)
{
	uint32_t ev = 0;

	if (cl->phase == CTL_FREE)
		return;
	if (ipc_conn_wants_write(cl->conn) && ipc_conn_flush(cl->conn) < 0) {
		ctl_client_free(cl);
		return;
	}
	ctl_out_bound(cl);
	if (cl->phase == CTL_FLUSHING && ipc_conn_finished(cl->conn)) {
		ctl_client_free(cl);
		return;
	}
	if (cl->phase == CTL_LOGS && !ipc_conn_wants_write(cl->conn))
		ctl_client_drop_marker(cl);
	/* Feed an events follower until its socket takes no more (EPOLLOUT
	 * then brings it back here) or nothing is left: the ring bounds it. */
	while (cl->phase == CTL_EVENTS && ipc_conn_queued(cl->conn) < CTL_EVENTS_QUEUE) {
		uint64_t next = cl->ev_next, gen = cl->gen;

		ctl_events_feed(cl);    /* its end may have freed it (ctl_client_end) */
		if (cl->phase == CTL_FREE || cl->gen != gen)
			return;
		if (ipc_conn_wants_write(cl->conn) && ipc_conn_flush(cl->conn) < 0) {
			ctl_client_free(cl);
			return;
		}
		if (cl->phase == CTL_FLUSHING && ipc_conn_finished(cl->conn)) {
			ctl_client_free(cl);
			return;
		}
		if (cl->ev_next == next)
			break;
	}
	/* Input is read until the end; later only to notice the peer leave. */
	if (cl->phase != CTL_FLUSHING)
		ev |= EPOLLIN;
	if (ipc_conn_wants_write(cl->conn))
		ev |= EPOLLOUT;
	if (ev_mod(&cl->src, ev) < 0)
		ctl_client_free(cl);
}

/* --json anywhere in the request before a "--" (otpctl sends it right
 * after the verb; a hand-made client may put it anywhere). */
static bool ctl_wants_json(int argc, const char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			return true;
	return false;
}

/* Input on a client: its request, or (later) junk or EOF. */
static void ctl_client_read(struct ctl_client *cl)
{
	const char *argv[IPC_ARGS_MAX];
	uint64_t gen = cl->gen;
	int argc = 0, r;

	r = ipc_conn_on_readable(cl->conn, argv, IPC_ARGS_MAX, &argc);
	if (r == 0)
		return;
	if (r == -EPROTO || r == -EMSGSIZE) {
		ctl_client_fail(cl, IPC_EXIT_USAGE, "usage", "bad request (%s)",
				r == -EPROTO ? "protocol error" : "too large");
		return;
	}
	if (r < 0 || cl->phase != CTL_READING) {
		/* EOF, reset, or anything after the request but EAGAIN. */
		ctl_client_free(cl);
		return;
	}
	ev_timer_stop(&cl->timer);
	cl->phase = CTL_DISPATCH;
	cl->json = ctl_wants_json(argc, argv);
	if (!cl->allowed)
		ctl_client_fail(cl, IPC_EXIT_REFUSED, "permission_denied", "permission denied");
	else
		ctl_dispatch(cl, argc, argv);
	/* The client may be gone (replied and flushed) or the slot reused. */
	if (cl->phase != CTL_FREE && cl->gen == gen)
		ctl_client_sync(cl);
}

static void ctl_client_on_event(struct ev_source *s, uint32_t revents)
{
	struct ctl_client *cl = s->data;
	uint64_t gen = cl->gen;

	if (cl->phase == CTL_FREE)
		return;
	if (cl->phase != CTL_FLUSHING && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		ctl_client_read(cl);
	if (cl->phase != CTL_FREE && cl->gen == gen)
		ctl_client_sync(cl);
}

/* Best-effort error to a client we will not keep (table full). */
static void ctl_refuse(int fd, const char *msg)
{
	uint8_t buf[256];
	uint8_t code = IPC_EXIT_REFUSED;
	size_t len = 0;

	if (ipc_frame_put(buf, sizeof(buf), &len, IPC_ERR, msg, strlen(msg)) == 0 &&
	    ipc_frame_put(buf, sizeof(buf), &len, IPC_END, &code, 1) == 0)
		(void)send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)close(fd);
}

/*
 * A slot for a new client.  With the table full, the client idle longest
 * (connected, no request yet: otpctl sends its request at once) makes
 * room, one of a user not allowed first: idle connections never lock the
 * operator out.  NULL when every slot is busy with a request.
 */
static struct ctl_client *ctl_slot_free(void)
{
	struct ctl_client *idle = NULL;

	for (size_t i = 0; i < ctl.n_slots; i++) {
		struct ctl_client *cl = &ctl.clients[i];

		if (cl->phase == CTL_FREE)
			return cl;
		if (cl->phase == CTL_READING &&
		    (!idle || (idle->allowed && !cl->allowed) ||
		     (idle->allowed == cl->allowed && cl->gen < idle->gen)))
			idle = cl;
	}
	if (idle) {
		log_debug("control: table full, dropping an idle client (pid %d)",
			  (int)ipc_conn_pid(idle->conn));
		ctl_client_free(idle);
	}
	return idle;
}

/*
 * Output queued for clients is bounded in total, not only per client
 * (4 MiB each): past CTL_OUT_TOTAL the client holding the most unread
 * output, other than `keep`, is dropped, and the log says so.
 */
static void ctl_out_bound(struct ctl_client *keep)
{
	while (ipc_out_total() > CTL_OUT_TOTAL) {
		struct ctl_client *big = NULL;

		for (size_t i = 0; i < ctl.n_slots; i++) {
			struct ctl_client *cl = &ctl.clients[i];

			if (cl->phase != CTL_FREE && cl != keep &&
			    (!big || ipc_conn_queued(cl->conn) > ipc_conn_queued(big->conn)))
				big = cl;
		}
		if (!big || ipc_conn_queued(big->conn) == 0)
			return;
		log_warn("control: a client (pid %d) does not read its output (%zu KiB queued, "
			 "%zu MiB for all clients): dropped", (int)ipc_conn_pid(big->conn),
			 ipc_conn_queued(big->conn) / 1024, ipc_out_total() >> 20);
		ctl_client_free(big);
	}
}

/* root, otpd's own user, or a member of the control group. */
static bool ctl_peer_allowed(int fd, const struct ucred *cr)
{
	if (cr->uid == 0 || cr->uid == geteuid())
		return true;
	if (!ctl.has_gid)
		return false;
	return cr->gid == ctl.gid || peer_in_group(fd, cr->pid, ctl.gid);
}

/* Take over accepted `fd`: check the peer, start reading. */
static void ctl_client_new(int fd)
{
	struct ctl_client *cl = ctl_slot_free();
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (!cl) {
		ctl_refuse(fd, "otpctl: too many clients, try again\n");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
		(void)close(fd);
		return;
	}
	cl->conn = ipc_conn_new(fd, cr.uid, cr.gid, cr.pid);
	if (!cl->conn) {
		ctl_refuse(fd, "otpctl: otpd is out of memory\n");
		return;
	}
	ctl.n_clients++;
	cl->allowed = ctl_peer_allowed(fd, &cr);
	cl->gen = ++ctl.next_gen;
	cl->phase = CTL_READING;
	cl->timer = (struct ev_timer){ .fn = ctl_client_expire, .data = cl };
	ctl_client_deadline(cl, ev_after(CTL_REQUEST_MS));
	cl->src = (struct ev_source){ .fd = fd, .events = EPOLLIN, .fn = ctl_client_on_event,
				      .data = cl };
	if (ev_add(&cl->src) < 0)
		ctl_client_free(cl);
}

/* Out of fds or memory: stop accepting for a moment instead of spinning. */
static void ctl_accept_pause(void)
{
	ev_del(&ctl.src);
	(void)ev_timer_arm(&ctl.accept_resume, ev_after(CTL_ACCEPT_BACKOFF_MS));
	log_warn("control socket: cannot accept: %s, pausing", strerror(errno));
}

static void ctl_on_accept(struct ev_source *s, uint32_t revents)
{
	int fd;

	for (;;) {
		fd = accept4(ctl.fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0) {
			ctl_client_new(fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			ctl_accept_pause();
		else if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_warn("control socket: accept: %s, ignoring", strerror(errno));
		return;
	}
}

/* Socket file mode and owner: 0660, group `gid` when given. */
static int ctl_socket_perms(const char *path)
{
	if (chmod(path, 0660) < 0)
		return -errno;
	/* Owner stays otpd's user (root as PID 1): only the group changes. */
	if (ctl.has_gid && chown(path, (uid_t)-1, ctl.gid) < 0)
		return -errno;
	return 0;
}

/* Serve the listening socket fd: accept, watch the tree and the events. */
static int ctl_take(int fd)
{
	if (!ctl.clients) {
		/* Not calloc: it clears what the heap held before, and every
		 * page of the table would cost memory from the start. */
		void *m = mmap(NULL, CTL_CLIENTS_MAX * sizeof(*ctl.clients), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			return -ENOMEM;
		ctl.clients = m;
	}
	ctl.n_slots = CTL_CLIENTS_MAX;
	ctl.fd = fd;
	ctl.src = (struct ev_source){ .fd = fd, .events = EPOLLIN, .fn = ctl_on_accept };
	ctl.accept_resume.fn = ctl_accept_resume;
	ctl.watcher = (struct core_watcher){ .action = ctl_watch_action, .shown = ctl_watch_shown };
	core_watch(&ctl.watcher);
	ctl.listener = (struct events_listener){ .fn = ctl_events_heard };
	events_listen(&ctl.listener);
	hook_init();
	return 0;
}

int control_init(const char *path, const char *group)
{
	int fd, r;

	ctl.fd = -1;
	ctl.has_gid = false;
	if (group) {
		r = group_resolve(group, &ctl.gid);
		if (r < 0)
			return r;
		ctl.has_gid = true;
	}
	if ((r = mkdir_parents(path)) < 0)
		return r;
	if (!(ctl.path = strdup(path)))
		return -ENOMEM;
	fd = ipc_listen(path, CTL_BACKLOG);
	if (fd < 0 || (r = ctl_socket_perms(path)) < 0) {
		r = fd < 0 ? fd : r;
		goto fail;
	}
	if ((r = ctl_take(fd)) < 0 || (r = ev_add(&ctl.src)) < 0)
		goto fail;
	return 0;
fail:
	if (fd >= 0) {
		(void)unlink(path);
		(void)close(fd);
	}
	ctl.fd = -1;
	free(ctl.path);
	ctl.path = NULL;
	return r;
}

void control_fini(void)
{
	for (size_t i = 0; i < ctl.n_slots; i++)
		if (ctl.clients[i].phase != CTL_FREE)
			ctl_client_free(&ctl.clients[i]);
	if (ctl.fd >= 0) {
		ev_del(&ctl.src);
		(void)close(ctl.fd);
		ctl.fd = -1;
	}
	if (ctl.path)
		(void)unlink(ctl.path);
	free(ctl.path);
	ctl.path = NULL;
	ev_timer_stop(&ctl.accept_resume);
	hook_fini();
}

static void ctl_client_expire(struct ev_timer *t, int64_t now)
{
	struct ctl_client *cl = t->data;

	switch (cl->phase) {
	case CTL_WAIT:
		ctl_client_fail(cl, IPC_EXIT_TIMEOUT, "timeout", "timed out waiting for %s to be %s",
				cl->name, cl->state);
		break;
	case CTL_READING:       /* idle or half-open: no request in time */
	case CTL_FLUSHING:      /* the peer does not read its reply */
	default:
		ctl_client_free(cl);
		break;
	}
}

static void ctl_accept_resume(struct ev_timer *t, int64_t now)
{
	if (ctl.fd >= 0 && ev_add(&ctl.src) < 0)
		(void)ev_timer_arm(&ctl.accept_resume, ev_after(CTL_ACCEPT_BACKOFF_MS));
}

static bool ctl_watches(const struct ctl_client *cl, const struct sup_node *n)
{
	return (cl->phase == CTL_WAIT || cl->phase == CTL_LOGS) &&
	       strcmp(cl->name, sup_node_name(n)) == 0;
}

/*
 * `n` entered `state` (one batch may pass through several states, so the
 * state comes with the event rather than from the node).
 */
static void ctl_state_notify(struct sup_node *n, const char *shown)
{
	for (size_t i = 0; i < ctl.n_slots; i++) {
		struct ctl_client *cl = &ctl.clients[i];

		if (!ctl_watches(cl, n) || cl->phase != CTL_WAIT || strcmp(shown, cl->state) != 0)
			continue;
		ctl_client_ok(cl, NULL, cl->say_ok);
	}
}

/* `n` left the tree: waiters get not_found, followers their end, while the
 * ring they follow is still alive. */
static void ctl_node_forgotten(struct sup_node *n)
{
	for (size_t i = 0; i < ctl.n_slots; i++) {
		struct ctl_client *cl = &ctl.clients[i];

		if (!ctl_watches(cl, n))
			continue;
		if (cl->phase == CTL_WAIT) {
			ctl_client_fail(cl, IPC_EXIT_REFUSED, "not_found", "%s: not_found", cl->name);
			continue;
		}
		if (cl->ring)
			log_ring_unsubscribe(cl->ring, cl->sub);
		cl->ring = NULL;
		ctl_client_end(cl, IPC_EXIT_OK);
	}
}

static void ctl_reply_send(struct ctl_client *cl, const struct sup_action *a)
{
	char why[200];

	const char *error = sup_result_str(a->result);

	if (a->result == SUP_OK) {
		ctl_client_ok(cl, cl->print_node && a->node ? sup_node_name(a->node) : NULL, true);
		return;
	}
	if (a->result == SUP_E_START_FAILED) {
		sup_reason_format(&a->reason, why, sizeof(why));
		ctl_client_fail(cl, IPC_EXIT_REFUSED, error, "%s: %s: %s", cl->name, error, why);
		return;
	}
	ctl_client_fail(cl, IPC_EXIT_REFUSED, error, "%s: %s", cl->name, error);
}

/* What the core did: waiters and followers of the node may be done. */
static void ctl_watch_action(struct core_watcher *w, const struct sup_action *a)
{
	if (a->kind == SUP_A_FORGET) {
		ctl_node_forgotten(a->node);
	} else if (a->kind == SUP_A_STATE) {
		/* One batch may pass through several states: the state comes
		 * with the action rather than from the node. */
		ctl_state_notify(a->node, a->state == SUP_STOPPED && sup_node_failed(a->node)
						  ? "failed" : sup_state_str(a->state));
	}
}

/* n's shown state changed outside the core (frozen, thawed). */
static void ctl_watch_shown(struct core_watcher *w, struct sup_node *n)
{
	ctl_state_notify(n, ctl_node_state(n));
}

/* Every client but `keep`: the rest of its answer, or `msg` and exit 3; closed. */
static void ctl_clients_close(const char *msg, size_t len, const struct ctl_client *keep)
{
	for (size_t i = 0; i < ctl.n_slots; i++) {
		struct ctl_client *cl = &ctl.clients[i];

		if (cl->phase == CTL_FREE || cl == keep)
			continue;
		ctl_client_unfollow(cl);
		if (cl->phase != CTL_FLUSHING) {
			(void)ipc_conn_out(cl->conn, IPC_ERR, msg, len);
			(void)ipc_conn_end(cl->conn, IPC_EXIT_UNREACHABLE);
		}
		(void)ipc_conn_flush(cl->conn);
		ctl_client_free(cl);
	}
}

/*
 * otpd exits (with `code`).  A client that has its answer gets the rest of
 * it; one that has not (its request not read yet, a wait or a follow still
 * going, a command the core never answered) is told so and exits
 * IPC_EXIT_UNREACHABLE, as when the connection breaks: never 0 with
 * nothing said (otpctl(1), EXIT STATUS).
 */
void control_close_all(int code)
{
	static const char exiting[] = "otpctl: otpd is exiting\n";

	ctl_clients_close(exiting, sizeof(exiting) - 1, NULL);
}

/* --- re-execution (control.h) ------------------------------------------------ */

enum { CT_FD = 1, CT_PATH, CT_NEXT_GEN, CT_HOOK, CT_ASKER };
enum { CA_FD = 1, CA_UID, CA_GID, CA_PID, CA_JSON, CA_VERB };

static struct ctl_client *ctl_client_of(const struct core_req *r)
{
	for (size_t i = 0; r && i < ctl.n_slots; i++)
		if (ctl.clients[i].phase == CTL_CMD && &ctl.clients[i].talk.req == r)
			return &ctl.clients[i];
	return NULL;
}

void control_save(struct st_buf *b, const struct core_req *asker)
{
	struct ctl_client *cl = ctl_client_of(asker);
	size_t at;

	st_put_fd(b, CT_FD, ctl.fd);
	st_put_str(b, CT_PATH, ctl.path);
	st_put_u64(b, CT_NEXT_GEN, ctl.next_gen);
	at = st_open(b, CT_HOOK);
	hook_save(b);
	st_close(b, at);
	if (!cl)
		return;
	at = st_open(b, CT_ASKER);
	st_put_fd(b, CA_FD, ipc_conn_fd(cl->conn));
	st_put_i64(b, CA_UID, ipc_conn_uid(cl->conn));
	st_put_i64(b, CA_GID, ipc_conn_gid(cl->conn));
	st_put_i64(b, CA_PID, ipc_conn_pid(cl->conn));
	st_put_u64(b, CA_JSON, cl->json);
	st_put_str(b, CA_VERB, cl->name);
	st_close(b, at);
}

/*
 * otpd is about to exec: every client but the one asking is told so (exit
 * 3, otpctl(1): try again) and closed; what a client still had to read of
 * an answer it got is flushed as far as its socket takes it.
 */
void control_close_for_reexec(const struct core_req *asker)
{
	static const char msg[] = "otpctl: otpd is re-executing, retry\n";

	ctl_clients_close(msg, sizeof(msg) - 1, ctl_client_of(asker));
}

/* The client that asked for the re-execution, back in a slot, waiting. */
static int ctl_asker_restore(const struct st_rd *r, bool dry, struct core_talk **ret)
{
	char verb[SUP_NAME_MAX + 1] = "reexec";
	int fd, uid, gid, pid;
	struct ctl_client *cl;

	if (!st_fd(r, CA_FD, &fd) || fd < 0 || !st_int(r, CA_UID, &uid) ||
	    !st_int(r, CA_GID, &gid) || !st_int(r, CA_PID, &pid))
		return -EBADMSG;
	(void)st_str(r, CA_VERB, verb, sizeof(verb));
	if (dry)
		return 0;
	cl = &ctl.clients[0];
	if (!(cl->conn = ipc_conn_new(fd, (uid_t)uid, (gid_t)gid, (pid_t)pid)))
		return -ENOMEM;
	ctl.n_clients++;
	cl->allowed = true;
	cl->gen = ++ctl.next_gen;
	cl->json = st_flag(r, CA_JSON);
	cl->timer = (struct ev_timer){ .fn = ctl_client_expire, .data = cl };
	cl->src = (struct ev_source){ .fd = fd, .events = EPOLLIN, .fn = ctl_client_on_event,
				      .data = cl };
	*ret = ctl_client_await_talk(cl, verb);
	if (ev_add(&cl->src) < 0) {
		ctl_client_free(cl);
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

int control_restore(const struct st_rd *r, bool dry, struct core_talk **ret_asker,
		    const char **why)
{
	const char *group = core_config()->otpd.control_group;
	struct st_rd v;
	int fd, k;

	*ret_asker = NULL;
	*why = "control: the socket";
	if (!st_fd(r, CT_FD, &fd) || fd < 0 || !(ctl.path = st_strdup(r, CT_PATH)))
		return -EBADMSG;
	(void)st_u64(r, CT_NEXT_GEN, &ctl.next_gen);
	*why = "control: the events hook";
	if (st_find(r, CT_HOOK, &v) && (k = hook_restore(&v, true)) < 0)
		return k;
	*why = "control: the client that asked";
	if (st_find(r, CT_ASKER, &v) && (k = ctl_asker_restore(&v, true, ret_asker)) < 0)
		return k;
	if (dry)
		return 0;
	ctl.has_gid = group && group_resolve(group, &ctl.gid) == 0;
	*why = "control: the client table";
	if ((k = ctl_take(fd)) < 0)
		return k;
	*why = "control: the events hook";
	if (st_find(r, CT_HOOK, &v) && (k = hook_restore(&v, false)) < 0)
		return k;
	*why = "control: the client that asked";
	if (st_find(r, CT_ASKER, &v) && (k = ctl_asker_restore(&v, false, ret_asker)) < 0)
		return k;
	*why = "control: the socket";
	return ev_add(&ctl.src);
}
