/*
 * core.h: the one doorway into the supervision core (ARCHITECTURE.md).
 *
 * The pure core (supervisor/) decides; this doorway is the only caller of
 * its entry points and the only place that carries out the actions they
 * return.  It owns the tree and the configuration in force.  Every event
 * source of otpd (the reaper, the notify socket, the cgroup watch, signals,
 * the control socket, reload, the core's own timer) hands its event to a
 * core_* function here; each call feeds the core, then runs the batch of
 * actions to its end, dispatching each action to the room that carries it
 * out (spawn and signals: worker/, cgroup kills: cgroup/, replies: their
 * requester, states and departures: the watchers).
 *
 * Rules that keep this simple:
 *   - an action is carried out without calling back into the core; what a
 *     spawn settles at once (failed, or exec'd with ready = exec) comes back
 *     as the action's result and is fed to the core after the batch;
 *   - a requester's `done` and a watcher never call a core_* event or
 *     command: to act on a reply they post a job (core_post), which runs
 *     once the batch is over;
 *   - a reply goes straight to its requester, never through another room.
 */
#ifndef OTPD_INIT_CORE_H
#define OTPD_INIT_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "../config/config.h"
#include "../supervisor/supervisor.h"

/* --- lifetime (main.c) ---------------------------------------------------- */

struct core_setup {
	struct otp_config *cfg;         /* the core owns it from now on */
	const char *config_path;        /* -c PATH, NULL: the defaults (reload reads it again) */
	bool pid1;
};

/* Build the tree from the configuration.  0 or -errno. */
int core_init(const struct core_setup *s);
/* Start the whole tree (the root supervisor's init). */
void core_boot(void);
/* The root is done (shutdown, give-up, auto_shutdown): otpd exits. */
bool core_done(void);
int core_exit_code(void);
/* RB_POWER_OFF, RB_AUTOBOOT, RB_HALT_SYSTEM asked for, or 0. */
int core_halt_how(void);
/* What PID 1 does when the tree is done unless told otherwise (a VM's init
 * has nowhere to return to: RB_POWER_OFF). */
void core_halt_on_exit(int how);
/* Release what the core owns (the process is leaving). */
void core_fini(void);

/* --- what the rooms may read ------------------------------------------------ */

const struct otp_config *core_config(void);
const char *core_config_path(void);
bool core_pid1(void);
/* An orderly shutdown of the tree is under way. */
bool core_stopping(void);
struct sup_node *core_root(void);
struct sup_node *core_find(const char *name);
/* Also nodes out of the tree for now (deleted, exited temporary). */
struct sup_node *core_find_any(const char *name);

/* --- events ------------------------------------------------------------------ */

void core_child_ready(struct sup_node *n);
void core_child_start_failed(struct sup_node *n, const char *why);
/* The worker is gone: main process reaped, nothing left in its cgroup. */
void core_child_exited(struct sup_node *n, int wstatus, unsigned flags);
/* The main process was reaped, processes it left are in its cgroup (the
 * core stops them); then, once the cgroup is empty, core_child_gone(). */
void core_child_leftovers(struct sup_node *n, int wstatus, unsigned flags);
void core_child_gone(struct sup_node *n);
void core_child_watchdog(struct sup_node *n);
/* An overlapping restart's second process is ready (the doorway swaps the
 * processes: worker/overlap.c), or it is gone (why: a start failure). */
void core_overlap_ready(struct sup_node *n);
void core_overlap_exited(struct sup_node *n, int wstatus, const char *why);
/* A running worker did not answer otpd's mailbox ping in time (worker/ping.c). */
void core_child_ping_timeout(struct sup_node *n);
/* Orderly shutdown of the tree (SIGTERM, otpctl shutdown); halt_how for PID 1. */
void core_shutdown(int halt_how);

/*
 * --- commands -------------------------------------------------------------
 * A requester waits for one reply: `done` runs exactly once with it (maybe
 * before the command function returns), unless the requester cancels
 * first.  `r` NULL: nobody waits.
 */
struct core_req {
	void (*done)(struct core_req *r, const struct sup_action *reply);
	uint64_t cookie;                /* the doorway's, while pending; 0: none */
	struct core_req *next;
};

void core_cmd_start(const char *name, struct core_req *r);
void core_cmd_stop(const char *name, struct core_req *r);
void core_cmd_restart(const char *name, struct core_req *r);
/* restart --overlap: the new process starts while the old one runs
 * (supervisor.h, sup_cmd_overlap); timeout_ms 0: none. */
void core_cmd_overlap(const char *name, int64_t timeout_ms, struct core_req *r);
void core_cmd_delete(const char *name, struct core_req *r);
void core_cmd_kill(const char *name, int signo, struct core_req *r);
/* The reply's node is the new child. */
void core_cmd_start_child(const char *sup, const char *name, int argc, char *const *args,
			  struct core_req *r);
/* The requester goes away: its reply, when it comes, is dropped. */
void core_req_cancel(struct core_req *r);

/*
 * --- reload (reload.c) ------------------------------------------------------
 * Load the configuration again and apply the difference.  `t` hears what
 * happens as lines (err: a problem), then its `done` with SUP_OK or an
 * error result; t NULL (SIGHUP): only logged.
 */
