/*
 * test_serve.c: otp_mb_serve_fd and otp_mb_serve as a worker sees them:
 * stopping, init, fd 3 from the environment, and clients that break the
 * protocol.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

TestSuite(mb_serve, .init = mh_setup, .fini = mh_teardown, .timeout = 30);

static const struct mh_opts plain = { 0 };

/* One call that must be echoed: proves the server is up and serving. */
static void assert_echo_within(const char *name, const char *text, int timeout_ms)
{
	char reply[64];
	ssize_t n = otp_call_path(mh_path(name), text, strlen(text), reply, sizeof(reply),
				  timeout_ms);

	cr_assert(eq(i64, n, strlen(text)));
	cr_assert(memcmp(reply, text, strlen(text)) == 0);
}

static void assert_echo(const char *name, const char *text)
{
	assert_echo_within(name, text, 5000);
}

static void stop_by(int sig)
{
	int why = 1;

	mh_server_start("echo", &plain);
	assert_echo("echo", "up");
	/* 0: serve returned 0, left no fd open and restored the signal mask. */
	cr_assert(eq(int, mh_server_stop(sig, &why), 0));
	cr_assert(eq(int, why, 0), "terminate(state, %d)", why);
	mh_assert_clean();
}

Test(mb_serve, sigterm_stops_cleanly_and_calls_terminate_with_0)
{
	stop_by(SIGTERM);
}

Test(mb_serve, sigint_stops_cleanly_and_calls_terminate_with_0)
{
	stop_by(SIGINT);
}

Test(mb_serve, failing_init_is_returned_without_terminate)
{
	const struct mh_opts bad = { .init_ret = 7 };
	int why = 0;

	mh_server_start("echo", &bad);
	cr_assert(eq(int, mh_server_stop(0, &why), 7));
	cr_assert(eq(int, why, INT32_MIN), "terminate ran after a failed init");
	mh_assert_clean();
}

Test(mb_serve, serve_takes_fd_3_from_the_environment)
{
	const struct mh_opts env = { .via_env = true };
	int why = 1;

	mh_server_start("echo", &env);
	assert_echo("echo", "via fd 3");
	cr_assert(eq(int, mh_server_stop(SIGTERM, &why), 0));
	cr_assert(eq(int, why, 0));
	mh_assert_clean();
}

Test(mb_serve, serve_fd_refuses_a_socket_that_does_not_listen)
{
	int sv[2];

	cr_assert(eq(int, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0));
	cr_assert(eq(int, otp_mb_serve_fd(sv[0], NULL, NULL), -EINVAL));
	cr_assert(eq(int, otp_mb_serve_fd(-1, NULL, NULL), -EBADF));
	close(sv[0]);
	close(sv[1]);
	mh_assert_clean();
}

/*
 * otp_mb_listen_fd in a child, whose fd 3 and environment we may clobber.
 * pid_mode: 's' LISTEN_PID is ours, 'p' our parent's, 'u' unset.
 * Exit 0: returned 3 with FD_CLOEXEC set; 1: -ENOENT; 2: anything else.
 */
static int listen_fd_in_child(char pid_mode, const char *fds)
{
	char pid[32];
	int status, fd, r;
	pid_t child = fork();

	cr_assert(child >= 0);
	if (child == 0) {
		fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);   /* inheritable, as otpd passes it */
		if (fd < 0 || dup2(fd, 3) != 3)
			_exit(3);
		snprintf(pid, sizeof(pid), "%d", pid_mode == 's' ? (int)getpid() : (int)getppid());
		if (pid_mode == 'u')
			unsetenv("LISTEN_PID");
		else
			setenv("LISTEN_PID", pid, 1);
		if (fds)
			setenv("LISTEN_FDS", fds, 1);
		else
			unsetenv("LISTEN_FDS");
		r = otp_mb_listen_fd();
		if (r == 3)
			_exit(fcntl(3, F_GETFD) & FD_CLOEXEC ? 0 : 2);
		_exit(r == -ENOENT ? 1 : 2);
	}
	cr_assert(eq(int, waitpid(child, &status, 0), child));
	cr_assert(eq(int, status & 0x7f, 0), "killed by signal %d", status & 0x7f);
	return (status >> 8) & 0xff;
}

Test(mb_serve, listen_fd_with_and_without_the_environment)
{
	cr_assert(eq(int, listen_fd_in_child('s', "1"), 0));
	cr_assert(eq(int, listen_fd_in_child('s', "2"), 0));
	cr_assert(eq(int, listen_fd_in_child('u', NULL), 1));
	cr_assert(eq(int, listen_fd_in_child('u', "1"), 1));
	cr_assert(eq(int, listen_fd_in_child('s', NULL), 1));
	cr_assert(eq(int, listen_fd_in_child('s', "0"), 1));
	cr_assert(eq(int, listen_fd_in_child('s', "x"), 1));
	cr_assert(eq(int, listen_fd_in_child('p', "1"), 1), "LISTEN_PID of another process");
	mh_assert_clean();
}

