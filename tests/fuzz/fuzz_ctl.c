/*
 * fuzz_ctl.c: the control protocol, server side (ipc/frame.c, conn.c,
 * conn_out.c) as otpd runs it: bytes from a client through a real socket
 * into an ipc_conn, and its replies back out.
 *
 * Input: byte 0 flags, byte 1 the size of the writes the client makes
 * (0: all at once), bytes 2-3 a seed for the reply script, then the byte
 * stream the client sends.  The stream is written in pieces to one end of
 * a non-blocking socketpair and ipc_conn_on_readable runs after each
 * piece, as the loop would.  Once a request is decoded, its argv is
 * echoed back through ipc_conn_printf/ipc_conn_out, followed by a script
 * of output writes of random sizes (seeded; flags bits 4-7) interleaved
 * with flushes and partial reads by the client, and IPC_END.  Whatever the client sent after its request
 * must be swallowed.
 *
 * Invariants: the client reads a valid frame sequence, OUT/ERR frames then
 * exactly one END, whose payload is exactly what was queued (none of the
 * accepted writes lost, none of the refused ones sent); a decoded argv is
 * the request the stream began with, string for string.  Only ipc.h is
 * used: the target does not depend on the connection's insides.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../ipc/ipc.h"
#include "fuzz.h"

#define ARGV_MAX 300

/* The client's side: decodes what otpd sends and checks it. */
struct peer {
	int fd;
	uint8_t *buf;
	size_t len, cap;
	uint8_t *want;          /* payload bytes queued so far, in order */
	size_t want_len, want_cap, got;
	bool ended;
};

static void want_add(struct peer *p, const void *d, size_t n)
{
	if (p->want_len + n > p->want_cap) {
		p->want_cap = (p->want_len + n) * 2;
		p->want = realloc(p->want, p->want_cap);
		if (!p->want)
			fuzz_fail("out of memory");
	}
	memcpy(p->want + p->want_len, d, n);
	p->want_len += n;
}

/* Consume whole frames from the client's buffer and check them. */
static void peer_decode(struct peer *p)
{
	size_t off = 0;

	for (;;) {
		enum ipc_type type;
		const uint8_t *pl;
		size_t plen;
		ssize_t n = ipc_frame_get(p->buf + off, p->len - off, IPC_FRAME_MAX, &type, &pl,
					  &plen);

		if (n < 0)
			fuzz_fail("otpd sent a frame the client cannot decode (%zd)", n);
		if (n == 0)
			break;
		if (p->ended)
			fuzz_fail("a frame after END");
		if (type == IPC_END) {
			if (plen != 1)
				fuzz_fail("END with %zu bytes", plen);
			p->ended = true;
		} else if (type == IPC_OUT || type == IPC_ERR) {
			if (p->got + plen > p->want_len || memcmp(p->want + p->got, pl, plen) != 0)
				fuzz_fail("reply bytes differ from what was queued");
			p->got += plen;
		} else {
			fuzz_fail("otpd sent a frame of type %d", type);
		}
		off += (size_t)n;
	}
	memmove(p->buf, p->buf + off, p->len - off);
	p->len -= off;
}

/* Read at most `max` bytes (0: all there is) of otpd's reply. */
static void peer_read(struct peer *p, size_t max)
{
	size_t total = 0;

	for (;;) {
		size_t room = 65536;

		if (max && max - total < room)
			room = max - total;
		if (room == 0)
			break;
		if (p->cap - p->len < room) {
			p->cap = p->len + room;
			p->buf = realloc(p->buf, p->cap);
			if (!p->buf)
				fuzz_fail("out of memory");
		}
		ssize_t n = read(p->fd, p->buf + p->len, room);

		if (n <= 0)
			break;
		p->len += (size_t)n;
		total += (size_t)n;
		peer_decode(p);
	}
}

/* Queue `n` bytes; only accepted writes are expected by the peer. */
static void out(struct ipc_conn *c, struct peer *p, enum ipc_type t, const void *d, size_t n)
{
	int r = ipc_conn_out(c, t, d, n);

	if (r == 0)
		want_add(p, d, n);
	else if (r != -ENOBUFS)
		fuzz_fail("ipc_conn_out: %d", r);
}

static uint32_t rnd(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* Bytes to queue: a pattern, so that a misplaced copy shows. */
static uint8_t big[1536 * 1024];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 31 + i / 251);
	return 0;
}

/*
 * The argv echoed, then (flags bits 4-6) up to 7 writes from the seed,
 * of up to 70 KiB (beyond one chunk), or with bit 7 up to 1.5 MiB (to
 * reach the queue's limit), with flushes and partial reads in between.
 */
