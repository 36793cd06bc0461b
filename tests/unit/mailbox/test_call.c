/*
 * test_call.c: otp_call/otp_cast (and their _path forms) against a real
 * otp_mb_serve_fd server in a forked child.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

TestSuite(mb_call, .init = mh_setup, .fini = mh_teardown, .timeout = 30);

static const struct mh_opts plain = { 0 };

/* Stop the server with SIGTERM and check it went the clean way. */
static void stop_clean(void)
{
	int why;

	cr_assert(eq(int, mh_server_stop(SIGTERM, &why), 0));
	cr_assert(eq(int, why, 0));
	mh_assert_clean();
}

static void fill_pattern(uint8_t *p, size_t len, unsigned seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)((i * 131 + seed) % 251);   /* includes NUL bytes */
}

Test(mb_call, text_round_trip)
{
	char reply[64];
	ssize_t n;

	mh_server_start("echo", &plain);
	n = otp_call_path(mh_path("echo"), "hello", 5, reply, sizeof(reply), 5000);
	cr_assert(eq(i64, n, 5));
	cr_assert(memcmp(reply, "hello", 5) == 0);
	stop_clean();
}

Test(mb_call, binary_round_trip_with_nul_bytes)
{
	uint8_t req[300], reply[300];
	ssize_t n;

	fill_pattern(req, sizeof(req), 0);
	cr_assert(memchr(req, 0, sizeof(req)) != NULL);
	mh_server_start("echo", &plain);
	n = otp_call_path(mh_path("echo"), req, sizeof(req), reply, sizeof(reply), 5000);
	cr_assert(eq(i64, n, sizeof(req)));
	cr_assert(memcmp(reply, req, sizeof(req)) == 0);
	stop_clean();
}

Test(mb_call, empty_request_and_empty_reply)
{
	char reply[8] = "unset";
	ssize_t n;

	mh_server_start("echo", &plain);
	n = otp_call_path(mh_path("echo"), NULL, 0, reply, sizeof(reply), 5000);
	cr_assert(eq(i64, n, 0));
	stop_clean();
}

Test(mb_call, payload_of_exactly_msg_max_both_ways)
{
	uint8_t *req = malloc(OTP_MB_MSG_MAX), *reply = malloc(OTP_MB_MSG_MAX);
	ssize_t n;

	cr_assert(req && reply);
	fill_pattern(req, OTP_MB_MSG_MAX, 7);
	mh_server_start("echo", &plain);
	n = otp_call_path(mh_path("echo"), req, OTP_MB_MSG_MAX, reply, OTP_MB_MSG_MAX, 5000);
	cr_assert(eq(i64, n, OTP_MB_MSG_MAX));
	cr_assert(memcmp(reply, req, OTP_MB_MSG_MAX) == 0);
	free(req);
	free(reply);
	stop_clean();
}

Test(mb_call, cast_reaches_handle_cast)
{
	char reply[64];
	ssize_t n;

	mh_server_start("echo", &plain);
	cr_assert(eq(int, otp_cast_path(mh_path("echo"), "a\0cast", 6), 0));
	/* Connections are accepted in order and a new one's first message is
	 * read at once: the cast is handled before this call. */
	n = otp_call_path(mh_path("echo"), "last", 4, reply, sizeof(reply), 5000);
	cr_assert(eq(i64, n, 6));
	cr_assert(memcmp(reply, "a\0cast", 6) == 0);
	stop_clean();
}

Test(mb_call, cast_of_exactly_msg_max)
{
	uint8_t *msg = malloc(OTP_MB_MSG_MAX), *reply = malloc(OTP_MB_MSG_MAX);
	ssize_t n;

	cr_assert(msg && reply);
	fill_pattern(msg, OTP_MB_MSG_MAX, 3);
	mh_server_start("echo", &plain);
	cr_assert(eq(int, otp_cast_path(mh_path("echo"), msg, OTP_MB_MSG_MAX), 0));
	n = otp_call_path(mh_path("echo"), "last", 4, reply, OTP_MB_MSG_MAX, 5000);
	cr_assert(eq(i64, n, OTP_MB_MSG_MAX));
	cr_assert(memcmp(reply, msg, OTP_MB_MSG_MAX) == 0);
	free(msg);
	free(reply);
	stop_clean();
}

Test(mb_call, oversized_request_is_refused_without_connecting)
{
	uint8_t *req = calloc(1, OTP_MB_MSG_MAX + 1);
	char reply[8];

	cr_assert(req != NULL);
	/* No socket exists: -EMSGSIZE rather than -ENOENT proves no connect. */
	cr_assert(eq(i64, otp_call_path(mh_path("none"), req, OTP_MB_MSG_MAX + 1, reply,
					 sizeof(reply), 1000), -EMSGSIZE));
	cr_assert(eq(int, otp_cast_path(mh_path("none"), req, OTP_MB_MSG_MAX + 1), -EMSGSIZE));
	free(req);
	mh_assert_clean();
}

