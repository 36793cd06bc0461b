/*
 * control.c: the control socket: listening, accepting, checking peers,
 * and the life of each client until its IPC_END is flushed.
 *
 * Clients live in a fixed table of CTL_CLIENTS_MAX slots, so the number of
 * clients and the memory they hold are bounded.  A slot's ev_source stays
 * valid memory after the client is freed; a stale event for a reused slot
 * is harmless because no handler trusts the event bits: it reads or
 * flushes, and the connection itself says whether anything happened.
 *
 * Phases of a client:
 *   READING   until its request is in (deadline CTL_REQUEST_MS)
 *   DISPATCH  while its verb runs; the verb moves it on
 *   CMD       a core command is pending under `cookie`
 *   WAIT      `otpctl wait`: re-checked on every state change (deadline)
 *   LOGS      `otpctl logs -f`: subscribed to a worker's ring
 *   FLUSHING  IPC_END queued; freed once flushed (deadline CTL_FLUSH_MS)
 * A client that goes away early is freed at once; a core reply for it is
 * then ignored (unknown cookie).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "json.h"

#define CTL_CLIENTS_MAX 256
#define CTL_BACKLOG 64
#define CTL_REQUEST_MS 5000
#define CTL_FLUSH_MS 30000
#define CTL_ACCEPT_BACKOFF_MS 100

enum ctl_phase { CTL_FREE, CTL_READING, CTL_DISPATCH, CTL_CMD, CTL_WAIT, CTL_LOGS, CTL_FLUSHING };

struct ctl_client {
	struct ipc_conn *conn;
	struct ev_source src;
	enum ctl_phase phase;
	bool allowed;
	uint64_t gen;                   /* unique per client; log subscriptions carry it */
	int64_t deadline;               /* INT64_MAX: none */
	uint64_t cookie;                /* CMD */
	bool print_node;                /* CMD: start-child prints the new name */
	bool say_ok;                    /* WAIT: print "ok" when reached (freeze) */
	char name[SUP_NAME_MAX + 1];    /* CMD, WAIT, LOGS */
	char state[16];                 /* WAIT */
	struct log_ring *ring;          /* LOGS */
	int sub;
	uint64_t dropped;               /* LOGS: lines lost to a full queue */
	bool json;                      /* LOGS -f: each line as a JSON string */
};

static struct {
	int fd;
	char *path;
	struct ev_source src;
	gid_t gid;
	bool has_gid;
	int64_t accept_resume;          /* INT64_MAX: accepting */
	uint64_t next_gen;
	struct ctl_client clients[CTL_CLIENTS_MAX];
} ctl = { .fd = -1, .accept_resume = INT64_MAX };

static void ctl_client_sync(struct ctl_client *cl);

struct ipc_conn *ctl_client_conn(struct ctl_client *cl)
{
	return cl->conn;
}

/* Drop a logs -f subscription, if the ring is still the node's own. */
static void ctl_client_unfollow(struct ctl_client *cl)
{
	struct sup_node *n;
	struct ws *w;

	if (!cl->ring || !otpd.tree)
		return;
	/* A dynamic child's ring dies with its node: never touch a stale one. */
	n = sup_find(otpd.tree, cl->name);
	w = n && sup_node_type(n) == SUP_WORKER ? sup_node_shell(n) : NULL;
	if (w && w->ring == cl->ring)
		log_ring_unsubscribe(cl->ring, cl->sub);
	cl->ring = NULL;
	cl->sub = 0;
}

static void ctl_client_free(struct ctl_client *cl)
{
	ctl_client_unfollow(cl);
	ev_del(&cl->src);
	ipc_conn_free(cl->conn);
	*cl = (struct ctl_client){ .phase = CTL_FREE };
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
	cl->deadline = ev_now() + CTL_FLUSH_MS;
	ctl_client_sync(cl);
}

void ctl_client_fail(struct ctl_client *cl, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(msg) - 2)
		n = (int)sizeof(msg) - 2;
	msg[n++] = '\n';
	(void)ipc_conn_out(cl->conn, IPC_ERR, msg, (size_t)n);
	ctl_client_end(cl, code);
}

void ctl_client_await_reply(struct ctl_client *cl, uint64_t cookie, const char *name,
			    bool print_node)
{
	cl->phase = CTL_CMD;
	cl->cookie = cookie;
	cl->print_node = print_node;
	snprintf(cl->name, sizeof(cl->name), "%s", name);
	cl->deadline = INT64_MAX;
}

void ctl_client_await_state(struct ctl_client *cl, const char *name, const char *state,
			    int64_t deadline, bool say_ok)
{
	cl->phase = CTL_WAIT;
	cl->say_ok = say_ok;
	snprintf(cl->name, sizeof(cl->name), "%s", name);
	snprintf(cl->state, sizeof(cl->state), "%s", state);
	cl->deadline = deadline;
}

