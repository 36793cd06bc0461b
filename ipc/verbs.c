/*
 * verbs.c: the one table of otpctl's verbs (otpctl(1)), read by otpctl to
 * check usage before it sends anything, by otpd to parse every request
 * again (it trusts no client), and by the shell completions.
 *
 * A request is argv as typed: the verb, then its arguments.  "--json" may
 * stand anywhere after the verb; an option given twice, an unknown option,
 * a bad value, too many or too few positional arguments, or a missing
 * required option are usage errors ("--all", where a verb has it, stands
 * for its NAME: both is a usage error).  After the "--" of a verb that takes
 * the rest (start-child) everything belongs to the child, untouched.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"
#include "ipc.h"

const char *const ipc_states[] = { "starting", "running", "stopping", "stopped",
				   "restarting", "failed", "frozen", NULL };

#define NONE { { "", 0 } }
#define A(...) { __VA_ARGS__ }

/* No pointers: stays in .rodata, not relocated at start (issue 19, bench/PROFILE.md). */
const struct ipc_verb ipc_verbs[] = {
	{ "status", IPC_AT_OTPD, true, 0, 1, A(IPC_ARG_NODE), NONE, "", "", false,
	  "status [NAME]", "the tree, or one node, with state, pid, restarts, last exit" },
	{ "count", IPC_AT_OTPD, true, 0, 1, A(IPC_ARG_SUP), NONE, "", "", false,
	  "count [SUP]", "counts of a supervisor's children (OTP count_children)" },
	{ "start", IPC_AT_OTPD, true, 1, 1, A(IPC_ARG_NODE), NONE, "", "", false,
	  "start NAME", "start a stopped child (OTP restart_child)" },
	{ "stop", IPC_AT_OTPD, true, 1, 1, A(IPC_ARG_NODE), NONE, "", "", false,
	  "stop NAME", "stop a child and keep its spec (OTP terminate_child)" },
	{ "restart", IPC_AT_OTPD, true, 1, 1, A(IPC_ARG_NODE),
	  { { "--overlap", IPC_VAL_FLAG }, { "--timeout", IPC_VAL_DURATION } }, "", "",
	  false, "restart NAME [--overlap [--timeout D]]",
	  "stop a child and start it again; --overlap: the new process first" },
	{ "kill", IPC_AT_OTPD, true, 1, 2, A(IPC_ARG_WORKER, IPC_ARG_SIGNAL), NONE, "", "",
	  false, "kill NAME [SIG]", "signal a worker; its death is handled as a crash" },
	{ "start-child", IPC_AT_OTPD, true, 1, 1, A(IPC_ARG_SUP), { { "--name", IPC_VAL_WORD } },
	  "", "", true, "start-child SUP [--name N] [-- ARGS...]",
	  "a dynamic child of a simple_one_for_one supervisor" },
	{ "delete-child", IPC_AT_OTPD, true, 1, 1, A(IPC_ARG_NODE), NONE, "", "", false,
	  "delete-child NAME", "remove a stopped child's spec (OTP delete_child)" },
	{ "call", IPC_AT_MAILBOX, true, 1, 2, A(IPC_ARG_WORKER, IPC_ARG_MSG),
	  { { "--timeout", IPC_VAL_DURATION }, { "--batch", IPC_VAL_FLAG } }, "", "--timeout",
	  false, "call NAME MSG|--batch [--timeout D]", "a gen_server call to a worker's mailbox" },
	{ "cast", IPC_AT_MAILBOX, true, 1, 2, A(IPC_ARG_WORKER, IPC_ARG_MSG),
	  { { "--batch", IPC_VAL_FLAG } }, "", "", false, "cast NAME MSG|--batch",
	  "a message to a worker's mailbox, no reply" },
	{ "logs", IPC_AT_OTPD, true, 1, 1, A(IPC_ARG_WORKER),
	  { { "-f", IPC_VAL_FLAG }, { "-n", IPC_VAL_COUNT }, { "--time", IPC_VAL_FLAG },
	    { "--reopen", IPC_VAL_FLAG }, { "--all", IPC_VAL_FLAG } }, "", "", false,
	  "logs NAME [-f] [-n N] [--time] | logs --reopen NAME|--all",
	  "a worker's captured output; reopen output files" },
	{ "freeze", IPC_AT_OTPD, true, 1, 1, A(IPC_ARG_NODE), { { "--timeout", IPC_VAL_DURATION } },
	  "", "--timeout", false, "freeze NAME [--timeout D]", "freeze a node's cgroup" },
	{ "thaw", IPC_AT_OTPD, true, 1, 1, A(IPC_ARG_NODE), NONE, "", "", false, "thaw NAME",
	  "thaw a frozen node" },
	{ "wait", IPC_AT_OTPD, true, 1, 1, A(IPC_ARG_NODE),
	  { { "--state", IPC_VAL_STATE }, { "--timeout", IPC_VAL_DURATION } }, "--state",
	  "--timeout", false, "wait NAME --state S [--timeout D]", "wait until a node is in a state" },
	{ "reload", IPC_AT_OTPD, true, 0, 0, A(0), { { "--keep-running", IPC_VAL_FLAG } }, "",
	  "", false, "reload [--keep-running]", "read the configuration again, apply the difference" },
	{ "reexec", IPC_AT_OTPD, true, 0, 0, A(0), { { "--binary", IPC_VAL_FILE } }, "", "",
	  false, "reexec [--binary PATH]", "replace otpd's image (or run PATH), keeping every child" },
	{ "upgrade", IPC_AT_OTPD, true, 0, 0, A(0),
	  { { "-c", IPC_VAL_FILE }, { "--within", IPC_VAL_DURATION }, { "--binary", IPC_VAL_FILE } },
	  "", "--within", false, "upgrade -c NEW | --binary PATH [--within D]",
	  "apply a new configuration, watch the tree, roll back if it fails" },
	{ "shutdown", IPC_AT_OTPD, true, 0, 0, A(0), NONE, "", "", false, "shutdown",
	  "stop the tree and otpd" },
	{ "poweroff", IPC_AT_OTPD, true, 0, 0, A(0), NONE, "", "", false, "poweroff",
	  "stop the tree, then power off (PID 1 of a VM; elsewhere: shutdown)" },
	{ "reboot", IPC_AT_OTPD, true, 0, 0, A(0), NONE, "", "", false, "reboot",
	  "stop the tree, then reboot (PID 1 of a VM; elsewhere: shutdown)" },
	{ "halt", IPC_AT_OTPD, true, 0, 0, A(0), NONE, "", "", false, "halt",
	  "stop the tree, then halt (PID 1 of a VM; elsewhere: shutdown)" },
	{ "events", IPC_AT_OTPD, true, 0, 0, A(0),
	  { { "--since", IPC_VAL_SEQ }, { "--no-follow", IPC_VAL_FLAG } }, "", "", false,
	  "events [--since SEQ] [--no-follow]",
	  "follow what happens: starts, exits with crash reports, restarts, give-ups" },
	{ "metrics", IPC_AT_OTPD, true, 0, 0, A(0), NONE, "", "", false, "metrics",
	  "the tree's numbers in the Prometheus text format" },
	{ "health", IPC_AT_OTPD, true, 0, 0, A(0), NONE, "", "", false, "health",
	  "exit 0 when every permanent worker runs and no supervisor restarts" },
	{ "import", IPC_AT_LOCAL, true, 2, 2, A(IPC_ARG_KIND, IPC_ARG_FILE), NONE, "", "",
	  false, "import supervisord|procfile|systemd FILE", "print an otp.conf for another tool's file" },
	{ "completion", IPC_AT_LOCAL, true, 1, 1, A(IPC_ARG_SHELL), NONE, "", "", false,
	  "completion bash|zsh|fish", "print otpctl's completion script for a shell" },
	{ .name = "" },     /* the end */
};

