/*
 * stdout.c: otpd's stdout, which carries the children's lines.
 *
 * A slow reader of otpd's stdout must never block otpd.  Lines are queued
 * in a fixed circular buffer (OUT_QUEUE_MAX bytes) and written whenever fd
 * 1 takes them; EPOLLOUT is watched only while the queue is not empty.  A
 * line that does not fit is dropped and counted, and once the queue has
 * drained completely one "otpd: N lines dropped" line tells the reader
 * where the hole is.
 *
 * fd 1 is written through fd_private_nonblock() (fd_private.c).
 * Writing to a pipe whose reader is gone raises SIGPIPE: otpd must ignore
 * it (main.c), then the write fails with EPIPE and the lines are dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../../supervisor/supervisor.h"
#include "../base/base.h"
#include "output.h"

#define OUT_QUEUE_MAX (1024 * 1024)
#define OUT_MARKER_MAX 64

static struct {
	bool init;
	bool socket;
	int fd;                 /* -1: no stdout at all */
	char *buf;              /* circular, OUT_QUEUE_MAX bytes */
	size_t head, len;
	uint64_t dropped;       /* lines dropped since otpd started */
	uint64_t unreported;    /* dropped since the last marker */
	size_t marker_left;     /* unsent bytes of the marker at the queue's head */
	uint64_t marker_n;      /* the count that marker reports */
	struct ev_source src;
} so = { .fd = -1 };

static void so_on_writable(struct ev_source *s, uint32_t revents);

int out_stdout_init(void)
{
	struct stat st;

	if (so.init)
		return 0;
	so.init = true;
	so.src = (struct ev_source){ .fd = -1, .events = EPOLLOUT, .fn = so_on_writable };
	so.buf = malloc(OUT_QUEUE_MAX);
	if (!so.buf)
		return -ENOMEM;
	if (fstat(1, &st) < 0)
		return -errno;  /* fd 1 closed: every line is dropped */
	so.fd = fd_private_nonblock(1, &st, &so.socket);
	so.src.fd = so.fd;
	return 0;
}

uint64_t out_stdout_dropped(void)
{
	return so.dropped;
}

static void so_count_dropped(uint64_t n)
{
	so.dropped += n;
	so.unreported += n;
}

/* Append n bytes (the caller checked the room). */
static void so_put(const char *p, size_t n)
{
	size_t tail = (so.head + so.len) % OUT_QUEUE_MAX;
	size_t first = OUT_QUEUE_MAX - tail < n ? OUT_QUEUE_MAX - tail : n;

	memcpy(so.buf + tail, p, first);
	memcpy(so.buf, p + first, n - first);
	so.len += n;
}

