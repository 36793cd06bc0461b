/*
 * helpers.c: fixtures of the mailbox unit tests (see helpers.h).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

char mh_dir[64];
static int mh_fds_before;
static pid_t mh_pid = -1;
static int mh_report_fd = -1;
static int mh_held_fd = -1;
static char mh_held_name[64];

struct mh_state {
	const struct mh_opts *opts;
	int report_fd;
	size_t last_len;
	char last[OTP_MB_MSG_MAX + 5];   /* room for "info:" */
};

static int mh_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;   /* the DIR's own fd */
}

int64_t mh_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void mh_setup(void)
{
	mh_fds_before = mh_fd_count();
	strcpy(mh_dir, "/tmp/otpd-mb-XXXXXX");
	cr_assert(mkdtemp(mh_dir) != NULL);
}

const char *mh_path(const char *name)
{
	static char buf[8][256];
	static unsigned next;
	char *b = buf[next++ % 8];

	snprintf(b, sizeof(buf[0]), "%.63s/%.190s", mh_dir, name);
	return b;
}

/* Kill a server a failed assertion left behind, then remove mh_dir. */
void mh_teardown(void)
{
	DIR *d;
	struct dirent *e;

	if (mh_pid > 0) {
		kill(mh_pid, SIGKILL);
		waitpid(mh_pid, NULL, 0);
		mh_pid = -1;
	}
	if (mh_report_fd >= 0)
		close(mh_report_fd);
	mh_report_fd = -1;
	if (mh_held_fd >= 0)
		close(mh_held_fd);
	mh_held_fd = -1;
	d = opendir(mh_dir);
	if (d) {
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				unlink(mh_path(e->d_name));
		closedir(d);
	}
	rmdir(mh_dir);
}

void mh_assert_clean(void)
{
	siginfo_t si = { 0 };
	int r;

	cr_assert(eq(int, mh_fd_count() - (mh_held_fd >= 0), mh_fds_before), "leaked fds");
	r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
	cr_assert(r < 0 && errno == ECHILD, "a child was left behind");
}

/* --- the test server ------------------------------------------------------- */

static int mh_init(void *state)
{
	struct mh_state *st = state;

	return st->opts->init_ret;
}

static ssize_t mh_reply(void *reply, size_t cap, const void *p, size_t len)
{
	if (len > cap)
		return -1;
	memcpy(reply, p, len);
	return (ssize_t)len;
}

static bool mh_is(const void *req, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(req, word, len) == 0;
}

static ssize_t mh_handle_call(void *state, const void *req, size_t len, void *reply, size_t cap)
{
	struct mh_state *st = state;

	if (mh_is(req, len, "fail"))
		return -1;
	if (mh_is(req, len, "die"))
		_exit(0);
	if (mh_is(req, len, "hang"))
		for (;;)
			pause();
	if (mh_is(req, len, "big")) {
		memset(reply, 'x', 100);
		return 100;
	}
	if (mh_is(req, len, "last"))
		return mh_reply(reply, cap, st->last, st->last_len);
	if (st->opts->delay_ms > 0)
		poll(NULL, 0, st->opts->delay_ms);
	return mh_reply(reply, cap, req, len);
}

static void mh_handle_cast(void *state, const void *msg, size_t len)
{
	struct mh_state *st = state;

	memcpy(st->last, msg, len);
	st->last_len = len;
}

/* A system cast: kept as "info:" + the message, for "last". */
static void mh_handle_info(void *state, const void *msg, size_t len)
{
	struct mh_state *st = state;

	memcpy(st->last, "info:", 5);
	memcpy(st->last + 5, msg, len);
	st->last_len = len + 5;
}

static void mh_terminate(void *state, int why)
{
	struct mh_state *st = state;

	if (write(st->report_fd, &why, sizeof(why)) != sizeof(why))
		_exit(MH_EXIT_ERRNO);
}

static const struct otp_mb_callbacks mh_cb = {
	.init = mh_init,
	.handle_call = mh_handle_call,
	.handle_cast = mh_handle_cast,
	.terminate = mh_terminate,
	.handle_info = mh_handle_info,
};

/* Move lfd to fd 3 and describe it the way otpd does. */
static int mh_env_fd3(int lfd)
{
	char pid[32];

	if (lfd != 3 && dup2(lfd, 3) != 3)
		_exit(MH_EXIT_ERRNO);
	if (lfd != 3)
		close(lfd);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "1", 1);
	return 3;
}

