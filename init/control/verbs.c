/*
 * verbs.c: one function per otpctl verb (otpctl(1)).
 *
 * otpctl checks usage before sending, but otpd trusts no client: every
 * request is parsed again here, against the same table of verbs
 * (ipc/verbs.c).  Each verb ends its client (reply + IPC_END), or hands it
 * to control.c to wait for the core's reply, a state, or log lines.
 *
 * A command for the core gets the client as its requester BEFORE the core
 * is called: the reply may come back before the core_cmd_* returns.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "../../util/util.h"
#include "../cgroup/cgroup.h"
#include "../core.h"
#include "../worker/worker.h"
#include "client.h"
#include "json.h"

/* A request, parsed against the shared table (ipc.h). */
#define cv_req ipc_req

/* Find node `name`, or reply not_found. */
static struct sup_node *cv_find(struct ctl_client *cl, const char *name)
{
	struct sup_node *n = core_find(name);

	if (!n)
		ctl_client_fail(cl, IPC_EXIT_REFUSED, "not_found", "%s: not_found", name);
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
		ctl_client_fail(cl, IPC_EXIT_REFUSED, "not_supervisor", "%s: not a supervisor",
				q->pos[0]);
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

static int64_t cv_duration(const struct cv_req *q, const char *opt, int64_t dflt);

/* --overlap --timeout: how long the new process may take to be ready. */
#define CV_OVERLAP_TIMEOUT_MS 30000

static void cv_restart(struct ctl_client *cl, const struct cv_req *q)
{
	struct sup_node *n;
	int64_t ready_ms;

	if (!ipc_req_opt(q, "--overlap")) {
		if (ipc_req_opt(q, "--timeout")) {
			ctl_client_fail(cl, IPC_EXIT_USAGE, "usage", "restart: --timeout goes with --overlap");
			return;
		}
		core_cmd_restart(q->pos[0], ctl_client_await_reply(cl, q->pos[0], false));
		return;
	}
	if (!(n = cv_find(cl, q->pos[0])))
		return;
	if (sup_node_type(n) != SUP_WORKER) {
		ctl_client_fail(cl, IPC_EXIT_REFUSED, "not_worker", "%s: not a worker (--overlap)",
				q->pos[0]);
		return;
	}
	/* The worker's ready_timeout, else 30 s: a new process never ready is stopped. */
	ready_ms = sup_node_spec(n)->ready_timeout_ms;
	core_cmd_overlap(q->pos[0], cv_duration(q, "--timeout", ready_ms > 0 ? ready_ms
							     : CV_OVERLAP_TIMEOUT_MS),
			 ctl_client_await_reply(cl, q->pos[0], false));
}

static void cv_delete(struct ctl_client *cl, const struct cv_req *q)
{
	core_cmd_delete(q->pos[0], ctl_client_await_reply(cl, q->pos[0], false));
}

static void cv_kill(struct ctl_client *cl, const struct cv_req *q)
{
	int signo = SIGTERM;

	if (q->npos > 1 && util_parse_signal(q->pos[1], &signo) < 0) {
		ctl_client_fail(cl, IPC_EXIT_USAGE, "usage", "kill: bad signal: %s", q->pos[1]);
		return;
	}
	core_cmd_kill(q->pos[0], signo, ctl_client_await_reply(cl, q->pos[0], false));
}

static void cv_start_child(struct ctl_client *cl, const struct cv_req *q)
{
	const char *name = ipc_req_opt(q, "--name");
	struct core_req *r = ctl_client_await_reply(cl, name ? name : q->pos[0], true);

	core_cmd_start_child(q->pos[0], name, q->nrest, q->rest, r);
}

/* Context for printing ring entries to a client. */
struct cv_lines {
	struct ctl_client *cl;
	const char *name;
	enum logs_fmt fmt;
	bool follow;
	unsigned long dropped;
};

static void cv_logs_line(void *data, const struct log_entry *e)
{
	struct cv_lines *x = data;

	if (x->dropped > 0 || ctl_client_entry(x->cl, x->name, e, x->fmt, x->follow) < 0)
		x->dropped++;
}

/* A duration option the table has checked already, in ms; `dflt` when absent. */
static int64_t cv_duration(const struct cv_req *q, const char *opt, int64_t dflt)
{
	const char *v = ipc_req_opt(q, opt);
	int64_t ms = dflt;

	if (v)
		(void)util_parse_duration(v, &ms);
	return ms;
}

/* logs --reopen NAME|--all: close output files; the next line opens them. */
static void cv_logs_reopen(struct ctl_client *cl, const struct cv_req *q)
{
	bool all = ipc_req_opt(q, "--all");
	struct sup_node *n;
	struct ws *w;

	if (all == (q->npos == 1) || ipc_req_opt(q, "-f") || ipc_req_opt(q, "-n") ||
	    ipc_req_opt(q, "--time")) {
		ctl_client_fail(cl, IPC_EXIT_USAGE, "usage", "usage: logs --reopen NAME|--all");
		return;
	}
	if (all) {
		ws_reopen_logs();
	} else {
		if (!(n = cv_find(cl, q->pos[0])))
			return;
		w = sup_node_type(n) == SUP_WORKER ? ws_of(n) : NULL;
		if (!w || !w->sink) {
			ctl_client_fail(cl, IPC_EXIT_REFUSED, "not_worker", "%s: not a worker", q->pos[0]);
			return;
		}
		out_sink_reopen(w->sink);
	}
	ctl_client_ok(cl, NULL, true);
}

static void cv_logs(struct ctl_client *cl, const struct cv_req *q)
{
	const char *lines = ipc_req_opt(q, "-n");
	bool follow = ipc_req_opt(q, "-f");
	unsigned count = lines ? (unsigned)strtoul(lines, NULL, 10) : 0;
	struct cv_lines x = { .cl = cl, .follow = follow,
			      .fmt = q->json ? LOGS_JSON : ipc_req_opt(q, "--time") ? LOGS_TIME
										  : LOGS_PLAIN };
	struct sup_node *n;
	struct ws *w;

	if (ipc_req_opt(q, "--reopen")) {
		cv_logs_reopen(cl, q);
		return;
	}
	if (q->npos != 1 || ipc_req_opt(q, "--all")) {
		ctl_client_fail(cl, IPC_EXIT_USAGE, "usage", "usage: logs NAME [-f] [-n N] [--time]");
		return;
	}
	if (!(n = cv_find(cl, q->pos[0])))
		return;
	x.name = sup_node_name(n);
	w = sup_node_type(n) == SUP_WORKER ? ws_of(n) : NULL;
	if (!w || !ws_ring(w)) {
		ctl_client_fail(cl, IPC_EXIT_REFUSED, "not_worker", "%s: no logs (not a worker)",
				q->pos[0]);
		return;
	}
	/* Following: subscribe first, so the backlog is printed the same way. */
	if (follow && ctl_client_follow(cl, ws_ring(w), q->pos[0], x.fmt) < 0) {
		ctl_client_fail(cl, IPC_EXIT_REFUSED, "out_of_memory", "%s: out of memory", q->pos[0]);
		return;
	}
	/* "-n 0" prints nothing (the ring reads 0 as "all"). */
	if (q->json && !follow)
		logs_render_json(ctl_client_conn(cl), n, lines && !count ? NULL : ws_ring(w), count);
	else if (!lines || count > 0)
		log_ring_each(ws_ring(w), count, x.fmt != LOGS_PLAIN || follow, cv_logs_line, &x);
	if (x.dropped)
		(void)ipc_conn_printf(ctl_client_conn(cl), IPC_ERR,
				      "otpctl: %lu lines dropped (reply too large)\n", x.dropped);
	if (!follow)
		ctl_client_end(cl, IPC_EXIT_OK);
}

static void cv_wait(struct ctl_client *cl, const struct cv_req *q)
{
	const char *state = ipc_req_opt(q, "--state");     /* required, a valid state */
	int64_t ms = cv_duration(q, "--timeout", -1);
	struct sup_node *n;

	if (!(n = cv_find(cl, q->pos[0])))
		return;
	if (strcmp(ctl_node_state(n), state) == 0) {
		ctl_client_ok(cl, NULL, false);
		return;
	}
	ctl_client_await_state(cl, q->pos[0], state, ms < 0 ? INT64_MAX : ev_after(ms), false);
}

/*
 * freeze: the kernel freezes asynchronously; the verb returns once
 * cgroup.events says frozen (or exit 4 at --timeout, default 5s, with the
 * cgroup left freezing: `thaw` undoes it).  A worker must be running.
 */
static void cv_freeze(struct ctl_client *cl, const struct cv_req *q)
{
	int64_t ms = cv_duration(q, "--timeout", 5000);
	struct sup_node *n;
	int r;

	if (!(n = cv_find(cl, q->pos[0])))
		return;
	if (sup_node_type(n) == SUP_WORKER && sup_node_state(n) != SUP_RUNNING) {
		ctl_client_fail(cl, IPC_EXIT_REFUSED, "not_running", "%s: not_running", q->pos[0]);
		return;
	}
	if ((r = cgroup_freeze(n, true)) < 0) {
		ctl_client_fail(cl, IPC_EXIT_REFUSED, r == -EOPNOTSUPP ? "no_cgroups" : "failed",
				"freeze %s: %s", q->pos[0],
				r == -EOPNOTSUPP ? "otpd runs without cgroups" : strerror(-r));
		return;
	}
	if (r == 0) {
		core_node_shown(n);
		ctl_client_ok(cl, NULL, true);
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
		ctl_client_fail(cl, IPC_EXIT_REFUSED, r == -EOPNOTSUPP ? "no_cgroups" : "failed",
				"thaw %s: %s", q->pos[0],
				r == -EOPNOTSUPP ? "otpd runs without cgroups" : strerror(-r));
		return;
	}
	core_node_shown(n);
	ctl_client_ok(cl, NULL, true);
}

/*
 * shutdown, poweroff, reboot, halt: answer first, then act.  The power
 * action is carried out by PID 1 of a machine only; elsewhere (a
 * container, a service) the verbs are a shutdown, and otpd exits with the
 * tree's status (main.c).
 */
static void cv_halt(struct ctl_client *cl, int how)
{
	ctl_client_ok(cl, NULL, true);
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
	core_reload(ctl_client_await_reload(cl), ipc_req_opt(q, "--keep-running") != NULL);
}

/*
 * What otpd runs (a configuration, a binary) is chosen by root or otpd's
 * own user only, not by the control_group: false, and cl told, otherwise.
 */
static bool cv_may_choose_binary(struct ctl_client *cl, const char *verb)
{
	uid_t uid = ipc_conn_uid(ctl_client_conn(cl));

	if (uid == 0 || uid == geteuid())
		return true;
	ctl_client_fail(cl, IPC_EXIT_REFUSED, "permission_denied",
			"%s: only root or otpd's own user may choose what otpd runs", verb);
	return false;
}

/* reexec [--binary PATH]: its answer comes from the new image (otpd(8), RE-EXECUTION). */
static void cv_reexec(struct ctl_client *cl, const struct cv_req *q)
{
	if (ipc_req_opt(q, "--binary") && !cv_may_choose_binary(cl, "reexec"))
		return;
	core_reexec(ipc_req_opt(q, "--binary"), NULL, ctl_client_await_talk(cl, "reexec"));
}

/*
 * upgrade -c NEW [--within D] (otpctl(1) UPGRADE).  NEW says what otpd
 * runs, as root maybe: only root and otpd's own user may ask (not the
 * control_group).  otpctl sends NEW as an absolute path (otpd does not
 * know the client's directory).  --binary PATH: upgrade_binary.c.
 */
static void cv_upgrade(struct ctl_client *cl, const struct cv_req *q)
{
	const char *path = ipc_req_opt(q, "-c"), *binary = ipc_req_opt(q, "--binary");

	if (!cv_may_choose_binary(cl, "upgrade"))
		return;
	if (!path == !binary) {
		ctl_client_fail(cl, IPC_EXIT_USAGE, "usage", "upgrade: -c NEW or --binary PATH, "
				"one at a time");
		return;
	}
	if (binary) {
		core_upgrade_binary(ctl_client_await_talk(cl, "upgrade"), binary,
				    cv_duration(q, "--within", -1));
		return;
	}
	if (path[0] != '/') {
		ctl_client_fail(cl, IPC_EXIT_USAGE, "usage", "upgrade: -c needs an absolute path: %s",
				path);
		return;
	}
	core_upgrade(ctl_client_await_upgrade(cl), path, cv_duration(q, "--within", -1));
}

/*
 * events [--since SEQ] [--no-follow]: the stream of events (events.h),
 * from the one after SEQ, or (following) from the next one.
 */
static void cv_events(struct ctl_client *cl, const struct cv_req *q)
{
	const char *since = ipc_req_opt(q, "--since");

	(void)ctl_client_events(cl, since != NULL, since ? strtoull(since, NULL, 10) : 0,
				!ipc_req_opt(q, "--no-follow"));
}

static void cv_metrics(struct ctl_client *cl, const struct cv_req *q)
{
	metrics_render(ctl_client_conn(cl), q->json);
	ctl_client_end(cl, IPC_EXIT_OK);
}

static void cv_health(struct ctl_client *cl, const struct cv_req *q)
{
	ctl_client_end(cl, health_render(ctl_client_conn(cl), q->json));
}

/* What otpd does for each verb of the table that otpd answers. */
static const struct {
	const char *name;
	void (*fn)(struct ctl_client *cl, const struct cv_req *q);
} cv_handlers[] = {
	{ "status", cv_status },           { "count", cv_count },
	{ "start", cv_start },             { "stop", cv_stop },
	{ "restart", cv_restart },         { "delete-child", cv_delete },
	{ "kill", cv_kill },               { "start-child", cv_start_child },
	{ "logs", cv_logs },               { "wait", cv_wait },
	{ "freeze", cv_freeze },           { "thaw", cv_thaw },
	{ "reload", cv_reload },           { "upgrade", cv_upgrade },
	{ "shutdown", cv_shutdown },
	{ "poweroff", cv_poweroff },       { "reboot", cv_reboot },
	{ "halt", cv_halt_verb },           { "events", cv_events },
	{ "metrics", cv_metrics },         { "health", cv_health },
	{ "reexec", cv_reexec },
};

void ctl_dispatch(struct ctl_client *cl, int argc, const char **argv)
{
	const char *why, *arg;
	struct cv_req q;
	int r = ipc_verb_parse(argc, (char *const *)argv, &q, &why, &arg);

	if (r == -ENOENT) {
		ctl_client_fail(cl, IPC_EXIT_USAGE, "usage", "unknown verb: %.64s", argv[0]);
		return;
	}
	for (size_t i = 0; q.verb->available && i < sizeof(cv_handlers) / sizeof(cv_handlers[0]);
	     i++) {
		if (strcmp(q.verb->name, cv_handlers[i].name) != 0)
			continue;
		if (r < 0)
			ctl_client_fail(cl, IPC_EXIT_USAGE, "usage", "%s: %s%s%s\nusage: otpctl %s",
					q.verb->name, why, arg ? ": " : "", arg ? arg : "",
					q.verb->usage);
		else
			cv_handlers[i].fn(cl, &q);
		return;
	}
	ctl_client_fail(cl, IPC_EXIT_USAGE, "unavailable", q.verb->where == IPC_AT_OTPD
				? "%s is not available in this version of otpd"
				: "%s is otpctl's own, not otpd's", q.verb->name);
}
