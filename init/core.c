/*
 * core.c: the doorway (core.h).  Feeds the core its events, runs each
 * batch of actions to its end, and carries every action out through the
 * room that owns it.
 *
 * One batch: sup_actions() is read in order and every action executed;
 * then the batch is cleared (which frees nodes that left the tree).  A
 * spawn may settle at once (its child failed, or exec'd with ready =
 * exec): that result cannot be fed back while the batch is being read, so
 * the executor returns it, and it is fed to the core after the clear, one
 * at a time (each may change what the others mean), each starting a new
 * batch.  Jobs posted by requesters and watchers run after the last batch.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "base/base.h"
#include "cgroup/cgroup.h"
#include "doorway.h"
#include "system/system.h"
#include "worker/worker.h"

/* A spawn that settled at once: fed back after the batch. */
struct settled {
	struct sup_node *node;
	bool ready;             /* else it failed: */
	bool other;             /* the second process of an overlap */
	char why[160];
};

struct job {
	void (*fn)(void *data);
	void *data;
};

static struct {
	struct otp_config *cfg;
	const char *config_path;
	struct sup_tree *tree;
	bool pid1, stopping, done, in_batch;
	bool trimmed;                   /* given back what the start took */
	int exit_code;
	int halt_how;
	uint64_t next_cookie;
	struct core_req *pending;       /* requesters waiting for a reply */
	struct core_watcher *watchers;
	struct ev_timer timer;          /* the core's next deadline */
	struct settled *settled;
	size_t n_settled, cap_settled;
	struct job *jobs;
	size_t n_jobs, cap_jobs;
} core = { .next_cookie = 1 };

static void core_run(void);
static void tell_watchers(const struct sup_action *a);
static void on_timer(struct ev_timer *t, int64_t now);

/* --- reading -------------------------------------------------------------- */

const struct otp_config *core_config(void) { return core.cfg; }
const char *core_config_path(void) { return core.config_path; }
bool core_pid1(void) { return core.pid1; }
bool core_stopping(void) { return core.stopping; }
bool core_done(void) { return core.done; }
int core_exit_code(void) { return core.exit_code; }
int core_halt_how(void) { return core.halt_how; }
struct sup_tree *core_tree(void) { return core.tree; }
void core_halt_on_exit(int how) { core.halt_how = how; }

struct sup_node *core_root(void)
{
	return core.tree ? sup_tree_root(core.tree) : NULL;
}

struct sup_node *core_find(const char *name)
{
	return core.tree ? sup_find(core.tree, name) : NULL;
}

struct sup_node *core_find_any(const char *name)
{
	return core.tree ? sup_find_any(core.tree, name) : NULL;
}

void core_use(struct sup_tree *t, struct otp_config *cfg)
{
	core.tree = t;
	core.cfg = cfg;
	core.timer.fn = on_timer;
	if (!t)
		ev_timer_stop(&core.timer);
}

void core_config_swap(struct otp_config *cfg)
{
	core.cfg = cfg;
}

/* --- growing arrays ------------------------------------------------------- */

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap * 2 : 16;
	void *p;

	if (n < *cap)
		return 0;
	if (!(p = realloc(*v, c * size)))
		return -ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}

/* --- carrying out one action ------------------------------------------------ */

static void settle(struct sup_node *n, bool ready, const char *why, int err, bool other)
{
	struct settled *s;

	if (grow((void **)&core.settled, &core.cap_settled, core.n_settled, sizeof(*s)) < 0) {
		log_err("out of memory settling the start of %s", sup_node_name(n));
		return;
	}
	s = &core.settled[core.n_settled++];
	s->node = n;
	s->ready = ready;
	s->other = other;
	s->why[0] = '\0';
	if (!ready)
		snprintf(s->why, sizeof(s->why), "%s:%s", why, strerror(-err));
}

static void do_spawn(struct sup_node *n)
{
	struct ws *w = ws_of(n);
	const char *why = NULL;
	int r;

	if (!w) {
		settle(n, false, "spawn", -ENOMEM, false);
		return;
	}
	r = spawn_worker(w, &why);
	if (r < 0)
		settle(n, false, why ? why : "spawn", r, false);
	else if (w->exec_fd < 0 && w->exec_ok && w->cfg->w.ready == CFG_READY_EXEC)
		settle(n, true, NULL, 0, false);
}

