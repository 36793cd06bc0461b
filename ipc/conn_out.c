/*
 * conn_out.c: the output queue of a control connection.
 *
 * Replies are framed into one growing buffer and written with
 * non-blocking sends whenever the owner sees the fd writable; otpd never
 * waits for a client.  The queue has a hard limit (IPC_OUT_LIMIT): past
 * it ipc_conn_out refuses the whole write, and the owner decides whether
 * that stream drops and counts, or the connection goes.  IPC_END is
 * exempt from the limit so that a full connection can still finish.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

/* Room for the END frame beyond the limit. */
#define IPC_END_SLACK (IPC_HDR_LEN + 1)

/* Bytes of output buffers of every connection (their owner bounds it). */
static size_t out_total;

size_t ipc_out_total(void)
{
	return out_total;
}

void ipc_conn_out_release(struct ipc_conn *c)
{
	out_total -= c->out_cap;
	free(c->out);
	c->out = NULL;
	c->out_cap = c->out_len = c->out_off = 0;
}

size_t ipc_conn_queued(const struct ipc_conn *c)
{
	return c->out_len - c->out_off;
}

bool ipc_conn_wants_write(const struct ipc_conn *c)
{
	return ipc_conn_queued(c) > 0;
}

bool ipc_conn_finished(const struct ipc_conn *c)
{
	return c->end_queued && ipc_conn_queued(c) == 0;
}

/* Move the unsent bytes to the start of the buffer. */
static void ipc_conn_compact(struct ipc_conn *c)
{
	size_t queued = ipc_conn_queued(c);

	if (c->out_off == 0)
		return;
	memmove(c->out, c->out + c->out_off, queued);
	c->out_off = 0;
	c->out_len = queued;
}

/*
 * Make room for `need` more bytes at the end of the queue.  Compaction
 * only happens while the buffer is at most half full afterwards, so each
 * byte moved is paid for by at least one byte appended: a slow reader of a
 * long stream costs linear, not quadratic, copying.
 */
static int ipc_conn_reserve(struct ipc_conn *c, size_t need)
{
	size_t want = ipc_conn_queued(c) + need;
	size_t cap;
	uint8_t *p;

	if (c->out_cap - c->out_len >= need)
		return 0;
	if (want <= c->out_cap / 2) {
		ipc_conn_compact(c);
		return 0;
	}
	cap = c->out_cap ? c->out_cap : 4096;
	while (cap / 2 < want)
		cap *= 2;
	p = realloc(c->out, cap);
	if (!p)
		return -ENOMEM;
	out_total += cap - c->out_cap;
	c->out = p;
	c->out_cap = cap;
	ipc_conn_compact(c);
	return 0;
}

/* Frame `data` into chunks of at most IPC_CHUNK_MAX; room is reserved. */
static void ipc_conn_append(struct ipc_conn *c, enum ipc_type type, const uint8_t *data,
			    size_t len)
{
	size_t n;

	do {
		n = len < IPC_CHUNK_MAX ? len : IPC_CHUNK_MAX;
		ipc_hdr_put(c->out + c->out_len, type, n);
		if (n > 0)
			memcpy(c->out + c->out_len + IPC_HDR_LEN, data, n);
		c->out_len += IPC_HDR_LEN + n;
		data += n;
		len -= n;
	} while (len > 0);
}

/* Bytes that `len` payload bytes take on the wire, headers included. */
static size_t ipc_wire_size(size_t len)
{
	size_t frames = len == 0 ? 1 : (len + IPC_CHUNK_MAX - 1) / IPC_CHUNK_MAX;

	return len + frames * IPC_HDR_LEN;
}

int ipc_conn_out(struct ipc_conn *c, enum ipc_type type, const void *data, size_t len)
{
	size_t need;
	int r;

	if ((type != IPC_OUT && type != IPC_ERR) || c->end_queued)
		return -EINVAL;
	if (len == 0)
		return 0;
	if (len > IPC_OUT_LIMIT)
		return -ENOBUFS;
	need = ipc_wire_size(len);
	if (ipc_conn_queued(c) + need > IPC_OUT_LIMIT)
		return -ENOBUFS;
	r = ipc_conn_reserve(c, need);
	if (r < 0)
		return r;
	ipc_conn_append(c, type, data, len);
	return 0;
}

int ipc_conn_printf(struct ipc_conn *c, enum ipc_type type, const char *fmt, ...)
{
	char small[512];
	char *big = NULL;
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(small))
		return ipc_conn_out(c, type, small, (size_t)n);

	va_start(ap, fmt);
	n = vasprintf(&big, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	r = ipc_conn_out(c, type, big, (size_t)n);
	free(big);
	return r;
}

int ipc_conn_end(struct ipc_conn *c, int code)
{
	uint8_t b;
	int r;

	if (code < 0 || code > 255)
		return -EINVAL;
	if (c->end_queued)
		return -EALREADY;
	r = ipc_conn_reserve(c, IPC_END_SLACK);
	if (r < 0)
		return r;
	b = (uint8_t)code;
	ipc_conn_append(c, IPC_END, &b, 1);
	c->end_queued = true;
	return 0;
}

/* Give back a large buffer once it has drained, so idle conns stay small. */
static void ipc_conn_trim(struct ipc_conn *c)
{
	c->out_off = 0;
	c->out_len = 0;
	if (c->out_cap > IPC_CHUNK_MAX + IPC_HDR_LEN) {
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
}

int ipc_conn_flush(struct ipc_conn *c)
{
	ssize_t n;

	while (ipc_conn_queued(c) > 0) {
		n = send(c->fd, c->out + c->out_off, ipc_conn_queued(c),
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		c->out_off += (size_t)n;
	}
	ipc_conn_trim(c);
	return 0;
}