/* A raw client connection to the server. */
static int raw_connect(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	cr_assert(fd >= 0);
	strcpy(sa.sun_path, mh_path(name));
	cr_assert(eq(int, connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0));
	return fd;
}

/* Send one raw datagram; the server must close without a reply, quickly. */
static void assert_dropped(const void *p, size_t len)
{
	struct pollfd pfd;
	char buf[8];
	int fd = raw_connect("echo");

	cr_assert(eq(i64, send(fd, p, len, MSG_NOSIGNAL), len));
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	cr_assert(eq(int, poll(&pfd, 1, 3000), 1), "the server kept the connection");
	cr_assert(eq(i64, recv(fd, buf, sizeof(buf), 0), 0), "expected EOF, no reply");
	close(fd);
}

Test(mb_serve, bad_datagrams_are_dropped_and_the_server_goes_on)
{
	uint8_t *big = malloc(2 + OTP_MB_MSG_MAX);

	cr_assert(big != NULL);
	memset(big, 'z', 2 + OTP_MB_MSG_MAX);
	big[0] = OTP_MB_CALL;
	mh_server_start("echo", &plain);
	assert_dropped("xhello", 6);                    /* unknown kind */
	assert_dropped("r", 1);                         /* a reply sent to a server */
	assert_dropped("", 0);                          /* empty datagram */
	assert_dropped(big, 2 + OTP_MB_MSG_MAX);        /* one byte over */
	big[0] = OTP_MB_CAST;
	assert_dropped(big, 2 + OTP_MB_MSG_MAX);
	free(big);
	assert_echo("echo", "still here");
	cr_assert(eq(int, mh_server_stop(SIGTERM, NULL), 0));
	mh_assert_clean();
}

/* A one-shot call made from another thread (it may wait). */
struct caller_arg {
	const char *text;
	ssize_t n;
};

static void *call_in_thread(void *arg)
{
	struct caller_arg *a = arg;
	char reply[64];

	a->n = otp_call_path(mh_path("echo"), a->text, strlen(a->text), reply, sizeof(reply),
			     10000);
	return NULL;
}

/* A raw call on an open connection: send "c"+text, expect "r"+text back. */
static void raw_call(int fd, const char *text)
{
	char req[64], buf[64];
	size_t len = strlen(text);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	req[0] = OTP_MB_CALL;
	memcpy(req + 1, text, len);
	cr_assert(eq(i64, send(fd, req, len + 1, MSG_NOSIGNAL), len + 1));
	cr_assert(eq(int, poll(&pfd, 1, 5000), 1), "no reply to %s", text);
	cr_assert(eq(i64, recv(fd, buf, sizeof(buf), 0), len + 1));
	cr_assert(buf[0] == OTP_MB_REPLY && memcmp(buf + 1, text, len) == 0);
}

/* The reply to a call sent earlier, "r"+text, within 5 s. */
static void raw_expect(int fd, const char *text)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = strlen(text);
	char buf[64];

	cr_assert(eq(int, poll(&pfd, 1, 5000), 1), "no reply %s", text);
	cr_assert(eq(i64, recv(fd, buf, sizeof(buf), 0), len + 1), "reply to %s", text);
	cr_assert(buf[0] == OTP_MB_REPLY && memcmp(buf + 1, text, len) == 0, "%.*s for %s",
		  (int)len, buf + 1, text);
}

/* The server closed fd: EOF within 5 s, and a send fails with EPIPE. */
static void raw_expect_closed(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[8];

	cr_assert(eq(int, poll(&pfd, 1, 5000), 1), "the server kept the connection");
	cr_assert(eq(i64, recv(fd, buf, sizeof(buf), 0), 0), "expected EOF");
	cr_assert(eq(i64, send(fd, "cx", 2, MSG_NOSIGNAL), -1));
	cr_assert(eq(int, errno, EPIPE));
}

/*
 * Issue 18.10: the server used to wait 5 s on each connected-but-silent
 * caller, one at a time.  Eight of them must hold no call up: each call
 * here would wait 40 s behind them, and its timeout is 3 s.
 */
