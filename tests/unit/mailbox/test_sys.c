/*
 * test_sys.c: system messages (otp_mailbox.h): reading DOWN and UP with
 * otp_mb_sys_parse, the ping the library answers by itself, system casts
 * reaching handle_info, and system messages from another user refused.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

/* --- otp_mb_sys_parse ----------------------------------------------------- */

static int parse(const char *text, struct otp_mb_sys *m)
{
	return otp_mb_sys_parse(text, strlen(text), m);
}

Test(mb_sys_parse, down_with_a_reason)
{
	struct otp_mb_sys m;

	cr_assert(eq(int, parse("DOWN db 4242 exit:3", &m), 0));
	cr_assert(eq(int, m.kind, OTP_MB_SYS_DOWN));
	cr_assert(eq(str, m.word, "DOWN"));
	cr_assert(eq(str, m.name, "db"));
	cr_assert(eq(int, m.pid, 4242));
	cr_assert(eq(str, m.reason, "exit:3"));
}

Test(mb_sys_parse, a_reason_is_the_rest_of_the_message)
{
	struct otp_mb_sys m;

	cr_assert(eq(int, parse("DOWN w@1 0 start_failed:exec:No such file or directory", &m),
		     0));
	cr_assert(eq(str, m.name, "w@1"));
	cr_assert(eq(int, m.pid, 0));
	cr_assert(eq(str, m.reason, "start_failed:exec:No such file or directory"));
}

Test(mb_sys_parse, up)
{
	struct otp_mb_sys m;

	cr_assert(eq(int, parse("UP cache 17", &m), 0));
	cr_assert(eq(int, m.kind, OTP_MB_SYS_UP));
	cr_assert(eq(str, m.name, "cache"));
	cr_assert(eq(int, m.pid, 17));
	cr_assert(eq(str, m.reason, ""));
}

/* New words come without new framing: an old reader sees OTHER and moves on. */
Test(mb_sys_parse, another_word_is_other)
{
	struct otp_mb_sys m;

	cr_assert(eq(int, parse("handover 3 fd", &m), 0));
	cr_assert(eq(int, m.kind, OTP_MB_SYS_OTHER));
	cr_assert(eq(str, m.word, "handover"));
	cr_assert(eq(int, parse("later", &m), 0));
	cr_assert(eq(str, m.word, "later"));
}

Test(mb_sys_parse, malformed_is_einval_and_leaves_ret_alone)
{
	static const char *const bad[] = {
		"", " DOWN a 1 x", "DOWN", "DOWN a", "DOWN a 1", "DOWN a 1 ", "DOWN a x1 exit:1",
		"DOWN a -1 exit:1", "DOWN  1 exit:1", "DOWN a 99999999999 exit:1", "UP", "UP a",
		"UP a 1 extra", "UP a 1 ", "UP a 1x", "DOWN a 1 two\nlines",
		"averyveryveryveryverylongwordthatgoesonandon",
		"UP a-name-longer-than-sixty-four-characters-is-not-a-name-of-otpd-at-all 1",
	};
	struct otp_mb_sys m;

	memset(&m, 0x5a, sizeof(m));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert(eq(int, parse(bad[i], &m), -EINVAL), "accepted \"%s\"", bad[i]);
	cr_assert(eq(int, otp_mb_sys_parse("UP a\0 1", 7, &m), -EINVAL));
	cr_assert(eq(int, otp_mb_sys_parse(NULL, 0, &m), -EINVAL));
	cr_assert(eq(int, m.pid, 0x5a5a5a5a), "ret was written on failure");
}

/* --- the server ------------------------------------------------------------ */

TestSuite(mb_sys, .init = mh_setup, .fini = mh_teardown, .timeout = 30);

static const struct mh_opts plain = { 0 };

static int raw_connect(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	cr_assert(fd >= 0);
	strcpy(sa.sun_path, mh_path(name));
	cr_assert(eq(int, connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0));
	return fd;
}

/* Send kind+text on fd and return the reply's payload length (buf gets it), -1 at EOF. */
static ssize_t raw_ask(int fd, char kind, const char *text, char *buf, size_t cap)
{
	char req[128];
	size_t len = strlen(text);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char in[256];
	ssize_t n;

	req[0] = kind;
	memcpy(req + 1, text, len);
	cr_assert(eq(i64, send(fd, req, len + 1, MSG_NOSIGNAL), len + 1));
	cr_assert(eq(int, poll(&pfd, 1, 5000), 1), "no answer to %c%s", kind, text);
	n = recv(fd, in, sizeof(in), 0);
	if (n <= 0)
		return -1;
	cr_assert(in[0] == OTP_MB_REPLY);
	cr_assert(n - 1 < (ssize_t)cap, "reply too long");
	memcpy(buf, in + 1, (size_t)n - 1);
	buf[n - 1] = '\0';
	return n - 1;
}

