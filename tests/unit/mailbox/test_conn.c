/*
 * test_conn.c: kept connections (otp_conn_*) against a real
 * otp_mb_serve_fd server in a forked child: many calls on one connection,
 * order, what a restart, a death, a timeout or a refusal does to the
 * connection, and fairness between kept callers.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "helpers.h"

TestSuite(mb_conn, .init = mh_setup, .fini = mh_teardown, .timeout = 60);

static const struct mh_opts plain = { 0 };

static struct otp_conn *open_echo(void)
{
	struct otp_conn *c = NULL;

	cr_assert(eq(int, otp_conn_open_path(mh_path("echo"), &c), 0));
	cr_assert(c != NULL);
	return c;
}

/* One call on c that must be echoed. */
static void conn_echo(struct otp_conn *c, const char *text)
{
	char reply[128];
	ssize_t n = otp_conn_call(c, text, strlen(text), reply, sizeof(reply), 5000);

	cr_assert(eq(i64, n, strlen(text)), "%s: %zd (%s)", text, n,
		  n < 0 ? strerror((int)-n) : "");
	cr_assert(memcmp(reply, text, strlen(text)) == 0);
}

static void stop_clean(void)
{
	int why = 1;

	cr_assert(eq(int, mh_server_stop(SIGTERM, &why), 0));
	cr_assert(eq(int, why, 0));
}

Test(mb_conn, many_calls_on_one_connection)
{
	struct otp_conn *c;
	char text[32];

	mh_server_start("echo", &plain);
	c = open_echo();
	conn_echo(c, "first");
	/* No new connection could be made now: every call below uses the first. */
	cr_assert(eq(int, unlink(mh_path("echo")), 0));
	for (int i = 0; i < 2000; i++) {
		snprintf(text, sizeof(text), "call %d", i);
		conn_echo(c, text);
	}
	otp_conn_close(c);
	stop_clean();
	mh_assert_clean();
}

Test(mb_conn, casts_and_calls_are_handled_in_order)
{
	struct otp_conn *c;
	char reply[16];

	mh_server_start("echo", &plain);
	c = open_echo();
	cr_assert(eq(int, otp_conn_cast(c, "c1", 2), 0));
	cr_assert(eq(int, otp_conn_cast(c, "c2", 2), 0));
	cr_assert(eq(i64, otp_conn_call(c, "last", 4, reply, sizeof(reply), 5000), 2));
	cr_assert(memcmp(reply, "c2", 2) == 0);
	otp_conn_close(c);
	stop_clean();
	mh_assert_clean();
}

/* The worker restarts between two calls: the next call reconnects unnoticed. */
Test(mb_conn, restart_between_calls_is_transparent)
{
	struct otp_conn *c;

	mh_hold("echo", 16);
	mh_server_start("echo", &plain);
	c = open_echo();
	conn_echo(c, "before");
	stop_clean();                           /* a clean stop retires c's connection */
	mh_server_start("echo", &plain);
	conn_echo(c, "after a clean restart");
	cr_assert(eq(int, mh_server_stop(SIGKILL, NULL), 128 + SIGKILL));
	mh_server_start("echo", &plain);
	conn_echo(c, "after a crash");
	otp_conn_close(c);
	stop_clean();
	mh_assert_clean();
}

/* Calls made while no worker runs wait in the held socket's backlog. */
Test(mb_conn, calls_wait_while_the_worker_is_down)
{
	const struct mh_opts late = { .start_delay_ms = 300 };
	struct otp_conn *c;

	mh_hold("echo", 16);
	c = open_echo();                        /* connects to the backlog */
	mh_server_start("echo", &late);
	conn_echo(c, "answered by the worker that came");
	conn_echo(c, "and again");
	otp_conn_close(c);
	stop_clean();
	mh_assert_clean();
}

