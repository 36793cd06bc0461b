/*
 * metrics.c: `otpctl metrics`, the Prometheus text exposition format
 * (version 0.0.4), for node_exporter's textfile collector or any scraper
 * that runs a command (otpctl(1) METRICS).
 *
 * Values are those `otpctl status --json` shows, taken the same way:
 * otpd_worker_up is 1 when status says "running", restarts_total is
 * "restarts", the last exit is "last_exit" (as a label), uptime is
 * "uptime_ms".  A worker's cgroup costs are read fresh for every worker
 * that has a cgroup (a scrape is rare; status reads them for the node it
 * shows only).  Each family is written whole, node after node, as the
 * format wants; a family with no sample is left out.
 *
 * --json gives the same samples as {"ok":true,"samples":[{"name":...,
 * "labels":{...},"value":...}]}.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../cgroups/cgroups.h"
#include "../cgroup/cgroup.h"
#include "../core.h"
#include "../events/events.h"
#include "../worker/worker.h"
#include "client.h"
#include "json.h"

/* What the metrics show of one node, gathered once. */
struct mx_row {
	const struct sup_node *n;
	const char *name, *sup;
	bool worker, up;
	unsigned restarts;
	char last_exit[200];            /* "" when it never exited */
	int64_t uptime_ms;              /* -1 when not running */
	struct cg_stats st;             /* -1: unknown */
	int window;                     /* supervisors: restarts in the window */
	int64_t mon_lost;               /* workers with monitors: DOWN/UP lost, else -1 */
	uint64_t gave_up;
};

/* What a family measures: a case of mx_value (a switch, not function pointers: below). */
enum mx_what { MX_UP, MX_RESTARTS, MX_LAST_EXIT, MX_UPTIME, MX_MEM, MX_PEAK, MX_CPU, MX_PIDS,
	       MX_MON_LOST, MX_WINDOW, MX_INTENSITY, MX_PERIOD, MX_GAVE_UP };

struct mx_family {
	char name[40], type[12], help[80];
	bool worker;                    /* of workers, else of supervisors */
	enum mx_what what;
	bool reason_label;              /* adds reason="last exit" */
};

/* x scaled, when known (x >= 0). */
static bool mx_known(int64_t x, double scale, double *v)
{
	*v = (double)x * scale;
	return x >= 0;
}

/* One sample: the value of family f for row r, if it has one. */
static bool mx_value(const struct mx_family *f, const struct mx_row *r, double *v)
{
	switch (f->what) {
	case MX_UP: *v = r->up; return true;
	case MX_RESTARTS: *v = r->restarts; return true;
	case MX_LAST_EXIT: *v = 1; return r->last_exit[0] != '\0';
	case MX_UPTIME: *v = (double)r->uptime_ms / 1000.0; return r->uptime_ms >= 0;
	case MX_MEM: return mx_known(r->st.memory_current, 1, v);
	case MX_PEAK: return mx_known(r->st.memory_peak, 1, v);
	case MX_CPU: return mx_known(r->st.cpu_usage_usec, 1e-6, v);
	case MX_PIDS: return mx_known(r->st.pids_current, 1, v);
	case MX_MON_LOST: return mx_known(r->mon_lost, 1, v);
	case MX_WINDOW: *v = r->window; return true;
	case MX_INTENSITY: *v = sup_node_spec(r->n)->intensity; return true;
	case MX_PERIOD: *v = (double)sup_node_spec(r->n)->period_ms / 1000.0; return true;
	case MX_GAVE_UP: *v = (double)r->gave_up; return true;
	}
	return false;
}

