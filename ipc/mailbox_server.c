/*
 * mailbox_server.c: the worker side of otpd mailboxes (otp_mailbox.h).
 *
 * One connection at a time, like a gen_server: accept, read one datagram,
 * dispatch on its kind byte, answer a call, close; then the next waiting
 * connection, until the backlog is empty.  SIGTERM and SIGINT arrive
 * through a signalfd polled next to the listening socket, so a stop never
 * interrupts a handler.  Only libc is used: this file is part
 * of the library workers link against.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "otp_mailbox.h"

#define MB_LISTEN_FDS_START 3   /* SD_LISTEN_FDS_START, without libsystemd */
#define MB_CONN_TIMEOUT_S 5     /* a silent or stuck client cannot hold the server */
#define MB_ACCEPT_BATCH 64      /* connections served between two looks at the signals */
#define MB_PROBE_EVERY 8        /* wake-ups between looks for a backlog when there was none */

struct mb_server {
	const struct otp_mb_callbacks *cb;
	void *state;
	int listen_fd;
	int sig_fd;
	uint8_t *req;           /* kind byte + OTP_MB_MSG_MAX */
	uint8_t *rep;           /* kind byte + OTP_MB_MSG_MAX */
	bool draining;          /* the last look for a waiting connection found one */
	unsigned wakeups;
};

/* Parse a decimal environment variable as a positive long; false if unset or bad. */
static bool mb_env_long(const char *name, long *ret_val)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return false;
	*ret_val = v;
	return true;
}

int otp_mb_listen_fd(void)
{
	long pid, n;
	int flags;

	if (!mb_env_long("LISTEN_PID", &pid) || pid != (long)getpid())
		return -ENOENT;
	if (!mb_env_long("LISTEN_FDS", &n) || n < 1)
		return -ENOENT;
	/* Our children must not inherit the mailbox: it is otpd's to hand out. */
	flags = fcntl(MB_LISTEN_FDS_START, F_GETFD);
	if (flags < 0)
		return -errno;
	if (!(flags & FD_CLOEXEC) &&
	    fcntl(MB_LISTEN_FDS_START, F_SETFD, flags | FD_CLOEXEC) < 0)
		return -errno;
	return MB_LISTEN_FDS_START;
}

int otp_mb_serve(const struct otp_mb_callbacks *cb, void *state)
{
	int fd = otp_mb_listen_fd();

	if (fd < 0)
		return fd;
	/* fd 3 stays open: it is otpd's socket, and a later serve may reuse it. */
	return otp_mb_serve_fd(fd, cb, state);
}

/* A listening seqpacket socket, or -errno (checked before init runs). */
static int mb_listen_check(int fd)
{
	int type = 0, acc = 0;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -errno;
	len = sizeof(acc);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) < 0)
		return -errno;
	if (type != SOCK_SEQPACKET || !acc)
		return -EINVAL;
	return 0;
}

/*
 * Wait until an accepted connection is ready for `events`, at most
 * MB_CONN_TIMEOUT_S: a silent or stuck client cannot hold the server.
 */
static bool mb_conn_ready(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	do
		r = poll(&p, 1, MB_CONN_TIMEOUT_S * 1000);
	while (r < 0 && errno == EINTR);
	return r > 0;
}

/*
 * The connection is non-blocking, so the usual case costs one recv: the
 * caller sends its request right after connecting, and it is mostly there
 * by the time we accept.  Only when it is not do we wait (a poll).
 */
static ssize_t mb_conn_recv(int fd, void *buf, size_t len)
{
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, len, MSG_TRUNC);
		if (n >= 0 || (errno != EAGAIN && errno != EINTR))
			return n;
		if (errno == EAGAIN && !mb_conn_ready(fd, POLLIN))
			return -1;
	}
}

/* Send one datagram; a reply of up to 64 KiB fits a fresh socket's buffer at once. */
static void mb_conn_send(int fd, const void *buf, size_t len)
{
	/* A caller that went away gets nothing; MSG_NOSIGNAL keeps us alive. */
	while (send(fd, buf, len, MSG_NOSIGNAL) < 0) {
		if (errno != EAGAIN && errno != EINTR)
			return;
		if (errno == EAGAIN && !mb_conn_ready(fd, POLLOUT))
			return;
	}
}

/* Reply to a call, or close without reply when the handler fails. */
static void mb_call_dispatch(struct mb_server *s, int fd, size_t len)
{
	ssize_t n = -1;

	if (s->cb && s->cb->handle_call)
		n = s->cb->handle_call(s->state, s->req + 1, len, s->rep + 1, OTP_MB_MSG_MAX);
	if (n < 0 || n > OTP_MB_MSG_MAX)
		return;
	s->rep[0] = OTP_MB_REPLY;
	mb_conn_send(fd, s->rep, (size_t)n + 1);
}

/* Serve one accepted connection: one message, then close. */
static void mb_conn_serve(struct mb_server *s, int fd)
{
	ssize_t n = mb_conn_recv(fd, s->req, 1 + OTP_MB_MSG_MAX);

	/* EOF, timeout, error, empty or truncated: drop without a word. */
	if (n < 1 || n > 1 + OTP_MB_MSG_MAX)
		return;
	switch (s->req[0]) {
	case OTP_MB_CALL:
		mb_call_dispatch(s, fd, (size_t)n - 1);
		break;
	case OTP_MB_CAST:
		if (s->cb && s->cb->handle_cast)
			s->cb->handle_cast(s->state, s->req + 1, (size_t)n - 1);
		break;
	default:
		break;
	}
}