Test(mb_conn, call_in_flight_when_the_worker_dies_is_econnreset_then_reconnects)
{
	struct otp_conn *c;
	char reply[8];

	mh_hold("echo", 16);
	mh_server_start("echo", &plain);
	c = open_echo();
	cr_assert(eq(i64, otp_conn_call(c, "die", 3, reply, sizeof(reply), 5000), -ECONNRESET));
	cr_assert(eq(int, mh_server_stop(0, NULL), 0));
	mh_server_start("echo", &plain);
	conn_echo(c, "the new worker answers");
	otp_conn_close(c);
	stop_clean();
	mh_assert_clean();
}

Test(mb_conn, refused_call_is_econnreset_and_the_next_call_reconnects)
{
	struct otp_conn *c;
	char reply[8];

	mh_server_start("echo", &plain);
	c = open_echo();
	cr_assert(eq(i64, otp_conn_call(c, "fail", 4, reply, sizeof(reply), 5000), -ECONNRESET));
	conn_echo(c, "next");
	otp_conn_close(c);
	stop_clean();
	mh_assert_clean();
}

/* A late reply must never be taken for the answer to the next call. */
Test(mb_conn, timeout_drops_the_connection_so_a_late_reply_answers_nothing)
{
	const struct mh_opts slow = { .delay_ms = 300 };
	struct otp_conn *c;
	char reply[16];

	mh_server_start("echo", &slow);
	c = open_echo();
	cr_assert(eq(i64, otp_conn_call(c, "late", 4, reply, sizeof(reply), 50), -ETIMEDOUT));
	cr_assert(eq(i64, otp_conn_call(c, "next", 4, reply, sizeof(reply), 5000), 4));
	cr_assert(memcmp(reply, "next", 4) == 0, "got %.4s", reply);
	cr_assert(eq(i64, otp_conn_call(c, "x", 1, reply, sizeof(reply), 0), -ETIMEDOUT),
		  "timeout 0 does not wait");
	conn_echo(c, "then in step again");
	otp_conn_close(c);
	stop_clean();
	mh_assert_clean();
}

/* A reply over cap is taken off the connection, which stays (no reconnect). */
Test(mb_conn, reply_over_cap_keeps_the_connection_in_step)
{
	static char big[3000], reply[1000];
	struct otp_conn *c;

	memset(big, 'b', sizeof(big));
	memset(reply, '-', sizeof(reply));
	mh_server_start("echo", &plain);
	c = open_echo();
	conn_echo(c, "first");
	cr_assert(eq(int, unlink(mh_path("echo")), 0));
	cr_assert(eq(i64, otp_conn_call(c, "big", 3, reply, 10, 5000), -EMSGSIZE));
	cr_assert(eq(int, reply[0], '-'), "reply written");
	conn_echo(c, "small cap path");
	cr_assert(eq(i64, otp_conn_call(c, big, sizeof(big), reply, sizeof(reply), 5000),
		     -EMSGSIZE));
	cr_assert(eq(int, reply[0], '-'), "reply written");
	conn_echo(c, "large cap path");
	otp_conn_close(c);
	stop_clean();
	mh_assert_clean();
}

