/*
 * reap.c: turning process events into core events.
 *
 * Every SIGCHLD drains all exited children with waitid(WNOHANG): known
 * main processes become core_child_exited (or, when they left processes
 * in their cgroup, core_child_leftovers), anything else (orphans that
 * re-parented to us as PID 1 or subreaper) is just reaped.  The exec result
 * (the pipe of a copy of otpd; settled at the spawn otherwise) is always
 * settled before the exit it precedes, so a child that execs and exits at
 * once is "ready, then exited", never a start failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../core.h"
#include "spawn.h"

static void exec_done(struct ws *w)
{
	ev_del(&w->exec_src);
	if (w->exec_fd >= 0)
		close(w->exec_fd);
	w->exec_fd = -1;
}

/*
 * Read the exec-result pipe: 1 exec ok, 0 not yet known, -1 failed.
 * *ret_ready: it exec'd just now and ready = exec, so it is ready (the
 * caller tells the core, after its own bookkeeping).
 */
static int exec_settle(struct ws *w, bool *ret_ready)
{
	char buf[128];
	ssize_t n;
	int err = 0;

	*ret_ready = false;
	if (w->exec_fd < 0)
		return w->exec_ok ? 1 : -1;
	n = read(w->exec_fd, buf, sizeof(buf) - 1);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	exec_done(w);
	if (n <= 0) {
		w->exec_ok = true;
		*ret_ready = w->cfg->w.ready == CFG_READY_EXEC;
		return 1;
	}
	buf[n] = '\0';
	char *step = strchr(buf, ':');

	err = atoi(buf);
	reap_exec_failed(w, step ? step + 1 : "exec", err);
	return -1;
}

void reap_exec_failed(struct ws *w, const char *step, int err)
{
	char why[160];

	snprintf(why, sizeof(why), "%s:%s", step, strerror(err));
	w->exec_ok = false;
	/* The core hears of it once the process is reaped: nothing may remain.
	 * (Out of memory: reaped() says "spawn".) */
	free(w->fail_why);
	w->fail_why = strdup(why);
}

/* w's process is ready: the worker's, or the second one of an overlap. */
static void ready_now(struct ws *w)
{
	if (w->is_twin)
		core_overlap_ready(w->node);
	else
		core_child_ready(w->node);
}

void reap_exec_result(struct ev_source *s, uint32_t revents)
{
	struct ws *w = s->data;
	bool ready;

	(void)exec_settle(w, &ready);
	if (ready)
		ready_now(w);
}

/* fd:N readiness: a newline written to N (s6 style). */
void reap_ready_fd(struct ev_source *s, uint32_t revents)
{
	struct ws *w = s->data;
	struct sup_node *n = w->node;
	char buf[256];
	ssize_t len = read(w->ready_fd, buf, sizeof(buf));
	bool ready = len > 0 && memchr(buf, '\n', (size_t)len), exec_ready;

	if (len < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (ready && w->exec_fd >= 0)
		(void)exec_settle(w, &exec_ready);
	if (len <= 0 || ready) {
		ev_del(&w->ready_src);
		close(w->ready_fd);
		w->ready_fd = -1;
	}
	/* Last: the core's actions may free w. */
	if (ready && w->is_twin)
		core_overlap_ready(n);
	else if (ready)
		core_child_ready(n);
}

/* The second process of an overlap was reaped: the twin goes first. */
static void reaped_twin(struct ws *t, int wstatus, int exec_state)
{
	struct sup_node *n = t->node;
	char *why = exec_state < 0 ? t->fail_why : NULL;

	t->fail_why = NULL;
	if (t->swapped) {
		log_info("%s: old process %d gone, overlapping restart done", sup_node_name(n),
			 (int)t->pid);
	} else {
		char st[64];

		if (why)
			snprintf(st, sizeof(st), "%s", why);
		else if (WIFSIGNALED(wstatus))
			snprintf(st, sizeof(st), "signal:SIG%s", sigabbrev_np(WTERMSIG(wstatus)));
		else
			snprintf(st, sizeof(st), "exit:%d", WEXITSTATUS(wstatus));
		log_warn("%s: overlapping restart failed: the new process %d ended before it "
			 "took over (%s); the old one keeps running", sup_node_name(n), (int)t->pid,
			 st);
	}
	ws_process_done(t);
	overlap_release(t);
	core_overlap_exited(n, wstatus, exec_state < 0 ? (why ? why : "spawn") : NULL);
	free(why);
}

/* A child of otpd's own that is no worker (reap_claim). */
static struct {
	pid_t pid;
	void (*fn)(int wstatus, void *data);
	void *data;
} claim;

void reap_claim(pid_t pid, void (*fn)(int wstatus, void *data), void *data)
{
	claim.pid = pid;
	claim.fn = fn;
	claim.data = data;
}

static void reaped(pid_t pid, int wstatus)
{
	struct ws *w = ws_by_pid(pid);
	struct sup_node *n;
	unsigned flags;
	bool ready = false, leftovers;
	int exec_state;

	if (!w && claim.pid > 0 && pid == claim.pid) {
		claim.pid = 0;
		claim.fn(wstatus, claim.data);
		return;
	}
	if (!w) {
		log_debug("reaped orphan %d", (int)pid);
		return;
	}
	n = w->node;
	exec_state = exec_settle(w, &ready);
	if (exec_state == 0) {
		/* Still open although the process is gone: treat EOF as success. */
		exec_done(w);
		exec_state = 1;
	}
	if (w->is_twin) {
		reaped_twin(w, wstatus, exec_state);
		return;
	}
	ws_process_done(w);
	if (exec_state < 0) {
		char *why = w->fail_why;

		w->fail_why = NULL;
		core_child_start_failed(n, why ? why : "spawn");
		free(why);
		return;
	}
	/* Decided before the core hears anything: its actions may free w. */
	flags = cgroup_exit_flags(&w->cg, wstatus);
	leftovers = cgroup_leftovers_watch(&w->cg);
	if (ready)
		core_child_ready(n);
	if (leftovers)
		core_child_leftovers(n, wstatus, flags);
	else
		core_child_exited(n, wstatus, flags);
}

void reap_all(void)
{
	for (;;) {
		siginfo_t si = { 0 };
		int wstatus;

		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0)
			break;  /* ECHILD: nothing left */
		if (si.si_pid == 0)
			break;
		if (si.si_code == CLD_EXITED)
			wstatus = W_EXITCODE(si.si_status, 0);
		else
			wstatus = si.si_status & 0x7f;   /* killed or dumped: a signal status */
		reaped(si.si_pid, wstatus);
	}
}
