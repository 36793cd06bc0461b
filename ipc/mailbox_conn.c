/*
 * mailbox_conn.c: one connection to a mailbox, and the call and cast
 * over it (otp_mailbox.h).
 *
 * Connecting is non-blocking, so that no step outlives the caller's
 * timeout: a connect that finds the listen backlog full fails with EAGAIN
 * on a Unix socket, and is retried here (a client may sleep; otpd never
 * does) until the deadline.  Then:
 *   - a kept connection (otp_conn_*) turns blocking and waits for a reply
 *     in recv itself, under SO_RCVTIMEO (set again only when the timeout
 *     changes): a call costs a send and a recv, as over a socketpair;
 *   - a one-shot connection (otp_call_path) stays non-blocking and polls:
 *     on a fresh socket SO_RCVTIMEO would cost the same syscall.
 * A message whose send fails with EPIPE or ECONNRESET never reached any
 * worker (the server side had closed: the worker restarted, or it retired
 * this connection), so it is sent again, once, on a new connection.  A
 * call whose reply does not come (the connection drops, a timeout, a bad
 * reply) closes the connection: a late reply must never answer the next
 * call.  Only libc is used.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mailbox_internal.h"

#define MB_RETRY_MS 10          /* pause between connects while the backlog is full */
#define MB_CAST_TIMEOUT_MS 5000 /* a cast has no timeout argument; never wait forever */
#define MB_SMALL_REPLY 512      /* a reply cap up to this is received through the stack */
#define MB_SMALL_SEND 512       /* a payload up to this is sent from a copy on the stack */
#define MB_NOT_SENT 1           /* mb_send: the server side had closed, nothing was sent */
#define MB_FROM_DEADLINE (-2)   /* mb_recv_ready: wait what is left of the deadline */

static int64_t mb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An absolute deadline, or -1 for none. */
static int64_t mb_deadline(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : mb_now_ms() + timeout_ms;
}

/* What is left of a deadline as a poll() timeout: -1 forever, 0 expired. */
static int mb_left_ms(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - mb_now_ms();
	return left <= 0 ? 0 : (left > INT32_MAX ? INT32_MAX : (int)left);
}

/* Wait for `events` on fd until the deadline: 0, -ETIMEDOUT or -errno. */
static int mb_wait(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	for (;;) {
		r = poll(&p, 1, mb_left_ms(deadline));
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

int otp_mbi_conn_init(struct otp_conn *c, const char *path, bool keep)
{
	size_t plen;

	if (!path)
		return -EINVAL;
	plen = strlen(path);
	if (plen == 0)
		return -EINVAL;
	if (plen >= sizeof(c->sa.sun_path))
		return -ENAMETOOLONG;
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->keep = keep;
	c->rcv_ms = -1;
	c->sa.sun_family = AF_UNIX;
	memcpy(c->sa.sun_path, path, plen + 1);
	c->salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1);
	return 0;
}

void otp_mbi_conn_drop(struct otp_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Complete a connect that returned EINPROGRESS. */
static int mb_connect_finish(int fd, int64_t deadline)
{
	socklen_t len = sizeof(int);
	int err = 0, r;

	r = mb_wait(fd, POLLOUT, deadline);
	if (r < 0)
		return r;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	return -err;
}

/* Connect, retrying while the backlog is full, until the deadline. */
static int mb_connect_retry(int fd, const struct otp_conn *c, int64_t deadline)
{
	int left;

	for (;;) {
		if (connect(fd, (const struct sockaddr *)&c->sa, c->salen) == 0)
			return 0;
		if (errno == EINPROGRESS)
			return mb_connect_finish(fd, deadline);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;  /* ENOENT, ECONNREFUSED: noproc, as is */
		left = mb_left_ms(deadline);
		if (left == 0)
			return -ETIMEDOUT;
		poll(NULL, 0, left < 0 || left > MB_RETRY_MS ? MB_RETRY_MS : left);
	}
}

/* Connect c (non-blocking, close-on-exec); a kept one is made blocking after. */
static int mb_connect(struct otp_conn *c, int64_t deadline)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), r;

	if (fd < 0)
		return -errno;
	r = mb_connect_retry(fd, c, deadline);
	if (r == 0 && c->keep && fcntl(fd, F_SETFL, 0) < 0)
		r = -errno;
	if (r < 0) {
		close(fd);
		return r;
	}
	c->fd = fd;
	c->rcv_ms = -1;         /* a new socket waits forever */
	return 0;
}