/*
 * Lower RLIMIT_NOFILE so that the server's signalfd and epoll fd, then
 * exactly `room` connections, find a free fd number below the limit.
 */
static void mh_limit_fds(int room)
{
	struct rlimit rl;
	int fd, free_below = 0;

	for (fd = 0; fd < 4096 && free_below < room + 2; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			free_below++;
	rl.rlim_cur = rl.rlim_max = (rlim_t)fd;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		_exit(MH_EXIT_ERRNO);
}

/*
 * The server child: serve, then check it left no fd, the signal mask as
 * it was, and the socket's file flags as they were but O_NONBLOCK.
 */
static void mh_server_child(int lfd, int report_fd, const struct mh_opts *opts)
{
	static struct mh_state st;
	sigset_t before, after;
	int fds, flags, r;

	st.opts = opts;
	st.report_fd = report_fd;
	if (opts->start_delay_ms > 0)
		poll(NULL, 0, opts->start_delay_ms);
	if (opts->fd_room > 0)
		mh_limit_fds(opts->fd_room);
	if (opts->via_env)
		lfd = mh_env_fd3(lfd);
	sigprocmask(SIG_SETMASK, NULL, &before);
	fds = mh_fd_count();
	flags = fcntl(lfd, F_GETFL);
	r = opts->via_env ? otp_mb_serve(&mh_cb, &st) : otp_mb_serve_fd(lfd, &mh_cb, &st);
	if (mh_fd_count() != fds)
		_exit(MH_EXIT_FD_LEAK);
	/* O_NONBLOCK is left set (another process may serve the socket too). */
	if (fcntl(lfd, F_GETFL) != (flags | O_NONBLOCK))
		_exit(MH_EXIT_FLAGS);
	sigprocmask(SIG_SETMASK, NULL, &after);
	if (sigismember(&after, SIGTERM) != sigismember(&before, SIGTERM) ||
	    sigismember(&after, SIGINT) != sigismember(&before, SIGINT))
		_exit(MH_EXIT_MASK);
	_exit(r < 0 ? MH_EXIT_ERRNO : r);
}

static int mh_listen(const char *path, int backlog)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	cr_assert(fd >= 0);
	cr_assert(strlen(path) < sizeof(sa.sun_path));
	strcpy(sa.sun_path, path);
	cr_assert(eq(int, bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0), "bind: %s",
		  strerror(errno));
	cr_assert(eq(int, listen(fd, backlog), 0));
	return fd;
}

pid_t mh_server_pid(void)
{
	cr_assert(mh_pid > 0);
	return mh_pid;
}

void mh_hold(const char *name, int backlog)
{
	cr_assert(mh_held_fd < 0, "one held socket per test");
	mh_held_fd = mh_listen(mh_path(name), backlog ? backlog : 16);
	snprintf(mh_held_name, sizeof(mh_held_name), "%s", name);
}

void mh_unhold(void)
{
	cr_assert(mh_held_fd >= 0);
	close(mh_held_fd);
	mh_held_fd = -1;
	unlink(mh_path(mh_held_name));
}

void mh_server_start(const char *name, const struct mh_opts *opts)
{
	bool held = mh_held_fd >= 0 && strcmp(name, mh_held_name) == 0;
	int p[2], lfd;

	cr_assert(mh_pid < 0, "one server at a time");
	lfd = held ? mh_held_fd : mh_listen(mh_path(name), opts->backlog ? opts->backlog : 16);
	cr_assert(eq(int, pipe2(p, O_CLOEXEC), 0));
	fflush(NULL);
	mh_pid = fork();
	cr_assert(mh_pid >= 0);
	if (mh_pid == 0) {
		close(p[0]);
		mh_server_child(lfd, p[1], opts);
	}
	/* The child owns the socket from now on, as a worker owns fd 3. */
	if (!held)
		close(lfd);
	close(p[1]);
	mh_report_fd = p[0];
}

int mh_server_stop(int sig, int *ret_why)
{
	int status, why = INT32_MIN;
	pid_t pid = mh_pid;

	cr_assert(pid > 0);
	if (sig)
		kill(pid, sig);
	cr_assert(eq(int, waitpid(pid, &status, 0), pid));
	mh_pid = -1;
	if (read(mh_report_fd, &why, sizeof(why)) != sizeof(why))
		why = INT32_MIN;
	close(mh_report_fd);
	mh_report_fd = -1;
	if (ret_why)
		*ret_why = why;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
