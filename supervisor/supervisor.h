/*
 * supervisor.h: the pure OTP supervision core.
 *
 * The core holds the supervision tree and decides everything OTP's
 * supervisor decides; it never touches the kernel and never reads a clock.
 * The shell (init/) feeds it events and executes the actions it returns.
 *
 *   events in:  sup_boot, sup_child_ready, sup_child_exited,
 *               sup_child_leftovers, sup_child_gone,
 *               sup_child_start_failed, sup_child_watchdog, sup_timer,
 *               sup_cmd_*, sup_shutdown          (each takes `now`, in ms)
 *   actions out: sup_actions() after every event, then sup_actions_clear()
 *   timers:     sup_next_deadline() is the earliest instant at which the
 *               core wants sup_timer() called; the shell sleeps until then.
 *
 * Nodes.  A node is a worker (an OS process, "the child") or a supervisor
 * (an object inside otpd).  Every node except the root has a parent
 * supervisor; children are kept in start order.  Node ids are unique for
 * the life of the tree and never reused; a node removed from the tree stays
 * readable until sup_actions_clear(), so actions may point at it.
 *
 * Node states (what `otpctl status` shows):
 *   STOPPED     no process; OTP pid `undefined`
 *   STARTING    spawned, waiting for readiness (workers) or for its
 *               children to start (supervisors)
 *   RUNNING     started
 *   STOPPING    otpd asked it to stop and waits for it to be gone
 *   RESTARTING  a restart attempt failed; a retry is queued (OTP
 *               `{restarting, Old}`), or restart_delay is running
 *
 * A supervisor is busy while it starts a child (a restart, a start
 * command), runs a group restart, starts or stops: exits of other children
 * and commands wait until it is done, as in OTP, whose supervisor is
 * blocked in those calls.  A supervisor that is killed (brutal_kill, or its
 * shutdown deadline passed) kills its whole subtree at once.
 *
 * Invariants the tests check: a worker has at most one live process
 * (and, during an overlapping restart, one more: overlap.c); every
 * termination of siblings walks reverse start order (unless shutdown_order
 * is parallel); a supervisor whose restart history exceeds its intensity
 * exits; no action names a node the shell was told to forget; deaths otpd
 * caused are never crashes; nothing starts under a stopping supervisor.
 *
 * Cascades (group restarts, shutdowns, escalation) run through an explicit
 * work queue, never recursion, so tree depth and width cannot overflow the
 * stack.
 */
#ifndef OTPD_SUPERVISOR_H
#define OTPD_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SUP_NAME_MAX 64                 /* characters, [a-zA-Z0-9_.@-] */
#define SUP_NO_DEADLINE INT64_MAX
#define SUP_SHUTDOWN_BRUTAL (-2)        /* shutdown = brutal_kill */
#define SUP_SHUTDOWN_INFINITY (-1)      /* shutdown = infinity */

enum sup_type { SUP_WORKER, SUP_SUPERVISOR };
enum sup_strategy { SUP_ONE_FOR_ONE, SUP_ONE_FOR_ALL, SUP_REST_FOR_ONE, SUP_SIMPLE_ONE_FOR_ONE };
enum sup_restart { SUP_PERMANENT, SUP_TRANSIENT, SUP_TEMPORARY };
enum sup_auto_shutdown { SUP_AUTO_NEVER, SUP_AUTO_ANY, SUP_AUTO_ALL };
/* How a supervisor stops several children (its end, a group restart's stop
 * phase): one at a time in reverse start order (OTP), or all at once. */
enum sup_shutdown_order { SUP_ORDER_REVERSE, SUP_ORDER_PARALLEL };
enum sup_state { SUP_STOPPED, SUP_STARTING, SUP_RUNNING, SUP_STOPPING, SUP_RESTARTING };

/*
 * What the core needs to know of a node.  Filled by the config loader
 * (config/), copied into the tree by sup_tree_add().  `user` is opaque to
 * the core: the shell keeps the worker's exec details there.
 */
/* One in every config node and every core node: fields ordered so that
 * there is no padding hole (184 bytes). */
