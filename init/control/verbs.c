/*
 * verbs.c: one function per otpctl verb (otpctl(1)).
 *
 * otpctl checks usage before sending, but otpd trusts no client: every
 * request is parsed again here.  "--json" may appear anywhere after the
 * verb (except after the "--" of start-child, where everything belongs to
 * the child).  Each verb ends its client (reply + IPC_END), or hands it to
 * control.c to wait for the core's reply, a state, or log lines.
 *
 * A command for the core gets the client as its requester BEFORE the core
 * is called: the reply may come back before the core_cmd_* returns.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>

#include "../cgroup/cgroup.h"
#include "../core.h"
#include "../worker/worker.h"
#include "client.h"
#include "json.h"

#define CV_POS_MAX 2

/* A request, parsed. */
struct cv_req {
	const char *verb;
	const char *pos[CV_POS_MAX];
	int npos;
	bool json, follow, keep_running;
	const char *name_opt, *state, *timeout, *lines;
	int nrest;
	char *const *rest;              /* start-child: after "--" */
};

/* Options a verb accepts. */
enum { CV_O_NAME = 1, CV_O_STATE = 2, CV_O_TIMEOUT = 4, CV_O_LINES = 8, CV_O_FOLLOW = 16,
       CV_O_REST = 32, CV_O_KEEP = 64 };

struct cv_verb {
	const char *name;
	int min, max;                   /* positional arguments */
	unsigned opts;
	void (*fn)(struct ctl_client *cl, const struct cv_req *q);
	const char *usage;
};

static void cv_usage(struct ctl_client *cl, const struct cv_verb *v, const char *why,
		     const char *arg)
{
	ctl_client_fail(cl, IPC_EXIT_USAGE, "otpctl: %s: %s%s%s\nusage: otpctl %s", v->name, why,
			arg ? ": " : "", arg ? arg : "", v->usage);
}

/* The value slot of option `s` if verb `v` takes it, else NULL. */
static const char **cv_opt_slot(const struct cv_verb *v, struct cv_req *q, const char *s)
{
	if ((v->opts & CV_O_NAME) && strcmp(s, "--name") == 0)
		return &q->name_opt;
	if ((v->opts & CV_O_STATE) && strcmp(s, "--state") == 0)
		return &q->state;
	if ((v->opts & CV_O_TIMEOUT) && strcmp(s, "--timeout") == 0)
		return &q->timeout;
	if ((v->opts & CV_O_LINES) && strcmp(s, "-n") == 0)
		return &q->lines;
	return NULL;
}

/* Parse argv for verb `v`; false after a usage reply. */
static bool cv_parse(struct ctl_client *cl, const struct cv_verb *v, int argc,
		     const char **argv, struct cv_req *q)
{
	const char **slot;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0) {
			q->json = true;
		} else if ((v->opts & CV_O_REST) && strcmp(a, "--") == 0) {
			q->rest = (char *const *)(argv + i + 1);
			q->nrest = argc - i - 1;
			break;
		} else if ((v->opts & CV_O_FOLLOW) && strcmp(a, "-f") == 0) {
			q->follow = true;
		} else if ((v->opts & CV_O_KEEP) && strcmp(a, "--keep-running") == 0) {
			q->keep_running = true;
		} else if ((slot = cv_opt_slot(v, q, a))) {
			if (i + 1 >= argc || *slot) {
				cv_usage(cl, v, *slot ? "option given twice" : "option needs a value", a);
				return false;
			}
			*slot = argv[++i];
		} else if (a[0] == '-' && a[1] != '\0') {
			cv_usage(cl, v, "unknown option", a);
			return false;
		} else if (q->npos == v->max) {
			cv_usage(cl, v, "too many arguments", a);
			return false;
		} else {
			q->pos[q->npos++] = a;
		}
	}
	if (q->npos < v->min) {
		cv_usage(cl, v, "missing argument", NULL);
		return false;
	}
	return true;
}

/* Find node `name`, or reply not_found. */
static struct sup_node *cv_find(struct ctl_client *cl, const char *name)
{
	struct sup_node *n = core_find(name);

	if (!n)
		ctl_client_fail(cl, IPC_EXIT_REFUSED, "otpctl: %s: not_found", name);
	return n;
}