Test(mb_serve, silent_callers_hold_nobody_up)
{
	struct otp_conn *c;
	int fd[8];

	mh_server_start("echo", &plain);
	for (int i = 0; i < 8; i++)
		fd[i] = raw_connect("echo");    /* connect, never send */
	assert_echo_within("echo", "behind 8 silent callers", 3000);
	assert_echo_within("echo", "and again", 3000);
	cr_assert(eq(int, otp_conn_open_path(mh_path("echo"), &c), 0));
	for (int i = 0; i < 3; i++)
		cr_assert(eq(i64, otp_conn_call(c, "k", 1, (char[8]){ 0 }, 8, 3000), 1));
	otp_conn_close(c);
	/* A caller that starts a message and stalls: the same. */
	raw_call(fd[0], "late but fine");
	for (int i = 0; i < 8; i++)
		close(fd[i]);
	cr_assert(eq(int, mh_server_stop(SIGTERM, NULL), 0));
	mh_assert_clean();
}

/*
 * A caller that sends calls and never reads the replies: the server must
 * not block on a reply it cannot send, and must stop reading that caller
 * (its own sends wait in the kernel) without losing or reordering.
 */
Test(mb_serve, caller_not_reading_replies_holds_nobody_up_and_loses_nothing)
{
	struct pollfd pfd;
	int fd, sent = 0, n;
	char req[16];

	mh_server_start("echo", &plain);
	fd = raw_connect("echo");
	/*
	 * Pipeline calls until sends stay blocked: our receive queue is full
	 * of replies, the server holds one more, and stopped reading us, so
	 * the server's queue of our calls is full too.
	 */
	while (sent < 10000) {
		n = snprintf(req, sizeof(req), "c%d", sent);
		if (send(fd, req, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) == n) {
			sent++;
			continue;
		}
		cr_assert(eq(int, errno, EAGAIN), "%s", strerror(errno));
		pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
		if (poll(&pfd, 1, 300) == 0)
			break;
	}
	cr_assert(lt(int, sent, 10000), "the server never stopped reading us");
	assert_echo_within("echo", "others are served", 3000);
	for (int i = 0; i < sent; i++) {
		snprintf(req, sizeof(req), "%d", i);
		raw_expect(fd, req);
	}
	raw_call(fd, "in step after");
	close(fd);
	cr_assert(eq(int, mh_server_stop(SIGTERM, NULL), 0));
	mh_assert_clean();
}

/*
 * With OTP_MB_CONN_MAX connections open, a new caller is served and the
 * connection idle the longest is closed; a kept otp_conn that was
 * retired reconnects at its next call without the caller noticing.
 */
Test(mb_serve, full_table_retires_the_connection_idle_longest)
{
	static struct otp_conn *c[OTP_MB_CONN_MAX];
	char reply[8];
	int oldest;

	mh_server_start("echo", &plain);
	oldest = raw_connect("echo");
	raw_call(oldest, "first");
	for (int i = 0; i < OTP_MB_CONN_MAX - 1; i++) {
		cr_assert(eq(int, otp_conn_open_path(mh_path("echo"), &c[i]), 0));
		cr_assert(eq(i64, otp_conn_call(c[i], "k", 1, reply, sizeof(reply), 5000), 1));
	}
	/* One more: the server has no slot left, and retires `oldest`. */
	assert_echo("echo", "one too many");
	raw_expect_closed(oldest);
	close(oldest);
	/* Fill the slot again; the next newcomer retires c[0], idle the longest. */
	cr_assert(eq(int, otp_conn_open_path(mh_path("echo"), &c[OTP_MB_CONN_MAX - 1]), 0));
	cr_assert(eq(i64, otp_conn_call(c[OTP_MB_CONN_MAX - 1], "k", 1, reply, 8, 5000), 1));
	assert_echo("echo", "another one");
	/* Each kept one still answers: a retired one reconnects unnoticed. */
	for (int i = 0; i < OTP_MB_CONN_MAX; i++) {
		cr_assert(eq(i64, otp_conn_call(c[i], "again", 5, reply, sizeof(reply), 5000), 5));
		cr_assert(memcmp(reply, "again", 5) == 0);
	}
	for (int i = 0; i < 3; i++)
		assert_echo("echo", "one-shot calls too");
	for (int i = 0; i < OTP_MB_CONN_MAX; i++)
		otp_conn_close(c[i]);
	cr_assert(eq(int, mh_server_stop(SIGTERM, NULL), 0));
	mh_assert_clean();
}

/*
 * A stop (SIGTERM) answers every call that reached an open connection
 * before it closes them, and the callers' next sends fail with EPIPE: a
 * kept otp_conn then reconnects to the socket otpd holds.
 */