Test(mb_call, reply_bigger_than_cap_is_emsgsize_and_leaves_buffer)
{
	char reply[10] = "untouched";
	ssize_t n;

	mh_server_start("echo", &plain);
	n = otp_call_path(mh_path("echo"), "big", 3, reply, sizeof(reply), 5000);
	cr_assert(eq(i64, n, -EMSGSIZE));
	cr_assert(eq(str, reply, "untouched"));
	/* The server is unharmed. */
	n = otp_call_path(mh_path("echo"), "ok", 2, reply, sizeof(reply), 5000);
	cr_assert(eq(i64, n, 2));
	stop_clean();
}

/* A cap of some KiB takes the other receive path (peek, then in place). */
Test(mb_call, reply_bigger_than_a_large_cap_is_emsgsize_and_leaves_buffer)
{
	uint8_t req[4000], reply[3000], want[sizeof(reply)];
	ssize_t n;

	fill_pattern(req, sizeof(req), 3);
	memset(reply, 0xaa, sizeof(reply));
	memcpy(want, reply, sizeof(reply));
	mh_server_start("echo", &plain);
	n = otp_call_path(mh_path("echo"), req, sizeof(req), reply, sizeof(reply), 5000);
	cr_assert(eq(i64, n, -EMSGSIZE));
	cr_assert(memcmp(reply, want, sizeof(reply)) == 0);
	n = otp_call_path(mh_path("echo"), req, sizeof(reply), reply, sizeof(reply), 5000);
	cr_assert(eq(i64, n, sizeof(reply)));
	cr_assert(memcmp(reply, req, sizeof(reply)) == 0);
	stop_clean();
}

Test(mb_call, reply_that_fills_a_small_cap_exactly)
{
	char reply[5];
	ssize_t n;

	mh_server_start("echo", &plain);
	n = otp_call_path(mh_path("echo"), "12345", 5, reply, sizeof(reply), 5000);
	cr_assert(eq(i64, n, 5));
	cr_assert(memcmp(reply, "12345", 5) == 0);
	n = otp_call_path(mh_path("echo"), "123456", 6, reply, sizeof(reply), 5000);
	cr_assert(eq(i64, n, -EMSGSIZE));
	stop_clean();
}

Test(mb_call, failing_handler_resets_the_caller_at_once)
{
	char reply[8];
	int64_t t0;
	ssize_t n;

	mh_server_start("echo", &plain);
	t0 = mh_now_ms();
	n = otp_call_path(mh_path("echo"), "fail", 4, reply, sizeof(reply), 5000);
	cr_assert(eq(i64, n, -ECONNRESET));
	cr_assert(lt(i64, mh_now_ms() - t0, 2000), "waited for the timeout");
	stop_clean();
}

Test(mb_call, callee_dying_mid_call_resets_the_caller)
{
	char reply[8];
	int64_t t0;
	ssize_t n;
	int why;

	mh_server_start("echo", &plain);
	t0 = mh_now_ms();
	n = otp_call_path(mh_path("echo"), "die", 3, reply, sizeof(reply), 5000);
	cr_assert(eq(i64, n, -ECONNRESET));
	cr_assert(lt(i64, mh_now_ms() - t0, 2000));
	cr_assert(eq(int, mh_server_stop(0, &why), 0));
	cr_assert(eq(int, why, INT32_MIN), "terminate ran in a dead server");
	mh_assert_clean();
}

Test(mb_call, server_that_never_answers_times_out)
{
	char reply[8];
	int64_t t0, took;
	ssize_t n;

	mh_server_start("echo", &plain);
	t0 = mh_now_ms();
	n = otp_call_path(mh_path("echo"), "hang", 4, reply, sizeof(reply), 300);
	took = mh_now_ms() - t0;
	cr_assert(eq(i64, n, -ETIMEDOUT));
	cr_assert(ge(i64, took, 290));
	cr_assert(lt(i64, took, 2000));
	cr_assert(eq(int, mh_server_stop(SIGKILL, NULL), 128 + SIGKILL));
	mh_assert_clean();
}

Test(mb_call, full_backlog_times_out_instead_of_blocking)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), probe;
	char reply[8];
	int64_t t0, took;
	ssize_t n;

	strcpy(sa.sun_path, mh_path("stuck"));
	cr_assert(eq(int, bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0));
	cr_assert(eq(int, listen(lfd, 0), 0));
	/* Nobody accepts: the first call queues and times out waiting for a reply... */
	n = otp_call_path(sa.sun_path, "x", 1, reply, sizeof(reply), 200);
	cr_assert(eq(i64, n, -ETIMEDOUT));
	/* ...its connection stays queued, so the backlog is full now. */
	probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	cr_assert(eq(int, connect(probe, (struct sockaddr *)&sa, sizeof(sa)), -1));
	cr_assert(eq(int, errno, EAGAIN));
	close(probe);
	t0 = mh_now_ms();
	n = otp_call_path(sa.sun_path, "x", 1, reply, sizeof(reply), 300);
	took = mh_now_ms() - t0;
	cr_assert(eq(i64, n, -ETIMEDOUT));
	cr_assert(ge(i64, took, 290));
	cr_assert(lt(i64, took, 2000));
	close(lfd);
	mh_assert_clean();
}

