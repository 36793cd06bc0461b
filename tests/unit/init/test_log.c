/*
 * test_log.c: otpd's own messages on stderr (log.c).  Each test runs in
 * its own process, before log.c's lazy first look at fd 2.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../../init/base/base.h"

/* --- log_msg: otpd's own lines on stderr --------------------------------- */

static int err_rfd = -1;

/* fd 2 becomes a pipe before the first log_msg (log.c opens lazily). */
static void setup_log(void)
{
	int p[2];

	unsetenv("JOURNAL_STREAM");
	unsetenv("OTPD_DEBUG");
	cr_assert(eq(int, pipe2(p, O_CLOEXEC), 0));
	cr_assert(eq(int, dup2(p[1], 2), 2));
	close(p[1]);
	err_rfd = p[0];
	cr_assert(eq(int, fcntl(err_rfd, F_SETFL, O_NONBLOCK), 0));
}

static char *stderr_take(void)
{
	static char buf[8192];
	ssize_t r = read(err_rfd, buf, sizeof(buf) - 1);

	buf[r > 0 ? r : 0] = '\0';
	return buf;
}

TestSuite(log, .init = setup_log, .timeout = 10);

Test(log, one_line_with_level_and_filtering)
{
	errno = EBADF;
	log_info("hello %d", 42);
	cr_expect(eq(int, errno, EBADF), "errno is preserved");
	log_debug("hidden");
	log_warn("two\nlines");
	cr_expect(eq(str, stderr_take(), "otpd: info: hello 42\notpd: warning: two lines\n"));
	log_set_level(LOG_DEBUG);
	log_debug("shown");
	log_set_level(LOG_ERR);
	log_warn("hidden");
	log_err("bad: %s", strerror(ENOENT));
	cr_expect(eq(str, stderr_take(), "otpd: debug: shown\notpd: error: bad: No such file or directory\n"));
}

Test(log, otpd_debug_env_enables_debug)
{
	setenv("OTPD_DEBUG", "1", 1);
	log_debug("now visible");
	cr_expect(eq(str, stderr_take(), "otpd: debug: now visible\n"));
}

Test(log, journal_stream_gets_syslog_priorities)
{
	int sv[2];
	struct stat st;
	char env[64], buf[256];

	cr_assert(eq(int, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0));
	cr_assert(eq(int, dup2(sv[0], 2), 2));
	cr_assert(eq(int, fstat(2, &st), 0));
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	log_err("boom");
	log_info("fine");
	ssize_t r = recv(sv[1], buf, sizeof(buf) - 1, MSG_DONTWAIT);

	cr_assert(gt(int, (int)r, 0));
	buf[r] = '\0';
	cr_expect(eq(str, buf, "<3>otpd: boom\n<6>otpd: fine\n"));
	close(sv[0]);
	close(sv[1]);
}

Test(log, full_stderr_pipe_drops_instead_of_blocking)
{
	char fill[4096];

	cr_assert(ge(int, fcntl(2, F_SETPIPE_SZ, 4096), 4096));
	memset(fill, 'f', sizeof(fill));
	cr_assert(eq(int, (int)write(2, fill, sizeof(fill)), (int)sizeof(fill)));
	for (int i = 0; i < 100; i++)
		log_info("dropped %d", i);      /* would hang (timeout) if it blocked */
	cr_expect(eq(int, (int)read(err_rfd, fill, sizeof(fill)), (int)sizeof(fill)));
	log_info("after");
	cr_expect(eq(str, stderr_take(), "otpd: info: after\n"));
}
