/*
 * mailbox_handover.c: state handover between the two processes of an
 * overlapping restart (otp_mailbox.h, "State handover"; otpd(8)).
 *
 * otpd makes a socketpair: one end is the new process's OTP_HANDOVER_FD,
 * the other reaches the old process as a HANDOVER system cast.  The old
 * one answers what its connections queued, sends its state (an 8-byte
 * little-endian length, then the bytes), stops listening and keeps the
 * channel open: if the new process ends before otpd stops the old one,
 * the channel closes and the old one serves again.  The new one reads
 * the state before it serves, and keeps its end open for its life.
 * Only libc is used: this file is part of libotp_mailbox.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mailbox_internal.h"

#define HO_WORD "HANDOVER"
#define HO_TIMEOUT_MS 5000              /* otp_handover_receive's default */

/* The old side's channel while the handover callback runs. */
static int ho_give_fd = -1;

int otp_mbi_handover_word(const uint8_t *msg, size_t len)
{
	char pid[24];
	size_t w = sizeof(HO_WORD) - 1;

	if (len < w || memcmp(msg, HO_WORD, w) != 0 || (len > w && msg[w] != ' '))
		return 0;
	/* "HANDOVER PID": for that process only (the new one may accept it). */
	if (len <= w + 1 || len - w - 1 >= sizeof(pid))
		return -1;
	memcpy(pid, msg + w + 1, len - w - 1);
	pid[len - w - 1] = '\0';
	return atol(pid) == (long)getpid() ? 1 : -1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Write all of buf to a (blocking or not) socket; 0 or -errno. */
static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			(void)poll(&pfd, 1, -1);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int otp_handover_send(const void *state, size_t len)
{
	uint8_t hdr[8];
	int r;

	if (ho_give_fd < 0)
		return -EBADF;
	if (len > 0 && !state)
		return -EINVAL;
	for (int i = 0; i < 8; i++)
		hdr[i] = (uint8_t)((uint64_t)len >> (8 * i));
	if ((r = write_all(ho_give_fd, hdr, sizeof(hdr))) < 0)
		return r;
	r = write_all(ho_give_fd, state, len);
	/* One state per handover: the rest of the channel only says "alive". */
	if (r == 0)
		(void)shutdown(ho_give_fd, SHUT_WR);
	ho_give_fd = -1;
	return r;
}

static void stop_listening(struct otp_mbi_server *s)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u32 = OTP_MBI_TAG_HANDOVER };

	(void)epoll_ctl(s->ep_fd, EPOLL_CTL_DEL, s->listen_fd, NULL);
	s->paused = false;
	if (epoll_ctl(s->ep_fd, EPOLL_CTL_ADD, s->ho_fd, &ev) < 0) {
		/* Cannot watch it: serve again rather than never. */
		otp_mbi_handover_resume(s);
		return;
	}
	s->handed_over = true;
}

void otp_mbi_handover_give(struct otp_mbi_server *s)
{
	if (s->ho_fd < 0 || s->handed_over)
		return;
	if (!s->cb || !s->cb->handover) {
		/* Not taking part: the new process sees EOF at once and starts
		 * without a state (and says so). */
		close(s->ho_fd);
		s->ho_fd = -1;
		return;
	}
	/* What reached us is answered first: the state then holds its effects. */
	for (size_t i = 0; i < OTP_MB_CONN_MAX; i++)
		if (s->peers[i].fd >= 0)
			otp_mbi_peer_retire(s, i);
	ho_give_fd = s->ho_fd;
	s->cb->handover(s->state);
	if (ho_give_fd >= 0) {
		/* The callback sent nothing: an empty state says so. */
		(void)otp_handover_send(NULL, 0);
	}
	stop_listening(s);
}

void otp_mbi_handover_resume(struct otp_mbi_server *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = OTP_MBI_TAG_LISTEN };

	if (s->ho_fd >= 0) {
		(void)epoll_ctl(s->ep_fd, EPOLL_CTL_DEL, s->ho_fd, NULL);
		close(s->ho_fd);
	}
	s->ho_fd = -1;
	if (s->handed_over)
		(void)epoll_ctl(s->ep_fd, EPOLL_CTL_ADD, s->listen_fd, &ev);
	s->handed_over = false;
}

/* --- the new side ---------------------------------------------------------- */

bool otp_taking_over(void)
{
	const char *v = getenv("OTP_TAKING_OVER");

	return v && strcmp(v, "1") == 0;
}

static int handover_fd(void)
{
	const char *v = getenv("OTP_HANDOVER_FD");
	char *end;
	long fd;

	if (!v || !*v)
		return -ENOENT;
	fd = strtol(v, &end, 10);
	if (*end || fd < 3 || fd > 1 << 20)
		return -ENOENT;
	return (int)fd;
}

/* Read exactly len bytes before `deadline` (ms, monotonic); 0, -ENODATA at
 * EOF, -ETIMEDOUT, or -errno. */
static int read_full(int fd, void *buf, size_t len, int64_t deadline)
{
	char *p = buf;

	while (len > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)(left > 60000 ? 60000 : left)) == 0)
			continue;
		n = recv(fd, p, len, MSG_DONTWAIT);
		if (n == 0)
			return -ENODATA;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void otp_mbi_notify(const char *fmt, ...)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char msg[160];
	va_list ap;
	int fd;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(sa.sun_path, path, strlen(path));
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	(void)sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path)));
	close(fd);
}

static int receive_state(int fd, void **ret_buf, size_t *ret_len, int64_t deadline)
{
	uint8_t hdr[8];
	uint64_t len = 0;
	void *buf;
	int r;

	if ((r = read_full(fd, hdr, sizeof(hdr), deadline)) < 0)
		return r;
	for (int i = 0; i < 8; i++)
		len |= (uint64_t)hdr[i] << (8 * i);
	if (len > SIZE_MAX - 1)
		return -EMSGSIZE;
	if (!(buf = malloc(len ? len : 1)))
		return -ENOMEM;
	if ((r = read_full(fd, buf, len, deadline)) < 0) {
		free(buf);
		return r == -ENODATA ? -EPROTO : r;
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

int otp_handover_receive(void **ret_buf, size_t *ret_len, int timeout_ms)
{
	const char *env = getenv("OTP_HANDOVER_TIMEOUT_MS");
	int fd = handover_fd(), r;

	if (!ret_buf || !ret_len)
		return -EINVAL;
	if (fd < 0)
		return fd;
	if (timeout_ms < 0)
		timeout_ms = env && *env ? atoi(env) : HO_TIMEOUT_MS;
	r = receive_state(fd, ret_buf, ret_len, now_ms() + timeout_ms);
	/* The fd stays open: the old process serves again if it closes first. */
	if (r == 0)
		otp_mbi_notify("OTP_HANDOVER=received %zu", *ret_len);
	else
		otp_mbi_notify("OTP_HANDOVER=none %s", r == -ETIMEDOUT ? "timeout"
					   : r == -ENODATA ? "declined" : strerror(-r));
	return r;
}
