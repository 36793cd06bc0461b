/*
 * mailbox_server.c: the worker side of otpd mailboxes (otp_mailbox.h).
 *
 * Like a gen_server, one message is handled at a time, in one thread;
 * unlike a one-connection-at-a-time server, every accepted connection
 * stays open (mailbox_peer.c) and one epoll instance watches the
 * listening socket, a signalfd for SIGTERM and SIGINT, and up to
 * OTP_MB_CONN_MAX open connections (a round costs what is ready, not what
 * is open).  Each round serves one message of every ready connection,
 * then accepts: a silent, slow or busy caller holds nobody else up, and
 * a stop never interrupts a handler.  On a stop every open
 * connection is retired (what it queued is answered first), so a clean
 * restart drops no call that reached the worker.  Only libc is used:
 * this file is part of the library workers link against.
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
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mailbox_internal.h"

#define MB_LISTEN_FDS_START 3   /* SD_LISTEN_FDS_START, without libsystemd */
#define MB_ACCEPT_BATCH 64      /* connections accepted between two polls */
#define MB_PROBE_EVERY 8        /* wake-ups between looks for a backlog when there was none */
#define MB_PAUSE_MS 100         /* out of fds: how long to stop accepting */
#define MB_EVENTS OTP_MBI_EVENTS

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

/* Errors of accept() that concern one connection, not the server. */
static bool mb_accept_transient(int err)
{
	switch (err) {
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
	case EPERM:
		return true;
	default:
		return false;
	}
}

/* Errors of accept() that say "no room for another fd now". */
static bool mb_accept_starved(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

/* Watch fd under tag for events (0: not at all for now); false if epoll failed. */
static bool mb_watch(struct otp_mbi_server *s, int op, int fd, uint32_t tag, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u32 = tag };

	return epoll_ctl(s->ep_fd, op, fd, &ev) == 0;
}

/*
 * Accept one waiting connection and serve what it sent already: 1 done
 * (or lost to its client), 0 none waiting (or no fd to take it with:
 * listening pauses), -errno when the listening socket failed.  With every
 * slot taken, the connection idle the longest is retired first.
 */
static int mb_accept_one(struct otp_mbi_server *s)
{
	int fd;

	if (otp_mbi_full(s))
		otp_mbi_peer_retire(s, otp_mbi_peer_oldest(s));
	fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd >= 0) {
		otp_mbi_peer_add(s, fd);
		return 1;
	}
	if (errno == EAGAIN)
		return 0;
	if (mb_accept_transient(errno))
		return 1;
	if (!mb_accept_starved(errno))
		return -errno;
	s->paused = mb_watch(s, EPOLL_CTL_MOD, s->listen_fd, OTP_MBI_TAG_LISTEN, 0);
	return 0;
}

/*
 * Whether to look for more waiting connections after accepting the one
 * epoll announced.  A look that finds none is an accept4 failing with
 * EAGAIN: a syscall (1.9 us on a paravirtualised VM) as dear as the wait
 * it would save, so looking pays only while callers pile up.  Keep
 * looking while the last look found one; otherwise look again every
 * MB_PROBE_EVERY wake-ups, to notice when they start to.
 */
static bool mb_should_look(struct otp_mbi_server *s)
{
	return s->draining || ++s->wakeups % MB_PROBE_EVERY == 0;
}

/*
 * Accept the connection epoll announced, then, while it pays, the
 * backlog until it is empty: under a stream of one-shot callers one wait
 * per batch instead of one per call.  At most MB_ACCEPT_BATCH, and never
 * by retiring open connections, so the open ones are served in between.
 * 0 or -errno.
 */