struct sup_spec {
	char name[SUP_NAME_MAX + 1];
	bool significant;
	enum sup_type type;
	enum sup_restart restart;       /* default permanent */
	int stop_signal;                /* default SIGTERM */
	int64_t shutdown_ms;            /* >= 0, or SUP_SHUTDOWN_* ; default 5000 / infinity */
	int64_t ready_timeout_ms;       /* 0: none */
	int64_t watchdog_ms;            /* 0: none */
	int64_t restart_delay_ms;       /* 0: OTP-exact immediate retry */
	/* transient: extra clean outcomes (systemd SuccessExitStatus=), as
	 * sets: sup_success_add/sup_success_has */
	uint64_t success_exit[4];       /* exit code c: bit c % 64 of word c / 64 */
	uint64_t success_signal;        /* signal s (1..64): bit s - 1 */
	/* supervisors only */
	enum sup_strategy strategy;     /* default one_for_one */
	int intensity;                  /* OTP MaxR, default 1 */
	int64_t period_ms;              /* OTP MaxT, default 5000 */
	enum sup_auto_shutdown auto_shutdown;
	enum sup_shutdown_order shutdown_order; /* default reverse; simple_one_for_one:
	                                           always parallel */
	void *user;
};

/*
 * Can `name` name a node?  1 to SUP_NAME_MAX characters of [a-zA-Z0-9_.@-],
 * not "." or "..", not starting with '-', nor with a cgroup controller and
 * a dot ("cgroup.", "memory.", ...: cgroupfs files).  The one check for
 * every name (config sections, start-child --name).  false: *ret_why (if
 * not NULL) says why, as a static string.
 */
#define SUP_NAME_RULE "name must be 1 to 64 characters of [a-zA-Z0-9_.@-]"
bool sup_name_valid(const char *name, const char **ret_why);

/* Fill `s` with OTP's defaults for a node of `type` named `name`. */
void sup_spec_init(struct sup_spec *s, enum sup_type type, const char *name);

/* Why a node last stopped (otpctl(1), JSON OUTPUT, last_exit). */
enum sup_reason_kind {
	SUP_R_NONE,             /* never exited */
	SUP_R_NORMAL,           /* exit 0 */
	SUP_R_EXIT,             /* exit:N */
	SUP_R_SIGNAL,           /* signal:SIGxxx (died by itself) */
	SUP_R_KILLED,           /* killed by otpd after its timeout (or brutal_kill) */
	SUP_R_SHUTDOWN,         /* stopped by otpd in time; also a supervisor's exit */
	SUP_R_OOM,
	SUP_R_WATCHDOG,
	SUP_R_START_FAILED,     /* start_failed:<why> */
	SUP_R_PING_TIMEOUT,     /* killed: no answer to otpd's mailbox ping in time */
};

struct sup_reason {
	enum sup_reason_kind kind;
	int code;               /* exit code, or signal number */
	char why[160];          /* for START_FAILED */
};

/* Render `r` as otpctl(1) spells it ("exit:3", "signal:SIGSEGV", ...). */
int sup_reason_format(const struct sup_reason *r, char *buf, size_t len);

/* success_exit: add or ask for an exit code (0..255, exit) or a signal
 * (1..64, !exit); what is out of range is never in the set. */
void sup_success_add(struct sup_spec *s, bool exit, int v);
bool sup_success_has(const struct sup_spec *s, bool exit, int v);

struct sup_node;
struct sup_tree;

/* --- actions ----------------------------------------------------------- */

enum sup_action_kind {
	SUP_A_SPAWN,            /* start the worker's process; answer with
	                           sup_child_ready / sup_child_start_failed */
	SUP_A_SIGNAL,           /* send `signo` (+SIGCONT) to the worker's main process,
	                           or after it exited to what it left (leftovers) */
	SUP_A_KILL,             /* SIGKILL the worker's whole cgroup (or process) */
	SUP_A_REPLY,            /* a management command finished: cookie, result */
	SUP_A_EXITED,           /* informational: node stopped, with reason
	                           (log it); `counted` says it was a crash */
	SUP_A_RESTART,          /* informational: restart decided for node */
	SUP_A_GAVE_UP,          /* informational: supervisor reached max
	                           restart intensity because of `child` */
	SUP_A_FORGET,           /* node left the tree: release what the shell
	                           holds for it (mailbox, cgroup; with `final`,
	                           everything) */
	SUP_A_STATE,            /* node changed state (for waiters, status) */
	SUP_A_OTPD_EXIT,        /* the root is done: otpd exits with `code` */
};