int ctl_client_line(struct ctl_client *cl, const char *line, size_t len)
{
	char buf[OUT_LINE_MAX + 1];

	if (cl->json) {
		struct jbuf b = { 0 };
		int r;

		json_string(&b, line, len);
		jbuf_puts(&b, "\n");
		r = b.failed ? -ENOMEM : ipc_conn_out(cl->conn, IPC_OUT, b.p, b.len);
		jbuf_free(&b);
		return r;
	}
	/* Rings cut lines at OUT_LINE_MAX; one frame per line keeps them whole. */
	if (len > OUT_LINE_MAX)
		len = OUT_LINE_MAX;
	memcpy(buf, line, len);
	buf[len] = '\n';
	return ipc_conn_out(cl->conn, IPC_OUT, buf, len + 1);
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
	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++)
		if (ctl.clients[i].phase != CTL_FREE && ctl.clients[i].gen == gen)
			return &ctl.clients[i];
	return NULL;
}

/* A new line in a followed ring; `data` is the subscriber's generation. */
static void ctl_follow_line(void *data, const char *line, size_t len)
{
	struct ctl_client *cl = ctl_client_by_gen((uint64_t)(uintptr_t)data);

	if (!cl || cl->phase != CTL_LOGS || !line)
		return;
	ctl_client_drop_marker(cl);
	if (cl->dropped > 0 || ctl_client_line(cl, line, len) < 0)
		cl->dropped++;
	ctl_client_sync(cl);
}

int ctl_client_follow(struct ctl_client *cl, struct log_ring *ring, const char *name, bool json)
{
	int id = log_ring_subscribe(ring, ctl_follow_line, (void *)(uintptr_t)cl->gen);

	if (id < 0)
		return id;
	cl->phase = CTL_LOGS;
	cl->json = json;
	cl->ring = ring;
	cl->sub = id;
	snprintf(cl->name, sizeof(cl->name), "%s", name);
	cl->deadline = INT64_MAX;
	return 0;
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
	if (cl->phase == CTL_FLUSHING && ipc_conn_finished(cl->conn)) {
		ctl_client_free(cl);
		return;
	}
	if (cl->phase == CTL_LOGS && !ipc_conn_wants_write(cl->conn))
		ctl_client_drop_marker(cl);
	/* Input is read until the end; later only to notice the peer leave. */
	if (cl->phase != CTL_FLUSHING)
		ev |= EPOLLIN;
	if (ipc_conn_wants_write(cl->conn))
		ev |= EPOLLOUT;
	if (ev_mod(&cl->src, ev) < 0)
		ctl_client_free(cl);
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
		ctl_client_fail(cl, IPC_EXIT_USAGE, "otpctl: bad request (%s)",
				r == -EPROTO ? "protocol error" : "too large");
		return;
	}
	if (r < 0 || cl->phase != CTL_READING) {
		/* EOF, reset, or anything after the request but EAGAIN. */
		ctl_client_free(cl);
		return;
	}
	cl->deadline = INT64_MAX;
	cl->phase = CTL_DISPATCH;
	if (!cl->allowed)
		ctl_client_fail(cl, IPC_EXIT_REFUSED, "otpctl: permission denied");
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

static struct ctl_client *ctl_slot_free(void)
{
	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++)
		if (ctl.clients[i].phase == CTL_FREE)
			return &ctl.clients[i];
	return NULL;
}

/* root, otpd's own user, or a member of the control group. */
static bool ctl_peer_allowed(int fd, const struct ucred *cr)
{
	if (cr->uid == 0 || cr->uid == geteuid())
		return true;
	if (!ctl.has_gid)
		return false;
	return cr->gid == ctl.gid || ctl_peer_in_group(fd, cr->pid, ctl.gid);
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
	cl->allowed = ctl_peer_allowed(fd, &cr);
	cl->gen = ++ctl.next_gen;
	cl->phase = CTL_READING;
	cl->deadline = ev_now() + CTL_REQUEST_MS;
	cl->src = (struct ev_source){ .fd = fd, .events = EPOLLIN, .fn = ctl_client_on_event,
				      .data = cl };
	if (ev_add(&cl->src) < 0)
		ctl_client_free(cl);
}

