/*
 * mailbox_peer.c: the connections a mailbox server holds open.
 *
 * An accepted connection stays open until its caller closes it, so one
 * connection may carry many calls and casts, answered in order.  Each
 * round, every peer with something to read gets one message read and
 * answered: a busy caller cannot starve the others, and a silent one
 * costs nothing but its slot.  Sends never block: a reply the caller is
 * not taking waits in its peer, and until it is flushed the peer is
 * watched for EPOLLOUT only, so a caller that does not read its replies
 * is not read either (its own sends then wait in the kernel).
 * Only libc is used: this file is part of libotp_mailbox.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mailbox_internal.h"

/* Watch the peer in slot for `events` (EPOLLIN or EPOLLOUT); false if epoll failed. */
static bool peer_watch(struct otp_mbi_server *s, size_t slot, int op, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u32 = (uint32_t)slot };

	return epoll_ctl(s->ep_fd, op, s->peers[slot].fd, &ev) == 0;
}

/* Close the peer in slot and free the slot. */
static void peer_remove(struct otp_mbi_server *s, size_t slot)
{
	struct otp_mbi_peer *p = &s->peers[slot];

	/* Explicitly: a fork of the worker may hold a copy of the fd. */
	(void)epoll_ctl(s->ep_fd, EPOLL_CTL_DEL, p->fd, NULL);
	close(p->fd);
	free(p->out);
	*p = (struct otp_mbi_peer){ .fd = -1 };
	s->free_slots[s->nfree++] = (uint16_t)slot;
}

/*
 * Close the peer in slot without taking back what was sent to it: a
 * refused call, a datagram a server does not take, a stop.  A Unix
 * socket closed with messages of the caller still unread makes the
 * kernel report ECONNRESET to the caller ahead of the replies already
 * queued for it, which are then lost (a caller pipelining calls lost the
 * answers to the ones before).  So: no new message can arrive (SHUT_RD:
 * the caller's sends fail with EPIPE), the unread ones are dropped, and
 * then the caller reads its replies, and EOF.  Not for a peer at EOF or
 * broken: its caller is gone, and the syscalls would be wasted.
 */
static void peer_refuse(struct otp_mbi_server *s, size_t slot)
{
	int fd = s->peers[slot].fd;

	(void)shutdown(fd, SHUT_RD);
	/* Each recv drops one datagram; 0 at the end (or at an empty one). */
	while (recv(fd, NULL, 0, MSG_TRUNC | MSG_DONTWAIT) > 0)
		;
	peer_remove(s, slot);
}