/* The second process of an overlapping restart (worker/overlap.c). */
static void do_spawn_other(struct sup_node *n)
{
	struct ws *w = sup_node_shell(n);
	const char *why = NULL;
	int r = w ? overlap_spawn(w, &why) : -ENOENT;

	if (r < 0)
		settle(n, false, why ? why : "spawn", r, true);
	else if (w->twin->exec_fd < 0 && w->twin->exec_ok && w->cfg->w.ready == CFG_READY_EXEC)
		settle(n, true, NULL, 0, true);
}

static void do_other(const struct sup_action *a)
{
	struct ws *w = sup_node_shell(a->node);

	/* Not told to the watchers: the worker's process is still the old one
	 * (they see the switch: overlap_switch). */
	if (a->kind == SUP_A_SPAWN)
		do_spawn_other(a->node);
	else if (w)
		overlap_signal(w, a->kind == SUP_A_KILL ? SIGKILL : a->signo, a->cont);
}

/* A frozen process does not act on a stop signal: thaw what froze it. */
static void thaw_for_stop(struct sup_node *n)
{
	struct sup_node *f = cgroup_frozen_by(n);

	if (!f)
		return;
	log_info("thawing %s to stop %s", sup_node_name(f), sup_node_name(n));
	(void)cgroup_freeze(f, false);
	core_node_shown(f);
}

/* A stop signal goes with SIGCONT: a stopped process must act on it. */
static bool with_cont(int sig, bool cont)
{
	return cont && sig != SIGKILL && sig != SIGCONT;
}

/* To the main process; once it is gone, to what it left in its cgroup. */
static void do_signal(struct sup_node *n, int sig, bool cont)
{
	struct ws *w = sup_node_shell(n);
	int r;

	if (!w)
		return;
	if (cont)
		thaw_for_stop(n);
	if (w->pid > 0) {
		if (spawn_signal(w, sig) == 0 && with_cont(sig, cont))
			(void)spawn_signal(w, SIGCONT);
		return;
	}
	r = cgroup_signal_leftovers(&w->cg, sig);
	if (with_cont(sig, cont))
		(void)cgroup_signal_leftovers(&w->cg, SIGCONT);
	if (r >= 0)
		log_info("%s: main process gone, SIG%s to %d leftover process(es)",
			 sup_node_name(n), sigabbrev_np(sig), r);
}

/* SIGKILL to the worker: its whole cgroup; without one, its main process
 * and its process group while the main process is not yet reaped (so the
 * group id cannot have been reused). */
static void do_kill(struct sup_node *n)
{
	struct ws *w = sup_node_shell(n);

	if (!w)
		return;
	cgroup_kill(&w->cg);
	if (w->pid <= 0) {
		log_info("%s: main process gone, SIGKILL to its cgroup", sup_node_name(n));
		return;
	}
	if (!w->cg.made)
		(void)kill(-w->pid, SIGKILL);
	(void)spawn_signal(w, SIGKILL);
}

/* Take the requester waiting under `cookie` off the pending list. */
static struct core_req *unpend(uint64_t cookie)
{
	for (struct core_req **p = &core.pending; *p; p = &(*p)->next) {
		struct core_req *r = *p;

		if (r->cookie != cookie)
			continue;
		*p = r->next;
		r->next = NULL;
		r->cookie = 0;
		return r;
	}
	return NULL;
}

static void do_reply(const struct sup_action *a)
{
	struct core_req *r = unpend(a->cookie);

	if (r)
		r->done(r, a);
}

/*
 * A supervisor's cgroup is removed with everything below it: its workers
 * drop theirs too, and make them again (with their ancestors and limits)
 * at their next start, when the supervisor comes back.
 */
static void release_worker_cgroups(struct sup_node *top)
{
	for (struct sup_node *n = top; n; n = sup_walk_next(top, n)) {
		struct ws *w = sup_node_type(n) == SUP_WORKER ? sup_node_shell(n) : NULL;

		if (w)
			cgroup_worker_release(&w->cg);
	}
}

