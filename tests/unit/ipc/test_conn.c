/*
 * test_conn.c: the server-side connection over a real socketpair.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"

static struct ipc_conn *conn;
static int peer = -1;

static void conn_setup(void)
{
	int sv[2];

	th_setup();
	cr_assert(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) == 0);
	conn = ipc_conn_new(sv[0], 1000, 1001, 4242);
	cr_assert(conn != NULL);
	peer = sv[1];
}

static void conn_teardown(void)
{
	ipc_conn_free(conn);
	conn = NULL;
	if (peer >= 0)
		close(peer);
	peer = -1;
	th_teardown();
}

TestSuite(ipc_conn, .init = conn_setup, .fini = conn_teardown);

static void peer_write(const void *p, size_t n)
{
	cr_assert(eq(long, write(peer, p, n), (long)n));
}

static size_t req_frame(uint8_t *buf, size_t cap, const void *payload, size_t plen)
{
	size_t len = 0;

	th_put(buf, cap, &len, IPC_REQ, payload, plen);
	return len;
}

Test(ipc_conn, accessors_report_what_was_given)
{
	int dummy = 1;

	cr_assert(ipc_conn_fd(conn) >= 0);
	cr_assert(eq(u32, ipc_conn_uid(conn), 1000));
	cr_assert(eq(u32, ipc_conn_gid(conn), 1001));
	cr_assert(eq(ptr, ipc_conn_data(conn), NULL));
	ipc_conn_set_data(conn, &dummy);
	cr_assert(eq(ptr, ipc_conn_data(conn), &dummy));
	cr_assert(not(ipc_conn_wants_write(conn)));
	cr_assert(not(ipc_conn_finished(conn)));
	cr_assert(eq(sz, ipc_conn_queued(conn), 0));
}

Test(ipc_conn, free_closes_the_fd_and_accepts_null)
{
	int fd = ipc_conn_fd(conn);

	ipc_conn_free(conn);
	conn = NULL;
	cr_assert(eq(int, fcntl(fd, F_GETFD), -1));
	cr_assert(eq(int, errno, EBADF));
	ipc_conn_free(NULL);
}

Test(ipc_conn, request_written_one_byte_at_a_time)
{
	static const char payload[] = "status\0db\0--json";
	uint8_t buf[64];
	const char *argv[8];
	size_t len = req_frame(buf, sizeof(buf), payload, sizeof(payload)), i;
	int argc = -1;

	cr_assert(eq(int, ipc_conn_on_readable(conn, argv, 8, &argc), 0));
	for (i = 0; i < len; i++) {
		peer_write(buf + i, 1);
		int r = ipc_conn_on_readable(conn, argv, 8, &argc);

		cr_assert(eq(int, r, i + 1 == len ? 1 : 0), "after byte %zu", i);
	}
	cr_assert(eq(int, argc, 3));
	cr_assert(eq(str, (char *)argv[0], "status"));
	cr_assert(eq(str, (char *)argv[1], "db"));
	cr_assert(eq(str, (char *)argv[2], "--json"));
}

Test(ipc_conn, maximal_request_is_accepted)
{
	static uint8_t buf[IPC_HDR_LEN + IPC_REQ_MAX], payload[IPC_REQ_MAX];
	const char *argv[4];
	size_t len;
	int argc, r;

	memset(payload, 'a', sizeof(payload));
	payload[sizeof(payload) - 1] = '\0';
	len = req_frame(buf, sizeof(buf), payload, sizeof(payload));
	peer_write(buf, len);
	/* The socket may deliver it in pieces; each call takes what is there. */
	while ((r = ipc_conn_on_readable(conn, argv, 4, &argc)) == 0)
		;
	cr_assert(eq(int, r, 1));
	cr_assert(eq(int, argc, 1));
	cr_assert(eq(sz, strlen(argv[0]), IPC_REQ_MAX - 1));
}

Test(ipc_conn, oversized_request_is_refused_at_its_header)
{
	uint8_t hdr[IPC_HDR_LEN] = { 0, 1, 0, 1, IPC_VERSION, IPC_REQ };   /* 65537 */
	const char *argv[4];
	int argc;

	peer_write(hdr, sizeof(hdr));
	cr_assert(eq(int, ipc_conn_on_readable(conn, argv, 4, &argc), -EMSGSIZE));
}

Test(ipc_conn, bad_version_is_eproto)
{
	static const uint8_t bad_version[] = { 0, 0, 0, 2, 9, IPC_REQ, 'a', 0 };
	const char *argv[4];
	int argc;

	peer_write(bad_version, sizeof(bad_version));
	cr_assert(eq(int, ipc_conn_on_readable(conn, argv, 4, &argc), -EPROTO));
}

Test(ipc_conn, unterminated_request_is_eproto)
{
	const char *argv[4];
	uint8_t buf[64];
	size_t len = req_frame(buf, sizeof(buf), "status", 6);
	int argc;

	peer_write(buf, len);
	cr_assert(eq(int, ipc_conn_on_readable(conn, argv, 4, &argc), -EPROTO));
}