/* Send the reply buf (len bytes, kind included), or keep it for EPOLLOUT. */
static bool peer_send(struct otp_mbi_server *s, size_t slot, const uint8_t *buf, size_t len)
{
	struct otp_mbi_peer *p = &s->peers[slot];

	/* A caller that went away gets nothing; MSG_NOSIGNAL keeps us alive. */
	if (send(p->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
		return true;
	if (errno != EAGAIN && errno != EINTR)
		return false;
	p->out = malloc(len);
	if (!p->out)
		return false;
	memcpy(p->out, buf, len);
	p->out_len = len;
	return peer_watch(s, slot, EPOLL_CTL_MOD, EPOLLOUT);
}

/* Hold the reply in s->rep for the end of the round, if there is room. */
static bool peer_hold(struct otp_mbi_server *s, size_t slot, size_t len)
{
	if (!s->holding || s->n_held == OTP_MBI_HELD_MAX ||
	    len > OTP_MBI_HELD_BYTES - s->held_len)
		return false;
	memcpy(s->held_buf + s->held_len, s->rep, len);
	s->held[s->n_held++] = (struct otp_mbi_held){ .slot = (uint32_t)slot, .len = (uint32_t)len };
	s->held_len += len;
	return true;
}

/* The reply in s->rep (len bytes, kind included): held, sent, or kept. */
static bool peer_reply(struct otp_mbi_server *s, size_t slot, size_t len)
{
	return peer_hold(s, slot, len) || peer_send(s, slot, s->rep, len);
}

/* A call: reply, or false to close without one when the handler fails. */
static bool peer_call(struct otp_mbi_server *s, size_t slot, size_t len)
{
	ssize_t n = -1;

	if (s->cb && s->cb->handle_call)
		n = s->cb->handle_call(s->state, s->req + 1, len, s->rep + 1, OTP_MB_MSG_MAX);
	if (n < 0 || n > OTP_MB_MSG_MAX)
		return false;
	s->rep[0] = OTP_MB_REPLY;
	return peer_reply(s, slot, (size_t)n + 1);
}

/*
 * A system message (otp_mailbox.h): from otpd's user only, else the peer
 * is closed as for a kind a server does not take.  A call is answered by
 * the library, a cast goes to handle_info.
 */
static bool peer_system(struct otp_mbi_server *s, size_t slot, size_t len, int *fd)
{
	int ho;

	if (!otp_mbi_sys_trusted(s, s->peers[slot].fd))
		return false;
	if (s->req[0] == OTP_MB_SYS_CAST && (ho = otp_mbi_handover_word(s->req + 1, len)) != 0) {
		/* Acted on after this round (mailbox_handover.c). */
		if (ho > 0 && *fd >= 0 && s->ho_fd < 0 && !s->handed_over) {
			s->ho_fd = *fd;
			*fd = -1;
		}
		return true;
	}
	if (s->req[0] == OTP_MB_SYS_CAST) {
		if (s->cb && s->cb->handle_info)
			s->cb->handle_info(s->state, s->req + 1, len);
		return true;
	}
	s->rep[0] = OTP_MB_REPLY;
	return peer_reply(s, slot, 1 + otp_mbi_sys_answer(s->req + 1, len, s->rep + 1,
							  OTP_MB_MSG_MAX));
}

/*
 * Handle the datagram in s->req, n bytes with its kind (as recv with
 * MSG_TRUNC counts them).  False to close the peer: EOF, an empty or
 * oversized datagram, a kind a server does not take, a failed handler.
 */
static bool peer_dispatch(struct otp_mbi_server *s, size_t slot, ssize_t n, int *fd)
{
	if (n < 1 || n > 1 + OTP_MB_MSG_MAX)
		return false;
	switch (s->req[0]) {
	case OTP_MB_CALL:
		return peer_call(s, slot, (size_t)n - 1);
	case OTP_MB_CAST:
		if (s->cb && s->cb->handle_cast)
			s->cb->handle_cast(s->state, s->req + 1, (size_t)n - 1);
		return true;
	case OTP_MB_SYS_CALL:
	case OTP_MB_SYS_CAST:
		return peer_system(s, slot, (size_t)n - 1, fd);
	default:
		return false;
	}
}

/* The descriptor a message carried (SCM_RIGHTS: otpd's HANDOVER), or -1;
 * any other is closed. */
static int peer_msg_fd(struct msghdr *mh)
{
	int fd = -1;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int x;

			memcpy(&x, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (fd < 0)
				fd = x;
			else
				close(x);
		}
	}
	return fd;
}

/*
 * Read and handle one message: 1 done, 0 none waiting, -1 the peer is
 * finished (EOF, an error), -2 refused (close it with peer_refuse).
 */
static int peer_serve_one(struct otp_mbi_server *s, size_t slot)
{
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = s->req, .iov_len = 1 + OTP_MB_MSG_MAX };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl,
			     .msg_controllen = sizeof(ctl) };
	ssize_t n = recvmsg(s->peers[slot].fd, &mh, MSG_TRUNC | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	int fd;
	bool ok;

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	/* recvmsg's MSG_TRUNC reports the flag, not the length: as recv did. */
	if (mh.msg_flags & MSG_TRUNC)
		n = 2 + OTP_MB_MSG_MAX;
	fd = peer_msg_fd(&mh);
	s->peers[slot].used = ++s->tick;
	ok = peer_dispatch(s, slot, n, &fd);
	if (fd >= 0)
		close(fd);
	return ok ? 1 : -2;
}

