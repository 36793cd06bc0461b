/*
 * otpctl: the command-line client of otpd (otpctl(1)).
 *
 *   otpctl [-s SOCKET] [-H [user@]host] [--json] VERB [ARGS]
 *
 * Usage is checked here, against one table of verbs, so that a typo is an
 * immediate exit 2 and never a round trip.  A valid request goes to otpd
 * as argv, as typed, except that global options are removed and "--json"
 * (before or after the verb) is sent once, right after the verb.  otpd
 * checks everything again: this table is a convenience, not a guard.
 *
 * Exit codes: 0 ok, 1 refused or failed, 2 usage, 3 otpd unreachable,
 * 4 timed out or no such process.  With --json anywhere (before a "--"),
 * every outcome is one JSON document on stdout, otpctl's own failures
 * included (json_out.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/util.h"
#include "ipc.h"
#include "otpctl.h"
#include "otpctl_import.h"

#define CTL_VERSION "0.1.0"
/* Client-side guard beyond a --timeout that otpd enforces itself. */
#define CTL_GUARD_MS 2000

/*
 * Guards with a default (the option's) and a margin of their own: upgrade
 * waits for the window (default 30 s), then for the rollback, whose
 * removals take up to their shutdown timeouts.
 */
static const struct {
	const char *verb;
	int64_t dflt_ms, margin_ms;
} ctl_guards[] = {
	{ "upgrade", 30000, 60000 },
};

/* Global options, and what the verb check found. */
struct ctl_args {
	const char *socket;
	const char *host;
	bool json;
	int verb;                       /* index of the verb in argv */
	int64_t guard_ms;               /* < 0: no client-side timeout */
	char *owned[IPC_OPTS_MAX];      /* file options made absolute (freed at the end) */
	int n_owned;
};

static void ctl_usage(FILE *f)
{
	fprintf(f, "usage: otpctl [-s SOCKET] [-H [user@]host] [--json] VERB [ARGS]\n"
		   "       otpctl --help | --version\n\nverbs:\n");
	for (const struct ipc_verb *v = ipc_verbs; v->name[0]; v++)
		fprintf(f, "  %-44s %s%s\n", v->usage, v->summary,
			v->available ? "" : " (not available yet)");
	fprintf(f, "\nexit: 0 ok, 1 refused or failed, 2 usage, 3 otpd unreachable,"
		   " 4 timeout or no such process\n");
}

static int ctl_usage_error(const char *why, const char *arg)
{
	ipc_say("usage", "%s%s%s\nusage: otpctl [-s SOCKET] [-H [user@]host] [--json] VERB [ARGS]"
			 " (otpctl --help lists the verbs)", why, arg ? ": " : "", arg ? arg : "");
	return IPC_EXIT_USAGE;
}

static int ctl_verb_error(const struct ipc_verb *v, const char *why, const char *arg)
{
	ipc_say("usage", "%s: %s%s%s\nusage: otpctl %s", v->name, why, arg ? ": " : "",
		arg ? arg : "", v->usage);
	return IPC_EXIT_USAGE;
}

/* --json anywhere before a "--": every outcome is JSON, usage errors too. */
static bool ctl_json_asked(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			return true;
	return false;
}

