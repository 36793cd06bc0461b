/*
 * otpctl: the command-line client of otpd (DESIGN §5, otpctl(1)).
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
 * 4 timed out or no such process.
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

#define CTL_DEFAULT_SOCKET "/run/otp/otpd.sock"
#define CTL_VERSION "0.1.0"
/* Client-side guard beyond a --timeout that otpd enforces itself. */
#define CTL_GUARD_MS 2000

struct ctl_opt {
	const char *name;
	bool takes_value;
	bool (*valid)(const char *value);       /* NULL: any value */
};

struct ctl_verb {
	const char *name;
	bool available;                 /* false: "not available in this version" */
	int min_args, max_args;         /* positional arguments */
	const char *usage;
	const struct ctl_opt *opts;     /* ends with { NULL } */
	const char *required;           /* option that must be given */
	const char *guard;              /* duration option also guarded here */
	bool rest;                      /* "--" ends options; the rest is forwarded */
};

static bool ctl_valid_duration(const char *v)
{
	int64_t ms;

	return util_parse_duration(v, &ms) == 0 && ms >= 0;
}

static bool ctl_valid_count(const char *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	return *v >= '0' && *v <= '9' && *end == '\0' && errno == 0 && n >= 0;
}

static bool ctl_valid_state(const char *v)
{
	static const char *const states[] = { "starting",   "running", "stopping", "stopped",
					      "restarting", "failed",  "frozen" };
	size_t i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(v, states[i]) == 0)
			return true;
	return false;
}

static bool ctl_valid_word(const char *v)
{
	return v[0] != '\0';
}

static const struct ctl_opt opts_none[] = { { NULL } };
static const struct ctl_opt opts_start_child[] = { { "--name", true, ctl_valid_word }, { NULL } };
static const struct ctl_opt opts_call[] = { { "--timeout", true, ctl_valid_duration }, { NULL } };
static const struct ctl_opt opts_mb_call[] = { { "--timeout", true, ctl_valid_duration },
					       { "--batch", false, NULL },
					       { NULL } };
static const struct ctl_opt opts_mb_cast[] = { { "--batch", false, NULL }, { NULL } };
static const struct ctl_opt opts_logs[] = { { "-f", false, NULL },
					    { "-n", true, ctl_valid_count },
					    { NULL } };
static const struct ctl_opt opts_wait[] = { { "--state", true, ctl_valid_state },
					    { "--timeout", true, ctl_valid_duration },
					    { NULL } };
static const struct ctl_opt opts_reload[] = { { "--keep-running", false, NULL }, { NULL } };
static const struct ctl_opt opts_upgrade[] = { { "-c", true, ctl_valid_word },
					       { "--within", true, ctl_valid_duration },
					       { NULL } };

/* To enable a verb once otpd implements it, flip its `available`. */
static const struct ctl_verb ctl_verbs[] = {
	{ "status", true, 0, 1, "status [NAME]", opts_none, NULL, NULL, false },
	{ "count", true, 0, 1, "count [SUP]", opts_none, NULL, NULL, false },
	{ "start", true, 1, 1, "start NAME", opts_none, NULL, NULL, false },
	{ "stop", true, 1, 1, "stop NAME", opts_none, NULL, NULL, false },
	{ "restart", true, 1, 1, "restart NAME", opts_none, NULL, NULL, false },
	{ "kill", true, 1, 2, "kill NAME [SIG]", opts_none, NULL, NULL, false },
	{ "start-child", true, 1, 1, "start-child SUP [--name N] [-- ARGS...]", opts_start_child,
	  NULL, NULL, true },
	{ "delete-child", true, 1, 1, "delete-child NAME", opts_none, NULL, NULL, false },
	{ "call", true, 1, 2, "call NAME MSG|--batch [--timeout D]", opts_mb_call, NULL, "--timeout",
	  false },
	{ "cast", true, 1, 2, "cast NAME MSG|--batch", opts_mb_cast, NULL, NULL, false },
	{ "logs", true, 1, 1, "logs NAME [-f] [-n N]", opts_logs, NULL, NULL, false },
	{ "freeze", true, 1, 1, "freeze NAME [--timeout D]", opts_call, NULL, "--timeout", false },
	{ "thaw", true, 1, 1, "thaw NAME", opts_none, NULL, NULL, false },
	{ "wait", true, 1, 1, "wait NAME --state S [--timeout D]", opts_wait, "--state",
	  "--timeout", false },
	{ "reload", true, 0, 0, "reload [--keep-running]", opts_reload, NULL, NULL, false },
	{ "reexec", false, 0, 0, "reexec", opts_none, NULL, NULL, false },
	{ "upgrade", false, 0, 0, "upgrade -c NEW [--within D]", opts_upgrade, "-c", NULL, false },
	{ "shutdown", true, 0, 0, "shutdown", opts_none, NULL, NULL, false },
	{ "poweroff", true, 0, 0, "poweroff", opts_none, NULL, NULL, false },
	{ "reboot", true, 0, 0, "reboot", opts_none, NULL, NULL, false },
	{ "halt", true, 0, 0, "halt", opts_none, NULL, NULL, false },
	{ "import", true, 2, 2, "import supervisord|procfile|systemd FILE", opts_none, NULL, NULL,
	  false },
};

