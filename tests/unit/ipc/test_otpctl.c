/*
 * test_otpctl.c: the otpctl binary, run for real (th_otpctl_run): usage
 * checks, what it forwards to otpd, its exit codes and its client-side
 * timeout.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

TestSuite(otpctl, .init = th_setup, .fini = th_teardown);


Test(otpctl, usage_errors_exit_2)
{
	const char *const *bad[] = {
		TH_ARGS("-s"),
		TH_ARGS("-s", "/x"),                       /* no verb */
		TH_ARGS("--bogus", "status"),
		TH_ARGS("frobnicate"),
		TH_ARGS("status", "a", "b"),
		TH_ARGS("count", "a", "b"),
		TH_ARGS("start"),
		TH_ARGS("stop", "a", "b"),
		TH_ARGS("restart"),
		TH_ARGS("kill"),
		TH_ARGS("kill", "db", "TERM", "x"),
		TH_ARGS("start-child"),
		TH_ARGS("start-child", "pool", "--name"),
		TH_ARGS("start-child", "pool", "--name", "a", "--name", "b"),
		TH_ARGS("start-child", "pool", "extra"),
		TH_ARGS("delete-child"),
		TH_ARGS("logs"),
		TH_ARGS("logs", "db", "-n"),
		TH_ARGS("logs", "db", "-n", "many"),
		TH_ARGS("logs", "db", "-n", "-1"),
		TH_ARGS("logs", "db", "-x"),
		TH_ARGS("logs", "db", "--reopen", "--all"),
		TH_ARGS("wait", "db"),
		TH_ARGS("wait", "db", "--state"),
		TH_ARGS("wait", "db", "--state", "sleeping"),
		TH_ARGS("wait", "db", "--state", "running", "--timeout", "soon"),
		TH_ARGS("wait", "--state", "running"),
		TH_ARGS("shutdown", "now"),
		TH_ARGS("poweroff", "-f"),
		TH_ARGS("reboot", "x"),
		TH_ARGS("halt", "x"),
		TH_ARGS("status", "--timeout", "1s"),
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct th_run r = th_otpctl_run(bad[i], th_path("nobody.sock"));

		cr_assert(eq(int, r.status, 2), "case %zu (%s): %s", i, bad[i][0], r.err);
		cr_assert(strncmp(r.err, "otpctl: ", 8) == 0, "case %zu: %s", i, r.err);
		cr_assert(eq(sz, strlen(r.out), 0));
		th_run_free(&r);
	}
}

/* upgrade exists; its usage is checked before any connection, and
 * --binary (which comes with reexec) says it is not there yet. */
Test(otpctl, upgrade_usage_exit_2)
{
	struct th_run r = th_otpctl_run(TH_ARGS("upgrade", "x"), th_path("nobody.sock"));

	cr_assert(eq(int, r.status, 2));
	cr_assert(eq(str, r.err, "otpctl: upgrade: too many arguments: x\n"
				 "usage: otpctl upgrade -c NEW [--within D]\n"));
	th_run_free(&r);
	r = th_otpctl_run(TH_ARGS("upgrade", "--within", "2s"), th_path("nobody.sock"));
	cr_assert(eq(int, r.status, 2));
	cr_assert(eq(str, r.err, "otpctl: upgrade: missing option: -c\n"
				 "usage: otpctl upgrade -c NEW [--within D]\n"));
	th_run_free(&r);
	r = th_otpctl_run(TH_ARGS("upgrade", "-c", "/x.conf", "--binary", "/bin/otpd"),
		       th_path("nobody.sock"));
	cr_assert(eq(int, r.status, 2));
	cr_assert(eq(str, r.err, "otpctl: upgrade --binary is not available yet (it comes with "
				 "reexec)\n"));
	th_run_free(&r);
}

/* reexec exists now: its usage is checked before any connection is tried. */
Test(otpctl, reexec_usage_exit_2)
{
	struct th_run r = th_otpctl_run(TH_ARGS("reexec", "x"), th_path("nobody.sock"));

	cr_assert(eq(int, r.status, 2));
	cr_assert(strstr(r.err, "usage: otpctl reexec [--binary PATH]") != NULL, "%s", r.err);
	th_run_free(&r);
	r = th_otpctl_run(TH_ARGS("reexec", "--binary"), th_path("nobody.sock"));
	cr_assert(eq(int, r.status, 2));
	th_run_free(&r);
}

/* freeze and thaw exist now: extra words are a usage error, before any
 * connection is tried. */
Test(otpctl, freeze_and_thaw_usage_exit_2)
{
	struct th_run r = th_otpctl_run(TH_ARGS("freeze", "x", "y"), th_path("nobody.sock"));

	cr_assert(eq(int, r.status, 2));
	cr_assert(eq(str, r.err, "otpctl: freeze: too many arguments: y\n"
				 "usage: otpctl freeze NAME [--timeout D]\n"));
	th_run_free(&r);
	r = th_otpctl_run(TH_ARGS("thaw", "x", "y"), th_path("nobody.sock"));
	cr_assert(eq(int, r.status, 2));
	cr_assert(eq(str, r.err, "otpctl: thaw: too many arguments: y\n"
				 "usage: otpctl thaw NAME\n"));
	th_run_free(&r);
}