static const struct ipc_opt *ctl_opt_of(const struct ipc_verb *v, const char *name)
{
	for (const struct ipc_opt *o = v->opts; o->name[0]; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

/* A file option's value as an absolute path: otpd does not know our
 * directory.  The value itself if it is absolute (or on ENOMEM). */
static char *ctl_abs_path(struct ctl_args *a, char *v)
{
	char cwd[4096], *p;

	if (v[0] == '/' || a->n_owned == IPC_OPTS_MAX || !getcwd(cwd, sizeof(cwd)))
		return v;
	if (!(p = malloc(strlen(cwd) + strlen(v) + 2)))
		return v;
	sprintf(p, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, v);
	return a->owned[a->n_owned++] = p;
}

/*
 * Check the arguments of the verb in argv[0] against the table and build
 * the request in `fwd` (room for argc + 1): the verb, "--json" if it was
 * given anywhere, then the arguments as typed.  After a "--" of
 * start-child everything is the child's and forwarded untouched.
 */
static void ctl_verb_check(const struct ipc_req *q, int argc, char **argv, struct ctl_args *a,
			   char **fwd, int *ret_nfwd)
{
	const char *guard = q->verb->guard[0] ? ipc_req_opt(q, q->verb->guard) : NULL;
	int nfwd = 0, rest = argc - q->nrest;
	int64_t ms;

	a->json = a->json || q->json;
	fwd[nfwd++] = argv[0];
	if (a->json)
		fwd[nfwd++] = (char *)"--json";
	for (int i = 1; i < argc; i++) {
		const struct ipc_opt *o = i < rest ? ctl_opt_of(q->verb, argv[i]) : NULL;

		if (i < rest && strcmp(argv[i], "--json") == 0)
			continue;
		fwd[nfwd++] = argv[i];
		/* An option's value is forwarded as it is, even "--json"; a
		 * file, as an absolute path. */
		if (o && o->val == IPC_VAL_FILE && i + 1 < argc)
			fwd[nfwd++] = ctl_abs_path(a, argv[++i]);
		else if (o && o->val != IPC_VAL_FLAG && i + 1 < argc)
			fwd[nfwd++] = argv[++i];
	}
	if (guard && util_parse_duration(guard, &ms) == 0)
		a->guard_ms = ms + CTL_GUARD_MS;
	for (size_t i = 0; i < sizeof(ctl_guards) / sizeof(ctl_guards[0]); i++) {
		if (strcmp(q->verb->name, ctl_guards[i].verb) != 0)
			continue;
		if (!guard || util_parse_duration(guard, &ms) < 0)
			ms = ctl_guards[i].dflt_ms;
		a->guard_ms = ms + ctl_guards[i].margin_ms;
	}
	*ret_nfwd = nfwd;
}

/* Value of option argv[*i] ("-s PATH" or "-sPATH"); NULL if missing. */
static const char *ctl_opt_value(int argc, char **argv, int *i)
{
	if (argv[*i][2] != '\0')
		return argv[*i] + 2;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++(*i)];
}

#define CTL_CONTINUE (-1)

/*
 * Parse the options before the verb.  CTL_CONTINUE with a->verb set, or
 * an exit status (--help, --version, usage errors).
 */
static int ctl_globals(int argc, char **argv, struct ctl_args *a)
{
	const char *s;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		s = argv[i];
		if (strcmp(s, "--json") == 0) {
			a->json = true;
		} else if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
			ctl_usage(stdout);
			return IPC_EXIT_OK;
		} else if (strcmp(s, "--version") == 0) {
			if (ipc_json())
				printf("{\"ok\":true,\"version\":\"%s\",\"protocol\":%d}\n",
				       CTL_VERSION, IPC_VERSION);
			else
				printf("otpctl %s (protocol %d)\n", CTL_VERSION, IPC_VERSION);
			return IPC_EXIT_OK;
		} else if (s[1] == 's' || s[1] == 'H') {
			const char *val = ctl_opt_value(argc, argv, &i);

			if (!val || !val[0])
				return ctl_usage_error("option needs a value", s);
			*(s[1] == 's' ? &a->socket : &a->host) = val;
		} else {
			return ctl_usage_error("unknown option", s);
		}
	}
	if (i >= argc)
		return ctl_usage_error("no verb given", NULL);
	a->verb = i;
	return CTL_CONTINUE;
}

/* `arg` quoted for the remote shell that ssh hands its command to. */
static char *ctl_shell_quote(const char *arg)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789_@%+=:,./-";
	size_t n = strlen(arg), j = 0, i;
	char *q;

	if (n > 0 && strspn(arg, safe) == n)
		return strdup(arg);
	q = malloc(4 * n + 3);
	if (!q)
		return NULL;
	q[j++] = '\'';
	for (i = 0; i < n; i++) {
		if (arg[i] == '\'') {
			memcpy(q + j, "'\\''", 4);
			j += 4;
		} else {
			q[j++] = arg[i];
		}
	}
	q[j++] = '\'';
	q[j] = '\0';
	return q;
}

/* Does argv[i], a global option before the verb, belong to -H? */
static int ctl_remote_skip(char **argv, int i)
{
	if (strcmp(argv[i], "-H") == 0)
		return 2;
	return strncmp(argv[i], "-H", 2) == 0 ? 1 : 0;
}

/*
 * -H: run `ssh -- HOST otpctl ARGS` with every argument but -H itself,
 * each quoted for the remote shell; the remote otpctl checks and sends the
 * request.  Returns only on error.
 */