static int mb_accept_batch(struct otp_mbi_server *s)
{
	int r = mb_accept_one(s), n = 1;

	if (r <= 0 || !mb_should_look(s))
		return r < 0 ? r : 0;
	while (n < MB_ACCEPT_BATCH && !otp_mbi_full(s) && (r = mb_accept_one(s)) > 0)
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

/* Wait for the next round: how many events, or -errno.  Listening resumes after a pause. */
static int mb_wait(struct otp_mbi_server *s, struct epoll_event *ev)
{
	int n;

	while ((n = epoll_wait(s->ep_fd, ev, MB_EVENTS, s->paused ? MB_PAUSE_MS : -1)) < 0)
		if (errno != EINTR)
			return -errno;
	if (s->paused && mb_watch(s, EPOLL_CTL_MOD, s->listen_fd, OTP_MBI_TAG_LISTEN, EPOLLIN))
		s->paused = false;
	return n;
}

/*
 * One round: a stop signal first (1), then one message (or a pending
 * reply) for every ready peer, then the waiting callers.  0 or -errno.
 */
static int mb_round(struct otp_mbi_server *s, const struct epoll_event *ev, int n)
{
	bool listen = false;
	int i;

	for (i = 0; i < n; i++) {
		if (ev[i].data.u32 == OTP_MBI_TAG_SIGNAL && mb_signals_read(s->sig_fd))
			return 1;
		if (ev[i].data.u32 == OTP_MBI_TAG_LISTEN && !s->handed_over)
			listen = true;
		/* The new process ended before otpd stopped us: serve again. */
		if (ev[i].data.u32 == OTP_MBI_TAG_HANDOVER)
			otp_mbi_handover_resume(s);
	}
	s->holding = true;
	for (i = 0; i < n; i++)
		if (ev[i].data.u32 < OTP_MB_CONN_MAX)
			otp_mbi_peer_event(s, ev[i].data.u32, ev[i].events);
	s->holding = false;
	/* Before accepting: a slot freed this round may be taken again. */
	otp_mbi_round_send(s);
	return listen ? mb_accept_batch(s) : 0;
}

/* Serve until a stop signal (0) or a fatal error (-errno). */
static int mb_loop(struct otp_mbi_server *s)
{
	struct epoll_event ev[MB_EVENTS];
	int n, r;

	for (;;) {
		n = mb_wait(s, ev);
		if (n < 0)
			return n;
		r = mb_round(s, ev, n);
		if (r != 0)
			return r > 0 ? 0 : r;
		if (s->ho_fd >= 0 && !s->handed_over)
			otp_mbi_handover_give(s);
	}
}

/* The buffers, the slots and the epoll instance of a server; 0 or -errno. */
static int mb_setup(struct otp_mbi_server *s)
{
	s->req = malloc(1 + OTP_MB_MSG_MAX);
	s->rep = malloc(1 + OTP_MB_MSG_MAX);
	s->peers = calloc(OTP_MB_CONN_MAX, sizeof(*s->peers));
	s->free_slots = calloc(OTP_MB_CONN_MAX, sizeof(*s->free_slots));
	s->held = calloc(OTP_MBI_HELD_MAX, sizeof(*s->held));
	s->held_buf = malloc(OTP_MBI_HELD_BYTES);
	if (!s->req || !s->rep || !s->peers || !s->free_slots || !s->held || !s->held_buf)
		return -ENOMEM;
	for (size_t i = 0; i < OTP_MB_CONN_MAX; i++) {
		s->peers[i].fd = -1;
		s->free_slots[s->nfree++] = (uint16_t)(OTP_MB_CONN_MAX - 1 - i);
	}
	s->ep_fd = epoll_create1(EPOLL_CLOEXEC);
	if (s->ep_fd < 0)
		return -errno;
	if (!mb_watch(s, EPOLL_CTL_ADD, s->listen_fd, OTP_MBI_TAG_LISTEN, EPOLLIN) ||
	    !mb_watch(s, EPOLL_CTL_ADD, s->sig_fd, OTP_MBI_TAG_SIGNAL, EPOLLIN))
		return -errno;
	return 0;
}

/* Retire every open connection, then free what mb_setup made. */
static void mb_teardown(struct otp_mbi_server *s)
{
	if (s->ho_fd >= 0)
		close(s->ho_fd);
	s->ho_fd = -1;
	for (size_t i = 0; s->peers && i < OTP_MB_CONN_MAX; i++)
		if (s->peers[i].fd >= 0)
			otp_mbi_peer_retire(s, i);
	if (s->ep_fd >= 0)
		close(s->ep_fd);
	free(s->req);
	free(s->rep);
	free(s->peers);
	free(s->free_slots);
	free(s->held);
	free(s->held_buf);
}

/*
 * Init, loop, retire the open connections (what they queued is
 * answered), terminate; signals go to s->sig_fd already.
 */
static int mb_run(struct otp_mbi_server *s)
{
	int r = mb_setup(s);

	if (r == 0 && s->cb && s->cb->init)
		r = s->cb->init(s->state);      /* like gen_server: no terminate after a failed init */
	if (r != 0) {
		mb_teardown(s);
		return r;
	}
	/* Serving from here: ready = notify needs nothing more of the worker. */
	otp_mbi_notify("READY=1");
	r = mb_loop(s);
	for (size_t i = 0; i < OTP_MB_CONN_MAX; i++)
		if (s->peers[i].fd >= 0)
			otp_mbi_peer_retire(s, i);
	if (s->cb && s->cb->terminate)
		s->cb->terminate(s->state, r);
	mb_teardown(s);
	return r;
}

/* Route SIGTERM and SIGINT to a signalfd and run; the mask as it was after. */
static int mb_run_signalled(struct otp_mbi_server *s)
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
	struct otp_mbi_server s = { .cb = cb, .state = state, .listen_fd = listen_fd, .ep_fd = -1,
				    .ho_fd = -1 };
	int flags, r;

	if (listen_fd < 0)
		return -EBADF;
	r = mb_listen_check(listen_fd);
	if (r < 0)
		return r;
	s.sys_uid = otp_mbi_sys_owner(listen_fd);
	/*
	 * Non-blocking, to accept until the backlog is empty.  The flag
	 * belongs to the open file otpd shares with every process of the
	 * worker, and is left so: during an overlapping restart another
	 * process serves the same socket, and a blocking one would hang its
	 * accept (otpd makes it blocking again for each plain start).
	 */
	flags = fcntl(listen_fd, F_GETFL);
	if (flags < 0)
		return -errno;
	if (!(flags & O_NONBLOCK) && fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	r = mb_run_signalled(&s);
	return r;
}