/* Errors of accept() that concern one connection, not the server. */
static bool mb_accept_transient(int err)
{
	switch (err) {
	case EINTR:
	case EAGAIN:
	case ECONNABORTED:
	case EPROTO:
	case EPERM:
		return true;
	default:
		return false;
	}
}

/*
 * Accept one connection and serve it: 1 done (served, or lost to its
 * client), 0 none waiting, -errno when the listening socket failed.
 */
static int mb_accept_one(struct mb_server *s)
{
	/* Non-blocking: every wait on the connection is a bounded poll, and
	 * no setsockopt timeouts are needed (two syscalls per call saved). */
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0) {
		if (errno == EAGAIN)
			return 0;
		return mb_accept_transient(errno) ? 1 : -errno;
	}
	mb_conn_serve(s, fd);
	close(fd);
	return 1;
}

/*
 * Whether to look for more waiting connections after serving the one
 * poll announced.  A look that finds none is an accept4 failing with
 * EAGAIN: a syscall (1.9 us on a paravirtualised VM) as dear as the poll
 * it would save, so looking pays only while callers pile up.  Keep
 * looking while the last look found one; otherwise look again every
 * MB_PROBE_EVERY wake-ups, to notice when they start to.
 */
static bool mb_should_look(struct mb_server *s)
{
	return s->draining || ++s->wakeups % MB_PROBE_EVERY == 0;
}

/*
 * Serve the connection poll announced, then, while it pays, the backlog
 * until it is empty: under load one poll per batch instead of one per
 * call.  At most MB_ACCEPT_BATCH, so a steady stream of callers cannot
 * hide a stop signal.  0 or -errno.
 */
static int mb_accept_batch(struct mb_server *s)
{
	int r = mb_accept_one(s), n = 1;

	if (r <= 0 || !mb_should_look(s))
		return r < 0 ? r : 0;
	while (n < MB_ACCEPT_BATCH && (r = mb_accept_one(s)) > 0)
		n++;
	s->draining = n > 1;
	return r < 0 ? r : 0;
}

/* Drain the signalfd; true if a stop was asked for. */
static bool mb_signals_read(int sig_fd)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			stop = true;
	return stop;
}

/* Poll until a stop signal (0) or a fatal error (-errno). */
static int mb_loop(struct mb_server *s)
{
	struct pollfd p[2] = {
		{ .fd = s->listen_fd, .events = POLLIN },
		{ .fd = s->sig_fd, .events = POLLIN },
	};
	int r;

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[1].revents && mb_signals_read(s->sig_fd))
			return 0;
		if (p[0].revents & POLLNVAL)
			return -EBADF;
		if (p[0].revents & (POLLIN | POLLERR | POLLHUP)) {
			r = mb_accept_batch(s);
			if (r < 0)
				return r;
		}
	}
}

/* Init, loop, terminate; signals are already routed to s->sig_fd. */
static int mb_run(struct mb_server *s)
{
	int r;

	s->req = malloc(1 + OTP_MB_MSG_MAX);
	s->rep = malloc(1 + OTP_MB_MSG_MAX);
	if (!s->req || !s->rep) {
		r = -ENOMEM;
		goto out;
	}
	if (s->cb && s->cb->init) {
		r = s->cb->init(s->state);
		if (r != 0)
			goto out;       /* like gen_server: no terminate after a failed init */
	}
	r = mb_loop(s);
	if (s->cb && s->cb->terminate)
		s->cb->terminate(s->state, r);
out:
	free(s->req);
	free(s->rep);
	return r;
}

/* Route SIGTERM and SIGINT to a signalfd and run; the mask as it was after. */
static int mb_run_signalled(struct mb_server *s)
{
	sigset_t stop, old;
	int r;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (sigprocmask(SIG_BLOCK, &stop, &old) < 0)
		return -errno;
	s->sig_fd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->sig_fd < 0) {
		r = -errno;
	} else {
		r = mb_run(s);
		/* A second stop signal already pending must not kill us on unblock. */
		(void)mb_signals_read(s->sig_fd);
		close(s->sig_fd);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

int otp_mb_serve_fd(int listen_fd, const struct otp_mb_callbacks *cb, void *state)
{
	struct mb_server s = { .cb = cb, .state = state, .listen_fd = listen_fd };
	int flags, r;

	if (listen_fd < 0)
		return -EBADF;
	r = mb_listen_check(listen_fd);
	if (r < 0)
		return r;
	/*
	 * Non-blocking while we serve, to accept until the backlog is empty.
	 * The flag belongs to the open file otpd shares with every start of
	 * the worker: put back as we found it on the way out.
	 */
	flags = fcntl(listen_fd, F_GETFL);
	if (flags < 0)
		return -errno;
	if (!(flags & O_NONBLOCK) && fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	r = mb_run_signalled(&s);
	if (!(flags & O_NONBLOCK))
		(void)fcntl(listen_fd, F_SETFL, flags);
	return r;
}