static void cv_status(struct ctl_client *cl, const struct cv_req *q)
{
	struct sup_node *n = q->npos ? cv_find(cl, q->pos[0]) : core_root();

	if (!n)
		return;
	status_render(ctl_client_conn(cl), n, q->json);
	ctl_client_end(cl, IPC_EXIT_OK);
}

static void cv_count(struct ctl_client *cl, const struct cv_req *q)
{
	struct sup_node *n = q->npos ? cv_find(cl, q->pos[0]) : core_root();

	if (!n)
		return;
	if (sup_node_type(n) != SUP_SUPERVISOR) {
		ctl_client_fail(cl, IPC_EXIT_REFUSED, "otpctl: %s: not a supervisor", q->pos[0]);
		return;
	}
	count_render(ctl_client_conn(cl), n, q->json);
	ctl_client_end(cl, IPC_EXIT_OK);
}

static void cv_start(struct ctl_client *cl, const struct cv_req *q)
{
	core_cmd_start(q->pos[0], ctl_client_await_reply(cl, q->pos[0], false));
}

static void cv_stop(struct ctl_client *cl, const struct cv_req *q)
{
	core_cmd_stop(q->pos[0], ctl_client_await_reply(cl, q->pos[0], false));
}

static void cv_restart(struct ctl_client *cl, const struct cv_req *q)
{
	core_cmd_restart(q->pos[0], ctl_client_await_reply(cl, q->pos[0], false));
}

static void cv_delete(struct ctl_client *cl, const struct cv_req *q)
{
	core_cmd_delete(q->pos[0], ctl_client_await_reply(cl, q->pos[0], false));
}

static void cv_kill(struct ctl_client *cl, const struct cv_req *q)
{
	int signo = SIGTERM;

	if (q->npos > 1 && cfg_parse_signal(q->pos[1], &signo) < 0) {
		ctl_client_fail(cl, IPC_EXIT_USAGE, "otpctl: kill: bad signal: %s", q->pos[1]);
		return;
	}
	core_cmd_kill(q->pos[0], signo, ctl_client_await_reply(cl, q->pos[0], false));
}

static void cv_start_child(struct ctl_client *cl, const struct cv_req *q)
{
	struct core_req *r = ctl_client_await_reply(cl, q->name_opt ? q->name_opt : q->pos[0], true);

	core_cmd_start_child(q->pos[0], q->name_opt, q->nrest, q->rest, r);
}

/* Context for printing ring lines to a client. */
struct cv_lines {
	struct ctl_client *cl;
	unsigned long dropped;
};

static void cv_logs_line(void *data, const char *line, size_t len)
{
	struct cv_lines *x = data;

	if (x->dropped > 0 || ctl_client_line(x->cl, line, len) < 0)
		x->dropped++;
}

/* "-n N": 0 or more lines; false if not a count. */
static bool cv_parse_count(const char *s, unsigned *ret_n)
{
	unsigned long v;
	char *end;

	if (!s)
		return *ret_n = 0, true;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v > 1000000000ul)
		return false;
	*ret_n = (unsigned)v;
	return true;
}

static void cv_logs(struct ctl_client *cl, const struct cv_req *q)
{
	struct cv_lines x = { .cl = cl };
	struct sup_node *n;
	struct ws *w;
	unsigned count;

	if (!cv_parse_count(q->lines, &count)) {
		ctl_client_fail(cl, IPC_EXIT_USAGE, "otpctl: logs: bad line count: %s", q->lines);
		return;
	}
	if (!(n = cv_find(cl, q->pos[0])))
		return;
	w = sup_node_type(n) == SUP_WORKER ? ws_of(n) : NULL;
	if (!w || !w->ring) {
		ctl_client_fail(cl, IPC_EXIT_REFUSED, "otpctl: %s: no logs (not a worker)", q->pos[0]);
		return;
	}
	/* Following: subscribe first, so the backlog is printed the same way. */
	if (q->follow && ctl_client_follow(cl, w->ring, q->pos[0], q->json) < 0) {
		ctl_client_fail(cl, IPC_EXIT_REFUSED, "otpctl: %s: out of memory", q->pos[0]);
		return;
	}
	/* "-n 0" prints nothing (the ring reads 0 as "all"). */
	if (q->json && !q->follow)
		logs_render_json(ctl_client_conn(cl), n, q->lines && !count ? NULL : w->ring, count);
	else if (!q->lines || count > 0)
		log_ring_each(w->ring, count, cv_logs_line, &x);
	if (x.dropped)
		(void)ipc_conn_printf(ctl_client_conn(cl), IPC_ERR,
				      "otpctl: %lu lines dropped (reply too large)\n", x.dropped);
	if (!q->follow)
		ctl_client_end(cl, IPC_EXIT_OK);
}

