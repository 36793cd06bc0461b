/*
 * test_complete.c: `otpctl __complete WORD...` (ipc/otpctl_complete.c), the
 * binary run for real: the candidates it reads from the verb table, and
 * the names of the tree from a fake otpd that answers `status`.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"

TestSuite(complete, .init = th_setup, .fini = th_teardown);

#define COMPLETE(...) TH_ARGS("__complete", __VA_ARGS__)

/* Run __complete, expect exit 0 and nothing on stderr: its stdout. */
static char *complete(const char *const *args, const char *env_socket)
{
	struct th_run r = th_otpctl_run(args, env_socket);

	cr_assert(eq(int, r.status, 0), "%s", r.err);
	cr_assert(eq(str, r.err, ""));
	free(r.err);
	return r.out;
}

static void expect(const char *const *args, const char *want)
{
	char *out = complete(args, th_path("nobody.sock"));

	cr_assert(eq(str, out, (char *)want), "after %s ...", args[1]);
	free(out);
}

Test(complete, every_available_verb_with_its_summary)
{
	char want[8192] = "", *out;

	for (const struct ipc_verb *v = ipc_verbs; v->name[0]; v++)
		if (v->available)
			snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s\t%s\n",
				 v->name, v->summary);
	out = complete(COMPLETE(""), NULL);
	cr_assert(eq(str, out, want));
	free(out);
	cr_assert(strstr(want, "\ncompletion\t") != NULL);
	cr_assert(strstr(want, "\nupgrade\t") != NULL, "upgrade is available");
	cr_assert(strstr(want, "\nreexec\t") != NULL, "reexec is available");
}

Test(complete, verbs_by_prefix)
{
	char *out = complete(COMPLETE("st"), NULL);

	cr_assert(strncmp(out, "status\t", 7) == 0);
	cr_assert(strstr(out, "\nstart\t") && strstr(out, "\nstop\t") &&
		  strstr(out, "\nstart-child\t"));
	free(out);
	expect(COMPLETE("up"), "upgrade\tapply a new configuration, watch the tree, roll back if it "
			       "fails\n");
	expect(COMPLETE("nothing"), "");
	expect(COMPLETE("__c"), "");                    /* hidden */
}

Test(complete, otpctls_own_options_before_the_verb)
{
	char *out = complete(COMPLETE("-"), NULL);

	cr_assert(strstr(out, "-s\t") && strstr(out, "-H\t") && strstr(out, "--json\t") &&
		  strstr(out, "--help\t") && strstr(out, "--version\t"));
	free(out);
	out = complete(COMPLETE("--json", "-s", "x", "-"), NULL);
	cr_assert(strstr(out, "--json") == NULL && strstr(out, "-s\t") == NULL);
	cr_assert(strstr(out, "-H\t") != NULL);
	free(out);
	expect(COMPLETE("-s", ""), ":file\n");
	expect(COMPLETE("-H", ""), "");
	expect(COMPLETE("--help", ""), "");
	out = complete(COMPLETE("-sx", "--json", "-Hh", "sta"), NULL);
	cr_assert(strncmp(out, "start\t", 6) == 0 || strncmp(out, "status\t", 7) == 0, "%s", out);
	free(out);
}

Test(complete, options_not_given_yet)
{
	expect(COMPLETE("logs", "w", "-"),
	       "-f\n-n\ttakes a number\n--time\n--reopen\n--all\n"
	       "--json\tevery outcome as one JSON document\n");
	expect(COMPLETE("logs", "w", "-f", "-n", "3", "--json", "--time", "--reopen", "--all", "-"), "");
	expect(COMPLETE("logs", "-n", "3", "-"),
	       "-f\n--time\n--reopen\n--all\n--json\tevery outcome as one JSON document\n");
	expect(COMPLETE("reload", "--k"), "--keep-running\n");
	expect(COMPLETE("start-child", "pool", "--"),
	       "--name\ttakes a name\n--json\tevery outcome as one JSON document\n"
	       "--\tthe rest are the child's arguments\n");
	expect(COMPLETE("frobnicate", "-"), "");
}

