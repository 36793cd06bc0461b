/*
 * notify.c: the $NOTIFY_SOCKET children talk to (sd_notify(3) protocol).
 *
 * One SOCK_DGRAM Unix socket at <run_dir>/notify with SO_PASSCRED: the
 * kernel stamps every datagram with the sender's pid, which names the
 * worker (only a worker's current main process is heard).  A datagram is
 * newline-separated KEY=VALUE assignments; we act on READY=1 (workers
 * with ready=notify), STATUS=, WATCHDOG=1 and STOPPING=1 and ignore the
 * rest.  File descriptors passed along (FDSTORE=1) are closed: we do not
 * keep a store.  The socket file is mode 0666 so that workers running as
 * other users can send; that is safe because the sender pid is the
 * kernel's, not the sender's word.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../ipc/ipc.h"
#include "../core.h"
#include "worker.h"

#define NOTIFY_MSG_MAX 4096
#define NOTIFY_BATCH 64         /* datagrams per wake-up, to stay fair */
#define NOTIFY_FDS_MAX 253      /* SCM_MAX_FD */

static struct {
	int fd;
	struct ev_source src;
	char *buf;                      /* NOTIFY_MSG_MAX + 1, allocated at the first message
					   (issue 19: a tree without notify workers pays nothing) */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
} nt = { .fd = -1 };

const char *notify_path(void)
{
	return nt.fd >= 0 ? nt.path : NULL;
}

static int notify_bind(int fd, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int one = 1;

	strcpy(sa.sun_path, path);      /* length checked by the caller */
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		return -errno;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	if (chmod(path, 0666) < 0)
		return -errno;
	return 0;
}

/* Close every fd a datagram carried; return the sender pid (0: none). */
static pid_t notify_cmsgs(struct msghdr *mh)
{
	pid_t pid = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			struct ucred uc;

			memcpy(&uc, CMSG_DATA(c), sizeof(uc));
			pid = uc.pid;
		} else if (c->cmsg_type == SCM_RIGHTS) {
			size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (size_t i = 0; i < n; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
				close(fd);
			}
		}
	}
	return pid;
}

static void notify_set_status(struct ws *w, const char *s, size_t n)
{
	if (!w->status && !(w->status = malloc(WS_STATUS_MAX))) {
		log_warn("%s: out of memory keeping STATUS=, ignoring", sup_node_spec(w->node)->name);
		return;
	}
	if (n >= WS_STATUS_MAX)
		n = WS_STATUS_MAX - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		/* Status ends up in otpctl's output: no control bytes. */
		w->status[i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	w->status[n] = '\0';
}

/* Act on a message of worker w; READY last, its actions may free w. */
static void notify_apply(struct ws *w, const struct ipc_notify_msg *m)
{
	const char *name = sup_node_spec(w->node)->name;
	struct sup_node *n = w->node;

	if (m->status)
		notify_set_status(w, m->status, m->status_len);
	if (m->stopping)
		log_info("%s[%d]: stopping", name, (int)w->pid);
	if (m->ready && !(w->cfg && w->cfg->w.ready == CFG_READY_NOTIFY))
		log_debug("%s: READY=1 ignored, ready is not notify", name);
	/* The core last: its actions may free w.  A watchdog ping only moves
	 * a deadline. */
	if (w->is_twin && m->handover) {
		/* How its state handover went (otp_mailbox.h): received N, none WHY. */
		bool got = m->handover_len > 9 && memcmp(m->handover, "received ", 9) == 0;
		int len = m->handover_len > 64 ? 64 : (int)m->handover_len;

		if (got)
			log_info("%s: handover: new process %d received the state (%.*s bytes)",
				 name, (int)w->pid, len - 9, m->handover + 9);
		else
			log_warn("%s: handover: new process %d starts without the state (%.*s)",
				 name, (int)w->pid, len, m->handover);
	}
	if (w->is_twin) {
		/* The second process of an overlap: only its readiness counts. */
		if (m->ready && w->cfg && w->cfg->w.ready == CFG_READY_NOTIFY)
			core_overlap_ready(n);
		return;
	}
	if (m->watchdog)
		core_child_watchdog(n);
	if (m->ready && w->cfg && w->cfg->w.ready == CFG_READY_NOTIFY)
		core_child_ready(n);
}

static void notify_dispatch(pid_t pid, const char *buf, size_t len)
{
	struct ipc_notify_msg m;
	struct ws *w = pid > 0 ? ws_by_pid(pid) : NULL;

	if (!w || !w->node) {
		log_debug("notify: message from unknown pid %d ignored", (int)pid);
		return;
	}
	ipc_notify_parse(buf, len, &m);
	notify_apply(w, &m);
}

/* Out of memory for the buffer: take one datagram out and drop it (the
 * socket would stay readable and wake the loop for ever). */
static int notify_drop_one(void)
{
	char b[1];
	ssize_t n = recv(nt.fd, b, sizeof(b), MSG_DONTWAIT | MSG_TRUNC);

	if (n < 0)
		return errno == EINTR ? 1 : 0;
	log_warn("notify: out of memory, a message was dropped");
	return 1;
}

/* Receive one datagram into buf.  1: handled or skipped, 0: none left. */
static int notify_recv_into(char *buf)
{
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * NOTIFY_FDS_MAX)];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = NOTIFY_MSG_MAX + 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = &ctl, .msg_controllen = sizeof(ctl) };
	ssize_t n = recvmsg(nt.fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);

	if (n < 0)
		return errno == EINTR ? 1 : 0;
	pid_t pid = notify_cmsgs(&mh);

	if ((mh.msg_flags & MSG_TRUNC) || n > NOTIFY_MSG_MAX) {
		log_debug("notify: oversized message from pid %d ignored", (int)pid);
		return 1;
	}
	notify_dispatch(pid, buf, (size_t)n);
	return 1;
}