/* Close the peer after peer_serve_one's result r < 0. */
static void peer_end(struct otp_mbi_server *s, size_t slot, int r)
{
	if (r == -2)
		peer_refuse(s, slot);
	else
		peer_remove(s, slot);
}

/* Send the pending reply if the caller has room now; false if the peer broke. */
static bool peer_flush(struct otp_mbi_server *s, size_t slot)
{
	struct otp_mbi_peer *p = &s->peers[slot];

	if (send(p->fd, p->out, p->out_len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		return errno == EAGAIN || errno == EINTR;
	free(p->out);
	p->out = NULL;
	p->used = ++s->tick;
	return peer_watch(s, slot, EPOLL_CTL_MOD, EPOLLIN);
}

void otp_mbi_peer_add(struct otp_mbi_server *s, int fd)
{
	size_t slot = s->free_slots[--s->nfree];

	s->peers[slot] = (struct otp_mbi_peer){ .fd = fd, .used = ++s->tick };
	if (!peer_watch(s, slot, EPOLL_CTL_ADD, EPOLLIN)) {
		peer_remove(s, slot);
		return;
	}
	/* A one-shot caller sent its message right after connecting: mostly
	 * there already, and served now instead of after another wait. */
	int r = peer_serve_one(s, slot);

	if (r < 0)
		peer_end(s, slot, r);
}

void otp_mbi_peer_event(struct otp_mbi_server *s, size_t slot, uint32_t events)
{
	int r;

	if (s->peers[slot].fd < 0)
		return;         /* closed earlier in this round */
	if (s->peers[slot].out) {
		bool ok = (events & EPOLLOUT) ? peer_flush(s, slot)
					      : !(events & (EPOLLERR | EPOLLHUP));

		r = ok ? 0 : -1;
	} else {
		r = peer_serve_one(s, slot);
	}
	if (r < 0)
		peer_end(s, slot, r);
}

void otp_mbi_round_send(struct otp_mbi_server *s)
{
	size_t at = 0;

	/* Each slot is served once a round, so a held reply's peer is still
	 * the one that asked: none is closed or replaced before this. */
	for (size_t i = 0; i < s->n_held; i++) {
		size_t slot = s->held[i].slot;

		if (!peer_send(s, slot, s->held_buf + at, s->held[i].len))
			peer_remove(s, slot);
		at += s->held[i].len;
	}
	s->n_held = s->held_len = 0;
}

void otp_mbi_peer_retire(struct otp_mbi_server *s, size_t slot)
{
	struct otp_mbi_peer *p = &s->peers[slot];

	/* From here the caller's sends fail (EPIPE): nothing new can arrive. */
	(void)shutdown(p->fd, SHUT_RD);
	/*
	 * Answer what arrived before, while the caller takes the replies at
	 * once; one that would have to wait is dropped with the connection
	 * (its caller sees the connection close before that reply).
	 */
	for (;;) {
		if (p->out && (!peer_flush(s, slot) || p->out))
			break;
		if (peer_serve_one(s, slot) <= 0)
			break;
	}
	/* What is left unread is dropped, the replies sent stay readable. */
	peer_refuse(s, slot);
}

size_t otp_mbi_peer_oldest(const struct otp_mbi_server *s)
{
	size_t best = OTP_MB_CONN_MAX;

	for (size_t i = 0; i < OTP_MB_CONN_MAX; i++)
		if (s->peers[i].fd >= 0 && (best == OTP_MB_CONN_MAX ||
					    s->peers[i].used < s->peers[best].used))
			best = i;
	return best;
}
