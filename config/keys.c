/*
 * keys.c: the key table and the dispatch of one KEY = VALUE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define K(id, n, where, fn) [id] = { .name = n, .in = where, .set = fn }

const struct cfg_key cfg_keys[CFG_K_COUNT] = {
	K(CFG_K_RUN_DIR, "run_dir", CFG_IN_OTPD, cfg_set_run_dir),
	K(CFG_K_SOCKET, "socket", CFG_IN_OTPD, cfg_set_socket),
	K(CFG_K_CONTROL_GROUP, "control_group", CFG_IN_OTPD, cfg_set_control_group),
	K(CFG_K_CGROUP, "cgroup", CFG_IN_OTPD, cfg_set_cgroup),
	K(CFG_K_CGROUP_BASE, "cgroup_base", CFG_IN_OTPD, cfg_set_cgroup_base),
	K(CFG_K_SHUTDOWN_GRACE, "shutdown_grace", CFG_IN_OTPD, cfg_set_shutdown_grace),
	K(CFG_K_LOG_LINES, "log_lines", CFG_IN_OTPD, cfg_set_log_lines),
	K(CFG_K_EVENTS, "events", CFG_IN_OTPD, cfg_set_events),
	K(CFG_K_LOG_TARGET, "log_target", CFG_IN_OTPD, cfg_set_log_target),

	K(CFG_K_PARENT, "parent", CFG_IN_NODE, cfg_set_parent),
	K(CFG_K_RESTART, "restart", CFG_IN_NODE, cfg_set_restart),
	K(CFG_K_SHUTDOWN, "shutdown", CFG_IN_NODE, cfg_set_shutdown),
	K(CFG_K_SIGNIFICANT, "significant", CFG_IN_NODE, cfg_set_significant),

	K(CFG_K_STRATEGY, "strategy", CFG_IN_SUP, cfg_set_strategy),
	K(CFG_K_INTENSITY, "intensity", CFG_IN_SUP, cfg_set_intensity),
	K(CFG_K_PERIOD, "period", CFG_IN_SUP, cfg_set_period),
	K(CFG_K_AUTO_SHUTDOWN, "auto_shutdown", CFG_IN_SUP, cfg_set_auto_shutdown),
	K(CFG_K_SHUTDOWN_ORDER, "shutdown_order", CFG_IN_SUP, cfg_set_shutdown_order),

	K(CFG_K_EXEC, "exec", CFG_IN_WORKER, cfg_set_exec),
	K(CFG_K_READY, "ready", CFG_IN_WORKER, cfg_set_ready),
	K(CFG_K_READY_TIMEOUT, "ready_timeout", CFG_IN_WORKER, cfg_set_ready_timeout),
	K(CFG_K_USER, "user", CFG_IN_WORKER, cfg_set_user),
	K(CFG_K_GROUP, "group", CFG_IN_WORKER, cfg_set_group),
	[CFG_K_ENV] = { .name = "env", .in = CFG_IN_WORKER, .repeatable = true,
			.set = cfg_set_env },
	K(CFG_K_ENVIRONMENT_FILE, "environment_file", CFG_IN_WORKER, cfg_set_environment_file),
	K(CFG_K_CLEAR_ENV, "clear_env", CFG_IN_WORKER, cfg_set_clear_env),
	K(CFG_K_WORKDIR, "workdir", CFG_IN_WORKER, cfg_set_workdir),
	K(CFG_K_STDOUT, "stdout", CFG_IN_WORKER, cfg_set_stdout),
	K(CFG_K_STDERR, "stderr", CFG_IN_WORKER, cfg_set_stderr),
	K(CFG_K_LOG_MAX_SIZE, "log_max_size", CFG_IN_WORKER, cfg_set_log_max_size),
	K(CFG_K_LOG_KEEP, "log_keep", CFG_IN_WORKER, cfg_set_log_keep),
	K(CFG_K_STOP_SIGNAL, "stop_signal", CFG_IN_WORKER, cfg_set_stop_signal),
	K(CFG_K_SUCCESS_EXIT, "success_exit", CFG_IN_WORKER, cfg_set_success_exit),
	K(CFG_K_RESTART_DELAY, "restart_delay", CFG_IN_WORKER, cfg_set_restart_delay),
	K(CFG_K_WATCHDOG, "watchdog", CFG_IN_WORKER, cfg_set_watchdog),
	K(CFG_K_FORWARD_SIGNALS, "forward_signals", CFG_IN_WORKER, cfg_set_forward_signals),
	K(CFG_K_MAILBOX, "mailbox", CFG_IN_WORKER, cfg_set_mailbox),
	K(CFG_K_MAILBOX_BACKLOG, "mailbox_backlog", CFG_IN_WORKER, cfg_set_mailbox_backlog),
	K(CFG_K_MAILBOX_MODE, "mailbox_mode", CFG_IN_WORKER, cfg_set_mailbox_mode),
	K(CFG_K_MAILBOX_GROUP, "mailbox_group", CFG_IN_WORKER, cfg_set_mailbox_group),
	K(CFG_K_MONITORS, "monitors", CFG_IN_WORKER, cfg_set_monitors),
	K(CFG_K_PING, "ping", CFG_IN_WORKER, cfg_set_ping),
	K(CFG_K_PING_TIMEOUT, "ping_timeout", CFG_IN_WORKER, cfg_set_ping_timeout),
	K(CFG_K_NO_NEW_PRIVS, "no_new_privs", CFG_IN_WORKER, cfg_set_no_new_privs),
	K(CFG_K_SECCOMP_ALLOW, "seccomp_allow", CFG_IN_WORKER, cfg_set_seccomp_allow),
	K(CFG_K_SECCOMP_DENY, "seccomp_deny", CFG_IN_WORKER, cfg_set_seccomp_deny),
	K(CFG_K_SECCOMP_ACTION, "seccomp_action", CFG_IN_WORKER, cfg_set_seccomp_action),
	K(CFG_K_UPGRADE, "upgrade", CFG_IN_WORKER, cfg_set_upgrade),
	K(CFG_K_HANDOVER, "handover", CFG_IN_WORKER, cfg_set_handover),

	K(CFG_K_MEMORY_MAX, "memory_max", CFG_IN_NODE, cfg_set_memory_max),
	K(CFG_K_MEMORY_HIGH, "memory_high", CFG_IN_NODE, cfg_set_memory_high),
	K(CFG_K_MEMORY_SWAP_MAX, "memory_swap_max", CFG_IN_NODE, cfg_set_memory_swap_max),
	K(CFG_K_CPU_MAX, "cpu_max", CFG_IN_NODE, cfg_set_cpu_max),
	K(CFG_K_CPU_WEIGHT, "cpu_weight", CFG_IN_NODE, cfg_set_cpu_weight),
	K(CFG_K_PIDS_MAX, "pids_max", CFG_IN_NODE, cfg_set_pids_max),
	K(CFG_K_IO_WEIGHT, "io_weight", CFG_IN_NODE, cfg_set_io_weight),
	K(CFG_K_IO_MAX, "io_max", CFG_IN_NODE, cfg_set_io_max),
	K(CFG_K_CPUSET_CPUS, "cpuset_cpus", CFG_IN_NODE, cfg_set_cpuset_cpus),
};

static const char *const sec_names[] = {
	[CFG_SEC_OTPD] = "[otpd]", [CFG_SEC_SUP] = "[supervisor]", [CFG_SEC_WORKER] = "[worker]",
};

static int key_lookup(const char *name)
{
	for (int k = 0; k < CFG_K_COUNT; k++)
		if (strcmp(cfg_keys[k].name, name) == 0)
			return k;
	return -1;
}

void cfg_seen_free(struct cfg_seen *s)
{
	for (int k = 0; k < CFG_K_COUNT; k++)
		free((char *)s->value[k]);
	memset(s, 0, sizeof(*s));
}

/* Remember where key `k` was set; false (reported) if it already was. */
static bool seen_mark(struct cfg_ctx *x, struct cfg_seen *s, int k, const char *value)
{
	char *copy;

	if (s->bits & (1ULL << k)) {
		if (cfg_keys[k].repeatable)
			return true;
		cfg_err(x, x->file, x->line, cfg_keys[k].name, value,
			"duplicate key, first set at %s:%d", s->file[k], s->line[k]);
		return false;
	}
	copy = strdup(value);
	if (!copy) {
		x->oom = true;
		return false;
	}
	s->bits |= 1ULL << k;
	s->line[k] = x->line;
	s->file[k] = x->file;
	s->value[k] = copy;
	return true;
}