Test(ipc_conn, a_frame_other_than_req_is_eproto)
{
	const char *argv[4];
	uint8_t buf[64];
	size_t len = 0;
	int argc;

	th_put(buf, sizeof(buf), &len, IPC_OUT, "x\0", 2);
	peer_write(buf, len);
	cr_assert(eq(int, ipc_conn_on_readable(conn, argv, 4, &argc), -EPROTO));
}

Test(ipc_conn, too_many_arguments_is_msgsize)
{
	static uint8_t payload[2 * (IPC_ARGS_MAX + 1)], buf[IPC_HDR_LEN + sizeof(payload)];
	static const char *argv[IPC_ARGS_MAX + 8];
	size_t i, len;
	int argc;

	for (i = 0; i < sizeof(payload); i += 2)
		payload[i] = 'x';
	len = req_frame(buf, sizeof(buf), payload, sizeof(payload));
	peer_write(buf, len);
	cr_assert(eq(int, ipc_conn_on_readable(conn, argv, IPC_ARGS_MAX + 8, &argc), -EMSGSIZE));
}

Test(ipc_conn, eof_before_the_request_is_epipe)
{
	const char *argv[4];
	int argc;

	peer_write("\0\0", 2);
	close(peer);
	peer = -1;
	cr_assert(eq(int, ipc_conn_on_readable(conn, argv, 4, &argc), -EPIPE));
}

Test(ipc_conn, input_after_the_request_is_discarded)
{
	static uint8_t junk[100000];
	const char *argv[4];
	uint8_t buf[64];
	size_t len = req_frame(buf, sizeof(buf), "count\0", 6);
	int argc = 0;
	ssize_t n;

	memcpy(buf + len, "garbage", 7);
	peer_write(buf, len + 7);
	cr_assert(eq(int, ipc_conn_on_readable(conn, argv, 4, &argc), 1));
	cr_assert(eq(str, (char *)argv[0], "count"));
	/* More than fits in the input buffer: drained, never an error. */
	n = write(peer, junk, sizeof(junk));
	cr_assert(n > 0);
	cr_assert(eq(int, ipc_conn_on_readable(conn, argv, 4, &argc), 0));
	cr_assert(eq(str, (char *)argv[0], "count"));   /* argv stays valid */
	close(peer);
	peer = -1;
	cr_assert(eq(int, ipc_conn_on_readable(conn, argv, 4, &argc), -EPIPE));
}

/* Read and check frames from the peer; returns the END code or -1. */
static int peer_drain(size_t *ret_out_bytes, unsigned char first)
{
	static uint8_t buf[2 * IPC_FRAME_MAX];
	struct pollfd pfd = { .fd = peer, .events = POLLIN };
	size_t len = 0, total = 0, plen;
	const uint8_t *p;
	enum ipc_type t;
	ssize_t n, r;

	for (;;) {
		cr_assert(ipc_conn_flush(conn) == 0);
		while ((r = ipc_frame_get(buf, len, IPC_FRAME_MAX, &t, &p, &plen)) > 0) {
			cr_assert(le(sz, plen, 64 * 1024));
			if (t == IPC_END) {
				*ret_out_bytes = total;
				return plen == 1 ? p[0] : -1;
			}
			cr_assert(eq(int, t, IPC_OUT));
			for (size_t i = 0; i < plen; i++)
				cr_assert(eq(u8, p[i], (unsigned char)(first + total + i)),
					  "stream byte %zu", total + i);
			total += plen;
			memmove(buf, buf + r, len - (size_t)r);
			len -= (size_t)r;
		}
		cr_assert(eq(long, r, 0));
		cr_assert(poll(&pfd, 1, 5000) == 1);
		n = read(peer, buf + len, sizeof(buf) - len);
		cr_assert(n > 0);
		len += (size_t)n;
	}
}

Test(ipc_conn, large_output_splits_into_64k_frames)
{
	static unsigned char data[200000];
	size_t i, got = 0;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)i;
	cr_assert(eq(int, ipc_conn_out(conn, IPC_OUT, data, sizeof(data)), 0));
	/* Four frames: 3 x 64 KiB and the rest. */
	cr_assert(eq(sz, ipc_conn_queued(conn), sizeof(data) + 4 * IPC_HDR_LEN));
	cr_assert(eq(int, ipc_conn_end(conn, 0), 0));
	cr_assert(eq(int, peer_drain(&got, 0), 0));
	cr_assert(eq(sz, got, sizeof(data)));
	cr_assert(ipc_conn_finished(conn));
	cr_assert(not(ipc_conn_wants_write(conn)));
}

