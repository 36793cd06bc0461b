/*
 * test_frame.c: the frame codec and the request parser.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <string.h>

#include "../../../ipc/ipc.h"

Test(ipc_frame, put_then_get_round_trips_every_type)
{
	static const enum ipc_type types[] = { IPC_REQ, IPC_OUT, IPC_ERR, IPC_END };
	uint8_t buf[64];
	const uint8_t *p;
	enum ipc_type t;
	size_t len, plen, i;

	for (i = 0; i < 4; i++) {
		len = 0;
		cr_assert(eq(int, ipc_frame_put(buf, sizeof(buf), &len, types[i], "hello", 5), 0));
		cr_assert(eq(sz, len, IPC_HDR_LEN + 5));
		cr_assert(eq(long, ipc_frame_get(buf, len, 100, &t, &p, &plen), (long)len));
		cr_assert(eq(int, t, types[i]));
		cr_assert(eq(sz, plen, 5));
		cr_assert(eq(int, memcmp(p, "hello", 5), 0));
		cr_assert(eq(ptr, (void *)p, (void *)(buf + IPC_HDR_LEN)));
	}
}

Test(ipc_frame, header_is_big_endian_length_version_type)
{
	uint8_t buf[IPC_HDR_LEN + 300];
	size_t len = 0;
	uint8_t payload[300] = { 0 };

	cr_assert(eq(int, ipc_frame_put(buf, sizeof(buf), &len, IPC_ERR, payload, 300), 0));
	cr_assert(eq(u8, buf[0], 0));
	cr_assert(eq(u8, buf[1], 0));
	cr_assert(eq(u8, buf[2], 1));
	cr_assert(eq(u8, buf[3], 44));
	cr_assert(eq(u8, buf[4], IPC_VERSION));
	cr_assert(eq(u8, buf[5], IPC_ERR));
}

Test(ipc_frame, put_appends_and_refuses_what_does_not_fit)
{
	uint8_t buf[20];
	size_t len = 0;

	cr_assert(eq(int, ipc_frame_put(buf, sizeof(buf), &len, IPC_OUT, "abcd", 4), 0));
	cr_assert(eq(int, ipc_frame_put(buf, sizeof(buf), &len, IPC_OUT, "ab", 2), 0));
	cr_assert(eq(sz, len, 18));
	/* Two bytes left: not even a header fits; nothing changes. */
	cr_assert(eq(int, ipc_frame_put(buf, sizeof(buf), &len, IPC_END, "", 0), -ENOSPC));
	cr_assert(eq(sz, len, 18));
	len = 10;
	cr_assert(eq(int, ipc_frame_put(buf, sizeof(buf), &len, IPC_OUT, "abcde", 5), -ENOSPC));
	cr_assert(eq(sz, len, 10));
	cr_assert(eq(int, ipc_frame_put(buf, sizeof(buf), &len, IPC_OUT, "abcd", 4), 0));
	cr_assert(eq(sz, len, 20));
}

Test(ipc_frame, two_frames_in_one_buffer_come_out_in_order)
{
	uint8_t buf[64];
	const uint8_t *p;
	enum ipc_type t;
	size_t len = 0, plen;
	ssize_t n;

	ipc_frame_put(buf, sizeof(buf), &len, IPC_OUT, "one", 3);
	ipc_frame_put(buf, sizeof(buf), &len, IPC_END, "\x04", 1);
	n = ipc_frame_get(buf, len, 100, &t, &p, &plen);
	cr_assert(eq(long, n, IPC_HDR_LEN + 3));
	n = ipc_frame_get(buf + n, len - (size_t)n, 100, &t, &p, &plen);
	cr_assert(eq(long, n, IPC_HDR_LEN + 1));
	cr_assert(eq(int, t, IPC_END));
	cr_assert(eq(u8, p[0], 4));
}

Test(ipc_frame, every_truncation_needs_more_and_reads_nothing_past_len)
{
	uint8_t buf[32], *copy;
	const uint8_t *p = NULL;
	enum ipc_type t = 0;
	size_t len = 0, plen = 99, cut;

	ipc_frame_put(buf, sizeof(buf), &len, IPC_REQ, "status\0", 7);
	for (cut = 0; cut < len; cut++) {
		/* An exact-size heap copy: ASan catches any read past `cut`. */
		copy = malloc(cut ? cut : 1);
		memcpy(copy, buf, cut);
		cr_assert(eq(long, ipc_frame_get(copy, cut, 100, &t, &p, &plen), 0), "cut %zu", cut);
		free(copy);
	}
	/* Out-params untouched when nothing was returned. */
	cr_assert(eq(sz, plen, 99));
	cr_assert(eq(ptr, (void *)p, NULL));
}

