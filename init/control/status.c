/*
 * status.c: `otpctl status` and `otpctl count`, as text or JSON.
 *
 * The tree is walked iteratively (first child, next sibling, back up
 * through parents), never recursively, so no tree depth can overflow the
 * stack.  Output is built in one buffer and queued as one IPC_OUT write:
 * the connection either gets the whole document or an error.
 *
 * Text: a header and one line per node, children indented by two spaces:
 *   NAME  TYPE  STATE  PID  RESTARTS  LAST_EXIT  UPTIME  STATUS
 * While an upgrade is under way, the whole tree's status starts with a line
 * that says so (and its deadline); JSON: an "upgrade" member of the root.
 * JSON: otpctl(1) STATUS; a node is an object, supervisors carry `strategy` and
 * `children` (start order).  `cgroup` is the node's cgroup as
 * /proc/PID/cgroup names it (null without one) and `stats` what it costs
 * (memory_current, memory_peak, cpu_usage_usec, pids_current; null where
 * the controller is not enabled).
 *
 * Stats are read fresh, for the node asked for and for the supervisors
 * below it, never for the workers below it (their `stats` are null, their
 * MEM and CPU "-"): a listing costs one cgroupfs read per supervisor, not
 * one per worker.  Each read is an openat, a read and a close on
 * cgroupfs; with 1,000 workers that made `otpctl status` three to six
 * times slower (bench/PROFILE.md).  `otpctl status NAME` shows a worker's own.
 * systemd does the same: `systemctl status UNIT` reads a unit's cost,
 * listings of many units show none.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../cgroups/cgroups.h"
#include "../cgroup/cgroup.h"
#include "../core.h"
#include "../worker/worker.h"
#include "client.h"
#include "json.h"

#define ST_INDENT 2

/* What status shows of one node, gathered once. */
struct st_row {
	const char *name, *type, *state;
	pid_t pid;                      /* 0: none */
	pid_t overlap_pid;              /* an overlapping restart's other process, 0: none */
	unsigned restarts;
	char last_exit[200];            /* "" when the node never exited */
	int64_t uptime_ms;              /* -1 when not running */
	const char *status;             /* NULL when unset */
	char cgroup[512];               /* "" without one */
	bool has_stats;                 /* st was read (see the top of this file) */
	struct cg_stats st;             /* -1 fields: unknown */
};

const char *ctl_node_state(const struct sup_node *n)
{
	if (sup_node_failed(n))
		return "failed";
	if (sup_node_state(n) == SUP_RUNNING && cgroup_frozen_by(n))
		return "frozen";
	return sup_state_str(sup_node_state(n));
}

/* Are n's stats read when the status of `top` is rendered? */
static bool st_stats_wanted(const struct sup_node *n, const struct sup_node *top)
{
	return n == top || sup_node_type(n) == SUP_SUPERVISOR;
}

/* The node's cgroup, and its stats when `stats` says so and it has one. */
static void st_cgroup_fill(struct sup_node *n, bool stats, struct st_row *r)
{
	struct ws *w = sup_node_type(n) == SUP_WORKER ? ws_of(n) : NULL;
	char rel[sizeof(r->cgroup)];
	const char *why;
	int fd;

	r->cgroup[0] = '\0';
	r->has_stats = false;
	r->st = (struct cg_stats){ -1, -1, -1, -1 };
	if (!cgs.on || (w && !w->cg.made) || cgroup_relpath(n, rel, sizeof(rel)) < 0)
		return;
	if ((size_t)snprintf(r->cgroup, sizeof(r->cgroup), "%s/%s", cgs.base + cgs.mount_len, rel) >=
	    sizeof(r->cgroup))
		r->cgroup[0] = '\0';
	/* Opened only when its stats are shown: a listing reads them for the
	 * node asked for and its supervisors, not for every worker. */
	if (!stats)
		return;
	if ((fd = cgroup_node_open(n, false, &why)) >= 0) {
		cg_stats_read_mask(fd, cgroup_node_controllers(n), &r->st);
		close(fd);
	} else {
		r->cgroup[0] = '\0';   /* not made yet: no child ever ran */
	}
	r->has_stats = r->cgroup[0];
}