Test(mb_conn, open_and_argument_errors)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct otp_conn *c = (struct otp_conn *)&sa, *keep = c;
	static char huge[OTP_MB_MSG_MAX + 1];
	char reply[8];
	int fd;

	cr_assert(eq(int, otp_conn_open_path(mh_path("absent"), &c), -ENOENT));
	cr_assert(c == keep, "ret_conn written on failure");
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	strcpy(sa.sun_path, mh_path("dead"));
	cr_assert(eq(int, bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0));
	close(fd);
	cr_assert(eq(int, otp_conn_open_path(mh_path("dead"), &c), -ECONNREFUSED));
	cr_assert(eq(int, otp_conn_open("a/b", &c), -EINVAL));
	cr_assert(eq(int, otp_conn_open("..", &c), -EINVAL));
	cr_assert(eq(int, otp_conn_open_path(NULL, &c), -EINVAL));
	cr_assert(eq(int, otp_conn_open_path("", &c), -EINVAL));
	cr_assert(eq(int, otp_conn_open_path(mh_path("x"), NULL), -EINVAL));
	cr_assert(eq(i64, otp_conn_call(NULL, "x", 1, reply, sizeof(reply), 100), -EINVAL));
	cr_assert(eq(int, otp_conn_cast(NULL, "x", 1), -EINVAL));
	otp_conn_close(NULL);
	mh_server_start("echo", &plain);
	c = open_echo();
	cr_assert(eq(i64, otp_conn_call(c, huge, sizeof(huge), reply, sizeof(reply), 100),
		     -EMSGSIZE));
	cr_assert(eq(int, otp_conn_cast(c, huge, sizeof(huge)), -EMSGSIZE));
	cr_assert(eq(i64, otp_conn_call(c, NULL, 1, reply, sizeof(reply), 100), -EINVAL));
	conn_echo(c, "unharmed");
	otp_conn_close(c);
	stop_clean();
	mh_assert_clean();
}

Test(mb_conn, by_name_and_noproc_once_the_mailbox_is_gone)
{
	struct otp_conn *c;
	char reply[8];
	ssize_t n;

	cr_assert(eq(int, setenv("OTP_MAILBOX_DIR", mh_dir, 1), 0));
	mh_hold("echo", 16);
	mh_server_start("echo", &plain);
	cr_assert(eq(int, otp_conn_open("echo", &c), 0));
	conn_echo(c, "by name");
	stop_clean();
	mh_unhold();                            /* the worker left the tree */
	n = otp_conn_call(c, "x", 1, reply, sizeof(reply), 1000);
	cr_assert(n == -ENOENT || n == -ECONNREFUSED, "%zd", n);
	otp_conn_close(c);
	mh_assert_clean();
}

/* A full backlog: open succeeds, and the first call waits to connect (here in vain). */
Test(mb_conn, open_on_a_full_backlog_connects_at_the_first_call)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct otp_conn *c;
	char reply[8];

	strcpy(sa.sun_path, mh_path("stuck"));
	cr_assert(eq(int, bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0));
	cr_assert(eq(int, listen(lfd, 0), 0));
	cr_assert(eq(int, connect(probe, (struct sockaddr *)&sa, sizeof(sa)), 0));
	cr_assert(eq(int, otp_conn_open_path(sa.sun_path, &c), 0));
	cr_assert(eq(i64, otp_conn_call(c, "x", 1, reply, sizeof(reply), 200), -ETIMEDOUT));
	otp_conn_close(c);
	close(probe);
	close(lfd);
	mh_assert_clean();
}

/* --- fairness --------------------------------------------------------------- */

struct busy {
	pthread_t tid;
	atomic_bool *stop;
	long calls;
	long failed;
};

/* Call on a connection of its own as fast as it can until told to stop. */
static void *busy_run(void *arg)
{
	struct busy *b = arg;
	struct otp_conn *c;
	char reply[16];

	if (otp_conn_open_path(mh_path("echo"), &c) < 0) {
		b->failed++;
		return NULL;
	}
	while (!atomic_load(b->stop)) {
		if (otp_conn_call(c, "busy", 4, reply, sizeof(reply), 10000) == 4)
			b->calls++;
		else
			b->failed++;
	}
	otp_conn_close(c);
	return NULL;
}

/*
 * Seven callers keep their connections busy without a pause; an eighth,
 * also on a kept connection, must still get its 300 calls answered: a
 * server that served a connection until it went quiet would never come
 * to it.  Then every busy caller must have been answered too.
 */