Test(mb_sys, ping_is_answered_by_the_library)
{
	char buf[64];
	int fd;

	mh_server_start("echo", &plain);
	fd = raw_connect("echo");
	cr_assert(eq(i64, raw_ask(fd, OTP_MB_SYS_CALL, "ping", buf, sizeof(buf)), 4));
	cr_assert(eq(str, buf, "pong"));
	/* a call on the same connection is answered as before */
	cr_assert(eq(i64, raw_ask(fd, OTP_MB_CALL, "hi", buf, sizeof(buf)), 2));
	cr_assert(eq(str, buf, "hi"));
	cr_assert(raw_ask(fd, OTP_MB_SYS_CALL, "ping 7", buf, sizeof(buf)) > 0);
	cr_assert(eq(str, buf, "pong"));
	close(fd);
	cr_assert(eq(int, mh_server_stop(SIGTERM, NULL), 0));
	mh_assert_clean();
}

Test(mb_sys, an_unknown_system_call_is_unsupported)
{
	char buf[64];
	int fd;

	mh_server_start("echo", &plain);
	fd = raw_connect("echo");
	cr_assert(raw_ask(fd, OTP_MB_SYS_CALL, "handover 3", buf, sizeof(buf)) > 0);
	cr_assert(eq(str, buf, "error unsupported"));
	cr_assert(raw_ask(fd, OTP_MB_SYS_CALL, "pingpong", buf, sizeof(buf)) > 0);
	cr_assert(eq(str, buf, "error unsupported"));
	close(fd);
	cr_assert(eq(int, mh_server_stop(SIGTERM, NULL), 0));
	mh_assert_clean();
}

Test(mb_sys, a_system_cast_reaches_handle_info_not_handle_cast)
{
	char buf[128];
	int fd;

	mh_server_start("echo", &plain);
	fd = raw_connect("echo");
	cr_assert(eq(i64, send(fd, "SDOWN db 12 killed", 18, MSG_NOSIGNAL), 18));
	cr_assert(raw_ask(fd, OTP_MB_CALL, "last", buf, sizeof(buf)) > 0);
	cr_assert(eq(str, buf, "info:DOWN db 12 killed"));
	cr_assert(eq(i64, send(fd, "aplain", 6, MSG_NOSIGNAL), 6));
	cr_assert(raw_ask(fd, OTP_MB_CALL, "last", buf, sizeof(buf)) > 0);
	cr_assert(eq(str, buf, "plain"));
	close(fd);
	cr_assert(eq(int, mh_server_stop(SIGTERM, NULL), 0));
	mh_assert_clean();
}

/*
 * Only otpd's user (the socket's owner) may send system messages: a
 * caller of another user who forges a DOWN is closed without an answer,
 * and nothing reaches handle_info.
 */
Test(mb_sys, another_user_cannot_send_system_messages)
{
	char buf[128];
	pid_t pid;
	int st, fd;

	if (geteuid() != 0)
		cr_skip("needs root to act as another user");
	mh_server_start("echo", &plain);
	cr_assert(eq(int, chmod(mh_dir, 0755), 0));
	cr_assert(eq(int, chmod(mh_path("echo"), 0777), 0));
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		struct pollfd pfd;
		char in[64];
		int c;

		if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(10);
		c = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		strcpy(sa.sun_path, mh_path("echo"));
		if (connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			_exit(11);
		/* a plain call works for this user ... */
		if (send(c, "cok", 3, MSG_NOSIGNAL) != 3 || recv(c, in, sizeof(in), 0) != 3)
			_exit(12);
		/* ... a system message does not */
		if (send(c, "SDOWN db 1 forged", 17, MSG_NOSIGNAL) != 17)
			_exit(13);
		pfd = (struct pollfd){ .fd = c, .events = POLLIN };
		if (poll(&pfd, 1, 5000) != 1 || recv(c, in, sizeof(in), 0) != 0)
			_exit(14);
		_exit(0);
	}
	cr_assert(eq(int, waitpid(pid, &st, 0), pid));
	cr_assert(eq(int, st, 0), "child status %d", st);
	fd = raw_connect("echo");
	cr_assert(raw_ask(fd, OTP_MB_CALL, "last", buf, sizeof(buf)) == 0, "last: %s", buf);
	cr_assert(eq(str, buf, ""), "a forged DOWN reached handle_info: %s", buf);
	close(fd);
	cr_assert(eq(int, mh_server_stop(SIGTERM, NULL), 0));
	mh_assert_clean();
}
