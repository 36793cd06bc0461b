/*
 * queue.c: a bounded queue of whole lines in front of one fd, written
 * without ever blocking otpd (internal.h).
 *
 * Writing to a pipe whose reader is gone raises SIGPIPE: otpd ignores it
 * (main.c), the write fails with EPIPE and the queue is dropped.  Nothing
 * here logs: the stderr queue carries otpd's own messages.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

static struct out_queue *dirty_list;

static void oq_on_writable(struct ev_source *s, uint32_t revents);

void oq_init(struct out_queue *q, size_t cap, oq_marker_fn marker, void *data)
{
	*q = (struct out_queue){ .cap = cap, .fd = -1, .marker = marker, .data = data,
				 .at_line_start = true };
	q->src = (struct ev_source){ .fd = -1, .events = EPOLLOUT, .fn = oq_on_writable,
				     .data = q };
}

static void oq_unlist(struct out_queue *q)
{
	if (!q->dirty)
		return;
	for (struct out_queue **p = &dirty_list; *p; p = &(*p)->next_dirty) {
		if (*p == q) {
			*p = q->next_dirty;
			break;
		}
	}
	q->dirty = false;
	q->next_dirty = NULL;
}

static void oq_list(struct out_queue *q)
{
	if (q->dirty)
		return;
	q->dirty = true;
	q->next_dirty = dirty_list;
	dirty_list = q;
}

static void oq_watch(struct out_queue *q, bool on)
{
	if (on && !q->src.added) {
		q->src.fd = q->fd;
		/* Not pollable (a regular file): written again at the next line. */
		if (ev_add(&q->src) < 0)
			oq_list(q);
	} else if (!on) {
		ev_del(&q->src);
	}
}

void oq_set_fd(struct out_queue *q, int fd, bool socket)
{
	oq_watch(q, false);
	q->fd = fd;
	q->socket = socket;
	q->at_line_start = true;
}

void oq_fini(struct out_queue *q)
{
	oq_watch(q, false);
	oq_unlist(q);
	free(q->buf);
	q->buf = NULL;
	q->head = q->len = 0;
}

void oq_count_dropped(struct out_queue *q, uint64_t n)
{
	q->dropped += n;
	q->unreported += n;
}

/* Append n bytes (the caller checked the room). */
static void oq_copy(struct out_queue *q, const char *p, size_t n)
{
	size_t tail = (q->head + q->len) % q->cap;
	size_t first = q->cap - tail < n ? q->cap - tail : n;

	memcpy(q->buf + tail, p, first);
	memcpy(q->buf, p + first, n - first);
	q->len += n;
}

static void oq_queue_marker(struct out_queue *q)
{
	char m[OQ_MARKER_MAX + 1];
	size_t n = 0;

	if (!q->at_line_start)
		m[n++] = '\n';          /* end the line a short write cut */
	n += q->marker(q, m + n, sizeof(m) - n, q->unreported);
	oq_copy(q, m, n);
	q->marker_left = n;
	q->marker_n = q->unreported;
	q->unreported = 0;
}