/* Management command results (OTP's error atoms). */
enum sup_result {
	SUP_OK = 0,
	SUP_E_NOT_FOUND,
	SUP_E_RUNNING,
	SUP_E_RESTARTING,
	SUP_E_ALREADY_PRESENT,
	SUP_E_SIMPLE_ONE_FOR_ONE,       /* verb not valid on/for a simple_one_for_one child */
	SUP_E_NOT_SIMPLE,               /* start-child on a static supervisor */
	SUP_E_START_FAILED,             /* start attempt failed; detail in reason */
	SUP_E_SHUTTING_DOWN,            /* otpd is stopping the tree */
	SUP_E_NOT_RUNNING,              /* kill: no process to signal */
	SUP_E_INVALID,                  /* bad argument (name, signal) */
	SUP_E_NOMEM,
	SUP_E_NOPROC,                   /* the node's supervisor is not running
	                                   (start-child: the supervisor itself) */
	SUP_E_BUSY,                     /* overlap: one is under way, or a command on the
	                                   worker; the shell: a reload while an upgrade
	                                   is under way */
};

const char *sup_result_str(enum sup_result r);

struct sup_action {
	enum sup_action_kind kind;
	struct sup_node *node;          /* SPAWN SIGNAL KILL EXITED RESTART FORGET STATE GAVE_UP */
	struct sup_node *child;         /* GAVE_UP: the child whose restart went over */
	int signo;                      /* SIGNAL */
	bool cont;                      /* SIGNAL: also send SIGCONT (a stop) */
	uint64_t cookie;                /* REPLY */
	enum sup_result result;         /* REPLY */
	struct sup_reason reason;       /* EXITED; REPLY on SUP_E_START_FAILED */
	bool counted;                   /* EXITED: handled as a crash (restart logic ran) */
	bool final;                     /* FORGET: gone for good (dynamic, or removed by a
	                                   reload); else it returns when its supervisor
	                                   starts again */
	bool held;                      /* GAVE_UP of the root while it is held
	                                   (sup_tree_hold_root): it does not exit */
	int code;                       /* OTPD_EXIT */
	bool other;                     /* SPAWN SIGNAL KILL: for the worker's second
	                                   process (an overlapping restart) */
	enum sup_state state;           /* STATE: the state entered (a node may pass
	                                   through several in one batch) */
};

/* --- the tree ------------------------------------------------------------ */

/* A new tree whose root supervisor has `root` as spec.  NULL on ENOMEM. */
struct sup_tree *sup_tree_new(const struct sup_spec *root);
void sup_tree_free(struct sup_tree *t);

/*
 * Append a child with `spec` to supervisor `parent`, last in start order.
 * Returns the node, or NULL with *ret_err set (SUP_E_NOT_FOUND: parent is not
 * a supervisor; SUP_E_ALREADY_PRESENT: name taken; SUP_E_SIMPLE_ONE_FOR_ONE:
 * a simple_one_for_one supervisor already has its template; SUP_E_NOMEM).
 * Used while building a tree, before sup_boot().
 */
struct sup_node *sup_tree_add(struct sup_tree *t, struct sup_node *parent,
			      const struct sup_spec *spec, enum sup_result *ret_err);

struct sup_node *sup_tree_root(struct sup_tree *t);
struct sup_node *sup_find(struct sup_tree *t, const char *name);
/* Also nodes out of the tree for now (deleted, exited temporary): their
 * names stay reserved until they come back or a reload removes them. */
struct sup_node *sup_find_any(struct sup_tree *t, const char *name);

/* --- events ------------------------------------------------------------ */

