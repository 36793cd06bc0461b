/*
 * test_otpctl.c: the otpctl binary, run for real: usage checks, what it
 * forwards to otpd, its exit codes and its client-side timeout.
 *
 * The binary is $OTPCTL, else otpctl next to this test's build directory
 * ($(BUILD)/otpctl), else build/otpctl from the current directory.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

TestSuite(otpctl, .init = th_setup, .fini = th_teardown);

static const char *otpctl_path(void)
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

struct run {
	int status;
	char *out, *err;
};

static int tmp_fd(void)
{
	int fd = open(th_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	cr_assert(fd >= 0);
	return fd;
}

static char *slurp(int fd)
{
	off_t size = lseek(fd, 0, SEEK_END);
	char *p = calloc(1, (size_t)size + 1);

	cr_assert(p && pread(fd, p, (size_t)size, 0) == size);
	close(fd);
	return p;
}

/* Run otpctl with `args` (NULL-terminated, without argv[0]). */
static struct run run_otpctl(const char *const *args, const char *env_socket)
{
	char *argv[64], env_buf[300];
	char *envp[] = { "PATH=/usr/bin:/bin", env_buf, NULL };
	posix_spawn_file_actions_t fa;
	struct run r = { 0 };
	int out = tmp_fd(), err = tmp_fd(), i, st;
	pid_t pid;