static bool cv_state_valid(const char *s)
{
	static const char *const states[] = { "starting",   "running", "stopping", "stopped",
					      "restarting", "failed",  "frozen" };

	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(s, states[i]) == 0)
			return true;
	return false;
}

static void cv_wait(struct ctl_client *cl, const struct cv_req *q)
{
	int64_t ms = -1;
	struct sup_node *n;

	if (!q->state || !cv_state_valid(q->state)) {
		ctl_client_fail(cl, IPC_EXIT_USAGE, "otpctl: wait: %s: %s",
				q->state ? "bad state" : "missing option --state",
				q->state ? q->state : "starting|running|stopping|stopped|"
						      "restarting|failed");
		return;
	}
	if (q->timeout && (cfg_parse_duration(q->timeout, &ms) < 0 || ms < 0)) {
		ctl_client_fail(cl, IPC_EXIT_USAGE, "otpctl: wait: bad timeout: %s", q->timeout);
		return;
	}
	if (!(n = cv_find(cl, q->pos[0])))
		return;
	if (strcmp(ctl_node_state(n), q->state) == 0) {
		ctl_client_end(cl, IPC_EXIT_OK);
		return;
	}
	ctl_client_await_state(cl, q->pos[0], q->state, ms < 0 ? INT64_MAX : ev_after(ms), false);
}

/*
 * freeze: the kernel freezes asynchronously; the verb returns once
 * cgroup.events says frozen (or exit 4 at --timeout, default 5s, with the
 * cgroup left freezing: `thaw` undoes it).  A worker must be running.
 */
static void cv_freeze(struct ctl_client *cl, const struct cv_req *q)
{
	int64_t ms = 5000;
	struct sup_node *n;
	int r;

	if (q->timeout && (cfg_parse_duration(q->timeout, &ms) < 0 || ms < 0)) {
		ctl_client_fail(cl, IPC_EXIT_USAGE, "otpctl: freeze: bad timeout: %s", q->timeout);
		return;
	}
	if (!(n = cv_find(cl, q->pos[0])))
		return;
	if (sup_node_type(n) == SUP_WORKER && sup_node_state(n) != SUP_RUNNING) {
		ctl_client_fail(cl, IPC_EXIT_REFUSED, "otpctl: %s: not_running", q->pos[0]);
		return;
	}
	if ((r = cgroup_freeze(n, true)) < 0) {
		ctl_client_fail(cl, IPC_EXIT_REFUSED, "otpctl: freeze %s: %s", q->pos[0],
				r == -EOPNOTSUPP ? "otpd runs without cgroups" : strerror(-r));
		return;
	}
	if (r == 0) {
		(void)ipc_conn_printf(ctl_client_conn(cl), IPC_OUT, "ok\n");
		ctl_client_end(cl, IPC_EXIT_OK);
		return;
	}
	ctl_client_await_state(cl, q->pos[0], "frozen", ev_after(ms), true);
}

static void cv_thaw(struct ctl_client *cl, const struct cv_req *q)
{
	struct sup_node *n = cv_find(cl, q->pos[0]);
	int r;

	if (!n)
		return;
	if ((r = cgroup_freeze(n, false)) < 0) {
		ctl_client_fail(cl, IPC_EXIT_REFUSED, "otpctl: thaw %s: %s", q->pos[0],
				r == -EOPNOTSUPP ? "otpd runs without cgroups" : strerror(-r));
		return;
	}
	core_node_shown(n);
	(void)ipc_conn_printf(ctl_client_conn(cl), IPC_OUT, "ok\n");
	ctl_client_end(cl, IPC_EXIT_OK);
}