/* No pointers: stays in .rodata, not relocated at start (issue 19, bench/PROFILE.md). */
static const struct mx_family mx_families[] = {
	{ "otpd_worker_up", "gauge", "1 when the worker is running (and ready), as status shows it",
	  true, MX_UP, false },
	{ "otpd_worker_restarts_total", "counter", "restarts of the worker since otpd started it",
	  true, MX_RESTARTS, false },
	{ "otpd_worker_last_exit_info", "gauge", "the worker's last exit reason (status LAST_EXIT)",
	  true, MX_LAST_EXIT, true },
	{ "otpd_worker_uptime_seconds", "gauge", "time since the worker became running",
	  true, MX_UPTIME, false },
	{ "otpd_worker_memory_bytes", "gauge", "memory.current of the worker's cgroup",
	  true, MX_MEM, false },
	{ "otpd_worker_memory_peak_bytes", "gauge", "memory.peak of the worker's cgroup",
	  true, MX_PEAK, false },
	{ "otpd_worker_cpu_seconds_total", "counter", "cpu.stat usage of the worker's cgroup",
	  true, MX_CPU, false },
	{ "otpd_worker_pids", "gauge", "pids.current of the worker's cgroup", true, MX_PIDS, false },
	{ "otpd_worker_monitor_lost_total", "counter",
	  "DOWN and UP messages the worker's mailbox did not take (monitors)", true, MX_MON_LOST,
	  false },
	{ "otpd_supervisor_up", "gauge", "1 when the supervisor is running", false, MX_UP, false },
	{ "otpd_supervisor_restarts_total", "counter",
	  "restarts of the supervisor since otpd started it", false, MX_RESTARTS, false },
	{ "otpd_supervisor_restarts_in_window", "gauge",
	  "restarts that count toward the supervisor's intensity now", false, MX_WINDOW, false },
	{ "otpd_supervisor_intensity", "gauge", "restarts allowed in the window (OTP MaxR)", false,
	  MX_INTENSITY, false },
	{ "otpd_supervisor_period_seconds", "gauge", "the window of the intensity (OTP MaxT)",
	  false, MX_PERIOD, false },
	{ "otpd_supervisor_gave_up_total", "counter",
	  "times the supervisor reached its intensity, since otpd started", false, MX_GAVE_UP,
	  false },
};

static void mx_row_fill(struct mx_row *r, const struct sup_node *n, int64_t now)
{
	const struct sup_node *p = sup_node_parent(n);
	struct sup_reason buf;
	const struct sup_reason *why = sup_node_last_exit(n, &buf);
	struct ws *w = sup_node_type(n) == SUP_WORKER ? sup_node_shell(n) : NULL;
	int64_t since = sup_node_since(n);

	memset(r, 0, sizeof(*r));
	r->n = n;
	r->name = sup_node_name(n);
	r->sup = p ? sup_node_name(p) : "";
	r->worker = sup_node_type(n) == SUP_WORKER;
	r->up = strcmp(ctl_node_state(n), "running") == 0;
	r->restarts = sup_node_restarts(n);
	if (why && why->kind != SUP_R_NONE)
		sup_reason_format(why, r->last_exit, sizeof(r->last_exit));
	r->uptime_ms = -1;
	if (sup_node_state(n) == SUP_RUNNING && since >= 0)
		r->uptime_ms = now > since ? now - since : 0;
	r->st = (struct cg_stats){ -1, -1, -1, -1 };
	r->mon_lost = w ? wsys_lost(w) : -1;
	if (w && cgs.on && w->cg.made) {
		const char *err;
		int fd = cgroup_node_open(n, false, &err);

		if (fd >= 0) {
			cg_stats_read_mask(fd, cgroup_node_controllers(n), &r->st);
			close(fd);
		}
	}
	if (!r->worker) {
		r->window = sup_node_window_restarts(n, now);
		r->gave_up = events_gave_up_count(r->name);
	}
}

/* A label value as the format escapes it: \\, \" and \n. */
static void mx_label(struct jbuf *b, const char *key, const char *v)
{
	jbuf_printf(b, "%s=\"", key);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			jbuf_printf(b, "\\%c", *v);
		else if (*v == '\n')
			jbuf_puts(b, "\\n");
		else
			jbuf_putn(b, v, 1);
	}
	jbuf_puts(b, "\"");
}

static void mx_sample_text(struct jbuf *b, const struct mx_family *f, const struct mx_row *r,
			   double v)
{
	jbuf_printf(b, "%s{", f->name);
	mx_label(b, "name", r->name);
	jbuf_puts(b, ",");
	mx_label(b, "supervisor", r->sup);
	if (f->reason_label) {
		jbuf_puts(b, ",");
		mx_label(b, "reason", r->last_exit);
	}
	jbuf_printf(b, "} %.15g\n", v);
}