#define CTL_NVERBS (sizeof(ctl_verbs) / sizeof(ctl_verbs[0]))

/* Global options, and what the verb check found. */
struct ctl_args {
	const char *socket;
	const char *host;
	bool json;
	int verb;                       /* index of the verb in argv */
	int64_t guard_ms;               /* < 0: no client-side timeout */
};

static void ctl_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: otpctl [-s SOCKET] [-H [user@]host] [--json] VERB [ARGS]\n"
		   "       otpctl --help | --version\n\nverbs:\n");
	for (i = 0; i < CTL_NVERBS; i++)
		fprintf(f, "  %s%s\n", ctl_verbs[i].usage,
			ctl_verbs[i].available ? "" : "  (not available yet)");
	fprintf(f, "\nexit: 0 ok, 1 refused or failed, 2 usage, 3 otpd unreachable,"
		   " 4 timeout or no such process\n");
}

static int ctl_usage_error(const char *why, const char *arg)
{
	fprintf(stderr, "otpctl: %s%s%s\n", why, arg ? ": " : "", arg ? arg : "");
	fprintf(stderr, "usage: otpctl [-s SOCKET] [-H [user@]host] [--json] VERB [ARGS]"
			" (otpctl --help lists the verbs)\n");
	return IPC_EXIT_USAGE;
}

static int ctl_verb_error(const struct ctl_verb *v, const char *why, const char *arg)
{
	fprintf(stderr, "otpctl: %s: %s%s%s\n", v->name, why, arg ? ": " : "", arg ? arg : "");
	fprintf(stderr, "usage: otpctl %s\n", v->usage);
	return IPC_EXIT_USAGE;
}

static const struct ctl_verb *ctl_verb_find(const char *name)
{
	size_t i;

	for (i = 0; i < CTL_NVERBS; i++)
		if (strcmp(ctl_verbs[i].name, name) == 0)
			return &ctl_verbs[i];
	return NULL;
}