/* call/cast go to the mailbox next to the control socket: none there. */
Test(otpctl, call_and_cast_without_mailbox_are_noproc_exit_4)
{
	static const char *const verbs[] = { "call", "cast" };

	for (size_t i = 0; i < 2; i++) {
		struct th_run r = th_otpctl_run(TH_ARGS(verbs[i], "ghost", "hi"), th_path("otpd.sock"));

		cr_assert(eq(int, r.status, 4));
		cr_assert(eq(str, r.err, "otpctl: ghost: noproc\n"));
		th_run_free(&r);
	}
}

Test(otpctl, help_and_version_exit_0)
{
	struct th_run r = th_otpctl_run(TH_ARGS("--help"), NULL);

	cr_assert(eq(int, r.status, 0));
	cr_assert(strstr(r.out, "start-child SUP") != NULL);
	th_run_free(&r);
	r = th_otpctl_run(TH_ARGS("--version"), NULL);
	cr_assert(eq(int, r.status, 0));
	cr_assert(strncmp(r.out, "otpctl ", 7) == 0);
	th_run_free(&r);
}

Test(otpctl, valid_requests_go_to_the_socket)
{
	const char *const *good[] = {
		TH_ARGS("status"),
		TH_ARGS("status", "db", "--json"),
		TH_ARGS("--json", "count", "backend"),
		TH_ARGS("kill", "db", "KILL"),
		TH_ARGS("start-child", "pool", "--name", "w1", "--", "--json", "-x"),
		TH_ARGS("logs", "db", "-f", "-n", "20"),
		TH_ARGS("wait", "db", "--state", "stopped", "--timeout", "5s"),
		TH_ARGS("shutdown"),
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct th_run r = th_otpctl_run(good[i], th_path("nobody.sock"));

		cr_assert(eq(int, r.status, 3), "case %zu: %s", i, r.err);
		/* --json: the same failure as a JSON document on stdout. */
		cr_assert(strstr(r.err, "cannot reach otpd at ") != NULL ||
				  strstr(r.out, "{\"ok\":false,\"error\":\"unreachable\","
						"\"message\":\"cannot reach otpd at ") != NULL,
			  "case %zu: %s", i, r.out);
		th_run_free(&r);
	}
}

/* Serve one echoing request and check what otpctl forwarded. */
static void check_forwarded(const char *const *args, bool use_env, const char *want)
{
	char path[256];
	uint8_t end[16];
	size_t len = 0;
	int lfd;
	struct th_run r;
	pid_t pid;

	snprintf(path, sizeof(path), "%s", th_path("otpd.sock"));
	lfd = ipc_listen(path, 4);
	cr_assert(lfd >= 0);
	th_put(end, sizeof(end), &len, IPC_END, "\x01", 1);
	pid = th_server_start(lfd, true, end, len, TH_CLOSE);
	r = th_otpctl_run(args, use_env ? path : th_path("nobody.sock"));
	close(lfd);
	cr_assert(eq(int, th_server_wait(pid), 0));
	cr_assert(eq(int, r.status, 1), "%s", r.err);
	cr_assert(eq(str, r.out, (char *)want));
	th_run_free(&r);
	unlink(path);
}

Test(otpctl, json_is_moved_right_after_the_verb)
{
	check_forwarded(TH_ARGS("-s", th_path("otpd.sock"), "status", "db", "--json"), false,
			"argv:status|--json|db\n");
	check_forwarded(TH_ARGS("--json", "-s", th_path("otpd.sock"), "count"), false,
			"argv:count|--json\n");
}

Test(otpctl, child_arguments_after_dashdash_are_untouched)
{
	check_forwarded(TH_ARGS("-s", th_path("otpd.sock"), "start-child", "pool", "--name", "w",
			     "--", "--json", "-n", ""),
			false, "argv:start-child|pool|--name|w|--|--json|-n|\n");
}

Test(otpctl, socket_from_the_environment)
{
	check_forwarded(TH_ARGS("logs", "db", "-n", "5"), true, "argv:logs|db|-n|5\n");
}

Test(otpctl, wait_is_guarded_by_timeout_plus_two_seconds)
{
	const char *path = th_path("otpd.sock");
	int lfd = ipc_listen(path, 4);
	struct timespec t0, t1;
	struct th_run r;
	long ms;
	pid_t pid;

	cr_assert(lfd >= 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* The server never answers; otpctl must give up at 100ms + 2s. */
	pid = th_server_start(lfd, false, NULL, 0, TH_HOLD);
	r = th_otpctl_run(TH_ARGS("-s", path, "wait", "db", "--state", "running", "--timeout", "100ms"),
		       NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	close(lfd);
	cr_assert(ge(long, ms, 2100));
	cr_assert(lt(long, ms, 10000));
	cr_assert(eq(int, th_server_wait(pid), 0));
	cr_assert(eq(int, r.status, 4));
	cr_assert(eq(str, r.err, "otpctl: timed out\n"));
	th_run_free(&r);
}
