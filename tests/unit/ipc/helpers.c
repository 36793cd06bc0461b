/*
 * helpers.c: shared fixtures of the ipc unit tests.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

char th_dir[64];
static int th_fds_before;

static int th_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	cr_assert(d != NULL);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;   /* the DIR's own fd */
}

void th_setup(void)
{
	th_fds_before = th_fd_count();
	strcpy(th_dir, "/tmp/otpd-ipc-XXXXXX");
	cr_assert(mkdtemp(th_dir) != NULL);
}

/* Remove th_dir and what the test left in it (it never makes subdirs). */
static void th_dir_remove(void)
{
	DIR *d = opendir(th_dir);
	struct dirent *e;

	if (d) {
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				unlink(th_path(e->d_name));
		closedir(d);
	}
	rmdir(th_dir);
}

void th_teardown(void)
{
	siginfo_t si = { 0 };
	int r;

	th_dir_remove();
	cr_expect(eq(int, th_fd_count(), th_fds_before), "leaked fds");
	r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
	cr_expect(r < 0 && errno == ECHILD, "a child was left behind");
}

const char *th_path(const char *name)
{
	/* A few rotating buffers, so that several paths can be alive at once. */
	static char buf[8][256];
	static unsigned next;
	char *b = buf[next++ % 8];

	snprintf(b, sizeof(buf[0]), "%.63s/%.190s", th_dir, name);
	return b;
}