/* Start the whole tree (the root supervisor's init). */
void sup_boot(struct sup_tree *t, int64_t now);

/* The worker spawned for `n` is ready (execve done, READY=1, or fd:N). */
void sup_child_ready(struct sup_tree *t, struct sup_node *n, int64_t now);

/* The worker could not be started; no process of it remains. */
void sup_child_start_failed(struct sup_tree *t, struct sup_node *n, const char *why, int64_t now);

/* Flags for sup_child_exited(). */
#define SUP_EXIT_OOM 0x1                /* the cgroup saw an OOM kill */

/*
 * The worker `n` is gone (main process reaped and, with cgroups, its cgroup
 * empty).  `wstatus` is as from waitpid(2).  Exits of nodes the core is not
 * waiting for are ignored.
 */
void sup_child_exited(struct sup_tree *t, struct sup_node *n, int wstatus, unsigned flags,
		      int64_t now);

/*
 * A worker is its cgroup (otp.conf(5)): n's main process exited with
 * `wstatus`, and processes it left behind remain in its cgroup.  The core
 * stops them as it stops a worker (SIGNAL with the stop signal and SIGCONT,
 * KILL at the shutdown deadline, KILL at once for brutal_kill; while the
 * main process is gone, SIGNAL and KILL reach what it left), shows the
 * node STOPPING, and handles the exit only when the shell reports
 * sup_child_gone().  A worker otpd was stopping keeps its deadline.
 */
void sup_child_leftovers(struct sup_tree *t, struct sup_node *n, int wstatus, unsigned flags,
			 int64_t now);
/* The leftovers of n are gone (its cgroup is empty): its exit counts now. */
void sup_child_gone(struct sup_tree *t, struct sup_node *n, int64_t now);

/* sd_notify WATCHDOG=1 from `n`: push its watchdog deadline. */
void sup_child_watchdog(struct sup_tree *t, struct sup_node *n, int64_t now);

/*
 * A running worker did not answer otpd's mailbox ping in time (the shell
 * times pings): killed like a watchdog miss, and its exit, whatever the
 * wait status says, is a crash with reason ping_timeout.  Ignored unless
 * n is a running worker not already killed for a miss.
 */
void sup_child_ping_timeout(struct sup_tree *t, struct sup_node *n, int64_t now);

/* Deadlines up to `now` have passed. */
void sup_timer(struct sup_tree *t, int64_t now);

/* Earliest instant the core wants sup_timer(), or SUP_NO_DEADLINE. */
int64_t sup_next_deadline(const struct sup_tree *t);

/* Orderly shutdown of the whole tree (SIGTERM, otpctl shutdown). */
void sup_shutdown(struct sup_tree *t, int64_t now);

/*
 * Management commands.  Each ends with exactly one SUP_A_REPLY carrying
 * `cookie`, in this batch or a later one (stop waits for the child to be
 * gone, start for it to be ready or to fail).
 */
void sup_cmd_start(struct sup_tree *t, const char *name, uint64_t cookie, int64_t now);
void sup_cmd_stop(struct sup_tree *t, const char *name, uint64_t cookie, int64_t now);
void sup_cmd_restart(struct sup_tree *t, const char *name, uint64_t cookie, int64_t now);
void sup_cmd_delete(struct sup_tree *t, const char *name, uint64_t cookie, int64_t now);
void sup_cmd_kill(struct sup_tree *t, const char *name, int signo, uint64_t cookie, int64_t now);
/*
 * Start a dynamic child of simple_one_for_one supervisor `sup`, named
 * `name` (NULL: "<template>@N"), with `args` (argc strings, copied) to be
 * appended to the template's exec.  The reply's node is the new child.
 */
void sup_cmd_start_child(struct sup_tree *t, const char *sup, const char *name, int argc,
			 char *const *args, uint64_t cookie, int64_t now);