/* Out of fds or memory: stop accepting for a moment instead of spinning. */
static void ctl_accept_pause(void)
{
	ev_del(&ctl.src);
	ctl.accept_resume = ev_now() + CTL_ACCEPT_BACKOFF_MS;
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

int control_init(const char *path, const char *group)
{
	int fd, r;

	ctl.has_gid = false;
	if (group) {
		r = ctl_group_resolve(group, &ctl.gid);
		if (r < 0)
			return r;
		ctl.has_gid = true;
	}
	if ((r = ctl_mkdir_parents(path)) < 0)
		return r;
	if (!(ctl.path = strdup(path)))
		return -ENOMEM;
	fd = ipc_listen(path, CTL_BACKLOG);
	if (fd < 0 || (r = ctl_socket_perms(path)) < 0) {
		r = fd < 0 ? fd : r;
		goto fail;
	}
	ctl.fd = fd;
	ctl.src = (struct ev_source){ .fd = fd, .events = EPOLLIN, .fn = ctl_on_accept };
	if ((r = ev_add(&ctl.src)) < 0)
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
	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++)
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
	ctl.accept_resume = INT64_MAX;
}

int64_t control_next_deadline(void)
{
	int64_t d = ctl.accept_resume;

	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++)
		if (ctl.clients[i].phase != CTL_FREE && ctl.clients[i].deadline < d)
			d = ctl.clients[i].deadline;
	return d;
}

static void ctl_client_expire(struct ctl_client *cl)
{
	switch (cl->phase) {
	case CTL_WAIT:
		ctl_client_fail(cl, IPC_EXIT_TIMEOUT, "otpctl: timed out waiting for %s to be %s",
				cl->name, cl->state);
		break;
	case CTL_READING:       /* idle or half-open: no request in time */
	case CTL_FLUSHING:      /* the peer does not read its reply */
	default:
		ctl_client_free(cl);
		break;
	}
}

void control_timer(int64_t now)
{
	if (ctl.accept_resume <= now && ctl.fd >= 0) {
		ctl.accept_resume = INT64_MAX;
		if (ev_add(&ctl.src) < 0)
			ctl.accept_resume = now + CTL_ACCEPT_BACKOFF_MS;
	}
	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++)
		if (ctl.clients[i].phase != CTL_FREE && ctl.clients[i].deadline <= now)
			ctl_client_expire(&ctl.clients[i]);
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
void control_state_changed(struct sup_node *n, enum sup_state state)
{
	control_state_notify(n, state == SUP_STOPPED && sup_node_failed(n) ? "failed"
									    : sup_state_str(state));
}

void control_state_notify(struct sup_node *n, const char *shown)
{
	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++) {
		struct ctl_client *cl = &ctl.clients[i];

		if (!ctl_watches(cl, n) || cl->phase != CTL_WAIT || strcmp(shown, cl->state) != 0)
			continue;
		if (cl->say_ok)
			(void)ipc_conn_printf(cl->conn, IPC_OUT, "ok\n");
		ctl_client_end(cl, IPC_EXIT_OK);
	}
}

/* `n` left the tree: waiters get not_found, followers their end, while the
 * ring they follow is still alive. */
void control_node_forgotten(struct sup_node *n)
{
	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++) {
		struct ctl_client *cl = &ctl.clients[i];

		if (!ctl_watches(cl, n))
			continue;
		if (cl->phase == CTL_WAIT) {
			ctl_client_fail(cl, IPC_EXIT_REFUSED, "otpctl: %s: not_found", cl->name);
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

	if (a->result == SUP_OK) {
		if (cl->print_node && a->node)
			(void)ipc_conn_printf(cl->conn, IPC_OUT, "%s\n", sup_node_name(a->node));
		else
			(void)ipc_conn_printf(cl->conn, IPC_OUT, "ok\n");
		ctl_client_end(cl, IPC_EXIT_OK);
		return;
	}
	if (a->result == SUP_E_START_FAILED) {
		sup_reason_format(&a->reason, why, sizeof(why));
		ctl_client_fail(cl, IPC_EXIT_REFUSED, "otpctl: %s: %s: %s", cl->name,
				sup_result_str(a->result), why);
		return;
	}
	ctl_client_fail(cl, IPC_EXIT_REFUSED, "otpctl: %s: %s", cl->name,
			sup_result_str(a->result));
}

void control_reply(uint64_t cookie, const struct sup_action *a)
{
	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++) {
		struct ctl_client *cl = &ctl.clients[i];

		if (cl->phase == CTL_CMD && cl->cookie == cookie) {
			ctl_reply_send(cl, a);
			break;
		}
	}
}

void control_close_all(int code)
{
	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++) {
		struct ctl_client *cl = &ctl.clients[i];

		if (cl->phase == CTL_FREE)
			continue;
		ctl_client_unfollow(cl);
		if (cl->phase != CTL_FLUSHING)
			(void)ipc_conn_end(cl->conn, code);
		(void)ipc_conn_flush(cl->conn);
		ctl_client_free(cl);
	}
}
