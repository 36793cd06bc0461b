/*
 * actions.c: carrying out what the core decided.
 *
 * The batch is executed in order; what a spawn settles at once (it failed
 * synchronously, or its process has exec'd already and `ready = exec`)
 * cannot be fed back while the batch is being read, so it is queued and
 * reported after the batch has been cleared, which starts a new batch.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

struct settled {
	struct sup_node *node;
	bool ready;             /* else it failed: */
	char why[160];
};

static struct settled *settled;
static size_t n_settled, cap_settled;
static bool running;

static struct settled *settled_push(struct sup_node *n)
{
	if (n_settled == cap_settled) {
		size_t cap = cap_settled ? cap_settled * 2 : 16;
		struct settled *s = realloc(settled, cap * sizeof(*s));

		if (!s)
			return NULL;
		settled = s;
		cap_settled = cap;
	}
	settled[n_settled].node = n;
	settled[n_settled].ready = false;
	settled[n_settled].why[0] = '\0';
	return &settled[n_settled++];
}

static void queue_failure(struct sup_node *n, const char *why, int err)
{
	struct settled *s = settled_push(n);

	if (!s) {
		log_err("out of memory queueing the start failure of %s", sup_node_name(n));
		return;
	}
	snprintf(s->why, sizeof(s->why), "%s:%s", why, strerror(-err));
}

static void queue_ready(struct sup_node *n)
{
	struct settled *s = settled_push(n);

	if (!s) {
		log_err("out of memory queueing the start of %s", sup_node_name(n));
		return;
	}
	s->ready = true;
}

static void do_spawn(struct sup_node *n)
{
	struct ws *w = ws_of(n);
	const char *why = NULL;
	int r;

	if (!w) {
		queue_failure(n, "spawn", -ENOMEM);
		return;
	}
	r = spawn_worker(w, &why);
	if (r < 0)
		queue_failure(n, why ? why : "spawn", r);
	else if (w->exec_fd < 0 && w->exec_ok && w->cfg->w.ready == CFG_READY_EXEC)
		queue_ready(n);
}

/* A frozen process does not act on a stop signal: thaw what froze it. */
static void thaw_for_stop(struct sup_node *n)
{
	struct sup_node *f = cgroup_frozen_by(n);

	if (!f)
		return;
	log_info("thawing %s to stop %s", sup_node_name(f), sup_node_name(n));
	(void)cgroup_freeze(f, false);
	control_state_notify(f, ctl_node_state(f));
}

static void do_signal(struct sup_node *n, int sig, bool cont)
{
	struct ws *w = sup_node_shell(n);

	if (!w)
		return;
	if (cont)
		thaw_for_stop(n);
	/* Main process gone, leftovers being stopped: they get it too. */
	cgroup_signal_leftovers(w, sig);
	if (cont && sig != SIGKILL && sig != SIGCONT)
		cgroup_signal_leftovers(w, SIGCONT);
	if (w->pid <= 0 || spawn_signal(w, sig) < 0)
		return;
	if (cont && sig != SIGKILL && sig != SIGCONT)
		(void)spawn_signal(w, SIGCONT);
}

/* SIGKILL to the worker: its whole cgroup; without one, its main process
 * and its process group while the main process is not yet reaped (so the
 * group id cannot have been reused). */
static void do_kill(struct sup_node *n)
{
	struct ws *w = sup_node_shell(n);

	if (!w)
		return;
	cgroup_kill(w);
	if (w->pid <= 0)
		return;
	if (w->cg_fd < 0)
		(void)kill(-w->pid, SIGKILL);
	(void)spawn_signal(w, SIGKILL);
}

static void log_exit(const struct sup_action *a)
{
	char why[200];

	sup_reason_format(&a->reason, why, sizeof(why));
	if (a->reason.kind == SUP_R_START_FAILED)
		log_err("%s: %s", sup_node_name(a->node), why);
	else if (a->counted && a->reason.kind != SUP_R_NORMAL)
		log_warn("%s exited: %s", sup_node_name(a->node), why);
	else
		log_info("%s stopped: %s", sup_node_name(a->node), why);
}

static void one(const struct sup_action *a)
{
	switch (a->kind) {
	case SUP_A_SPAWN: do_spawn(a->node); break;
	case SUP_A_SIGNAL: do_signal(a->node, a->signo, a->cont); break;
	case SUP_A_KILL: do_kill(a->node); break;
	case SUP_A_REPLY:
		if (!reload_reply(a->cookie))
			control_reply(a->cookie, a);
		break;
	case SUP_A_EXITED: log_exit(a); break;
	case SUP_A_RESTART: log_info("restarting %s", sup_node_name(a->node)); break;
	case SUP_A_GAVE_UP:
		log_err("%s: reached max restart intensity (child %s), shutting down",
			sup_node_name(a->node), sup_node_name(a->child));
		break;
	case SUP_A_FORGET:
		control_node_forgotten(a->node);
		cgroup_node_release(a->node);
		if (a->final) {
			ws_free(sup_node_shell(a->node));
		} else if (sup_node_shell(a->node)) {
			/* back at its next start */
			mailbox_close(sup_node_shell(a->node));
			cgroup_worker_release(sup_node_shell(a->node));
		}
		break;
	case SUP_A_STATE:
		control_state_changed(a->node, a->state);
		if (a->node == sup_tree_root(otpd.tree) && a->state == SUP_RUNNING)
			sd_report("READY=1\nSTATUS=running");
		break;
	case SUP_A_OTPD_EXIT:
		otpd.done = true;
		otpd.exit_code = a->code;
		break;
	}
}

void actions_run(void)
{
	size_t n;
	const struct sup_action *acts;

	if (running)
		return;         /* re-entered from a handler the batch called */
	running = true;
	for (;;) {
		acts = sup_actions(otpd.tree, &n);
		for (size_t i = 0; i < n; i++)
			one(&acts[i]);
		sup_actions_clear(otpd.tree);
		if (!n_settled)
			break;
		/* Report one at a time: each may change what the rest mean. */
		struct settled s = settled[0];

		memmove(settled, settled + 1, (n_settled - 1) * sizeof(*settled));
		n_settled--;
		if (s.ready)
			sup_child_ready(otpd.tree, s.node, ev_now());
		else
			sup_child_start_failed(otpd.tree, s.node, s.why, ev_now());
	}
	running = false;
	reload_poll();
}
