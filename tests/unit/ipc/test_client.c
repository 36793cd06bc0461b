/*
 * test_client.c: ipc_client_run against scripted fake servers, and one
 * end-to-end run against a real ipc_conn.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

TestSuite(ipc_client, .init = th_setup, .fini = th_teardown);

static int lfd = -1;
static struct th_capture cap;

/* Listen, serve `script` once, run the client with argv, reap the server. */
static int run_against(const uint8_t *script, size_t len, enum th_after after, bool echo,
		       int argc, char *const *argv, int64_t timeout_ms)
{
	const char *path = th_path("otpd.sock");
	pid_t pid;
	int code;

	lfd = ipc_listen(path, 4);
	cr_assert(lfd >= 0);
	pid = th_server_start(lfd, echo, script, len, after);
	th_capture_begin(&cap);
	code = ipc_client_run_timeout(path, argc, argv, timeout_ms);
	th_capture_end(&cap);
	close(lfd);
	cr_assert(eq(int, th_server_wait(pid), 0), "the server saw a bad request");
	return code;
}

Test(ipc_client, copies_out_and_err_and_returns_the_end_code)
{
	char *argv[] = { "status", "--json", "db" };
	uint8_t s[256];
	size_t len = 0;
	int code;

	th_put(s, sizeof(s), &len, IPC_OUT, "hello ", 6);
	th_put(s, sizeof(s), &len, IPC_ERR, "oops\n", 5);
	th_put(s, sizeof(s), &len, IPC_OUT, "world\n", 6);
	th_put(s, sizeof(s), &len, IPC_END, "\x01", 1);
	code = run_against(s, len, TH_CLOSE, true, 3, argv, -1);
	cr_assert(eq(int, code, 1));
	cr_assert(eq(str, cap.out, "argv:status|--json|db\nhello world\n"));
	cr_assert(eq(str, cap.err, "oops\n"));
	th_capture_free(&cap);
}

Test(ipc_client, end_code_zero_and_empty_frames)
{
	char *argv[] = { "count" };
	uint8_t s[64];
	size_t len = 0;

	th_put(s, sizeof(s), &len, IPC_OUT, NULL, 0);
	th_put(s, sizeof(s), &len, IPC_END, "\x00", 1);
	cr_assert(eq(int, run_against(s, len, TH_CLOSE, false, 1, argv, -1), 0));
	cr_assert(eq(sz, cap.out_len, 0));
	th_capture_free(&cap);
}

Test(ipc_client, streams_many_frames_and_a_maximal_one)
{
	char *argv[] = { "logs", "db" };
	size_t cap_len = 40 * (IPC_HDR_LEN + 100000) + IPC_HDR_LEN + IPC_FRAME_MAX + 16, len = 0;
	uint8_t *s = malloc(cap_len), *chunk = malloc(IPC_FRAME_MAX);
	size_t i, k, total = 0;

	cr_assert(s && chunk);
	for (k = 0; k < 40; k++) {
		for (i = 0; i < 100000; i++)
			chunk[i] = (uint8_t)('a' + (total + i) % 26);
		th_put(s, cap_len, &len, IPC_OUT, chunk, 100000);
		total += 100000;
	}
	for (i = 0; i < IPC_FRAME_MAX; i++)
		chunk[i] = (uint8_t)('a' + (total + i) % 26);
	th_put(s, cap_len, &len, IPC_OUT, chunk, IPC_FRAME_MAX);
	total += IPC_FRAME_MAX;
	th_put(s, cap_len, &len, IPC_END, "\x00", 1);
	cr_assert(eq(int, run_against(s, len, TH_CLOSE, false, 2, argv, -1), 0));
	cr_assert(eq(sz, cap.out_len, total));
	for (i = 0; i < total; i++)
		cr_assert(eq(chr, cap.out[i], (char)('a' + i % 26)), "byte %zu", i);
	th_capture_free(&cap);
	free(s);
	free(chunk);
}

Test(ipc_client, unreachable_socket_is_exit_3)
{
	char *argv[] = { "status" };
	const char *path = th_path("nobody.sock");
	int code;

	th_capture_begin(&cap);
	code = ipc_client_run(path, 1, argv);
	th_capture_end(&cap);
	cr_assert(eq(int, code, IPC_EXIT_UNREACHABLE));
	cr_assert(strstr(cap.err, "otpctl: cannot reach otpd at ") != NULL, "%s", cap.err);
	cr_assert(strstr(cap.err, path) != NULL);
	th_capture_free(&cap);
}

Test(ipc_client, close_without_end_is_exit_3)
{
	char *argv[] = { "status" };
	uint8_t s[64];
	size_t len = 0;

	th_put(s, sizeof(s), &len, IPC_OUT, "partial", 7);
	cr_assert(eq(int, run_against(s, len, TH_CLOSE, false, 1, argv, -1), 3));
	cr_assert(eq(str, cap.out, "partial"));
	cr_assert(strstr(cap.err, "otpctl: ") != NULL);
	th_capture_free(&cap);
}