static void reply(struct ipc_conn *c, struct peer *p, const char **argv, int argc,
		  unsigned flags, uint32_t seed)
{
	size_t most = (flags & 0x80) ? sizeof(big) : 70 * 1024;
	for (int i = 0; i < argc; i++) {
		char line[64];
		int n = snprintf(line, sizeof(line), "%d:", i);

		if (ipc_conn_printf(c, IPC_OUT, "%d:", i) == 0)
			want_add(p, line, (size_t)n);
		out(c, p, i % 2 ? IPC_ERR : IPC_OUT, argv[i], strlen(argv[i]));
	}
	for (unsigned k = 0; k < ((flags >> 4) & 7); k++) {
		size_t n = rnd(&seed) % most, off = rnd(&seed) % (sizeof(big) - n + 1);

		out(c, p, IPC_OUT, big + off, n);
		if (rnd(&seed) % 2 && ipc_conn_flush(c) < 0)
			fuzz_fail("flush failed with the peer alive");
		if (rnd(&seed) % 3 == 0)
			peer_read(p, rnd(&seed) % (most + most / 2) + 1);
	}
	if (ipc_conn_end(c, (int)(seed % 256)) != 0)
		fuzz_fail("ipc_conn_end refused");
	if (ipc_conn_end(c, 0) != -EALREADY || ipc_conn_out(c, IPC_OUT, "x", 1) != -EINVAL)
		fuzz_fail("output accepted after END");
}

/* argv is the request the stream began with, string for string. */
static void check_argv(const char **argv, int argc, struct fuzz_in stream)
{
	const uint8_t *pl;
	enum ipc_type t;
	size_t plen, off = 0;

	if (ipc_frame_get(stream.p, stream.n, IPC_REQ_MAX, &t, &pl, &plen) <= 0 || t != IPC_REQ)
		fuzz_fail("a request decoded from a stream that does not start with one");
	if (argc < 1 || argc > ARGV_MAX)
		fuzz_fail("argc %d", argc);
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (off + n >= plen || memcmp(pl + off, argv[i], n + 1) != 0)
			fuzz_fail("argv[%d] is not the request's string %d", i, i);
		off += n + 1;
	}
	if (off != plen)
		fuzz_fail("argv has %d strings, the request more", argc);
}

/* Flush and read until END or a dead end. */
static void drain(struct ipc_conn *c, struct peer *p)
{
	for (int i = 0; i < 10000 && !ipc_conn_finished(c); i++) {
		if (ipc_conn_flush(c) < 0)
			fuzz_fail("flush failed with the peer alive");
		peer_read(p, 0);
	}
	peer_read(p, 0);
	if (!ipc_conn_finished(c) || !p->ended || p->got != p->want_len)
		fuzz_fail("reply incomplete: %zu of %zu bytes, end %d", p->got, p->want_len,
			  p->ended);
}

static void run(struct fuzz_in in, unsigned flags, size_t step, uint32_t seed)
{
	const struct fuzz_in stream = in;
	const char *argv[ARGV_MAX];
	struct peer p = { 0 };
	struct ipc_conn *c;
	int sv[2], argc = 0, r = 0;
	bool have = false;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		fuzz_fail("socketpair: %s", strerror(errno));
	c = ipc_conn_new(sv[0], 0, 0, 1);
	if (!c)
		fuzz_fail("ipc_conn_new");
	p.fd = sv[1];
	while (in.n > 0 && r >= 0) {
		size_t n = step && step < in.n ? step : in.n;
		ssize_t w = write(sv[1], in.p, n);

		if (w <= 0)
			break;
		in.p += w;
		in.n -= (size_t)w;
		r = ipc_conn_on_readable(c, argv, (flags & 1) ? 3 : ARGV_MAX, &argc);
		if (r == 1) {
			if (have)
				fuzz_fail("a second request on one connection");
			have = true;
			check_argv(argv, argc, stream);
			reply(c, &p, argv, argc, flags, seed);
			r = 0;
		} else if (r < 0 && r != -EPROTO && r != -EMSGSIZE) {
			fuzz_fail("ipc_conn_on_readable: %d", r);
		}
	}
	if (r >= 0 && (flags & 2)) {
		shutdown(sv[1], SHUT_WR);
		r = ipc_conn_on_readable(c, argv, ARGV_MAX, &argc);
		if (r != -EPIPE && r != -EPROTO && r != -EMSGSIZE && !(r == 1 && !have))
			fuzz_fail("EOF read as %d", r);
		if (r == 1) {
			have = true;
			check_argv(argv, argc, stream);
			reply(c, &p, argv, argc, flags, seed);
		}
	}
	if (have)
		drain(c, &p);
	ipc_conn_free(c);
	close(sv[1]);
	free(p.buf);
	free(p.want);
}

/* The pure decoders on the raw stream too. */
static void pure(struct fuzz_in in)
{
	const char *argv[8];
	const uint8_t *pl;
	enum ipc_type t;
	size_t plen;
	ssize_t n;

	while ((n = ipc_frame_get(in.p, in.n, IPC_FRAME_MAX, &t, &pl, &plen)) > 0) {
		if (pl != in.p + IPC_HDR_LEN || plen + IPC_HDR_LEN != (size_t)n)
			fuzz_fail("frame bounds");
		(void)ipc_req_parse(pl, plen, argv, 8);
		in.p += n;
		in.n -= (size_t)n;
	}
	if (in.n > 0)
		(void)ipc_req_parse(in.p, in.n, argv, 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned flags = fuzz_u8(&in);
	size_t step = fuzz_u8(&in);
	uint32_t seed = fuzz_u16(&in);

	pure(in);
	run(in, flags, step, seed);
	return 0;
}