/* Keys the core reads from the spec (or otpd at each use): a reload applies them in place. */
static bool key_in_place(int k)
{
	switch (k) {
	case CFG_K_PARENT: case CFG_K_RESTART: case CFG_K_SHUTDOWN: case CFG_K_SIGNIFICANT:
	case CFG_K_STRATEGY: case CFG_K_INTENSITY: case CFG_K_PERIOD: case CFG_K_AUTO_SHUTDOWN:
	case CFG_K_SHUTDOWN_ORDER:
	case CFG_K_READY_TIMEOUT: case CFG_K_STOP_SIGNAL: case CFG_K_SUCCESS_EXIT:
	case CFG_K_RESTART_DELAY: case CFG_K_FORWARD_SIGNALS: case CFG_K_MAILBOX_BACKLOG:
	case CFG_K_MAILBOX_MODE: case CFG_K_MAILBOX_GROUP:
	case CFG_K_MONITORS: case CFG_K_PING: case CFG_K_PING_TIMEOUT: case CFG_K_UPGRADE:
	case CFG_K_HANDOVER:
		return true;
	default:
		return false;
	}
}

static bool key_is_limit(int k)
{
	return k >= CFG_K_MEMORY_MAX && k <= CFG_K_CPUSET_CPUS;
}

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* Fold "name=value\n" into the node's fingerprint of its class (config.h). */
static void fp_append(struct cfg_pnode *p, int k, const char *name, const char *value)
{
	uint64_t *fp = key_is_limit(k) ? &p->node.fp_limits : &p->node.fp_run;
	uint64_t h = *fp ? *fp : 1469598103934665603ull;

	if (k >= 0 && key_in_place(k))
		return;
	*fp = fnv(fnv(fnv(fnv(h, name), "="), value), "\n");
}

void cfg_key_dispatch(struct cfg_ctx *x, const char *name, const char *value)
{
	struct cfg_pnode *p = x->cur == CFG_NONE ? NULL : &x->pn[x->cur];
	struct cfg_seen *seen = p ? &p->seen : &x->otpd_seen;
	const char *msg;
	int k;

	if (x->skip_section)
		return;
	if (x->sec == CFG_SEC_NONE) {
		cfg_err(x, x->file, x->line, name, value, "key outside of any section");
		return;
	}
	k = key_lookup(name);
	if (p)
		fp_append(p, k, name, value);
	if (k < 0 && cfg_sb_dispatch(x, name, value))
		return;
	if (k < 0 || !(cfg_keys[k].in & (1u << x->sec))) {
		cfg_err(x, x->file, x->line, name, value, "%s key in a %s section",
			k < 0 ? "unknown" : "invalid", sec_names[x->sec]);
		return;
	}
	if (!seen_mark(x, seen, k, value))
		return;
	msg = cfg_keys[k].set(x, p, value);
	if (msg == cfg_oom)
		x->oom = true;
	else if (msg)
		cfg_err(x, x->file, x->line, name, value, "%s", msg);
}