static int th_tmpfile(void)
{
	int fd = open(th_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	cr_assert(fd >= 0, "O_TMPFILE: %s", strerror(errno));
	return fd;
}

void th_capture_begin(struct th_capture *cap)
{
	*cap = (struct th_capture){ .out_fd = th_tmpfile(), .err_fd = th_tmpfile() };
	fflush(stdout);
	fflush(stderr);
	cap->saved_out = fcntl(1, F_DUPFD_CLOEXEC, 3);
	cap->saved_err = fcntl(2, F_DUPFD_CLOEXEC, 3);
	cr_assert(cap->saved_out >= 0 && cap->saved_err >= 0);
	cr_assert(dup2(cap->out_fd, 1) == 1 && dup2(cap->err_fd, 2) == 2);
}

static char *th_slurp(int fd, size_t *ret_len)
{
	off_t size = lseek(fd, 0, SEEK_END);
	char *p = malloc((size_t)size + 1);
	ssize_t n;

	cr_assert(size >= 0 && p != NULL);
	n = pread(fd, p, (size_t)size, 0);
	cr_assert(n == size);
	p[size] = '\0';
	*ret_len = (size_t)size;
	close(fd);
	return p;
}

void th_capture_end(struct th_capture *cap)
{
	fflush(stdout);
	fflush(stderr);
	dup2(cap->saved_out, 1);
	dup2(cap->saved_err, 2);
	close(cap->saved_out);
	close(cap->saved_err);
	cap->out = th_slurp(cap->out_fd, &cap->out_len);
	cap->err = th_slurp(cap->err_fd, &cap->err_len);
}

void th_capture_free(struct th_capture *cap)
{
	free(cap->out);
	free(cap->err);
}

void th_put(uint8_t *buf, size_t cap, size_t *len, enum ipc_type type, const void *p, size_t n)
{
	cr_assert(eq(int, ipc_frame_put(buf, cap, len, type, p, n), 0));
}

/* Fake server side: read one whole frame from a blocking fd. */
static int th_read_req(int fd, uint8_t *buf, size_t cap, const uint8_t **ret_p, size_t *ret_n)
{
	enum ipc_type type;
	size_t len = 0;
	ssize_t n, r;

	for (;;) {
		r = ipc_frame_get(buf, len, IPC_REQ_MAX, &type, ret_p, ret_n);
		if (r > 0)
			return type == IPC_REQ ? 0 : -1;
		if (r < 0 || len == cap)
			return -1;
		n = read(fd, buf + len, cap - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
	}
}

static void th_send(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			_exit(2);
		p += n;
		len -= (size_t)n;
	}
}

/* "argv:a|b|c\n" as an OUT frame. */
static void th_echo(int fd, const uint8_t *payload, size_t plen)
{
	static uint8_t frame[IPC_HDR_LEN + 16 + IPC_REQ_MAX];
	char text[16 + IPC_REQ_MAX];
	size_t tlen = 0, flen = 0, i;

	tlen = (size_t)sprintf(text, "argv:");
	for (i = 0; i < plen; i++)
		text[tlen++] = payload[i] ? (char)payload[i] : (i + 1 < plen ? '|' : '\n');
	if (ipc_frame_put(frame, sizeof(frame), &flen, IPC_OUT, text, tlen) < 0)
		_exit(3);
	th_send(fd, frame, flen);
}

static void th_server_run(int lfd, bool echo, const uint8_t *script, size_t len,
			  enum th_after after)
{
	static uint8_t buf[IPC_HDR_LEN + IPC_REQ_MAX];
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	const uint8_t *payload;
	size_t plen;
	int fd;

	if (poll(&pfd, 1, 10000) != 1)
		_exit(4);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		_exit(4);
	if (th_read_req(fd, buf, sizeof(buf), &payload, &plen) < 0)
		_exit(1);
	if (echo)
		th_echo(fd, payload, plen);
	th_send(fd, script, len);
	if (after == TH_HOLD)
		while (read(fd, buf, sizeof(buf)) > 0)
			;
	_exit(0);
}

pid_t th_server_start(int lfd, bool echo, const uint8_t *script, size_t len,
		      enum th_after after)
{
	pid_t pid = fork();

	cr_assert(pid >= 0);
	if (pid == 0)
		th_server_run(lfd, echo, script, len, after);
	return pid;
}

int th_server_wait(pid_t pid)
{
	int st;

	cr_assert(eq(int, waitpid(pid, &st, 0), pid));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static const char *th_otpctl_path(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n;

	if (getenv("OTPCTL"))
		return getenv("OTPCTL");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	cr_assert(n > 0);
	exe[n] = '\0';
	/* $(BUILD)/tests/unit_ipc -> $(BUILD)/otpctl */
	snprintf(path, sizeof(path), "%s/../otpctl", dirname(exe));
	if (access(path, X_OK) == 0)
		return path;
	cr_assert(access("build/otpctl", X_OK) == 0,
		  "otpctl binary not found: build it or set OTPCTL");
	return "build/otpctl";
}

struct th_run th_otpctl_run(const char *const *args, const char *env_socket)
{
	char *argv[64], env_buf[300];
	char *envp[] = { "PATH=/usr/bin:/bin", env_buf, NULL };
	posix_spawn_file_actions_t fa;
	struct th_run r = { 0 };
	int out = th_tmpfile(), err = th_tmpfile(), i, st;
	size_t len;
	pid_t pid;

	argv[0] = "otpctl";
	for (i = 0; args[i]; i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;
	snprintf(env_buf, sizeof(env_buf), "OTP_SOCKET=%s", env_socket ? env_socket : "");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	posix_spawn_file_actions_adddup2(&fa, err, 2);
	cr_assert(eq(int, posix_spawn(&pid, th_otpctl_path(), &fa, NULL, argv, envp), 0));
	posix_spawn_file_actions_destroy(&fa);
	cr_assert(eq(int, waitpid(pid, &st, 0), pid));
	cr_assert(eq(int, WIFEXITED(st) ? 0 : WTERMSIG(st), 0), "otpctl died of a signal");
	r.status = WEXITSTATUS(st);
	r.out = th_slurp(out, &len);
	r.err = th_slurp(err, &len);
	return r;
}

void th_run_free(struct th_run *r)
{
	free(r->out);
	free(r->err);
}