/* shutdown, poweroff, reboot, halt: answer first, then act. */
static void cv_halt(struct ctl_client *cl, int how)
{
	if (how && !core_pid1()) {
		ctl_client_fail(cl, IPC_EXIT_REFUSED, "otpctl: only as PID 1");
		return;
	}
	(void)ipc_conn_printf(ctl_client_conn(cl), IPC_OUT, "ok\n");
	ctl_client_end(cl, IPC_EXIT_OK);
	core_shutdown(how);
}

static void cv_shutdown(struct ctl_client *cl, const struct cv_req *q) { cv_halt(cl, 0); }
static void cv_poweroff(struct ctl_client *cl, const struct cv_req *q) { cv_halt(cl, RB_POWER_OFF); }
static void cv_reboot(struct ctl_client *cl, const struct cv_req *q) { cv_halt(cl, RB_AUTOBOOT); }
static void cv_halt_verb(struct ctl_client *cl, const struct cv_req *q)
{
	cv_halt(cl, RB_HALT_SYSTEM);
}

static void cv_reload(struct ctl_client *cl, const struct cv_req *q)
{
	core_reload(ctl_client_await_reload(cl), q->keep_running);
}

static const struct cv_verb cv_verbs[] = {
	{ "status", 0, 1, 0, cv_status, "status [NAME] [--json]" },
	{ "count", 0, 1, 0, cv_count, "count [SUP] [--json]" },
	{ "start", 1, 1, 0, cv_start, "start NAME" },
	{ "stop", 1, 1, 0, cv_stop, "stop NAME" },
	{ "restart", 1, 1, 0, cv_restart, "restart NAME" },
	{ "delete-child", 1, 1, 0, cv_delete, "delete-child NAME" },
	{ "kill", 1, 2, 0, cv_kill, "kill NAME [SIG]" },
	{ "start-child", 1, 1, CV_O_NAME | CV_O_REST, cv_start_child,
	  "start-child SUP [--name N] [-- ARGS...]" },
	{ "logs", 1, 1, CV_O_LINES | CV_O_FOLLOW, cv_logs, "logs NAME [-f] [-n N]" },
	{ "wait", 1, 1, CV_O_STATE | CV_O_TIMEOUT, cv_wait, "wait NAME --state S [--timeout D]" },
	{ "freeze", 1, 1, CV_O_TIMEOUT, cv_freeze, "freeze NAME [--timeout D]" },
	{ "thaw", 1, 1, 0, cv_thaw, "thaw NAME" },
	{ "reload", 0, 0, CV_O_KEEP, cv_reload, "reload [--keep-running]" },
	{ "shutdown", 0, 0, 0, cv_shutdown, "shutdown" },
	{ "poweroff", 0, 0, 0, cv_poweroff, "poweroff" },
	{ "reboot", 0, 0, 0, cv_reboot, "reboot" },
	{ "halt", 0, 0, 0, cv_halt_verb, "halt" },
};

/* Verbs otpctl(1) lists that this version does not implement yet. */
static const char *const cv_later[] = { "call", "cast", "reexec", "upgrade" };

void ctl_dispatch(struct ctl_client *cl, int argc, const char **argv)
{
	struct cv_req q = { .verb = argv[0] };
	size_t i;

	for (i = 0; i < sizeof(cv_verbs) / sizeof(cv_verbs[0]); i++) {
		if (strcmp(argv[0], cv_verbs[i].name) != 0)
			continue;
		if (cv_parse(cl, &cv_verbs[i], argc, argv, &q))
			cv_verbs[i].fn(cl, &q);
		return;
	}
	for (i = 0; i < sizeof(cv_later) / sizeof(cv_later[0]); i++) {
		if (strcmp(argv[0], cv_later[i]) == 0) {
			ctl_client_fail(cl, IPC_EXIT_USAGE,
					"otpctl: %s is not available in this version of otpd",
					argv[0]);
			return;
		}
	}
	ctl_client_fail(cl, IPC_EXIT_USAGE, "otpctl: unknown verb: %.64s", argv[0]);
}