Test(ipc_frame, bad_version_and_unknown_types_are_eproto)
{
	static const uint8_t bad[][IPC_HDR_LEN] = {
		{ 0, 0, 0, 0, 2, IPC_OUT },     /* version 2 */
		{ 0, 0, 0, 0, 0, IPC_OUT },     /* version 0 */
		{ 0, 0, 0, 0, IPC_VERSION, 0 },
		{ 0, 0, 0, 0, IPC_VERSION, 5 },
		{ 0, 0, 0, 0, IPC_VERSION, 255 },
	};
	const uint8_t *p;
	enum ipc_type t;
	size_t plen, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert(eq(long, ipc_frame_get(bad[i], IPC_HDR_LEN, 100, &t, &p, &plen), -EPROTO),
			  "case %zu", i);
}

Test(ipc_frame, oversize_is_refused_from_the_header_alone)
{
	uint8_t hdr[IPC_HDR_LEN] = { 0, 0, 1, 1, IPC_VERSION, IPC_OUT };   /* 257 bytes */
	const uint8_t *p;
	enum ipc_type t;
	size_t plen;

	cr_assert(eq(long, ipc_frame_get(hdr, sizeof(hdr), 256, &t, &p, &plen), -EMSGSIZE));
	/* At the limit it merely waits for the payload. */
	cr_assert(eq(long, ipc_frame_get(hdr, sizeof(hdr), 257, &t, &p, &plen), 0));
	hdr[0] = 0xff;  /* ~4 GiB: refused, no overflow */
	cr_assert(eq(long, ipc_frame_get(hdr, sizeof(hdr), IPC_FRAME_MAX, &t, &p, &plen),
		     -EMSGSIZE));
}

Test(ipc_frame, empty_payload_is_a_whole_frame)
{
	uint8_t buf[IPC_HDR_LEN];
	const uint8_t *p;
	enum ipc_type t;
	size_t len = 0, plen = 1;

	cr_assert(eq(int, ipc_frame_put(buf, sizeof(buf), &len, IPC_OUT, NULL, 0), 0));
	cr_assert(eq(long, ipc_frame_get(buf, len, 0, &t, &p, &plen), IPC_HDR_LEN));
	cr_assert(eq(sz, plen, 0));
}

Test(ipc_req, parses_argv_in_order)
{
	static const uint8_t req[] = "status\0db\0--json";   /* the literal adds the last NUL */
	const char *argv[8];

	cr_assert(eq(int, ipc_req_parse(req, sizeof(req), argv, 8), 3));
	cr_assert(eq(str, (char *)argv[0], "status"));
	cr_assert(eq(str, (char *)argv[1], "db"));
	cr_assert(eq(str, (char *)argv[2], "--json"));
	cr_assert(eq(ptr, (void *)argv[3], NULL));
}

Test(ipc_req, keeps_empty_arguments)
{
	static const uint8_t req[] = { 'c', 'a', 's', 't', 0, 'x', 0, 0 };
	const char *argv[4];

	cr_assert(eq(int, ipc_req_parse(req, sizeof(req), argv, 4), 3));
	cr_assert(eq(str, (char *)argv[2], ""));
}

Test(ipc_req, refuses_unterminated_and_empty)
{
	const char *argv[4] = { "untouched" };

	cr_assert(eq(int, ipc_req_parse((const uint8_t *)"status", 6, argv, 4), -EPROTO));
	cr_assert(eq(int, ipc_req_parse((const uint8_t *)"a\0b", 3, argv, 4), -EPROTO));
	cr_assert(eq(int, ipc_req_parse((const uint8_t *)"", 0, argv, 4), -EPROTO));
	cr_assert(eq(str, (char *)argv[0], "untouched"));
}

Test(ipc_req, too_many_arguments_is_e2big)
{
	static uint8_t req[2 * (IPC_ARGS_MAX + 1)];
	static const char *argv[IPC_ARGS_MAX + 8];
	size_t i;

	for (i = 0; i < sizeof(req); i += 2) {
		req[i] = 'x';
		req[i + 1] = '\0';
	}
	cr_assert(eq(int, ipc_req_parse(req, sizeof(req), argv, IPC_ARGS_MAX + 8), -E2BIG));
	cr_assert(eq(int, ipc_req_parse(req, sizeof(req) - 2, argv, IPC_ARGS_MAX + 8),
		     IPC_ARGS_MAX));
	/* The caller's array bounds it too. */
	cr_assert(eq(int, ipc_req_parse(req, 6, argv, 2), -E2BIG));
	cr_assert(eq(int, ipc_req_parse(req, 6, argv, 3), 3));
}