static void mx_sample_json(struct jbuf *b, const char *name, const struct mx_row *r,
			   const char *reason, double v)
{
	json_obj_begin(b);
	json_kv_str(b, "name", name);
	json_key(b, "labels");
	json_obj_begin(b);
	if (r) {
		json_kv_str(b, "name", r->name);
		json_kv_str(b, "supervisor", r->sup);
	}
	if (reason) {
		json_kv_str(b, "reason", reason);
	}
	json_obj_end(b);
	json_key(b, "value");
	json_double(b, v);
	json_obj_end(b);
}

static void mx_family(struct jbuf *b, const struct mx_family *f, const struct mx_row *rows,
		      size_t n, bool json)
{
	bool head = false;
	double v;

	for (size_t i = 0; i < n; i++) {
		if (rows[i].worker != f->worker || !mx_value(f, &rows[i], &v))
			continue;
		if (json) {
			mx_sample_json(b, f->name, &rows[i], f->reason_label ? rows[i].last_exit : NULL,
				       v);
			continue;
		}
		if (!head)
			jbuf_printf(b, "# HELP %s %s.\n# TYPE %s %s\n", f->name, f->help, f->name,
				    f->type);
		head = true;
		mx_sample_text(b, f, &rows[i], v);
	}
}

/* resident memory (statm), in bytes; -1 when unknown. */
static int64_t mx_rss(void)
{
	long pages = -1, rss = -1;
	FILE *f = fopen("/proc/self/statm", "re");

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = -1;
	fclose(f);
	return rss < 0 ? -1 : (int64_t)rss * sysconf(_SC_PAGESIZE);
}

static int64_t mx_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int64_t n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;   /* less the directory's own fd */
}

/* otpd's own: one sample each, no labels. */
static void mx_otpd(struct jbuf *b, bool json)
{
	const struct {
		const char *name, *type, *help;
		int64_t v;
	} own[] = {
		{ "otpd_resident_memory_bytes", "gauge", "otpd's resident memory", mx_rss() },
		{ "otpd_open_fds", "gauge", "otpd's open file descriptors", mx_fds() },
		{ "otpd_events_total", "counter", "events recorded (the last sequence number)",
		  (int64_t)events_next() - 1 },
		{ "otpd_events_dropped_total", "counter",
		  "events followers missed because they read too slowly", (int64_t)events_dropped() },
		{ "otpd_output_lines_dropped_total", "counter",
		  "worker output lines otpd's stdout and stderr dropped (a slow reader)",
		  (int64_t)out_std_dropped() },
	};

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		if (own[i].v < 0)
			continue;
		if (json)
			mx_sample_json(b, own[i].name, NULL, NULL, (double)own[i].v);
		else
			jbuf_printf(b, "# HELP %s %s.\n# TYPE %s %s\n%s %" PRId64 "\n", own[i].name,
				    own[i].help, own[i].name, own[i].type, own[i].name, own[i].v);
	}
}

static size_t mx_rows(struct mx_row **ret)
{
	const struct sup_node *top = core_root();
	struct mx_row *rows = NULL, *v;
	size_t n = 0, cap = 0;
	int64_t now = ev_now();

	for (const struct sup_node *x = top; x; x = sup_walk_next(top, x)) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if (!(v = realloc(rows, cap * sizeof(*rows))))
				break;
			rows = v;
		}
		mx_row_fill(&rows[n++], x, now);
	}
	*ret = rows;
	return rows ? n : 0;
}

void metrics_render(struct ipc_conn *c, bool json)
{
	struct jbuf b = { 0 };
	struct mx_row *rows = NULL;
	size_t n = mx_rows(&rows);

	if (json) {
		json_ok(&b);
		json_key(&b, "samples");
		json_arr_begin(&b);
	}
	for (size_t i = 0; i < sizeof(mx_families) / sizeof(mx_families[0]); i++)
		mx_family(&b, &mx_families[i], rows, n, json);
	mx_otpd(&b, json);
	if (json) {
		json_arr_end(&b);
		json_obj_end(&b);
		jbuf_puts(&b, "\n");
	}
	free(rows);
	if (b.failed || ipc_conn_out(c, IPC_OUT, b.p, b.len) < 0)
		(void)ipc_conn_printf(c, IPC_ERR, "otpctl: metrics: output too large or out of memory\n");
	jbuf_free(&b);
}