/*
 * --- overlapping restarts (overlap.c; otpctl(1) restart --overlap) -------
 * A running worker gets a second process (SPAWN with `other`) while its
 * process keeps running.  The shell answers with sup_overlap_ready (it has
 * made the new process the worker's, the old one is now the other) or
 * sup_overlap_exited (the second process is gone: `why` a start failure,
 * else `wstatus`).  Once ready, the old process is stopped as the worker
 * is stopped (SIGNAL/KILL with `other`); the reply (SUP_OK) comes when it
 * is gone.  The new process not ready within `timeout_ms` (0: none), its
 * exit, or the old one's exit or stop before the switch: the new process
 * is stopped and the reply is SUP_E_START_FAILED ("overlap: ...").
 * Nothing of an overlap counts toward intensity; the switch counts as a
 * restart of the worker (`restarts`).  Refused: SUP_E_INVALID for a
 * supervisor, SUP_E_NOT_RUNNING unless the worker runs, SUP_E_BUSY while
 * an overlap or a command on it is under way or its supervisor is not
 * running.
 */
void sup_cmd_overlap(struct sup_tree *t, const char *name, int64_t timeout_ms, uint64_t cookie,
		     int64_t now);
void sup_overlap_ready(struct sup_tree *t, struct sup_node *n, int64_t now);
void sup_overlap_exited(struct sup_tree *t, struct sup_node *n, int wstatus, const char *why,
			int64_t now);
/* An overlapping restart of n is under way (its second process may live). */
bool sup_node_overlapping(const struct sup_node *n);
/* ... and waits for the new process to be ready (the shell swaps only then). */
bool sup_overlap_awaits_ready(const struct sup_node *n);

/*
 * --- reload (reload.c; its deviations from OTP: otp.conf(5)) ------------
 * The shell diffs two configurations and applies the difference with these.
 */

/* Insert a new, stopped child of `parent` right after `after` (NULL: first).
 * Errors as sup_tree_add; start it with sup_cmd_start. */
struct sup_node *sup_tree_insert(struct sup_tree *t, struct sup_node *parent,
				 struct sup_node *after, const struct sup_spec *spec,
				 enum sup_result *ret_err);
/*
 * Replace n's spec in place (OTP code_change): state, process and restart
 * history are kept, the new spec counts from the next event.  The name, the
 * type and simple_one_for_one-ness cannot change (SUP_E_INVALID).  A
 * template's dynamic children follow it.
 */
enum sup_result sup_node_respec(struct sup_node *n, const struct sup_spec *spec);
/* Move n right after sibling `after` (NULL: first) in start order. */
enum sup_result sup_node_place(struct sup_node *n, struct sup_node *after);
/*
 * Stop `name` (as sup_cmd_stop) and then take it and its subtree out of the
 * tree for good: FORGET for every node, names free for reuse.  Replies once
 * it is out.
 */
void sup_cmd_remove(struct sup_tree *t, const char *name, uint64_t cookie, int64_t now);
/* A reload removed n; a plan of its supervisor may still hold it for a
 * while (its spec.user then points into a config that is gone). */
bool sup_node_removed(const struct sup_node *n);

/*
 * --- re-execution (save.c, restore.c; otpd(8), RE-EXECUTION) ------------
 * otpd saves the tree's runtime state before it execs itself, and the new
 * image puts it back on the tree it builds from the same configuration.
 */

/*
 * Can the tree be saved now?  Never while a command waits for its reply,
 * a reload's removal or an overlapping restart is under way or the tree
 * shuts down.  `strict` also
 * asks for a settled tree: nothing stopping, and every supervisor idle or
 * only waiting for the child it is starting to be ready.  false: *ret_node
 * is the node in the way and *ret_why says what it does ("is stopping"),
 * either may be NULL.
 */
bool sup_tree_quiet(const struct sup_tree *t, bool strict, const struct sup_node **ret_node,
		    const char **ret_why);
/*
 * The runtime state of every node (not the specs) as bytes, instants as
 * offsets from `now`.  0 and *ret_buf (malloc'd), -EBUSY (not quiet) or
 * -ENOMEM.
 */
int sup_save(const struct sup_tree *t, int64_t now, void **ret_buf, size_t *ret_len);
/*
 * Put a saved state back on `t`, built from the same configuration and
 * never booted, with `now` as the origin of the saved offsets.  No action
 * comes of it.  0, or -EINVAL/-ENOMEM with why (may be NULL) saying what
 * did not fit; `t` is then half-restored, only fit to be freed.
 */
