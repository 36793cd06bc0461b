/*
 * spec.c: child spec defaults, exit reasons and the names of enums.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "internal.h"

void sup_spec_init(struct sup_spec *s, enum sup_type type, const char *name)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name ? name : "");
	s->type = type;
	s->restart = SUP_PERMANENT;
	/* OTP: 5000 ms for workers, infinity for supervisors. */
	s->shutdown_ms = type == SUP_WORKER ? 5000 : SUP_SHUTDOWN_INFINITY;
	s->stop_signal = SIGTERM;
	s->strategy = SUP_ONE_FOR_ONE;
	s->intensity = 1;
	s->period_ms = 5000;
	s->auto_shutdown = SUP_AUTO_NEVER;
}

void sup_reason_set(struct sup_reason *r, enum sup_reason_kind k, int code)
{
	memset(r, 0, sizeof(*r));
	r->kind = k;
	r->code = code;
}

void sup_reason_from_status(struct sup_reason *r, int wstatus)
{
	if (WIFEXITED(wstatus))
		sup_reason_set(r, WEXITSTATUS(wstatus) ? SUP_R_EXIT : SUP_R_NORMAL,
			       WEXITSTATUS(wstatus));
	else if (WIFSIGNALED(wstatus))
		sup_reason_set(r, SUP_R_SIGNAL, WTERMSIG(wstatus));
	else
		sup_reason_set(r, SUP_R_EXIT, 255);
}

void sup_success_add(struct sup_spec *s, bool exit, int v)
{
	if (exit && v >= 0 && v <= 255)
		s->success_exit[v / 64] |= UINT64_C(1) << (v % 64);
	else if (!exit && v >= 1 && v <= 64)
		s->success_signal |= UINT64_C(1) << (v - 1);
}

bool sup_success_has(const struct sup_spec *s, bool exit, int v)
{
	if (exit)
		return v >= 0 && v <= 255 && (s->success_exit[v / 64] >> (v % 64)) & 1;
	return v >= 1 && v <= 64 && (s->success_signal >> (v - 1)) & 1;
}

/*
 * A self-chosen clean end, for transient children: OTP's normal, shutdown
 * and {shutdown,_}.  Death by TERM/INT/HUP/PIPE is systemd's convention for
 * a clean stop; success_exit adds codes and signals.
 */
bool sup_reason_clean(const struct sup_node *n, const struct sup_reason *r)
{
	const struct sup_spec *s = &n->spec;

	switch (r->kind) {
	case SUP_R_NORMAL:
	case SUP_R_SHUTDOWN:
		return true;
	case SUP_R_EXIT:
		return sup_success_has(s, true, r->code);
	case SUP_R_SIGNAL:
		if (r->code == SIGTERM || r->code == SIGINT || r->code == SIGHUP ||
		    r->code == SIGPIPE)
			return true;
		return sup_success_has(s, false, r->code);
	default:
		return false;
	}
}

static const char *signame(int sig, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "%d", sig);
	return buf;
}

int sup_reason_format(const struct sup_reason *r, char *buf, size_t len)
{
	char sig[32];

	switch (r->kind) {
	case SUP_R_NONE: return snprintf(buf, len, "none");
	case SUP_R_NORMAL: return snprintf(buf, len, "normal");
	case SUP_R_EXIT: return snprintf(buf, len, "exit:%d", r->code);
	case SUP_R_SIGNAL:
		return snprintf(buf, len, "signal:%s", signame(r->code, sig, sizeof(sig)));
	case SUP_R_KILLED: return snprintf(buf, len, "killed");
	case SUP_R_SHUTDOWN: return snprintf(buf, len, "shutdown");
	case SUP_R_OOM: return snprintf(buf, len, "oom");
	case SUP_R_WATCHDOG: return snprintf(buf, len, "watchdog");
	case SUP_R_START_FAILED: return snprintf(buf, len, "start_failed:%s", r->why);
	case SUP_R_PING_TIMEOUT: return snprintf(buf, len, "ping_timeout");
	}
	return snprintf(buf, len, "unknown");
}

const char *sup_result_str(enum sup_result r)
{
	static const char *const names[] = {
		[SUP_OK] = "ok",
		[SUP_E_NOT_FOUND] = "not_found",
		[SUP_E_RUNNING] = "running",
		[SUP_E_RESTARTING] = "restarting",
		[SUP_E_ALREADY_PRESENT] = "already_present",
		[SUP_E_SIMPLE_ONE_FOR_ONE] = "simple_one_for_one",
		[SUP_E_NOT_SIMPLE] = "not_simple_one_for_one",
		[SUP_E_START_FAILED] = "start_failed",
		[SUP_E_SHUTTING_DOWN] = "shutting_down",
		[SUP_E_NOT_RUNNING] = "not_running",
		[SUP_E_INVALID] = "invalid",
		[SUP_E_NOMEM] = "out_of_memory",
		[SUP_E_NOPROC] = "noproc",
		[SUP_E_BUSY] = "busy",
	};

	if ((unsigned)r < sizeof(names) / sizeof(names[0]) && names[r])
		return names[r];
	return "unknown";
}

const char *sup_state_str(enum sup_state s)
{
	switch (s) {
	case SUP_STOPPED: return "stopped";
	case SUP_STARTING: return "starting";
	case SUP_RUNNING: return "running";
	case SUP_STOPPING: return "stopping";
	case SUP_RESTARTING: return "restarting";
	}
	return "unknown";
}