const struct ipc_verb *ipc_verb_find(const char *name)
{
	for (const struct ipc_verb *v = ipc_verbs; v->name[0]; v++)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

bool ipc_state_valid(const char *s)
{
	for (const char *const *p = ipc_states; *p; p++)
		if (strcmp(s, *p) == 0)
			return true;
	return false;
}

static bool count_valid(const char *v)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	return *v >= '0' && *v <= '9' && *end == '\0' && errno == 0 && n <= 1000000000ul;
}

static bool seq_valid(const char *v)
{
	char *end;

	errno = 0;
	(void)strtoull(v, &end, 10);
	return *v >= '0' && *v <= '9' && *end == '\0' && errno == 0;
}

bool ipc_value_valid(enum ipc_val kind, const char *v)
{
	int64_t ms;

	switch (kind) {
	case IPC_VAL_FLAG: return true;
	case IPC_VAL_WORD:
	case IPC_VAL_FILE: return v[0] != '\0';
	case IPC_VAL_DURATION: return util_parse_duration(v, &ms) == 0 && ms >= 0;
	case IPC_VAL_COUNT: return count_valid(v);
	case IPC_VAL_STATE: return ipc_state_valid(v);
	case IPC_VAL_SEQ: return seq_valid(v);
	}
	return false;
}