Test(mb_serve, stop_answers_the_calls_queued_on_open_connections)
{
	const struct mh_opts slow = { .delay_ms = 200 };
	int a, b, why = 1;

	mh_server_start("echo", &slow);
	a = raw_connect("echo");
	b = raw_connect("echo");
	raw_call(a, "a0");
	raw_call(b, "b0");
	cr_assert(eq(i64, send(a, "ca1", 3, MSG_NOSIGNAL), 3));
	cr_assert(eq(i64, send(b, "cb1", 3, MSG_NOSIGNAL), 3));
	cr_assert(eq(i64, send(a, "ca2", 3, MSG_NOSIGNAL), 3));
	kill(mh_server_pid(), SIGTERM);
	raw_expect(a, "a1");
	raw_expect(b, "b1");
	raw_expect(a, "a2");
	raw_expect_closed(a);
	raw_expect_closed(b);
	cr_assert(eq(int, mh_server_stop(0, &why), 0));
	cr_assert(eq(int, why, 0));
	close(a);
	close(b);
	mh_assert_clean();
}

/*
 * Out of fds (EMFILE at accept): the server keeps serving the connections
 * it has, leaves the newcomer in the backlog without spinning or giving
 * up, and takes it once a connection has closed.
 */
Test(mb_serve, out_of_fds_the_newcomer_waits_until_one_closes)
{
	const struct mh_opts tight = { .fd_room = 3 };
	struct otp_conn *c[3];
	struct caller_arg late = { .text = "the fourth" };
	pthread_t tid;
	char reply[8];

	mh_server_start("echo", &tight);
	for (int i = 0; i < 3; i++) {
		cr_assert(eq(int, otp_conn_open_path(mh_path("echo"), &c[i]), 0));
		cr_assert(eq(i64, otp_conn_call(c[i], "k", 1, reply, sizeof(reply), 5000), 1));
	}
	cr_assert(eq(int, pthread_create(&tid, NULL, call_in_thread, &late), 0));
	/* The fourth cannot be accepted; the three are still served. */
	for (int round = 0; round < 5; round++)
		for (int i = 0; i < 3; i++)
			cr_assert(eq(i64, otp_conn_call(c[i], "k", 1, reply, sizeof(reply), 5000), 1));
	otp_conn_close(c[0]);
	pthread_join(tid, NULL);
	cr_assert(eq(i64, late.n, strlen(late.text)), "the fourth: %zd", late.n);
	otp_conn_close(c[1]);
	otp_conn_close(c[2]);
	cr_assert(eq(int, mh_server_stop(SIGTERM, NULL), 0));
	mh_assert_clean();
}

Test(mb_serve, client_gone_before_the_reply_does_not_kill_the_server)
{
	const struct mh_opts slow = { .delay_ms = 300 };
	char reply[8];

	mh_server_start("echo", &slow);
	/* Times out and closes while the server still works on it. */
	cr_assert(eq(i64, otp_call_path(mh_path("echo"), "slow", 4, reply, sizeof(reply), 50),
		     -ETIMEDOUT));
	assert_echo("echo", "alive");   /* the reply to a closed socket raised no SIGPIPE */
	cr_assert(eq(int, mh_server_stop(SIGTERM, NULL), 0));
	mh_assert_clean();
}

/*
 * Send "c"+text on fd without waiting for the reply.  `late`: the server
 * may have refused an earlier call and shut the connection already, the
 * send may then fail with EPIPE.
 */
static void raw_send_call(int fd, const char *text, bool late)
{
	char req[64];
	size_t len = strlen(text);
	ssize_t n;

	req[0] = OTP_MB_CALL;
	memcpy(req + 1, text, len);
	n = send(fd, req, len + 1, MSG_NOSIGNAL);
	if (late && n < 0)
		cr_assert(eq(int, errno, EPIPE));
	else
		cr_assert(eq(i64, n, len + 1));
}

/*
 * Found by tests/fuzz (fuzz_mailbox, pipelined calls): calls sent back to
 * back, the third refused by its handler.  The server closes the
 * connection then, but the replies it sent before must still reach the
 * caller, followed by EOF.  A close with the caller's later messages
 * still unread makes the kernel report ECONNRESET to the caller ahead of
 * the replies already queued for it: they were lost.
 */
Test(mb_serve, replies_sent_before_a_refused_pipelined_call_are_not_lost)
{
	int fd;

	mh_server_start("echo", &plain);
	for (int round = 0; round < 20; round++) {
		fd = raw_connect("echo");
		raw_send_call(fd, "one", false);
		raw_send_call(fd, "two", false);
		raw_send_call(fd, "fail", false);
		raw_send_call(fd, "three", true);
		raw_send_call(fd, "four", true);
		raw_expect(fd, "one");
		raw_expect(fd, "two");
		raw_expect_closed(fd);
		close(fd);
	}
	assert_echo("echo", "still here");
	cr_assert(eq(int, mh_server_stop(SIGTERM, NULL), 0));
	mh_assert_clean();
}