/* One non-blocking write of the queue's (at most two) segments. */
static ssize_t so_write_some(void)
{
	size_t first = OUT_QUEUE_MAX - so.head < so.len ? OUT_QUEUE_MAX - so.head : so.len;
	struct iovec iov[2] = {
		{ .iov_base = so.buf + so.head, .iov_len = first },
		{ .iov_base = so.buf, .iov_len = so.len - first },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t r;

	do {
		r = so.socket ? sendmsg(so.fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL)
			      : writev(so.fd, iov, 2);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

/* The queue cannot be written (EPIPE, ENOSPC, EIO ...): its lines are lost. */
static void so_drop_queue(void)
{
	uint64_t lines = 0;

	for (size_t i = 0; i < so.len; i++)
		lines += so.buf[(so.head + i) % OUT_QUEUE_MAX] == '\n';
	/* An unsent marker is not a lost line, but its news is still due. */
	if (so.marker_left) {
		lines--;
		so.unreported += so.marker_n;
		so.marker_left = 0;
	}
	so.head = so.len = 0;
	so_count_dropped(lines);
}

static void so_queue_marker(void)
{
	char m[OUT_MARKER_MAX];
	int n = snprintf(m, sizeof(m), "otpd: %llu lines dropped\n",
			 (unsigned long long)so.unreported);

	so_put(m, (size_t)n);
	so.marker_left = (size_t)n;
	so.marker_n = so.unreported;
	so.unreported = 0;
}

static void so_watch(bool on)
{
	if (on && !so.src.added) {
		int r = ev_add(&so.src);

		/* Not pollable (a regular file): retried on the next line. */
		if (r < 0)
			log_debug("stdout: cannot watch fd %d: %s", so.fd, strerror(-r));
	} else if (!on) {
		ev_del(&so.src);
	}
}

/* Write what fd 1 takes now; the marker follows a complete drain. */
static void so_flush(void)
{
	while (so.fd >= 0 && so.len > 0) {
		ssize_t r = so_write_some();

		if (r == -EAGAIN) {
			so_watch(true);
			return;
		}
		if (r < 0) {
			so_drop_queue();
			break;
		}
		so.head = (so.head + (size_t)r) % OUT_QUEUE_MAX;
		so.len -= (size_t)r;
		so.marker_left = so.marker_left > (size_t)r ? so.marker_left - (size_t)r : 0;
		if (so.len == 0 && so.unreported)
			so_queue_marker();
	}
	if (so.len == 0)
		so.head = 0;
	so_watch(false);
}

static void so_on_writable(struct ev_source *s, uint32_t revents)
{
	so_flush();
}

void out_stdout_flush(void)
{
	so_flush();
}

void out_stdout_line(const char *name, pid_t pid, const char *line, size_t len)
{
	char hdr[SUP_NAME_MAX + 32];
	int h = pid > 0 ? snprintf(hdr, sizeof(hdr), "%s[%d]: ", name, (int)pid)
			: snprintf(hdr, sizeof(hdr), "%s: ", name);

	bool marker;

	if (!so.init)
		(void)out_stdout_init();
	if (h >= (int)sizeof(hdr))
		h = sizeof(hdr) - 1;
	marker = so.len == 0 && so.unreported;
	if (so.fd < 0 || !so.buf ||
	    so.len + (marker ? OUT_MARKER_MAX : 0) + (size_t)h + len + 1 > OUT_QUEUE_MAX) {
		so_count_dropped(1);
		return;
	}
	if (marker)
		so_queue_marker();
	so_put(hdr, (size_t)h);
	so_put(line, len);
	so_put("\n", 1);
	/* While waiting for EPOLLOUT another write would only see EAGAIN. */
	if (!so.src.added)
		so_flush();
}

/* --- re-execution ---------------------------------------------------------- */

enum { SO_QUEUE = 1, SO_DROPPED, SO_UNREPORTED, SO_MARKER_LEFT, SO_MARKER_N };

void out_stdout_save(struct st_buf *b)
{
	size_t first = OUT_QUEUE_MAX - so.head < so.len ? OUT_QUEUE_MAX - so.head : so.len;

	/* The two segments of the circular queue, as one value. */
	if (so.buf)
		st_put2(b, SO_QUEUE, so.buf + so.head, first, so.buf, so.len - first);
	else
		st_put(b, SO_QUEUE, NULL, 0);
	st_put_u64(b, SO_DROPPED, so.dropped);
	st_put_u64(b, SO_UNREPORTED, so.unreported);
	st_put_u64(b, SO_MARKER_LEFT, so.marker_left);
	st_put_u64(b, SO_MARKER_N, so.marker_n);
}

int out_stdout_restore(const struct st_rd *rd, bool dry)
{
	struct st_rd q;
	uint64_t dropped = 0, unrep = 0, mleft = 0, mn = 0;

	if (!st_find(rd, SO_QUEUE, &q) || q.n > OUT_QUEUE_MAX)
		return -EBADMSG;
	(void)st_u64(rd, SO_DROPPED, &dropped);
	(void)st_u64(rd, SO_UNREPORTED, &unrep);
	(void)st_u64(rd, SO_MARKER_LEFT, &mleft);
	(void)st_u64(rd, SO_MARKER_N, &mn);
	if (mleft > q.n)
		return -EBADMSG;
	if (dry)
		return 0;
	if (!so.init)
		(void)out_stdout_init();
	so.dropped = dropped;
	so.unreported = unrep;
	if (!so.buf || so.fd < 0) {
		so_count_dropped(q.n ? 1 : 0);
		return 0;
	}
	so.head = so.len = 0;
	so_put((const char *)q.p, q.n);
	so.marker_left = (size_t)mleft;
	so.marker_n = mn;
	so_flush();
	return 0;
}