static const char *st_strategy_str(enum sup_strategy s)
{
	switch (s) {
	case SUP_ONE_FOR_ONE: return "one_for_one";
	case SUP_ONE_FOR_ALL: return "one_for_all";
	case SUP_REST_FOR_ONE: return "rest_for_one";
	case SUP_SIMPLE_ONE_FOR_ONE: return "simple_one_for_one";
	}
	return "unknown";
}

/* Everything but the cgroup (st_cgroup_fill): no I/O. */
static void st_row_fill(struct sup_node *n, int64_t now, struct st_row *r)
{
	struct sup_reason buf;
	const struct sup_reason *why = sup_node_last_exit(n, &buf);
	bool sup = sup_node_type(n) == SUP_SUPERVISOR;
	struct ws *w = sup ? NULL : ws_of(n);
	int64_t since = sup_node_since(n);

	r->name = sup_node_name(n);
	r->type = sup ? "supervisor" : "worker";
	r->state = ctl_node_state(n);
	r->pid = w ? w->pid : 0;
	r->overlap_pid = overlap_pid(w);
	r->restarts = sup_node_restarts(n);
	r->last_exit[0] = '\0';
	if (why && why->kind != SUP_R_NONE)
		sup_reason_format(why, r->last_exit, sizeof(r->last_exit));
	r->uptime_ms = -1;
	if (sup_node_state(n) == SUP_RUNNING && since >= 0)
		r->uptime_ms = now > since ? now - since : 0;
	r->status = w && w->status && w->status[0] ? w->status : NULL;
	r->cgroup[0] = '\0';
	r->has_stats = false;
}

/*
 * sup_walk_next() with the depth below `top` (*depth, updated) and the
 * levels closed on the way (*ret_up: JSON closes that many children
 * arrays); NULL when the walk is over.
 */
static struct sup_node *st_walk_next(struct sup_node *top, struct sup_node *n, int *depth,
				     int *ret_up)
{
	struct sup_node *nx = sup_walk_next(top, n);
	int d = 0;

	for (struct sup_node *p = nx; p && p != top; p = sup_node_parent(p))
		d++;
	/* Down to a first child closes nothing; anything else closes the
	 * levels between n and nx (all of them at the end). */
	*ret_up = nx && d == *depth + 1 ? 0 : *depth - d;
	*depth = d;
	return nx;
}

/* "3.2s", "5m", "2h", "4d" */
static void st_uptime_fmt(int64_t ms, char *buf, size_t len)
{
	if (ms < 0)
		snprintf(buf, len, "-");
	else if (ms < 60000)
		snprintf(buf, len, "%" PRId64 ".%" PRId64 "s", ms / 1000, ms % 1000 / 100);
	else if (ms < 3600000)
		snprintf(buf, len, "%" PRId64 "m", ms / 60000);
	else if (ms < 86400000)
		snprintf(buf, len, "%" PRId64 "h", ms / 3600000);
	else
		snprintf(buf, len, "%" PRId64 "d", ms / 86400000);
}

/* Widths of the name (with its indent) and last-exit columns. */
static void st_text_widths(struct sup_node *top, int64_t now, size_t *ret_name, size_t *ret_exit)
{
	size_t wname = strlen("NAME"), wexit = strlen("LAST_EXIT"), l;
	struct sup_node *n = top;
	struct st_row r;
	int depth = 0, up;

	while (n) {
		st_row_fill(n, now, &r);
		l = (size_t)depth * ST_INDENT + strlen(r.name);
		wname = l > wname ? l : wname;
		l = r.last_exit[0] ? strlen(r.last_exit) : 1;
		wexit = l > wexit ? l : wexit;
		n = st_walk_next(top, n, &depth, &up);
	}
	*ret_name = wname;
	*ret_exit = wexit;
}

/* A worker's STATUS= as one line: control characters become \xNN. */
static void st_text_clean(struct jbuf *b, const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			jbuf_printf(b, "\\x%02x", (unsigned char)*s);
		else
			jbuf_putn(b, s, 1);
	}
}