Test(ipc_conn, a_peer_that_never_reads_fills_the_queue_to_its_limit)
{
	static unsigned char chunk[100000];
	size_t queued = 0, sent = 0, got = 0, i;
	int sndbuf = 0;
	socklen_t sl = sizeof(sndbuf);
	int r;

	for (i = 0; i < sizeof(chunk); i++)
		chunk[i] = (unsigned char)i;
	/* Nobody reads: flush must return at once and bytes pile up. */
	for (;;) {
		for (i = 0; i < sizeof(chunk); i++)
			chunk[i] = (unsigned char)(sent + i);
		r = ipc_conn_out(conn, IPC_OUT, chunk, sizeof(chunk));
		if (r < 0)
			break;
		sent += sizeof(chunk);
		cr_assert(eq(int, ipc_conn_flush(conn), 0));
		queued = ipc_conn_queued(conn);
	}
	cr_assert(eq(int, r, -ENOBUFS));
	/* What the kernel did not take is in the queue. */
	cr_assert(getsockopt(ipc_conn_fd(conn), SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl) == 0);
	cr_assert(gt(sz, sent, (size_t)sndbuf));
	cr_assert(ge(sz, ipc_conn_queued(conn), (4u << 20) - 2 * sizeof(chunk)));
	cr_assert(le(sz, ipc_conn_queued(conn), 4u << 20));
	cr_assert(ipc_conn_wants_write(conn));
	cr_assert(gt(sz, ipc_conn_queued(conn) + 2 * IPC_HDR_LEN + sizeof(chunk), 4u << 20));
	/* A refused write queued nothing, and END still fits. */
	cr_assert(eq(sz, ipc_conn_queued(conn), queued));
	cr_assert(eq(int, ipc_conn_end(conn, 3), 0));
	cr_assert(not(ipc_conn_finished(conn)));
	cr_assert(eq(int, peer_drain(&got, 0), 3));
	cr_assert(eq(sz, got, sent));
	cr_assert(ipc_conn_finished(conn));
}

Test(ipc_conn, out_and_err_frames_keep_their_order)
{
	uint8_t buf[256];
	const uint8_t *p;
	enum ipc_type t;
	size_t plen, off = 0;
	ssize_t n, len;

	cr_assert(eq(int, ipc_conn_out(conn, IPC_OUT, "a", 1), 0));
	cr_assert(eq(int, ipc_conn_printf(conn, IPC_ERR, "%s=%d", "b", 7), 0));
	cr_assert(eq(int, ipc_conn_end(conn, 1), 0));
	cr_assert(eq(int, ipc_conn_flush(conn), 0));
	cr_assert(ipc_conn_finished(conn));
	len = read(peer, buf, sizeof(buf));
	cr_assert(eq(long, len, 3 * IPC_HDR_LEN + 1 + 3 + 1));
	n = ipc_frame_get(buf, (size_t)len, 100, &t, &p, &plen);
	cr_assert(t == IPC_OUT && plen == 1 && p[0] == 'a');
	off += (size_t)n;
	n = ipc_frame_get(buf + off, (size_t)len - off, 100, &t, &p, &plen);
	cr_assert(t == IPC_ERR && plen == 3 && memcmp(p, "b=7", 3) == 0);
	off += (size_t)n;
	n = ipc_frame_get(buf + off, (size_t)len - off, 100, &t, &p, &plen);
	cr_assert(t == IPC_END && plen == 1 && p[0] == 1);
}

Test(ipc_conn, printf_longer_than_its_stack_buffer)
{
	char big[3000];

	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert(eq(int, ipc_conn_printf(conn, IPC_OUT, "<%s>", big), 0));
	cr_assert(eq(sz, ipc_conn_queued(conn), IPC_HDR_LEN + sizeof(big) + 1));
}

Test(ipc_conn, nothing_may_follow_end)
{
	cr_assert(eq(int, ipc_conn_out(conn, IPC_REQ, "x", 1), -EINVAL));
	cr_assert(eq(int, ipc_conn_out(conn, IPC_END, "x", 1), -EINVAL));
	cr_assert(eq(int, ipc_conn_end(conn, 256), -EINVAL));
	cr_assert(eq(int, ipc_conn_end(conn, -1), -EINVAL));
	cr_assert(eq(int, ipc_conn_end(conn, 0), 0));
	cr_assert(eq(int, ipc_conn_end(conn, 0), -EALREADY));
	cr_assert(eq(int, ipc_conn_out(conn, IPC_OUT, "x", 1), -EINVAL));
	cr_assert(eq(sz, ipc_conn_queued(conn), IPC_HDR_LEN + 1));
}

Test(ipc_conn, flush_to_a_closed_peer_fails_without_sigpipe)
{
	static unsigned char data[300000];

	close(peer);
	peer = -1;
	cr_assert(eq(int, ipc_conn_out(conn, IPC_OUT, data, sizeof(data)), 0));
	/* SIGPIPE would kill this test process; an error must come back. */
	cr_assert(eq(int, ipc_conn_flush(conn), -EPIPE));
	cr_assert(not(ipc_conn_finished(conn)));
}

Test(ipc_conn, empty_output_queues_nothing)
{
	cr_assert(eq(int, ipc_conn_out(conn, IPC_OUT, "", 0), 0));
	cr_assert(not(ipc_conn_wants_write(conn)));
	cr_assert(eq(int, ipc_conn_flush(conn), 0));
}