Test(mb_conn, eight_kept_callers_are_all_served)
{
	atomic_bool stop = false;
	struct busy b[7];
	struct otp_conn *c;
	char text[32];

	mh_server_start("echo", &plain);
	for (int i = 0; i < 7; i++) {
		b[i] = (struct busy){ .stop = &stop };
		cr_assert(eq(int, pthread_create(&b[i].tid, NULL, busy_run, &b[i]), 0));
	}
	c = open_echo();
	for (int i = 0; i < 300; i++) {
		snprintf(text, sizeof(text), "eighth %d", i);
		conn_echo(c, text);
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 7; i++)
		pthread_join(b[i].tid, NULL);
	for (int i = 0; i < 7; i++) {
		cr_assert(gt(long, b[i].calls, 0), "caller %d was never answered", i);
		cr_assert(eq(long, b[i].failed, 0), "caller %d had failures", i);
	}
	otp_conn_close(c);
	stop_clean();
	mh_assert_clean();
}

/* --- replies held to the end of a round ------------------------------------------- */

struct mixed {
	pthread_t tid;
	int id;
	long bad;
};

/*
 * 300 calls whose replies alternate between small ones (held to the end
 * of the server's round) and 6,000-byte ones (over the round's budget
 * when several come at once: sent at the time), each checked against its
 * own request.
 */
static void *mixed_run(void *arg)
{
	struct mixed *m = arg;
	struct otp_conn *c;

	if (otp_conn_open_path(mh_path("echo"), &c) < 0) {
		m->bad++;
		return NULL;
	}
	for (int i = 0; i < 300; i++) {
		char out[6000], in[6000], tag[32];
		size_t len = i % 2 ? sizeof(out) : 12;
		int k = snprintf(tag, sizeof(tag), "%d:%d", m->id, i);
		ssize_t n;

		/* Its own bytes, and its own number first: a reply that went to
		 * the wrong caller, or out of order, differs. */
		memset(out, 'a' + m->id, len);
		memcpy(out, tag, (size_t)k);
		n = otp_conn_call(c, out, len, in, sizeof(in), 10000);
		if (n != (ssize_t)len || memcmp(in, out, len) != 0)
			m->bad++;
	}
	otp_conn_close(c);
	return NULL;
}

Test(mb_conn, held_and_large_replies_each_reach_their_own_caller_in_order)
{
	struct mixed m[8];

	mh_server_start("echo", &plain);
	for (int i = 0; i < 8; i++) {
		m[i] = (struct mixed){ .id = i };
		cr_assert(eq(int, pthread_create(&m[i].tid, NULL, mixed_run, &m[i]), 0));
	}
	for (int i = 0; i < 8; i++)
		pthread_join(m[i].tid, NULL);
	for (int i = 0; i < 8; i++)
		cr_assert(eq(long, m[i].bad, 0), "caller %d: %ld wrong replies", i, m[i].bad);
	stop_clean();
	mh_assert_clean();
}

/* Callers that leave with a reply on its way: the server holds it, fails
 * to send it, drops the connection, and serves the others on. */
Test(mb_conn, a_caller_gone_before_its_held_reply_does_not_stop_the_server)
{
	atomic_bool stop = false;
	struct busy b[4];

	mh_server_start("echo", &plain);
	for (int i = 0; i < 4; i++) {
		b[i] = (struct busy){ .stop = &stop };
		cr_assert(eq(int, pthread_create(&b[i].tid, NULL, busy_run, &b[i]), 0));
	}
	for (int i = 0; i < 200; i++) {
		int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		struct sockaddr_un a = { .sun_family = AF_UNIX };

		cr_assert(fd >= 0);
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", mh_path("echo"));
		cr_assert(eq(int, connect(fd, (struct sockaddr *)&a, sizeof(a)), 0));
		/* A call (kind OTP_MB_CALL), then gone before the reply. */
		cr_assert(eq(i64, send(fd, "cgone", 5, MSG_NOSIGNAL), 5));
		close(fd);
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 4; i++)
		pthread_join(b[i].tid, NULL);
	for (int i = 0; i < 4; i++) {
		cr_assert(gt(long, b[i].calls, 0), "caller %d was never answered", i);
		cr_assert(eq(long, b[i].failed, 0), "caller %d had failures", i);
	}
	stop_clean();
	mh_assert_clean();
}