struct core_verdict;
struct core_talk {
	struct core_req req;
	void (*say)(struct core_talk *t, bool err, const char *line);
	/* upgrade: the verdict, instead of req.done (which it never gets) */
	void (*verdict)(struct core_talk *t, const struct core_verdict *v);
};
void core_reload(struct core_talk *t, bool keep_running);

/*
 * --- upgrade (upgrade.c) ------------------------------------------------------
 * otpctl upgrade (otpctl(1) UPGRADE): load the configuration at `path`
 * (absolute), apply it as a reload does, watch the tree for `within_ms`
 * (0: no watch), and roll back to the configuration in force before if
 * the watch fails.  `t` hears lines as it goes, then exactly one verdict
 * (unless it cancels: t->req, core_req_cancel); the upgrade goes on
 * without it.
 */
enum core_outcome {
	CORE_UPGRADED,          /* NEW is in force */
	CORE_UPGRADE_REFUSED,   /* nothing changed: error says why */
	CORE_ROLLED_BACK,       /* the watch failed; the previous configuration is back */
	CORE_ROLLBACK_FAILED,   /* ... and it could not be applied: the tree is left as it is */
	CORE_UPGRADE_ENDED,     /* otpd is shutting down: the watch ended, no rollback */
};
struct core_verdict {
	enum core_outcome outcome;
	const char *error;      /* a word for programs: "invalid", "busy", "shutting_down",
	                           "out_of_memory", "rolled_back", "rollback_failed" */
	const char *message;    /* one line for people */
	const char *child;      /* rolled back: the node that failed the watch, or NULL */
	const char *last_exit;  /* ... its last exit as otpctl spells it ("none": never ran) */
};
void core_upgrade(struct core_talk *t, const char *path, int64_t within_ms);
/*
 * otpctl upgrade --binary (upgrade_binary.c): re-execute as `path`, watch
 * the tree for `within_ms` (< 0: the default), and go back to the binary
 * that ran before when the watch fails or the new one crashes.  `t`
 * hears lines, then its answer (from whichever image ends it).
 */
void core_upgrade_binary(struct core_talk *t, const char *path, int64_t within_ms);

/* An upgrade under way, for otpctl status. */
struct core_upgrade_info {
	const char *phase;      /* "applying", "watching", "rolling_back" */
	const char *config;     /* NEW's path */
	int64_t within_ms;
	int64_t deadline;       /* watching: the end of the window (monotonic ms); else 0 */
};
/* true and *ret filled while an upgrade is under way. */
bool core_upgrade_info(struct core_upgrade_info *ret);

/*
 * --- re-execution (reexec.c; otpd(8), RE-EXECUTION) -------------------------
 * Replace otpd's image with `binary` (NULL: the running one), keeping every
 * child: once the tree has settled, and once the binary checked it can read
 * the state.  `t` hears why it is refused (its done: an error); on success
 * otpd is replaced and the new image answers `t` (a control client, whose
 * connection goes through the exec), and finds `note` (NULL: none) in
 * core_reexec_note().  t NULL (a signal): only logged.  The way in for
 * anything that re-executes otpd (upgrade --binary).
 */
void core_reexec(const char *binary, const char *note, struct core_talk *t);
/* In the new image: the note the old one left, or NULL. */
const char *core_reexec_note(void);
/* In the new image: an O_PATH descriptor of the binary that ran before the
 * last re-execution (a way back), or -1. */
int core_reexec_prev_binary(void);

/*
 * --- watchers -----------------------------------------------------------------
 * Told of every SPAWN (once carried out: the worker's pid is known, 0 when
 * the spawn failed), STATE, EXITED, RESTART, GAVE_UP and FORGET (before
 * the node's shell state goes) action; of a node whose shown state changed
 * outside the core (frozen, thawed); and of what happens outside the core
 * (notes: a reload is over).  Watchers only look and answer their own
 * clients.  Any callback may be NULL.
 */
enum core_note {
	CORE_NOTE_RELOADED,             /* a reload applied a configuration */
	CORE_NOTE_RELOAD_FAILED,        /* a reload changed nothing; detail: why */
	CORE_NOTE_UPGRADE_STARTED,      /* config, within_ms */
	CORE_NOTE_UPGRADED,             /* config: the watch passed */
	CORE_NOTE_UPGRADE_FAILED,       /* config; detail: why nothing changed */
	CORE_NOTE_ROLLED_BACK,          /* child, last_exit; detail: why */
	CORE_NOTE_ROLLBACK_FAILED,      /* child, last_exit; detail: why the rollback failed */
};
struct core_note_info {
	enum core_note what;
	const char *config;             /* upgrade: NEW's path; else NULL */
	int64_t within_ms;              /* upgrade_started */
	const char *child;              /* rolled back: the node that failed the watch */
	const char *last_exit;          /* ... and its last exit */
	const char *detail;             /* why, or NULL */
};
struct core_watcher {
	void (*action)(struct core_watcher *w, const struct sup_action *a);
	void (*shown)(struct core_watcher *w, struct sup_node *n);
	void (*note)(struct core_watcher *w, const struct core_note_info *note);
	struct core_watcher *next;
};
void core_watch(struct core_watcher *w);
/* Tell the watchers n's shown state changed (freeze, thaw). */
void core_node_shown(struct sup_node *n);
/* Tell the watchers of a note (reload.c, upgrade.c). */
void core_note(const struct core_note_info *note);

/* Run fn(data) once the current batch is over (now, outside a batch). */
int core_post(void (*fn)(void *data), void *data);

#endif