static const struct ctl_opt *ctl_opt_find(const struct ctl_verb *v, const char *name)
{
	const struct ctl_opt *o;

	for (o = v->opts; o->name; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

/*
 * Take the option at argv[*i] for verb `v`, with its value if it has one,
 * appending both to `fwd`.  0, or exit 2 after a usage message.
 */
static int ctl_opt_take(const struct ctl_verb *v, int argc, char **argv, int *i, unsigned *seen,
			struct ctl_args *a, char **fwd, int *nfwd)
{
	const struct ctl_opt *o = ctl_opt_find(v, argv[*i]);
	unsigned bit;
	int64_t ms;

	if (!o)
		return ctl_verb_error(v, "unknown option", argv[*i]);
	bit = 1u << (o - v->opts);
	if (*seen & bit)
		return ctl_verb_error(v, "option given twice", o->name);
	*seen |= bit;
	fwd[(*nfwd)++] = argv[*i];
	if (!o->takes_value)
		return 0;
	if (*i + 1 >= argc)
		return ctl_verb_error(v, "option needs a value", o->name);
	(*i)++;
	if (o->valid && !o->valid(argv[*i]))
		return ctl_verb_error(v, "bad value", argv[*i]);
	fwd[(*nfwd)++] = argv[*i];
	if (v->guard && strcmp(o->name, v->guard) == 0 && util_parse_duration(argv[*i], &ms) == 0)
		a->guard_ms = ms + CTL_GUARD_MS;
	return 0;
}

/* Is option `name` of `v` in the `seen` mask? */
static bool ctl_opt_seen(const struct ctl_verb *v, unsigned seen, const char *name)
{
	const struct ctl_opt *o = ctl_opt_find(v, name);

	return o && (seen & (1u << (o - v->opts)));
}

/*
 * Check the arguments of verb `v` (argv[0] is the verb) and build the
 * request in `fwd` (room for argc + 1): the verb, "--json" if it was
 * given anywhere, then the arguments as typed.  After a "--" of
 * start-child everything is the child's and forwarded untouched.
 */
static int ctl_verb_check(const struct ctl_verb *v, int argc, char **argv, struct ctl_args *a,
			  char **fwd, int *ret_nfwd)
{
	unsigned seen = 0;
	int i, npos = 0, nfwd = 2, r;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			a->json = true;
		} else if (v->rest && strcmp(argv[i], "--") == 0) {
			while (i < argc)
				fwd[nfwd++] = argv[i++];
		} else if (argv[i][0] != '-' || argv[i][1] == '\0') {
			if (++npos > v->max_args)
				return ctl_verb_error(v, "too many arguments", argv[i]);
			fwd[nfwd++] = argv[i];
		} else {
			r = ctl_opt_take(v, argc, argv, &i, &seen, a, fwd, &nfwd);
			if (r != 0)
				return r;
		}
	}
	if (npos < v->min_args)
		return ctl_verb_error(v, "missing argument", NULL);
	if (v->required && !ctl_opt_seen(v, seen, v->required))
		return ctl_verb_error(v, "missing option", v->required);
	fwd[0] = argv[0];
	fwd[1] = (char *)"--json";
	if (!a->json)
		memmove(fwd + 1, fwd + 2, (size_t)(nfwd - 2) * sizeof(*fwd));
	*ret_nfwd = a->json ? nfwd : nfwd - 1;
	return 0;
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
	fprintf(stderr, "otpctl: cannot run ssh for %s: %s\n", a->host, strerror(errno));
	for (i = 4; i < n; i++)
		free(v[i]);
	free(v);
	return IPC_EXIT_UNREACHABLE;
}

static const char *ctl_socket_path(const struct ctl_args *a)
{
	const char *env = getenv("OTP_SOCKET");

	if (a->socket)
		return a->socket;
	return env && env[0] ? env : CTL_DEFAULT_SOCKET;
}

/* Check the verb and its arguments, then ask otpd. */
static int ctl_local(int argc, char **argv, struct ctl_args *a)
{
	const struct ctl_verb *v = ctl_verb_find(argv[0]);
	char **fwd;
	int nfwd = 0, r;

	if (!v)
		return ctl_usage_error("unknown verb", argv[0]);
	if (!v->available) {
		fprintf(stderr, "otpctl: %s is not available in this version of otpd\n", v->name);
		return IPC_EXIT_USAGE;
	}
	fwd = calloc((size_t)argc + 2, sizeof(*fwd));
	if (!fwd) {
		fprintf(stderr, "otpctl: out of memory\n");
		return IPC_EXIT_REFUSED;
	}
	r = ctl_verb_check(v, argc, argv, a, fwd, &nfwd);
	if (r == 0 && strcmp(v->name, "import") == 0)
		r = ctl_import(argc - 1, argv + 1);
	else if (r == 0 && (strcmp(v->name, "call") == 0 || strcmp(v->name, "cast") == 0))
		r = ctl_mailbox(ctl_socket_path(a), strcmp(v->name, "call") == 0,
				argc - 1, argv + 1);
	else if (r == 0)
		r = ipc_client_run_timeout(ctl_socket_path(a), nfwd, fwd, a->guard_ms);
	free(fwd);
	return r;
}

int main(int argc, char **argv)
{
	struct ctl_args a = { .guard_ms = -1 };
	int r;

	r = ctl_globals(argc, argv, &a);
	if (r != CTL_CONTINUE)
		return r;
	if (a.host)
		return ctl_remote(argc, argv, &a);
	return ctl_local(argc - a.verb, argv + a.verb, &a);
}