int sup_restore(struct sup_tree *t, const void *buf, size_t len, int64_t now, char *why,
		size_t why_len);

/* --- actions ----------------------------------------------------------- */

const struct sup_action *sup_actions(const struct sup_tree *t, size_t *ret_n);
/* Forget the batch; frees nodes that left the tree. */
void sup_actions_clear(struct sup_tree *t);

/* --- reading nodes (status, count_children) ---------------------------- */

const char *sup_node_name(const struct sup_node *n);
uint64_t sup_node_id(const struct sup_node *n);
const struct sup_spec *sup_node_spec(const struct sup_node *n);
enum sup_type sup_node_type(const struct sup_node *n);
enum sup_state sup_node_state(const struct sup_node *n);
const char *sup_state_str(enum sup_state s);
struct sup_node *sup_node_parent(const struct sup_node *n);
/* Children in start order. */
struct sup_node *sup_node_first(const struct sup_node *sup);
struct sup_node *sup_node_next(const struct sup_node *n);
/*
 * The node after `n` in a depth-first walk, in start order, of the subtree
 * of `top` (parents before their children):
 *     for (n = top; n; n = sup_walk_next(top, n))
 * Nodes out of the tree for now (deleted, exited temporary) are skipped.
 */
struct sup_node *sup_walk_next(const struct sup_node *top, const struct sup_node *n);
/* sup_walk_next() over every node, those out of the tree for now (and a
 * simple_one_for_one template) included. */
struct sup_node *sup_walk_all(const struct sup_node *top, const struct sup_node *n);
unsigned sup_node_restarts(const struct sup_node *n);
/* Copies the node's last exit into *buf (nodes keep it compact) and returns buf. */
const struct sup_reason *sup_node_last_exit(const struct sup_node *n, struct sup_reason *buf);
/* Dynamic child: the extra arguments given to start-child. */
char *const *sup_node_args(const struct sup_node *n, int *ret_argc);
bool sup_node_is_dynamic(const struct sup_node *n);
/* Instant the node last became RUNNING (ms), or -1. */
int64_t sup_node_since(const struct sup_node *n);
/* The shell's per-node data (pid, pidfd, pipes); the core never reads it. */
void *sup_node_shell(const struct sup_node *n);
void sup_node_set_shell(struct sup_node *n, void *p);

struct sup_counts { int specs, active, supervisors, workers; };
/* OTP count_children for supervisor `sup`. */
struct sup_counts sup_count_children(const struct sup_node *sup);

/* A supervisor's restarts that still count toward its intensity at `now`
 * (its history within `period`); 0 for a worker. */
int sup_node_window_restarts(const struct sup_node *sup, int64_t now);

/* A stopped node that failed: start failure, or a supervisor that gave up. */
bool sup_node_failed(const struct sup_node *n);

/*
 * Did an allocation fail since the last call (the core then dropped part of
 * a decision: a queued restart, a deadline)?  Clears the note.
 */
bool sup_out_of_memory(struct sup_tree *t);

/* Is the whole tree stopped after sup_shutdown / a root exit? */
bool sup_tree_done(const struct sup_tree *t);

/*
 * Hold the root (otpctl upgrade's window, otpctl(1) UPGRADE): while held,
 * a restart that would take the root over its intensity does not end the
 * tree.  The core emits GAVE_UP for the root with `held` set, leaves the
 * child whose restart went over stopped (a temporary one leaves the tree,
 * as always), and starts the root's restart history afresh, as if otpd had
 * started again; the shell decides what comes next (a rollback).  Other
 * supervisors give up as always.
 */
void sup_tree_hold_root(struct sup_tree *t, bool hold);

/* Is `r` a clean end for `n` (transient's rule: normal, shutdown, a
 * success_exit code, SIGTERM/SIGINT/SIGHUP/SIGPIPE)? */
bool sup_node_exit_clean(const struct sup_node *n, const struct sup_reason *r);

#endif