int otp_mbi_conn_connect(struct otp_conn *c, int timeout_ms)
{
	if (c->fd >= 0)
		return 0;
	return mb_connect(c, mb_deadline(timeout_ms));
}

/* One sendmsg or send of a datagram; -errno on failure. */
static int mb_send_once(int fd, char kind, const void *p, size_t len)
{
	struct iovec iov[2] = { { &kind, 1 }, { (void *)p, len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	uint8_t buf[1 + MB_SMALL_SEND];
	ssize_t n;

	/* A small one is copied and sent plainly: send is cheaper than sendmsg. */
	if (len <= MB_SMALL_SEND) {
		buf[0] = (uint8_t)kind;
		if (len > 0)
			memcpy(buf + 1, p, len);
		n = send(fd, buf, len + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	} else {
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	return n < 0 ? -errno : 0;
}

/*
 * Send kind + payload as one datagram: 0, MB_NOT_SENT when the server
 * side had closed the connection (the message reached nobody), or -errno.
 * *waited is set if the send had to wait for room.
 */
static int mb_send(int fd, char kind, const void *p, size_t len, int64_t deadline, bool *waited)
{
	int r;

	for (;;) {
		r = mb_send_once(fd, kind, p, len);
		if (r == 0)
			return 0;
		if (r == -EPIPE || r == -ECONNRESET)
			return MB_NOT_SENT;
		if (r != -EAGAIN && r != -EINTR)
			return r;
		*waited = true;
		r = mb_wait(fd, POLLOUT, deadline);
		if (r < 0)
			return r;
	}
}

/*
 * Connect if need be and send.  A message the server side refused
 * unread goes once more on a new connection (safe: nobody saw it); if
 * that fails too, the callee is taken for dead (-ECONNRESET).
 */
static int mb_deliver(struct otp_conn *c, char kind, const void *p, size_t len,
		      int64_t deadline, bool *waited)
{
	int r, tries;

	for (tries = 0; tries < 2; tries++) {
		if (c->fd < 0) {
			r = mb_connect(c, deadline);
			if (r < 0)
				return r;
		}
		r = mb_send(c->fd, kind, p, len, deadline, waited);
		if (r == 0)
			return 0;
		otp_mbi_conn_drop(c);
		if (r < 0)
			return r;
	}
	return -ECONNRESET;
}

/*
 * What a received datagram of full length n (kind byte included, 0 at
 * EOF) means for a call: the reply's length, or -errno.
 */
static ssize_t mb_reply_len(uint8_t kind, ssize_t n, size_t cap)
{
	if (n == 0)
		return -ECONNRESET;     /* closed without a reply: the callee failed */
	if (kind != OTP_MB_REPLY)
		return -EPROTO;
	if ((size_t)n - 1 > cap)
		return -EMSGSIZE;
	return n - 1;
}

/*
 * A small cap: one recv into a buffer on the stack, and the reply is
 * copied out only when it fits.  (A peek first would cost a syscall,
 * 1.9 us on a paravirtualised VM, for every call.)
 */
static ssize_t mb_take_small(int fd, void *reply, size_t cap, int flags)
{
	uint8_t buf[1 + MB_SMALL_REPLY];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_TRUNC | flags);

	if (n < 0)
		return -errno;   /* ECONNRESET: the callee failed */
	n = mb_reply_len(buf[0], n, cap);
	if (n > 0)
		memcpy(reply, buf + 1, (size_t)n);
	return n;
}

/*
 * A bigger cap: peek at the kind and full length, then receive in place
 * (or, when it does not fit, take it off the socket and leave `reply`).
 */
static ssize_t mb_take_peeked(int fd, void *reply, size_t cap, int flags)
{
	uint8_t kind = 0;
	struct iovec iov[2] = { { &kind, 1 }, { reply, cap } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n = recv(fd, &kind, 1, MSG_PEEK | MSG_TRUNC | flags);

	if (n < 0)
		return -errno;
	n = mb_reply_len(kind, n, cap);
	if (n == -EMSGSIZE)
		return recv(fd, &kind, 1, MSG_DONTWAIT) < 0 ? -errno : n;
	if (n < 0)
		return n;
	n = recvmsg(fd, &mh, MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	return mb_reply_len(kind, n, cap);
}

/* Set SO_RCVTIMEO to ms (-1: none) unless it is set so already. */
static int mb_rcvtimeo(struct otp_conn *c, int ms)
{
	struct timeval tv = { 0, 0 };

	if (ms == c->rcv_ms)
		return 0;
	if (ms > 0) {
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
	}
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	c->rcv_ms = ms;
	return 0;
}

/*
 * Get ready to receive before the deadline: recv flags, or -errno.  A kept
 * connection blocks in recv itself; `first_ms` is the call's own timeout
 * when nothing has waited yet (the same every call: no setsockopt).
 */
static int mb_recv_ready(struct otp_conn *c, int64_t deadline, int first_ms)
{
	int left, r;

	if (!c->keep) {
		r = mb_wait(c->fd, POLLIN, deadline);
		return r < 0 ? r : MSG_DONTWAIT;
	}
	left = first_ms != MB_FROM_DEADLINE ? first_ms : mb_left_ms(deadline);
	if (left == 0)
		return MSG_DONTWAIT;
	r = mb_rcvtimeo(c, left);
	return r < 0 ? r : 0;
}

/* Wait for the reply; `reply` is written only when it fits and is a reply. */
static ssize_t mb_recv_reply(struct otp_conn *c, void *reply, size_t cap, int64_t deadline,
			     int first_ms)
{
	ssize_t n;
	int flags;

	for (;;) {
		flags = mb_recv_ready(c, deadline, first_ms);
		if (flags < 0)
			return flags;
		n = cap <= MB_SMALL_REPLY ? mb_take_small(c->fd, reply, cap, flags)
					  : mb_take_peeked(c->fd, reply, cap, flags);
		if (n != -EAGAIN && n != -EINTR)
			return n;
		if (mb_left_ms(deadline) == 0)
			return -ETIMEDOUT;
		first_ms = MB_FROM_DEADLINE;
	}
}

ssize_t otp_mbi_conn_call(struct otp_conn *c, const void *req, size_t len, void *reply,
			  size_t cap, int timeout_ms)
{
	int64_t deadline = mb_deadline(timeout_ms);
	bool waited = false;
	ssize_t n;

	if ((len > 0 && !req) || (cap > 0 && !reply))
		return -EINVAL;
	if (len > OTP_MB_MSG_MAX)
		return -EMSGSIZE;
	n = mb_deliver(c, OTP_MB_CALL, req, len, deadline, &waited);
	if (n < 0)
		return n;
	n = mb_recv_reply(c, reply, cap, deadline, waited ? MB_FROM_DEADLINE : timeout_ms);
	/* Too big for cap was taken off the socket: the connection is in step. */
	if (n < 0 && n != -EMSGSIZE)
		otp_mbi_conn_drop(c);
	return n;
}

int otp_mbi_conn_cast(struct otp_conn *c, const void *msg, size_t len)
{
	bool waited = false;

	if (len > 0 && !msg)
		return -EINVAL;
	if (len > OTP_MB_MSG_MAX)
		return -EMSGSIZE;
	/* Queued in the server's socket: it survives our close. */
	return mb_deliver(c, OTP_MB_CAST, msg, len, mb_deadline(MB_CAST_TIMEOUT_MS), &waited);
}