int ipc_verb_opt(const struct ipc_verb *v, const char *name)
{
	for (int i = 0; i < IPC_OPTS_MAX && v->opts[i].name[0]; i++)
		if (strcmp(v->opts[i].name, name) == 0)
			return i;
	return -1;
}

static int fail(const char **ret_why, const char **ret_arg, const char *why, const char *arg)
{
	*ret_why = why;
	*ret_arg = arg;
	return -EINVAL;
}

/* Take option argv[*i]; 0 or -EINVAL. */
static int take_opt(struct ipc_req *q, int argc, char *const *argv, int *i, const char **ret_why,
		    const char **ret_arg)
{
	const struct ipc_verb *v = q->verb;
	int k = ipc_verb_opt(v, argv[*i]);

	if (k < 0)
		return fail(ret_why, ret_arg, "unknown option", argv[*i]);
	if (q->opt[k])
		return fail(ret_why, ret_arg, "option given twice", argv[*i]);
	if (v->opts[k].val == IPC_VAL_FLAG) {
		q->opt[k] = argv[*i];
		return 0;
	}
	if (*i + 1 >= argc)
		return fail(ret_why, ret_arg, "option needs a value", argv[*i]);
	q->opt[k] = argv[++*i];
	if (!ipc_value_valid(v->opts[k].val, q->opt[k]))
		return fail(ret_why, ret_arg, "bad value", q->opt[k]);
	return 0;
}

int ipc_verb_parse(int argc, char *const *argv, struct ipc_req *q, const char **ret_why,
		  const char **ret_arg)
{
	int r;

	memset(q, 0, sizeof(*q));
	*ret_arg = NULL;
	if (argc < 1 || !(q->verb = ipc_verb_find(argv[0]))) {
		(void)fail(ret_why, ret_arg, "unknown verb", argc > 0 ? argv[0] : NULL);
		return -ENOENT;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0) {
			q->json = true;
		} else if (q->verb->rest && strcmp(a, "--") == 0) {
			q->rest = argv + i + 1;
			q->nrest = argc - i - 1;
			break;
		} else if (a[0] == '-' && a[1] != '\0') {
			if ((r = take_opt(q, argc, argv, &i, ret_why, ret_arg)) < 0)
				return r;
		} else if (q->npos == q->verb->max) {
			return fail(ret_why, ret_arg, "too many arguments", a);
		} else {
			q->pos[q->npos++] = a;
		}
	}
	/* "--all" stands for the positional NAME (logs --reopen --all). */
	if (ipc_req_opt(q, "--all") && q->npos > 0)
		return fail(ret_why, ret_arg, "a name and --all", q->pos[0]);
	if (q->npos < q->verb->min && !ipc_req_opt(q, "--all"))
		return fail(ret_why, ret_arg, "missing argument", NULL);
	if (q->verb->required[0] && !ipc_req_opt(q, q->verb->required))
		return fail(ret_why, ret_arg, "missing option", q->verb->required);
	return 0;
}

const char *ipc_req_opt(const struct ipc_req *q, const char *name)
{
	int k = ipc_verb_opt(q->verb, name);

	return k < 0 ? NULL : q->opt[k];
}