Test(ipc_client, close_in_the_middle_of_a_frame_is_exit_3)
{
	char *argv[] = { "status" };
	uint8_t s[64];
	size_t len = 0;

	th_put(s, sizeof(s), &len, IPC_OUT, "0123456789", 10);
	cr_assert(eq(int, run_against(s, len - 4, TH_CLOSE, false, 1, argv, -1), 3));
	th_capture_free(&cap);
}

Test(ipc_client, bad_frames_are_exit_3)
{
	static const uint8_t bad[][IPC_HDR_LEN + 1] = {
		{ 0, 0, 0, 1, 2, IPC_END, 0 },                  /* version 2 */
		{ 0, 0, 0, 1, IPC_VERSION, 9, 0 },              /* unknown type */
		{ 0, 0, 0, 1, IPC_VERSION, IPC_REQ, 0 },        /* a REQ from otpd */
		{ 0, 0x10, 0, 1, IPC_VERSION, IPC_OUT, 0 },     /* over IPC_FRAME_MAX */
	};
	static const uint8_t end2[] = { 0, 0, 0, 2, IPC_VERSION, IPC_END, 0, 0 };
	char *argv[] = { "status" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert(eq(int, run_against(bad[i], sizeof(bad[i]), TH_CLOSE, false, 1, argv, -1),
			     3), "case %zu", i);
		cr_assert(strstr(cap.err, "bad reply") != NULL, "case %zu: %s", i, cap.err);
		th_capture_free(&cap);
	}
	cr_assert(eq(int, run_against(end2, sizeof(end2), TH_CLOSE, false, 1, argv, -1), 3));
	th_capture_free(&cap);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

Test(ipc_client, no_end_within_the_timeout_is_exit_4)
{
	char *argv[] = { "wait", "db", "--state", "running" };
	uint8_t s[64];
	size_t len = 0;
	int64_t t0 = now_ms(), dt;

	/* Output, then silence: the server holds the connection open. */
	th_put(s, sizeof(s), &len, IPC_OUT, "waiting\n", 8);
	cr_assert(eq(int, run_against(s, len, TH_HOLD, false, 4, argv, 300), IPC_EXIT_TIMEOUT));
	dt = now_ms() - t0;
	cr_assert(ge(long, (long)dt, 300));
	cr_assert(lt(long, (long)dt, 5000));
	cr_assert(eq(str, cap.out, "waiting\n"));
	cr_assert(eq(str, cap.err, "otpctl: timed out\n"));
	th_capture_free(&cap);
}

Test(ipc_client, oversized_request_is_a_local_usage_error)
{
	static char *argv[IPC_ARGS_MAX + 1];
	int i, code;

	for (i = 0; i <= IPC_ARGS_MAX; i++)
		argv[i] = "x";
	/* No server needed: it must fail before connecting. */
	th_capture_begin(&cap);
	code = ipc_client_run(th_path("nobody.sock"), IPC_ARGS_MAX + 1, argv);
	th_capture_end(&cap);
	cr_assert(eq(int, code, IPC_EXIT_USAGE));
	cr_assert(strstr(cap.err, "too large") != NULL, "%s", cap.err);
	th_capture_free(&cap);
}

/* A server made of the real pieces: ipc_listen, ipc_conn, non-blocking. */
static void real_server(int l)
{
	struct pollfd pfd = { .fd = l, .events = POLLIN };
	const char *argv[8];
	struct ipc_conn *c;
	int fd, argc = 0, r;

	if (poll(&pfd, 1, 10000) != 1)
		_exit(10);
	fd = accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	c = ipc_conn_new(fd, 0, 0, 0);
	if (!c)
		_exit(11);
	pfd.fd = fd;
	while ((r = ipc_conn_on_readable(c, argv, 8, &argc)) == 0)
		poll(&pfd, 1, 10000);
	if (r != 1 || argc != 2)
		_exit(12);
	ipc_conn_printf(c, IPC_OUT, "verb=%s arg=%s\n", argv[0], argv[1]);
	ipc_conn_printf(c, IPC_ERR, "warning\n");
	ipc_conn_end(c, 4);
	pfd.events = POLLOUT;
	while (!ipc_conn_finished(c)) {
		if (ipc_conn_flush(c) < 0)
			_exit(13);
		poll(&pfd, 1, 10000);
	}
	ipc_conn_free(c);
	_exit(0);
}

Test(ipc_client, end_to_end_with_a_real_conn)
{
	const char *path = th_path("otpd.sock");
	char *argv[] = { "kill", "db" };
	pid_t pid;
	int code;

	lfd = ipc_listen(path, 4);
	cr_assert(lfd >= 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		real_server(lfd);
	th_capture_begin(&cap);
	code = ipc_client_run(path, 2, argv);
	th_capture_end(&cap);
	close(lfd);
	cr_assert(eq(int, th_server_wait(pid), 0));
	cr_assert(eq(int, code, 4));
	cr_assert(eq(str, cap.out, "verb=kill arg=db\n"));
	cr_assert(eq(str, cap.err, "warning\n"));
	th_capture_free(&cap);
}