static int notify_recv_one(void)
{
	if (!nt.buf && !(nt.buf = malloc(NOTIFY_MSG_MAX + 1)))
		return notify_drop_one();
	return notify_recv_into(nt.buf);
}

static void notify_on_readable(struct ev_source *s, uint32_t revents)
{
	for (int i = 0; i < NOTIFY_BATCH; i++)
		if (!notify_recv_one())
			return;
}

static void notify_close(void)
{
	ev_del(&nt.src);
	if (nt.fd >= 0)
		close(nt.fd);
	nt.fd = -1;
}

int notify_init(const char *run_dir)
{
	char path[sizeof(nt.path)];
	int r;

	if (!run_dir)
		return -EINVAL;
	if ((size_t)snprintf(path, sizeof(path), "%s/notify", run_dir) >= sizeof(path))
		return -ENAMETOOLONG;
	notify_close();
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	r = notify_bind(fd, path);
	if (r == 0) {
		nt.src = (struct ev_source){ .fd = fd, .events = EPOLLIN,
					     .fn = notify_on_readable };
		r = ev_add(&nt.src);
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	nt.fd = fd;
	memcpy(nt.path, path, sizeof(path));
	return 0;
}

/* --- re-execution ---------------------------------------------------------- */

enum { NT_FD = 1, NT_PATH };

void notify_save(struct st_buf *b)
{
	st_put_fd(b, NT_FD, nt.fd);
	st_put_str(b, NT_PATH, nt.path);
}

int notify_restore(const struct st_rd *r, bool dry)
{
	char path[sizeof(nt.path)];
	int fd, k;

	if (!st_fd(r, NT_FD, &fd) || !st_str(r, NT_PATH, path, sizeof(path)))
		return -EBADMSG;
	if (dry || fd < 0)
		return 0;
	/* What workers sent meanwhile waits in the socket. */
	nt.src = (struct ev_source){ .fd = fd, .events = EPOLLIN, .fn = notify_on_readable };
	if ((k = ev_add(&nt.src)) < 0)
		return k;
	nt.fd = fd;
	memcpy(nt.path, path, sizeof(path));
	return 0;
}