static void do_forget(const struct sup_action *a)
{
	struct ws *w = sup_node_shell(a->node);

	if (sup_node_type(a->node) == SUP_SUPERVISOR)
		release_worker_cgroups(a->node);
	cgroup_node_release(a->node);
	if (a->final) {
		ws_free(w);
	} else if (w) {
		/* back at its next start */
		mailbox_close(w);
		cgroup_worker_release(&w->cg);
	}
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

static void tell_watchers(const struct sup_action *a)
{
	for (struct core_watcher *w = core.watchers; w; w = w->next)
		if (w->action)
			w->action(w, a);
}

/*
 * The tree first runs: what loading the configuration and starting took
 * and freed goes back to the system (malloc keeps freed heap pages dirty
 * otherwise: ~20 KiB of otpd's base memory).
 */
static void trim(void *unused)
{
	(void)malloc_trim(0);
}

static void one(const struct sup_action *a)
{
	if (a->other) {
		do_other(a);
		return;
	}
	switch (a->kind) {
	case SUP_A_SPAWN:
		do_spawn(a->node);
		tell_watchers(a);
		break;
	case SUP_A_SIGNAL: do_signal(a->node, a->signo, a->cont); break;
	case SUP_A_KILL: do_kill(a->node); break;
	case SUP_A_REPLY: do_reply(a); break;
	case SUP_A_EXITED:
		log_exit(a);
		tell_watchers(a);
		break;
	case SUP_A_RESTART:
		log_info("restarting %s", sup_node_name(a->node));
		tell_watchers(a);
		break;
	case SUP_A_GAVE_UP:
		if (a->held)
			log_err("%s: reached max restart intensity (child %s): held by the "
				"upgrade under way, which rolls back instead of otpd exiting",
				sup_node_name(a->node), sup_node_name(a->child));
		else
			log_err("%s: reached max restart intensity (child %s), shutting down",
				sup_node_name(a->node), sup_node_name(a->child));
		tell_watchers(a);
		break;
	case SUP_A_FORGET:
		tell_watchers(a);
		do_forget(a);
		break;
	case SUP_A_STATE:
		tell_watchers(a);       /* READY=1 and STATUS=: system/sdstatus.c */
		if (a->node == sup_tree_root(core.tree) && a->state == SUP_RUNNING && !core.trimmed) {
			core.trimmed = true;
			(void)core_post(trim, NULL);
		}
		break;
	case SUP_A_OTPD_EXIT:
		core.done = true;
		core.exit_code = a->code;
		break;
	}
}

/* --- batches and jobs ------------------------------------------------------- */

static void run_jobs(void)
{
	while (core.n_jobs) {
		struct job j = core.jobs[0];

		memmove(core.jobs, core.jobs + 1, --core.n_jobs * sizeof(*core.jobs));
		j.fn(j.data);
	}
}

/*
 * The new process of an overlap is ready: it becomes the worker's (the
 * swap), and the watchers see it as a start that is ready at once (events'
 * started and ready, monitors' and pings' new connection), although the
 * core's node stays running throughout.
 */
static void overlap_switch(struct sup_node *n)
{
	struct ws *w = sup_node_shell(n);
	struct sup_action a = { .kind = SUP_A_SPAWN, .node = n };

	if (!w || !w->twin || w->twin->swapped)
		return;
	overlap_swap(w);
	tell_watchers(&a);
	a.kind = SUP_A_STATE;
	a.state = SUP_RUNNING;
	tell_watchers(&a);
}

/* An overlap's second process settled at its spawn (the doorway's own
 * bookkeeping first: the swap, or the twin going). */
static void settled_other(const struct settled *s)
{
	struct ws *w = sup_node_shell(s->node);

	if (s->ready) {
		if (sup_overlap_awaits_ready(s->node))
			overlap_switch(s->node);
		sup_overlap_ready(core.tree, s->node, ev_now());
		return;
	}
	if (w && w->twin && w->twin->pid <= 0)
		overlap_release(w->twin);
	sup_overlap_exited(core.tree, s->node, 0, s->why, ev_now());
}

/* Run the batch the last event made, and what it settles, to the end. */
static void core_run(void)
{
	const struct sup_action *acts;
	size_t n;

	core.in_batch = true;
	for (;;) {
		acts = sup_actions(core.tree, &n);
		for (size_t i = 0; i < n; i++)
			one(&acts[i]);
		sup_actions_clear(core.tree);
		if (!core.n_settled)
			break;
		struct settled s = core.settled[0];

		memmove(core.settled, core.settled + 1, --core.n_settled * sizeof(s));
		if (s.other)
			settled_other(&s);
		else if (s.ready)
			sup_child_ready(core.tree, s.node, ev_now());
		else
			sup_child_start_failed(core.tree, s.node, s.why, ev_now());
	}
	core.in_batch = false;
	if (sup_out_of_memory(core.tree))
		log_err("out of memory: the core dropped part of a decision (a queued restart "
			"or a deadline); free memory and restart what is stuck");
	if (ev_timer_arm(&core.timer, sup_next_deadline(core.tree)) < 0)
		log_err("out of memory arming the core's timer");
	run_jobs();
}

/*
 * Every entry point starts here.  Inside a batch the core must not be
 * called (an action's executor, a requester or a watcher did it): that is
 * a bug in otpd, said loudly; the event is dropped rather than corrupt the
 * batch being read.
 */
static bool enter(const char *what)
{
	if (!core.in_batch && core.tree)
		return true;
	if (core.tree)
		log_err("BUG: %s called inside a batch of actions, dropped", what);
	return false;
}

int core_post(void (*fn)(void *data), void *data)
{
	if (grow((void **)&core.jobs, &core.cap_jobs, core.n_jobs, sizeof(struct job)) < 0)
		return -ENOMEM;
	core.jobs[core.n_jobs++] = (struct job){ .fn = fn, .data = data };
	if (!core.in_batch)
		run_jobs();
	return 0;
}

/* --- events ------------------------------------------------------------------- */

static void on_timer(struct ev_timer *t, int64_t now)
{
	if (!enter("timer"))
		return;
	sup_timer(core.tree, now);
	core_run();
}

int core_init(const struct core_setup *s)
{
	int r;

	core.cfg = s->cfg;
	core.config_path = s->config_path;
	core.pid1 = s->pid1;
	core.timer.fn = on_timer;
	if ((r = cfg_build_tree(core.cfg, &core.tree)) < 0)
		return r;
	return 0;
}

void core_boot(void)
{
	if (!enter("boot"))
		return;
	sup_boot(core.tree, ev_now());
	core_run();
}

/* --- re-execution (reexec.c, reexec_state.c) ------------------------------------ */

int core_save_tree(int64_t now, void **ret_buf, size_t *ret_len)
{
	return sup_save(core.tree, now, ret_buf, ret_len);
}

int core_restore_tree(const void *buf, size_t len, int64_t now, char *why, size_t why_len)
{
	return sup_restore(core.tree, buf, len, now, why, why_len);
}

bool core_quiet(const struct sup_node **ret_node, const char **ret_why)
{
	return core.tree && sup_tree_quiet(core.tree, true, ret_node, ret_why);
}

/* The restored tree goes on: its next deadline is armed again. */
void core_restored(void)
{
	if (ev_timer_arm(&core.timer, sup_next_deadline(core.tree)) < 0)
		log_err("out of memory arming the core's timer");
}

void core_fini(void)
{
	upgrade_fini();
	ev_timer_stop(&core.timer);
	sup_tree_free(core.tree);
	core.tree = NULL;
	cfg_free(core.cfg);
	core.cfg = NULL;
	free(core.settled);
	free(core.jobs);
}

void core_child_ready(struct sup_node *n)
{
	if (!enter("child_ready"))
		return;
	sup_child_ready(core.tree, n, ev_now());
	core_run();
}

void core_child_start_failed(struct sup_node *n, const char *why)
{
	if (!enter("child_start_failed"))
		return;
	sup_child_start_failed(core.tree, n, why, ev_now());
	core_run();
}

void core_child_exited(struct sup_node *n, int wstatus, unsigned flags)
{
	if (!enter("child_exited"))
		return;
	sup_child_exited(core.tree, n, wstatus, flags, ev_now());
	core_run();
}

void core_child_leftovers(struct sup_node *n, int wstatus, unsigned flags)
{
	if (!enter("child_leftovers"))
		return;
	sup_child_leftovers(core.tree, n, wstatus, flags, ev_now());
	core_run();
}

void core_child_gone(struct sup_node *n)
{
	if (!enter("child_gone"))
		return;
	sup_child_gone(core.tree, n, ev_now());
	core_run();
}

void core_overlap_ready(struct sup_node *n)
{
	if (!enter("overlap_ready"))
		return;
	if (sup_overlap_awaits_ready(n))
		overlap_switch(n);
	sup_overlap_ready(core.tree, n, ev_now());
	core_run();
}

void core_overlap_exited(struct sup_node *n, int wstatus, const char *why)
{
	if (!enter("overlap_exited"))
		return;
	sup_overlap_exited(core.tree, n, wstatus, why, ev_now());
	core_run();
}

void core_child_watchdog(struct sup_node *n)
{
	if (!enter("child_watchdog"))
		return;
	sup_child_watchdog(core.tree, n, ev_now());
	core_run();
}

void core_child_ping_timeout(struct sup_node *n)
{
	if (!enter("child_ping_timeout"))
		return;
	sup_child_ping_timeout(core.tree, n, ev_now());
	core_run();
}

void core_shutdown(int halt_how)
{
	if (!enter("shutdown"))
		return;
	if (halt_how)
		core.halt_how = halt_how;
	core.stopping = true;
	upgrade_stopping();     /* the watch ends, no rollback */
	sup_shutdown(core.tree, ev_now());
	core_run();
	sd_status_changed();    /* STOPPING=1, also when no action came of it */
}

/* --- commands ---------------------------------------------------------------- */

/* The cookie of a new command; r waits for its reply. */
static uint64_t request(struct core_req *r)
{
	uint64_t cookie = core.next_cookie++;

	if (r) {
		r->cookie = cookie;
		r->next = core.pending;
		core.pending = r;
	}
	return cookie;
}

uint64_t core_request(struct core_req *r)
{
	return request(r);
}

struct core_req *core_take(uint64_t cookie)
{
	return unpend(cookie);
}

void core_hold_root(bool hold)
{
	if (core.tree)
		sup_tree_hold_root(core.tree, hold);
}

struct core_req *core_pending(uint64_t cookie)
{
	for (struct core_req *r = core.pending; r; r = r->next)
		if (r->cookie == cookie)
			return r;
	return NULL;
}

void core_answer(uint64_t cookie, enum sup_result result)
{
	struct core_req *r = unpend(cookie);

	if (r)
		r->done(r, &(struct sup_action){ .kind = SUP_A_REPLY, .cookie = cookie,
						  .result = result });
}

void core_req_cancel(struct core_req *r)
{
	if (r->cookie)
		(void)unpend(r->cookie);
	r->next = NULL;
	r->cookie = 0;
}

/* A command the core cannot take now: answer at once. */
static void refuse(struct core_req *r, enum sup_result result)
{
	struct sup_action a = { .kind = SUP_A_REPLY, .result = result };

	if (r && r->done)
		r->done(r, &a);
}

/* May a command enter?  If not, its requester is answered at once. */
static bool cmd_enter(struct core_req *r)
{
	if (enter("a command"))
		return true;
	refuse(r, SUP_E_SHUTTING_DOWN);
	return false;
}

void core_cmd_start(const char *name, struct core_req *r)
{
	if (!cmd_enter(r))
		return;
	sup_cmd_start(core.tree, name, request(r), ev_now());
	core_run();
}

void core_cmd_stop(const char *name, struct core_req *r)
{
	if (!cmd_enter(r))
		return;
	sup_cmd_stop(core.tree, name, request(r), ev_now());
	core_run();
}

void core_cmd_restart(const char *name, struct core_req *r)
{
	if (!cmd_enter(r))
		return;
	sup_cmd_restart(core.tree, name, request(r), ev_now());
	core_run();
}

void core_cmd_overlap(const char *name, int64_t timeout_ms, struct core_req *r)
{
	if (!cmd_enter(r))
		return;
	sup_cmd_overlap(core.tree, name, timeout_ms, request(r), ev_now());
	core_run();
}

void core_cmd_delete(const char *name, struct core_req *r)
{
	if (!cmd_enter(r))
		return;
	sup_cmd_delete(core.tree, name, request(r), ev_now());
	core_run();
}

void core_cmd_kill(const char *name, int signo, struct core_req *r)
{
	if (!cmd_enter(r))
		return;
	sup_cmd_kill(core.tree, name, signo, request(r), ev_now());
	core_run();
}

void core_cmd_start_child(const char *sup, const char *name, int argc, char *const *args,
			  struct core_req *r)
{
	if (!cmd_enter(r))
		return;
	sup_cmd_start_child(core.tree, sup, name, argc, args, request(r), ev_now());
	core_run();
}

void core_cmd_remove(const char *name, struct core_req *r)
{
	if (!cmd_enter(r))
		return;
	sup_cmd_remove(core.tree, name, request(r), ev_now());
	core_run();
}

/* --- watchers ------------------------------------------------------------------ */

void core_watch(struct core_watcher *w)
{
	w->next = core.watchers;
	core.watchers = w;
}

void core_node_shown(struct sup_node *n)
{
	for (struct core_watcher *w = core.watchers; w; w = w->next)
		if (w->shown)
			w->shown(w, n);
}

void core_note(const struct core_note_info *note)
{
	for (struct core_watcher *w = core.watchers; w; w = w->next)
		if (w->note)
			w->note(w, note);
}