static int ctl_remote(int argc, char **argv, const struct ctl_args *a)
{
	char **v = calloc((size_t)argc + 4, sizeof(*v));
	int i, n = 4, skip;

	if (!v)
		return IPC_EXIT_UNREACHABLE;
	v[0] = (char *)"ssh";
	v[1] = (char *)"--";
	v[2] = (char *)a->host;
	v[3] = (char *)"otpctl";
	for (i = 1; i < argc; i++) {
		skip = i < a->verb ? ctl_remote_skip(argv, i) : 0;
		if (skip > 0) {
			i += skip - 1;
			continue;
		}
		/* -s takes a value that must not be mistaken for -H. */
		if (i < a->verb && strcmp(argv[i], "-s") == 0 && !(v[n++] = ctl_shell_quote(argv[i++])))
			break;
		if (!(v[n++] = ctl_shell_quote(argv[i])))
			break;
	}
	if (i >= argc)
		execvp("ssh", v);
	ipc_say("unreachable", "cannot run ssh for %s: %s", a->host, strerror(errno));
	for (i = 4; i < n; i++)
		free(v[i]);
	free(v);
	return IPC_EXIT_UNREACHABLE;
}

const char *ctl_socket_path(const char *socket)
{
	static char dflt[UTIL_RUN_DIR_MAX + 16];
	const char *env = getenv("OTP_SOCKET");

	if (socket)
		return socket;
	if (env && env[0])
		return env;
	(void)util_default_run_dir((unsigned)geteuid(), dflt, UTIL_RUN_DIR_MAX);
	strcat(dflt, "/otpd.sock");
	return dflt;
}

/* Check the verb and its arguments, then ask otpd (or do it here). */
static int ctl_local(int argc, char **argv, struct ctl_args *a)
{
	const char *why, *arg;
	struct ipc_req q;
	char **fwd;
	int nfwd = 0, r;

	r = ipc_verb_parse(argc, argv, &q, &why, &arg);
	if (r == -ENOENT)
		return ctl_usage_error("unknown verb", argv[0]);
	if (!q.verb->available) {
		ipc_say("unavailable", "%s is not available in this version of otpd", q.verb->name);
		return IPC_EXIT_USAGE;
	}
	if (r < 0)
		return ctl_verb_error(q.verb, why, arg);
	if (q.verb->where == IPC_AT_LOCAL && strcmp(q.verb->name, "completion") == 0)
		return ctl_completion(q.pos[0]);
	/* upgrade: a configuration or a binary, one at a time. */
	if (strcmp(q.verb->name, "upgrade") == 0 &&
	    !ipc_req_opt(&q, "-c") == !ipc_req_opt(&q, "--binary"))
		return ctl_verb_error(q.verb, ipc_req_opt(&q, "-c") ? "one at a time" : "missing option",
				      "-c or --binary");
	if (q.verb->where == IPC_AT_LOCAL)
		return ctl_import(q.pos[0], q.pos[1]);
	if (q.verb->where == IPC_AT_MAILBOX)
		return ctl_mailbox(ctl_socket_path(a->socket), strcmp(q.verb->name, "call") == 0,
				   argc - 1, argv + 1);
	fwd = calloc((size_t)argc + 2, sizeof(*fwd));
	if (!fwd) {
		ipc_say("out_of_memory", "out of memory");
		return IPC_EXIT_REFUSED;
	}
	ctl_verb_check(&q, argc, argv, a, fwd, &nfwd);
	r = ipc_client_run_timeout(ctl_socket_path(a->socket), nfwd, fwd, a->guard_ms);
	free(fwd);
	while (a->n_owned > 0)
		free(a->owned[--a->n_owned]);
	return r;
}

int main(int argc, char **argv)
{
	struct ctl_args a = { .guard_ms = -1 };
	int r;

	/* The completions' own entry point (hidden: not a verb of the table). */
	if (argc > 1 && strcmp(argv[1], "__complete") == 0)
		return ctl_complete(argc - 2, argv + 2);
	ipc_json_set(ctl_json_asked(argc, argv));
	r = ctl_globals(argc, argv, &a);
	if (r != CTL_CONTINUE)
		return r;
	if (a.host)
		return ctl_remote(argc, argv, &a);
	return ctl_local(argc - a.verb, argv + a.verb, &a);
}