/* "512K", "12.3M", "1.1G"; "-" when unknown. */
static void st_bytes_fmt(int64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	double x = (double)v;
	int u = -1;

	if (v < 0) {
		snprintf(buf, len, "-");
		return;
	}
	while (x >= 1024 && u < 3) {
		x /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%" PRId64 "B", v);
	else
		snprintf(buf, len, x < 10 ? "%.1f%c" : "%.0f%c", x, units[u]);
}

static void st_text_row(struct jbuf *b, const struct st_row *r, int depth, size_t wname,
			size_t wexit)
{
	char pid[16], up[32], mem[24], cpu[32];

	if (r->pid > 0)
		snprintf(pid, sizeof(pid), "%d", (int)r->pid);
	else
		snprintf(pid, sizeof(pid), "-");
	st_uptime_fmt(r->uptime_ms, up, sizeof(up));
	jbuf_pad(b, (size_t)depth * ST_INDENT);
	jbuf_printf(b, "%-*s  %-10s  %-10s  %-7s  %8u  %-*s  %-6s",
		    (int)(wname - (size_t)depth * ST_INDENT), r->name, r->type, r->state, pid,
		    r->restarts, (int)wexit, r->last_exit[0] ? r->last_exit : "-", up);
	/* Cost columns only when otpd uses cgroups (else they would be all "-"). */
	if (cgs.on) {
		st_bytes_fmt(r->st.memory_current, mem, sizeof(mem));
		st_uptime_fmt(r->st.cpu_usage_usec < 0 ? -1 : r->st.cpu_usage_usec / 1000, cpu,
			      sizeof(cpu));
		jbuf_printf(b, "  %-6s  %-6s", mem, cpu);
	}
	if (r->overlap_pid > 0)
		jbuf_printf(b, "  overlap:%d", (int)r->overlap_pid);
	if (r->status) {
		jbuf_puts(b, "  ");
		st_text_clean(b, r->status);
	}
	/* Trailing blanks of the padded columns help nobody. */
	while (b->len > 0 && !b->failed && b->p[b->len - 1] == ' ')
		b->p[--b->len] = '\0';
	jbuf_puts(b, "\n");
}

/* An upgrade under way, for the whole tree's status (otpctl(1) UPGRADE):
 * false when there is none or top is not the root. */
static bool st_upgrade(const struct sup_node *top, struct core_upgrade_info *u)
{
	return !sup_node_parent(top) && core_upgrade_info(u);
}

/* The end of the window, mono ms, as "2026-12-07T07:13:59.123Z". */
static void st_deadline_fmt(int64_t deadline, int64_t now, char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	int64_t ms;
	time_t t;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + (deadline - now);
	t = (time_t)(ms / 1000);
	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(buf + strlen(buf), len - strlen(buf), ".%03dZ", (int)(ms % 1000));
}

static void st_upgrade_text(struct jbuf *b, const struct core_upgrade_info *u, int64_t now)
{
	char when[40];

	jbuf_printf(b, "upgrade in progress: %s %s", u->phase, u->config);
	if (u->deadline) {
		st_deadline_fmt(u->deadline, now, when, sizeof(when));
		jbuf_printf(b, " until %s (%" PRId64 "ms left)", when,
			    u->deadline > now ? u->deadline - now : 0);
	}
	jbuf_puts(b, "\n");
}

static void st_upgrade_json(struct jbuf *b, const struct core_upgrade_info *u, int64_t now)
{
	char when[40];

	json_key(b, "upgrade");
	json_obj_begin(b);
	json_kv_str(b, "phase", u->phase);
	json_kv_str(b, "config", u->config);
	json_kv_int(b, "within_ms", u->within_ms);
	if (u->deadline) {
		st_deadline_fmt(u->deadline, now, when, sizeof(when));
		json_kv_str(b, "deadline", when);
		json_kv_int(b, "remaining_ms", u->deadline > now ? u->deadline - now : 0);
	} else {
		json_kv_str(b, "deadline", NULL);
		json_key(b, "remaining_ms");
		json_null(b);
	}
	json_obj_end(b);
}

static void st_text(struct jbuf *b, struct sup_node *top, int64_t now)
{
	struct core_upgrade_info u;
	struct sup_node *n = top;
	size_t wname, wexit;
	struct st_row r;
	int depth = 0, up;

	if (st_upgrade(top, &u))
		st_upgrade_text(b, &u, now);
	st_text_widths(top, now, &wname, &wexit);
	jbuf_printf(b, "%-*s  %-10s  %-10s  %-7s  %8s  %-*s  %-6s  ", (int)wname, "NAME", "TYPE",
		    "STATE", "PID", "RESTARTS", (int)wexit, "LAST_EXIT", "UPTIME");
	if (cgs.on)
		jbuf_printf(b, "%-6s  %-6s  ", "MEM", "CPU");
	jbuf_puts(b, "STATUS\n");
	while (n) {
		st_row_fill(n, now, &r);
		st_cgroup_fill(n, st_stats_wanted(n, top), &r);
		st_text_row(b, &r, depth, wname, wexit);
		n = st_walk_next(top, n, &depth, &up);
	}
}

static void st_json_num(struct jbuf *b, const char *key, int64_t v)
{
	json_key(b, key);
	if (v >= 0)
		json_int(b, v);
	else
		json_null(b);
}

static void st_json_stats(struct jbuf *b, const struct st_row *r)
{
	if (!r->has_stats) {
		json_null(b);
		return;
	}
	json_obj_begin(b);
	st_json_num(b, "memory_current", r->st.memory_current);
	st_json_num(b, "memory_peak", r->st.memory_peak);
	st_json_num(b, "cpu_usage_usec", r->st.cpu_usage_usec);
	st_json_num(b, "pids_current", r->st.pids_current);
	json_obj_end(b);
}

/* One node's fields; a supervisor's object is left open in "children":[. */
static void st_json_node(struct jbuf *b, struct sup_node *n, struct sup_node *top, int64_t now)
{
	struct core_upgrade_info u;
	struct st_row r;

	st_row_fill(n, now, &r);
	st_cgroup_fill(n, st_stats_wanted(n, top), &r);
	if (n == top)
		json_ok(b);     /* the reply's object (otpctl(1) JSON OUTPUT) */
	else
		json_obj_begin(b);
	if (n == top && st_upgrade(top, &u))
		st_upgrade_json(b, &u, now);
	json_kv_str(b, "name", r.name);
	json_kv_str(b, "type", r.type);
	json_kv_str(b, "state", r.state);
	json_key(b, "pid");
	if (r.pid > 0)
		json_int(b, r.pid);
	else
		json_null(b);
	if (r.overlap_pid > 0)
		json_kv_int(b, "overlap_pid", r.overlap_pid);
	json_kv_int(b, "restarts", r.restarts);
	json_kv_str(b, "last_exit", r.last_exit[0] ? r.last_exit : NULL);
	json_kv_str(b, "cgroup", r.cgroup[0] ? r.cgroup : NULL);
	json_key(b, "stats");
	st_json_stats(b, &r);
	json_key(b, "uptime_ms");
	if (r.uptime_ms >= 0)
		json_int(b, r.uptime_ms);
	else
		json_null(b);
	json_kv_str(b, "status", r.status);
	if (sup_node_type(n) != SUP_SUPERVISOR)
		return;
	json_kv_str(b, "strategy", st_strategy_str(sup_node_spec(n)->strategy));
	json_key(b, "children");
	json_arr_begin(b);
}

/* Close node `n`: a supervisor also closes its children array. */
static void st_json_close(struct jbuf *b, const struct sup_node *n)
{
	if (sup_node_type(n) == SUP_SUPERVISOR)
		json_arr_end(b);
	json_obj_end(b);
}

static void st_json(struct jbuf *b, struct sup_node *top, int64_t now)
{
	struct sup_node *n = top, *nx, *p;
	int depth = 0, up;

	while (n) {
		st_json_node(b, n, top, now);
		if (n == top && sup_node_type(n) == SUP_WORKER)
			status_sandbox_json(b, ws_of(n));
		nx = st_walk_next(top, n, &depth, &up);
		if (nx && sup_node_parent(nx) == n) {
			n = nx;                 /* descended: n stays open */
			continue;
		}
		st_json_close(b, n);
		/* Climbing `up` levels closes that many ancestors. */
		for (p = n; up > 0; up--) {
			p = sup_node_parent(p);
			st_json_close(b, p);
		}
		n = nx;
	}
	jbuf_puts(b, "\n");
}

/* Queue the buffer on `c`, or an error line if it could not be built. */
static void st_send(struct ipc_conn *c, struct jbuf *b)
{
	if (b->failed)
		(void)ipc_conn_printf(c, IPC_ERR, "otpctl: output too large or out of memory\n");
	else if (ipc_conn_out(c, IPC_OUT, b->p, b->len) < 0)
		(void)ipc_conn_printf(c, IPC_ERR, "otpctl: output too large for the connection\n");
	jbuf_free(b);
}

void status_render(struct ipc_conn *c, struct sup_node *n, bool json)
{
	struct jbuf b = { 0 };

	if (json)
		st_json(&b, n, ev_now());
	else
		st_text(&b, n, ev_now());
	if (!json && sup_node_type(n) == SUP_WORKER)
		status_sandbox_text(&b, ws_of(n));
	st_send(c, &b);
}

void count_render(struct ipc_conn *c, struct sup_node *n, bool json)
{
	struct sup_counts k = sup_count_children(n);
	struct jbuf b = { 0 };

	if (json)
		jbuf_printf(&b, "{\"ok\":true,\"specs\":%d,\"active\":%d,\"supervisors\":%d,\"workers\":%d}\n",
			    k.specs, k.active, k.supervisors, k.workers);
	else
		jbuf_printf(&b, "specs %d active %d supervisors %d workers %d\n", k.specs, k.active,
			    k.supervisors, k.workers);
	st_send(c, &b);
}

/* "Dec 07 12:34:56.789", local time (journalctl's short format). */
static void logs_time(struct jbuf *b, int64_t ms)
{
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;
	char t[32];

	if (!localtime_r(&sec, &tm) || strftime(t, sizeof(t), "%b %d %H:%M:%S", &tm) == 0)
		snprintf(t, sizeof(t), "%lld", (long long)sec);
	jbuf_printf(b, "%s.%03d ", t, (int)(ms % 1000));
}

static void logs_entry_json(struct jbuf *b, const struct log_entry *e)
{
	json_obj_begin(b);
	json_key(b, "time");
	json_int(b, e->time_ms);
	if (e->stream == OUT_START) {
		json_key(b, "event");
		json_str(b, "start");
	} else {
		json_key(b, "stream");
		json_str(b, out_stream_name(e->stream));
	}
	json_key(b, "pid");
	json_int(b, e->pid);
	if (e->stream != OUT_START) {
		json_key(b, "line");
		json_strn(b, e->line, e->len);
	}
	json_obj_end(b);
}

void logs_entry_render(struct jbuf *b, const char *name, const struct log_entry *e,
		       enum logs_fmt fmt)
{
	if (fmt == LOGS_JSON) {
		logs_entry_json(b, e);
	} else if (e->stream == OUT_START) {
		if (fmt == LOGS_TIME)
			logs_time(b, e->time_ms);
		jbuf_printf(b, "-- %s[%d] started --", name, (int)e->pid);
	} else {
		if (fmt == LOGS_TIME) {
			logs_time(b, e->time_ms);
			jbuf_printf(b, "%s[%d]: ", name, (int)e->pid);
		}
		jbuf_putn(b, e->line, e->len);
	}
	jbuf_puts(b, "\n");
}

static void logs_json_entry(void *data, const struct log_entry *e)
{
	logs_entry_json(data, e);
}

void logs_render_json(struct ipc_conn *c, struct sup_node *n, const struct log_ring *r,
		      unsigned n_lines)
{
	struct jbuf b = { 0 };

	json_ok(&b);
	json_key(&b, "name");
	json_str(&b, sup_node_name(n));
	json_key(&b, "lines");
	json_arr_begin(&b);
	if (r)
		log_ring_each(r, n_lines, true, logs_json_entry, &b);
	json_arr_end(&b);
	json_obj_end(&b);
	jbuf_puts(&b, "\n");
	st_send(c, &b);
}
