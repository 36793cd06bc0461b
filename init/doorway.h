/*
 * doorway.h: what the files of the doorway's room lend each other: core.c
 * to reload.c and upgrade.c, reload.c to upgrade.c, upgrade_watch.c to
 * upgrade.c (nobody else includes this but the unit tests).  Reload edits
 * the tree in place (insert, respec, place: no actions come of those) and
 * issues commands.
 */
#ifndef OTPD_INIT_DOORWAY_H
#define OTPD_INIT_DOORWAY_H

#include "base/base.h"
#include "core.h"

struct sup_tree *core_tree(void);
/* The reloaded configuration is in force; the old one is the caller's to free. */
void core_config_swap(struct otp_config *cfg);
/* Register r as waiting for a reply the caller will give (core_answer); its cookie. */
uint64_t core_request(struct core_req *r);
/* The requester still waiting under `cookie`, or NULL (answered, cancelled). */
struct core_req *core_pending(uint64_t cookie);
/* Answer the requester waiting under `cookie` (if still there) with `result`. */
void core_answer(uint64_t cookie, enum sup_result result);
/*
 * Unit tests only: run the doorway over a tree and a configuration built
 * by hand (the core frees neither); core_use(NULL, NULL) lets go.
 */
void core_use(struct sup_tree *t, struct otp_config *cfg);
/* Stop and remove a node for good (sup_cmd_remove). */
void core_cmd_remove(const char *name, struct core_req *r);
/* Take the requester waiting under `cookie` off the pending list (it gets
 * no reply from the doorway then), or NULL (answered, cancelled). */
struct core_req *core_take(uint64_t cookie);
/* Hold the root: its give-up does not end otpd (sup_tree_hold_root). */
void core_hold_root(bool hold);

/*
 * --- reload.c, for upgrade.c -------------------------------------------------
 * A round of reload run for the upgrade.  `what` names it in the log
 * ("upgrade", "rollback"); `touched` hears each worker step 2 adds,
 * starts or restarts, before any of them starts; then `applied` gets the
 * configuration that was in force (the hook's to keep or free) and how
 * many nodes could not be added or respecced.  Both run in step 2, a job,
 * outside any batch.
 */
struct reload_hooks {
	const char *what;
	void (*touched)(void *data, const char *name);
	void (*applied)(void *data, struct otp_config *old, unsigned failures);
	void *data;
};
/* A reload round is under way (loading, removing), or one waits for it. */
bool reload_busy(void);
/*
 * Apply `cfg` (the round owns it), or if NULL the configuration loaded
 * from `path`, as a reload does, with `t` as the round's one requester
 * (its lines, then its answer once applied: SUP_OK, SUP_E_INVALID,
 * SUP_E_NOMEM).  The caller made sure that !reload_busy().
 */
void reload_apply(struct core_talk *t, const char *path, struct otp_config *cfg,
		  const struct reload_hooks *h);

/* --- upgrade.c ------------------------------------------------------------------ */

/* An upgrade is under way: the line that says so (reloads are refused); else NULL. */
const char *upgrade_busy(void);
/* otpd shuts down: the watch ends, no rollback, the requester is told. */
void upgrade_stopping(void);
/* otpd leaves: free what the upgrade holds. */
void upgrade_fini(void);

/*
 * --- upgrade_watch.c: the watch over the tree after a change -----------------
 * Used by the upgrade (and, later, by upgrade --binary): `fail` is what to
 * do when the change did not take.  The watch looks at the workers it was
 * given (watch_add: those the change added, started or restarted) and at
 * every supervisor, from watch_begin until its deadline, and fails at the
 * first of:
 *   - a supervisor gives up (also the root's give-up, which the owner holds
 *     with core_hold_root so that otpd does not exit meanwhile);
 *   - a watched worker ends by itself, unless it is transient or temporary
 *     and ends cleanly (sup_node_exit_clean); a failed start is an end;
 *   - at the deadline, a watched worker that is not running (and ready):
 *     still starting, restarting, stopping, or stopped without a clean end
 *     or a stop that otpd was asked for.
 * Otherwise it passes at the deadline.  The verdict (`fail` or `pass`, and
 * then the watch is over) always comes from the watch's own timer, never
 * inside a batch of actions: a failure seen in a batch arms it at once.
 */
struct watch {
	void (*fail)(struct watch *w);  /* w->child, w->last_exit, w->why say what */
	void (*pass)(struct watch *w);
	char child[SUP_NAME_MAX + 1];   /* "" when no node is to blame */
	char last_exit[200];
	char why[256];
	/* the watch's own */
	struct watch_node *nodes;
	size_t n, cap;
	bool active, failed, registered;
	int64_t deadline;
	struct ev_timer timer;
	struct core_watcher watcher;
};
/* Watch worker `name` too.  0 or -ENOMEM. */
int watch_add(struct watch *w, const char *name);
/* Start watching until now + within_ms (what was added before is watched). */
void watch_begin(struct watch *w, int64_t within_ms);
/* Fail at once (from outside the tree: a change could not be applied). */
void watch_fail(struct watch *w, const char *child, const char *last_exit, const char *why);
/* Stop watching, no verdict; forget the workers. */
void watch_end(struct watch *w);

/*
 * Re-execution (reexec.c, reexec_state.c; otpd(8), RE-EXECUTION): the
 * tree's runtime state saved (sup_save) and restored on the tree core_init
 * built (sup_restore); is the tree settled (sup_tree_quiet, strict); the
 * timer armed again once every room is back.
 */
int core_save_tree(int64_t now, void **ret_buf, size_t *ret_len);
int core_restore_tree(const void *buf, size_t len, int64_t now, char *why, size_t why_len);
bool core_quiet(const struct sup_node **ret_node, const char **ret_why);
void core_restored(void);

#endif