	argv[0] = "otpctl";
	for (i = 0; args[i]; i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;
	snprintf(env_buf, sizeof(env_buf), "OTP_SOCKET=%s", env_socket ? env_socket : "");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	posix_spawn_file_actions_adddup2(&fa, err, 2);
	cr_assert(eq(int, posix_spawn(&pid, otpctl_path(), &fa, NULL, argv, envp), 0));
	posix_spawn_file_actions_destroy(&fa);
	cr_assert(eq(int, waitpid(pid, &st, 0), pid));
	cr_assert(eq(int, WIFEXITED(st) ? 0 : WTERMSIG(st), 0), "otpctl died of a signal");
	r.status = WEXITSTATUS(st);
	r.out = slurp(out);
	r.err = slurp(err);
	return r;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

Test(otpctl, usage_errors_exit_2)
{
	const char *const *bad[] = {
		ARGS("-s"),
		ARGS("-s", "/x"),                       /* no verb */
		ARGS("--bogus", "status"),
		ARGS("frobnicate"),
		ARGS("status", "a", "b"),
		ARGS("count", "a", "b"),
		ARGS("start"),
		ARGS("stop", "a", "b"),
		ARGS("restart"),
		ARGS("kill"),
		ARGS("kill", "db", "TERM", "x"),
		ARGS("start-child"),
		ARGS("start-child", "pool", "--name"),
		ARGS("start-child", "pool", "--name", "a", "--name", "b"),
		ARGS("start-child", "pool", "extra"),
		ARGS("delete-child"),
		ARGS("logs"),
		ARGS("logs", "db", "-n"),
		ARGS("logs", "db", "-n", "many"),
		ARGS("logs", "db", "-n", "-1"),
		ARGS("logs", "db", "-x"),
		ARGS("wait", "db"),
		ARGS("wait", "db", "--state"),
		ARGS("wait", "db", "--state", "sleeping"),
		ARGS("wait", "db", "--state", "running", "--timeout", "soon"),
		ARGS("wait", "--state", "running"),
		ARGS("shutdown", "now"),
		ARGS("poweroff", "-f"),
		ARGS("reboot", "x"),
		ARGS("halt", "x"),
		ARGS("status", "--timeout", "1s"),
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run r = run_otpctl(bad[i], th_path("nobody.sock"));

		cr_assert(eq(int, r.status, 2), "case %zu (%s): %s", i, bad[i][0], r.err);
		cr_assert(strncmp(r.err, "otpctl: ", 8) == 0, "case %zu: %s", i, r.err);
		cr_assert(eq(sz, strlen(r.out), 0));
		run_free(&r);
	}
}

Test(otpctl, verbs_not_available_yet_exit_2)
{
	static const char *const verbs[] = { "upgrade" };
	char want[128];
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		struct run r = run_otpctl(ARGS(verbs[i], "x", "y"), th_path("nobody.sock"));

		snprintf(want, sizeof(want), "otpctl: %s is not available in this version of otpd\n",
			 verbs[i]);
		cr_assert(eq(int, r.status, 2));
		cr_assert(eq(str, r.err, want));
		run_free(&r);
	}
}

/* reexec exists now: its usage is checked before any connection is tried. */
Test(otpctl, reexec_usage_exit_2)
{
	struct run r = run_otpctl(ARGS("reexec", "x"), th_path("nobody.sock"));

	cr_assert(eq(int, r.status, 2));
	cr_assert(strstr(r.err, "usage: otpctl reexec [--binary PATH]") != NULL, "%s", r.err);
	run_free(&r);
	r = run_otpctl(ARGS("reexec", "--binary"), th_path("nobody.sock"));
	cr_assert(eq(int, r.status, 2));
	run_free(&r);
}

/* freeze and thaw exist now: extra words are a usage error, before any
 * connection is tried. */
Test(otpctl, freeze_and_thaw_usage_exit_2)
{
	struct run r = run_otpctl(ARGS("freeze", "x", "y"), th_path("nobody.sock"));

	cr_assert(eq(int, r.status, 2));
	cr_assert(eq(str, r.err, "otpctl: freeze: too many arguments: y\n"
				 "usage: otpctl freeze NAME [--timeout D]\n"));
	run_free(&r);
	r = run_otpctl(ARGS("thaw", "x", "y"), th_path("nobody.sock"));
	cr_assert(eq(int, r.status, 2));
	cr_assert(eq(str, r.err, "otpctl: thaw: too many arguments: y\n"
				 "usage: otpctl thaw NAME\n"));
	run_free(&r);
}

/* call/cast go to the mailbox next to the control socket: none there. */
Test(otpctl, call_and_cast_without_mailbox_are_noproc_exit_4)
{
	static const char *const verbs[] = { "call", "cast" };

	for (size_t i = 0; i < 2; i++) {
		struct run r = run_otpctl(ARGS(verbs[i], "ghost", "hi"), th_path("otpd.sock"));

		cr_assert(eq(int, r.status, 4));
		cr_assert(eq(str, r.err, "otpctl: ghost: noproc\n"));
		run_free(&r);
	}
}

Test(otpctl, help_and_version_exit_0)
{
	struct run r = run_otpctl(ARGS("--help"), NULL);

	cr_assert(eq(int, r.status, 0));
	cr_assert(strstr(r.out, "start-child SUP") != NULL);
	run_free(&r);
	r = run_otpctl(ARGS("--version"), NULL);
	cr_assert(eq(int, r.status, 0));
	cr_assert(strncmp(r.out, "otpctl ", 7) == 0);
	run_free(&r);
}

Test(otpctl, valid_requests_go_to_the_socket)
{
	const char *const *good[] = {
		ARGS("status"),
		ARGS("status", "db", "--json"),
		ARGS("--json", "count", "backend"),
		ARGS("kill", "db", "KILL"),
		ARGS("start-child", "pool", "--name", "w1", "--", "--json", "-x"),
		ARGS("logs", "db", "-f", "-n", "20"),
		ARGS("wait", "db", "--state", "stopped", "--timeout", "5s"),
		ARGS("shutdown"),
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct run r = run_otpctl(good[i], th_path("nobody.sock"));

		cr_assert(eq(int, r.status, 3), "case %zu: %s", i, r.err);
		/* --json: the same failure as a JSON document on stdout. */
		cr_assert(strstr(r.err, "cannot reach otpd at ") != NULL ||
				  strstr(r.out, "{\"ok\":false,\"error\":\"unreachable\","
						"\"message\":\"cannot reach otpd at ") != NULL,
			  "case %zu: %s", i, r.out);
		run_free(&r);
	}
}

/* Serve one echoing request and check what otpctl forwarded. */
static void check_forwarded(const char *const *args, bool use_env, const char *want)
{
	char path[256];
	uint8_t end[16];
	size_t len = 0;
	int lfd;
	struct run r;
	pid_t pid;

	snprintf(path, sizeof(path), "%s", th_path("otpd.sock"));
	lfd = ipc_listen(path, 4);
	cr_assert(lfd >= 0);
	th_put(end, sizeof(end), &len, IPC_END, "\x01", 1);
	pid = th_server_start(lfd, true, end, len, TH_CLOSE);
	r = run_otpctl(args, use_env ? path : th_path("nobody.sock"));
	close(lfd);
	cr_assert(eq(int, th_server_wait(pid), 0));
	cr_assert(eq(int, r.status, 1), "%s", r.err);
	cr_assert(eq(str, r.out, (char *)want));
	run_free(&r);
	unlink(path);
}

Test(otpctl, json_is_moved_right_after_the_verb)
{
	check_forwarded(ARGS("-s", th_path("otpd.sock"), "status", "db", "--json"), false,
			"argv:status|--json|db\n");
	check_forwarded(ARGS("--json", "-s", th_path("otpd.sock"), "count"), false,
			"argv:count|--json\n");
}

Test(otpctl, child_arguments_after_dashdash_are_untouched)
{
	check_forwarded(ARGS("-s", th_path("otpd.sock"), "start-child", "pool", "--name", "w",
			     "--", "--json", "-n", ""),
			false, "argv:start-child|pool|--name|w|--|--json|-n|\n");
}

Test(otpctl, socket_from_the_environment)
{
	check_forwarded(ARGS("logs", "db", "-n", "5"), true, "argv:logs|db|-n|5\n");
}

Test(otpctl, wait_is_guarded_by_timeout_plus_two_seconds)
{
	const char *path = th_path("otpd.sock");
	int lfd = ipc_listen(path, 4);
	struct timespec t0, t1;
	struct run r;
	long ms;
	pid_t pid;

	cr_assert(lfd >= 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* The server never answers; otpctl must give up at 100ms + 2s. */
	pid = th_server_start(lfd, false, NULL, 0, TH_HOLD);
	r = run_otpctl(ARGS("-s", path, "wait", "db", "--state", "running", "--timeout", "100ms"),
		       NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	close(lfd);
	cr_assert(ge(long, ms, 2100));
	cr_assert(lt(long, ms, 10000));
	cr_assert(eq(int, th_server_wait(pid), 0));
	cr_assert(eq(int, r.status, 4));
	cr_assert(eq(str, r.err, "otpctl: timed out\n"));
	run_free(&r);
}