Test(mb_call, no_socket_file_is_enoent)
{
	char reply[8];

	cr_assert(eq(i64, otp_call_path(mh_path("absent"), "x", 1, reply, sizeof(reply), 1000),
		     -ENOENT));
	cr_assert(eq(int, otp_cast_path(mh_path("absent"), "x", 1), -ENOENT));
	mh_assert_clean();
}

Test(mb_call, socket_file_without_listener_is_econnrefused)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	char reply[8];

	strcpy(sa.sun_path, mh_path("dead"));
	cr_assert(eq(int, bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0));
	close(fd);      /* the file stays, nobody listens */
	cr_assert(eq(i64, otp_call_path(sa.sun_path, "x", 1, reply, sizeof(reply), 1000),
		     -ECONNREFUSED));
	cr_assert(eq(int, otp_cast_path(sa.sun_path, "x", 1), -ECONNREFUSED));
	mh_assert_clean();
}

Test(mb_call, wrong_kind_in_reply_is_eproto)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), cfd;
	char reply[8], buf[16];
	pid_t pid;
	int status;

	strcpy(sa.sun_path, mh_path("odd"));
	cr_assert(eq(int, bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0));
	cr_assert(eq(int, listen(lfd, 4), 0));
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		/* A server speaking the wrong kind: 'c' instead of 'r'. */
		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0 || recv(cfd, buf, sizeof(buf), 0) < 1 ||
		    send(cfd, "cno", 3, MSG_NOSIGNAL) != 3)
			_exit(1);
		/* EOF, or ECONNRESET: the caller closed with our reply unread. */
		_exit(recv(cfd, buf, sizeof(buf), 0) <= 0 ? 0 : 2);
	}
	close(lfd);
	cr_assert(eq(i64, otp_call_path(sa.sun_path, "x", 1, reply, sizeof(reply), 5000),
		     -EPROTO));
	cr_assert(eq(int, waitpid(pid, &status, 0), pid));
	cr_assert(eq(int, status, 0), "the fake server failed: %#x", status);
	mh_assert_clean();
}

struct caller {
	pthread_t tid;
	unsigned id;
	ssize_t n;
	bool same;
};

static void *caller_run(void *arg)
{
	struct caller *c = arg;
	char req[32], reply[32];
	int len = snprintf(req, sizeof(req), "caller %u", c->id);

	c->n = otp_call_path(mh_path("echo"), req, (size_t)len, reply, sizeof(reply), 20000);
	c->same = c->n == len && memcmp(reply, req, (size_t)len) == 0;
	return NULL;
}

Test(mb_call, twenty_concurrent_callers_are_all_answered)
{
	/* A backlog of 2 and a slow handler: most callers meet a full backlog. */
	const struct mh_opts slow = { .backlog = 2, .delay_ms = 20 };
	struct caller c[20];
	unsigned i;

	mh_server_start("echo", &slow);
	for (i = 0; i < 20; i++) {
		c[i] = (struct caller){ .id = i };
		cr_assert(eq(int, pthread_create(&c[i].tid, NULL, caller_run, &c[i]), 0));
	}
	for (i = 0; i < 20; i++)
		pthread_join(c[i].tid, NULL);
	for (i = 0; i < 20; i++) {
		cr_assert(gt(i64, c[i].n, 0), "caller %u: %zd", i, c[i].n);
		cr_assert(c[i].same, "caller %u got another reply", i);
	}
	stop_clean();
}

Test(mb_call, by_name_under_otp_mailbox_dir)
{
	char reply[64], name[200];
	ssize_t n;

	cr_assert(eq(int, setenv("OTP_MAILBOX_DIR", mh_dir, 1), 0));
	mh_server_start("echo", &plain);
	n = otp_call("echo", "by name", 7, reply, sizeof(reply), 5000);
	cr_assert(eq(i64, n, 7));
	cr_assert(memcmp(reply, "by name", 7) == 0);
	cr_assert(eq(int, otp_cast("echo", "c1", 2), 0));
	n = otp_call("echo", "last", 4, reply, sizeof(reply), 5000);
	cr_assert(eq(i64, n, 2));
	cr_assert(memcmp(reply, "c1", 2) == 0);
	cr_assert(eq(i64, otp_call("absent", "x", 1, reply, sizeof(reply), 1000), -ENOENT));
	cr_assert(eq(i64, otp_call("../echo", "x", 1, reply, sizeof(reply), 1000), -EINVAL));
	cr_assert(eq(int, otp_cast("a/b", "x", 1), -EINVAL));
	cr_assert(eq(i64, otp_call("", "x", 1, reply, sizeof(reply), 1000), -EINVAL));
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	cr_assert(eq(i64, otp_call(name, "x", 1, reply, sizeof(reply), 1000), -ENAMETOOLONG));
	cr_assert(eq(int, otp_cast(name, "x", 1), -ENAMETOOLONG));
	stop_clean();
}