Test(complete, option_values)
{
	char want[512] = "";

	for (const char *const *p = ipc_states; *p; p++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s\n", *p);
	expect(COMPLETE("wait", "w", "--state", ""), want);
	expect(COMPLETE("wait", "w", "--state", "r"), "running\nrestarting\n");
	expect(COMPLETE("wait", "w", "--timeout", ""), "");
	expect(COMPLETE("logs", "w", "-n", ""), "");
	/* a value is not an option, and not a positional argument */
	expect(COMPLETE("wait", "--state", "running", "--timeout", "1s", "-"),
	       "--json\tevery outcome as one JSON document\n");
}

Test(complete, signals)
{
	char *out = complete(COMPLETE("kill", "w", ""), NULL);

	cr_assert(strstr(out, "TERM\t") && strstr(out, "KILL\t") && strstr(out, "HUP\t"));
	cr_assert(strstr(out, "SIG") == NULL && strstr(out, "RTMIN") == NULL, "%s", out);
	free(out);
	expect(COMPLETE("kill", "w", "SIGTE"), "SIGTERM\tTerminated\n");
	out = complete(COMPLETE("kill", "w", "RTMIN+"), NULL);
	cr_assert(strncmp(out, "RTMIN+1\t", 8) == 0 && strstr(out, "\nRTMIN+30\t") == NULL);
	free(out);
	out = complete(COMPLETE("kill", "w", "SIGRTMA"), NULL);
	cr_assert(eq(str, out, "SIGRTMAX\tReal-time signal 30\n"));
	free(out);
	expect(COMPLETE("kill", "w", "TERM", ""), "");
}

Test(complete, import_kinds_files_and_shells)
{
	char *out = complete(COMPLETE("import", ""), NULL);

	cr_assert(strstr(out, "supervisord\t") && strstr(out, "procfile\t") &&
		  strstr(out, "systemd\t"));
	free(out);
	expect(COMPLETE("import", "p"), "procfile\tProcfile\n");
	expect(COMPLETE("import", "procfile", ""), ":file\n");
	expect(COMPLETE("import", "procfile", "Procfile", ""), "");
	expect(COMPLETE("completion", ""), "bash\nzsh\nfish\n");
	expect(COMPLETE("start-child", "pool", "--", "-x", ""), ":file\n");
	expect(COMPLETE("call", "w", ""), "");                  /* a message */
}

/* A status table as otpd prints it. */
static const char status_table[] =
	"NAME     TYPE        STATE       PID      RESTARTS\n"
	"root     supervisor  running     -               0\n"
	"  web    worker      running     100             0\n"
	"  pool   supervisor  running     -               0\n"
	"    job  worker      stopped     -               2\n";

/* Answer one request with the status table (and exit code `code`). */
static pid_t serve_status(int lfd, uint8_t code)
{
	static uint8_t script[1024];
	size_t len = 0;

	th_put(script, sizeof(script), &len, IPC_OUT, status_table, strlen(status_table));
	th_put(script, sizeof(script), &len, IPC_END, &code, 1);
	return th_server_start(lfd, false, script, len, TH_CLOSE);
}

/* __complete with args against a fake otpd at otpd.sock: its stdout. */
static char *complete_served(const char *const *args, bool by_env)
{
	const char *path = th_path("otpd.sock");
	int lfd = ipc_listen(path, 4);
	pid_t pid;
	char *out;

	cr_assert(lfd >= 0);
	pid = serve_status(lfd, 0);
	out = complete(args, by_env ? path : th_path("nobody.sock"));
	close(lfd);
	cr_assert(eq(int, th_server_wait(pid), 0));
	unlink(path);
	return out;
}

Test(complete, names_of_the_tree_by_kind)
{
	const char *sock = th_path("otpd.sock");
	char *out;

	out = complete_served(COMPLETE("-s", sock, "status", ""), false);
	cr_assert(eq(str, out, "root\tsupervisor, running\nweb\tworker, running\n"
			       "pool\tsupervisor, running\njob\tworker, stopped\n"));
	free(out);
	out = complete_served(COMPLETE("-s", sock, "count", ""), false);
	cr_assert(eq(str, out, "root\tsupervisor, running\npool\tsupervisor, running\n"));
	free(out);
	out = complete_served(COMPLETE("kill", ""), true);      /* $OTP_SOCKET */
	cr_assert(eq(str, out, "web\tworker, running\njob\tworker, stopped\n"));
	free(out);
	out = complete_served(COMPLETE("--json", "logs", "j"), true);
	cr_assert(eq(str, out, "job\tworker, stopped\n"));
	free(out);
}

Test(complete, no_names_when_otpd_fails_or_is_not_there)
{
	const char *path = th_path("otpd.sock");
	int lfd = ipc_listen(path, 4);
	pid_t pid;

	cr_assert(lfd >= 0);
	pid = serve_status(lfd, 1);             /* a refusal, whatever it printed */
	expect(COMPLETE("-s", path, "status", ""), "");
	cr_assert(eq(int, th_server_wait(pid), 0));
	/* an otpd that never answers: given up on (CMP_STATUS_MS), no names */
	pid = th_server_start(lfd, false, NULL, 0, TH_HOLD);
	expect(COMPLETE("-s", path, "status", ""), "");
	cr_assert(eq(int, th_server_wait(pid), 0));
	close(lfd);
	expect(COMPLETE("-s", path, "stop", ""), "");          /* nobody listens */
	expect(COMPLETE("-s", th_path("none/otpd.sock"), "stop", ""), "");
}

Test(complete, no_names_and_no_connection_with_a_remote_host)
{
	const char *path = th_path("otpd.sock");
	int lfd = ipc_listen(path, 4);

	cr_assert(lfd >= 0);
	expect(COMPLETE("-H", "host", "-s", path, "status", ""), "");
	cr_assert(eq(int, accept4(lfd, NULL, NULL, SOCK_CLOEXEC), -1));
	cr_assert(eq(int, errno, EAGAIN));
	close(lfd);
}

/* The verb table's strings are arrays (no pointers: issue 19): each fits with its NUL. */
#define FITS(a) (memchr((a), '\0', sizeof(a)) != NULL)

static bool verb_fits(const struct ipc_verb *v)
{
	bool ok = FITS(v->name) && FITS(v->usage) && FITS(v->summary) && FITS(v->required) &&
		  FITS(v->guard);

	for (int k = 0; k <= IPC_OPTS_MAX; k++)
		ok = ok && FITS(v->opts[k].name);
	return ok && v->opts[IPC_OPTS_MAX].name[0] == '\0';
}

Test(complete, verb_table_strings_fit)
{
	const struct ipc_verb *v;

	for (v = ipc_verbs; v->name[0]; v++) {
		bool ok = verb_fits(v);

		cr_assert(ok, "%.16s: a string too long, or too many options", v->name);
	}
	cr_assert_gt(v - ipc_verbs, 20);
}