/* One non-blocking write of the queue's (at most two) segments. */
static ssize_t oq_write_some(struct out_queue *q)
{
	size_t first = q->cap - q->head < q->len ? q->cap - q->head : q->len;
	struct iovec iov[2] = {
		{ .iov_base = q->buf + q->head, .iov_len = first },
		{ .iov_base = q->buf, .iov_len = q->len - first },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t r;

	do {
		r = q->socket ? sendmsg(q->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL)
			      : writev(q->fd, iov, 2);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

void oq_drop(struct out_queue *q)
{
	uint64_t lines = 0;

	for (size_t i = 0; i < q->len; i++)
		lines += q->buf[(q->head + i) % q->cap] == '\n';
	/* An unsent marker is not a lost line, but its news is still due. */
	if (q->marker_left) {
		lines--;
		q->unreported += q->marker_n;
		q->marker_left = 0;
	}
	q->head = q->len = 0;
	oq_count_dropped(q, lines);
}

static void oq_advance(struct out_queue *q, size_t r)
{
	if (q->marker_left && r >= q->marker_left && q->on_resume)
		q->on_resume(q, q->marker_n);
	q->at_line_start = q->buf[(q->head + r - 1) % q->cap] == '\n';
	q->head = (q->head + r) % q->cap;
	q->len -= r;
	q->marker_left = q->marker_left > r ? q->marker_left - r : 0;
}

void oq_flush(struct out_queue *q)
{
	oq_unlist(q);
	while (q->fd >= 0 && q->len > 0) {
		ssize_t r = oq_write_some(q);

		if (r == -EAGAIN) {
			oq_watch(q, true);
			return;
		}
		if (r <= 0) {
			oq_drop(q);
			if (q->on_error)
				q->on_error(q, r < 0 ? (int)-r : EIO);
			break;
		}
		oq_advance(q, (size_t)r);
		if (q->len == 0 && q->unreported)
			oq_queue_marker(q);
	}
	if (q->len == 0)
		q->head = 0;
	oq_watch(q, false);
}

static void oq_on_writable(struct ev_source *s, uint32_t revents)
{
	oq_flush(s->data);
}

/* Room for n more bytes (and the marker a line would need first). */
static bool oq_room(struct out_queue *q, size_t n)
{
	size_t marker = q->len == 0 && q->unreported ? OQ_MARKER_MAX + 1 : 0;

	if (!q->buf && !(q->buf = malloc(q->cap)))
		return false;
	return q->len + marker + n <= q->cap;
}

int oq_put(struct out_queue *q, const struct iovec *iov, int n)
{
	size_t total = 0;

	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	/* Full: write first, unless a write is already waiting for EPOLLOUT. */
	if (!oq_room(q, total) && q->buf && q->fd >= 0 && !q->src.added)
		oq_flush(q);
	if (!oq_room(q, total)) {
		oq_count_dropped(q, 1);
		return -ENOBUFS;
	}
	if (q->len == 0 && q->unreported)
		oq_queue_marker(q);
	for (int i = 0; i < n; i++)
		oq_copy(q, iov[i].iov_base, iov[i].iov_len);
	if (!q->src.added)
		oq_list(q);
	return 0;
}

int oq_put_raw(struct out_queue *q, const char *s, size_t n)
{
	if (!oq_room(q, n))
		return -ENOBUFS;
	oq_copy(q, s, n);
	if (!q->src.added)
		oq_list(q);
	return 0;
}

void out_flush(void)
{
	/* Taken whole: a queue that cannot be watched lists itself again,
	 * for the next call. */
	struct out_queue *q = dirty_list;

	dirty_list = NULL;
	while (q) {
		struct out_queue *next = q->next_dirty;

		q->dirty = false;
		q->next_dirty = NULL;
		oq_flush(q);
		q = next;
	}
}

/* --- re-execution ---------------------------------------------------------- */

enum { OQ_BYTES = 1, OQ_DROPPED, OQ_UNREPORTED, OQ_MARKER_LEFT, OQ_MARKER_N, OQ_MID_LINE };

/* Saved bytes go before whatever the new image queued already (its own
 * messages, if any), with the marker they began with. */
static int oq_put_first(struct out_queue *q, const char *p, size_t n, size_t mleft, uint64_t mn)
{
	size_t had = q->len, first;
	char *keep = NULL;

	if (!oq_room(q, n) || (had && !(keep = malloc(had)))) {
		uint64_t lines = 0;

		for (size_t i = 0; i < n; i++)
			lines += p[i] == '\n';
		oq_count_dropped(q, lines);
		return 0;
	}
	first = q->cap - q->head < had ? q->cap - q->head : had;
	if (had) {
		memcpy(keep, q->buf + q->head, first);
		memcpy(keep + first, q->buf, had - first);
	}
	q->head = q->len = 0;
	oq_copy(q, p, n);
	if (had)
		oq_copy(q, keep, had);
	free(keep);
	q->marker_left = mleft;
	q->marker_n = mn;
	oq_list(q);
	return 0;
}

void oq_save(const struct out_queue *q, struct st_buf *b)
{
	size_t first = q->cap - q->head < q->len ? q->cap - q->head : q->len;

	/* The two segments of the circular buffer, as one value. */
	if (q->buf && q->len)
		st_put2(b, OQ_BYTES, q->buf + q->head, first, q->buf, q->len - first);
	else
		st_put(b, OQ_BYTES, NULL, 0);
	st_put_u64(b, OQ_DROPPED, q->dropped);
	st_put_u64(b, OQ_UNREPORTED, q->unreported);
	st_put_u64(b, OQ_MARKER_LEFT, q->marker_left);
	st_put_u64(b, OQ_MARKER_N, q->marker_n);
	if (!q->at_line_start)
		st_put_u64(b, OQ_MID_LINE, 1);
}

int oq_restore(struct out_queue *q, const struct st_rd *rd, bool dry)
{
	struct st_rd bytes;
	uint64_t dropped = 0, unrep = 0, mleft = 0, mn = 0;

	if (!st_find(rd, OQ_BYTES, &bytes) || bytes.n > q->cap)
		return -EBADMSG;
	(void)st_u64(rd, OQ_DROPPED, &dropped);
	(void)st_u64(rd, OQ_UNREPORTED, &unrep);
	(void)st_u64(rd, OQ_MARKER_LEFT, &mleft);
	(void)st_u64(rd, OQ_MARKER_N, &mn);
	if (mleft > bytes.n)
		return -EBADMSG;
	if (dry)
		return 0;
	q->dropped += dropped;
	q->unreported += unrep;
	q->at_line_start = !st_flag(rd, OQ_MID_LINE);
	if (!bytes.n)
		return 0;
	return oq_put_first(q, (const char *)bytes.p, bytes.n, (size_t)mleft, mn);
}
