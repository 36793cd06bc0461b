/*
 * mailbox_peer.c: the connections a mailbox server holds open.
 *
 * An accepted connection stays open until its caller closes it, so one
 * connection may carry many calls and casts, answered in order.  Each
 * poll round, every peer with something to read gets one message read
 * and answered: a busy caller cannot starve the others, and a silent one
 * costs nothing but its slot.  Sends never block: a reply the caller is
 * not taking waits in its peer, and until it is flushed the peer is
 * polled for POLLOUT only, so a caller that does not read its replies is
 * not read either (its own sends then wait in the kernel).
 * Only libc is used: this file is part of libotp_mailbox.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mailbox_internal.h"

/* Close peers[i] and move the last peer (and its pollfd) into its place. */
static void peer_remove(struct otp_mbi_server *s, size_t i)
{
	size_t last = s->npeers - 1;

	close(s->peers[i].fd);
	free(s->peers[i].out);
	s->peers[i] = s->peers[last];
	s->pfd[2 + i] = s->pfd[2 + last];
	s->npeers--;
}

/* Send the reply in s->rep (len bytes, kind included), or keep it for POLLOUT. */
static bool peer_reply(struct otp_mbi_server *s, size_t i, size_t len)
{
	struct otp_mbi_peer *p = &s->peers[i];

	/* A caller that went away gets nothing; MSG_NOSIGNAL keeps us alive. */
	if (send(p->fd, s->rep, len, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
		return true;
	if (errno != EAGAIN && errno != EINTR)
		return false;
	p->out = malloc(len);
	if (!p->out)
		return false;
	memcpy(p->out, s->rep, len);
	p->out_len = len;
	s->pfd[2 + i].events = POLLOUT;
	return true;
}

/* A call: reply, or false to close without one when the handler fails. */
static bool peer_call(struct otp_mbi_server *s, size_t i, size_t len)
{
	ssize_t n = -1;

	if (s->cb && s->cb->handle_call)
		n = s->cb->handle_call(s->state, s->req + 1, len, s->rep + 1, OTP_MB_MSG_MAX);
	if (n < 0 || n > OTP_MB_MSG_MAX)
		return false;
	s->rep[0] = OTP_MB_REPLY;
	return peer_reply(s, i, (size_t)n + 1);
}

/*
 * Handle the datagram in s->req, n bytes with its kind (as recv with
 * MSG_TRUNC counts them).  False to close the peer: EOF, an empty or
 * oversized datagram, a kind a server does not take, a failed handler.
 */
static bool peer_dispatch(struct otp_mbi_server *s, size_t i, ssize_t n)
{
	if (n < 1 || n > 1 + OTP_MB_MSG_MAX)
		return false;
	switch (s->req[0]) {
	case OTP_MB_CALL:
		return peer_call(s, i, (size_t)n - 1);
	case OTP_MB_CAST:
		if (s->cb && s->cb->handle_cast)
			s->cb->handle_cast(s->state, s->req + 1, (size_t)n - 1);
		return true;
	default:
		return false;
	}
}

/* Read and handle one message: 1 done, 0 none waiting, -1 the peer is finished. */
static int peer_serve_one(struct otp_mbi_server *s, size_t i)
{
	ssize_t n = recv(s->peers[i].fd, s->req, 1 + OTP_MB_MSG_MAX, MSG_TRUNC | MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	s->peers[i].used = ++s->tick;
	return peer_dispatch(s, i, n) ? 1 : -1;
}

/* Send the pending reply if the caller has room now; false if the peer broke. */
static bool peer_flush(struct otp_mbi_server *s, size_t i)
{
	struct otp_mbi_peer *p = &s->peers[i];

	if (send(p->fd, p->out, p->out_len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		return errno == EAGAIN || errno == EINTR;
	free(p->out);
	p->out = NULL;
	p->used = ++s->tick;
	s->pfd[2 + i].events = POLLIN;
	return true;
}

void otp_mbi_peer_add(struct otp_mbi_server *s, int fd)
{
	size_t i = s->npeers++;

	s->peers[i] = (struct otp_mbi_peer){ .fd = fd, .used = ++s->tick };
	s->pfd[2 + i] = (struct pollfd){ .fd = fd, .events = POLLIN };
	/* A one-shot caller sent its message right after connecting: mostly
	 * there already, and served now instead of after another poll. */
	if (peer_serve_one(s, i) < 0)
		peer_remove(s, i);
}

bool otp_mbi_peer_event(struct otp_mbi_server *s, size_t i, short revents)
{
	bool ok;

	if (s->peers[i].out)
		ok = (revents & POLLOUT) ? peer_flush(s, i) : !(revents & (POLLERR | POLLHUP | POLLNVAL));
	else
		ok = peer_serve_one(s, i) >= 0;
	if (!ok)
		peer_remove(s, i);
	return !ok;
}

void otp_mbi_peer_retire(struct otp_mbi_server *s, size_t i)
{
	/* From here the caller's sends fail (EPIPE): nothing new can arrive. */
	(void)shutdown(s->peers[i].fd, SHUT_RD);
	/*
	 * Answer what arrived before, while the caller takes the replies at
	 * once; one that would have to wait is dropped with the connection
	 * (its caller sees the connection close before that reply).
	 */
	for (;;) {
		if (s->peers[i].out && (!peer_flush(s, i) || s->peers[i].out))
			break;
		if (peer_serve_one(s, i) <= 0)
			break;
	}
	peer_remove(s, i);
}

size_t otp_mbi_peer_oldest(const struct otp_mbi_server *s)
{
	size_t best = 0;

	for (size_t i = 1; i < s->npeers; i++)
		if (s->peers[i].used < s->peers[best].used)
			best = i;
	return best;
}
