/*
 * harness.h: a fake shell and a fake clock around the pure supervision
 * core, for the unit tests of supervisor/.
 *
 * The harness builds a tree, executes every action the core returns (new
 * fake pid per SPAWN, answers SPAWN with ready or start failure, answers
 * a stop signal with an exit after a per-worker delay, KILL with an exit by
 * SIGKILL), logs every action, and checks the core's invariants after each
 * batch: at most one live process per worker, no signal to a worker with no
 * process, stops of siblings in reverse start order, no supervisor history
 * over its intensity, no action naming a forgotten dynamic node, exactly
 * one reply per command, no live child under a stopped supervisor, nothing
 * starting under a stopping one or anywhere below one being killed.  Stop order is not checked below a
 * supervisor with shutdown_order = parallel, nor below one being killed.
 * With H_TRACE set in the environment every batch is printed to stderr.
 */
#ifndef OTPD_TESTS_SUPERVISOR_HARNESS_H
#define OTPD_TESTS_SUPERVISOR_HARNESS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../../supervisor/supervisor.h"

#define H_T0 1000000            /* the fake clock starts here (ms) */
#define H_NEVER (-1)            /* stop delay: the worker ignores its stop signal */
#define H_PENDING (-1)          /* command result: no reply yet */

/* waitpid-style statuses */
#define H_EXIT(code) (((code) & 0xff) << 8)
#define H_SIG(sig) ((sig) & 0x7f)

/* Masks of action kinds for h_trace / h_count. */
#define HM(k) (1u << (k))
#define H_SPAWN HM(SUP_A_SPAWN)
#define H_STOPS (HM(SUP_A_SIGNAL) | HM(SUP_A_KILL))
#define H_PROC (H_SPAWN | H_STOPS)
#define H_ALL 0xffffffffu

struct h;

/* Tree building.  `parent` NULL is the root. */
struct h *h_new(enum sup_strategy s, int intensity, int64_t period_ms);
struct h *h_new_spec(const struct sup_spec *root);
void h_free(struct h *h);
struct sup_tree *h_tree(struct h *h);
struct sup_node *h_add(struct h *h, const char *parent, const struct sup_spec *spec);
struct sup_node *h_worker(struct h *h, const char *parent, const char *name,
			  enum sup_restart restart);
struct sup_node *h_sup(struct h *h, const char *parent, const char *name, enum sup_strategy s,
		       int intensity, int64_t period_ms);
/* Invariant checks that cost O(siblings) per stop (off for huge trees). */
void h_check_order(struct h *h, bool on);

/* Events. Each runs until every answer due by now has been delivered. */
void h_boot(struct h *h);
void h_run(struct h *h);
void h_advance(struct h *h, int64_t ms);
/* Advance in steps until the tree is done or `max_ms` passed. */
void h_finish(struct h *h, int64_t max_ms);
void h_shutdown(struct h *h);
void h_crash(struct h *h, const char *name, int wstatus);
void h_crash_flags(struct h *h, const char *name, int wstatus, unsigned flags);
void h_watchdog(struct h *h, const char *name);
void h_ping_timeout(struct h *h, const char *name);
int64_t h_now(struct h *h);

/* Behaviour of the fake processes of one worker (by name). */
void h_fail_always(struct h *h, const char *name, bool on);
void h_fail_next(struct h *h, const char *name, int n);
void h_ready_delay(struct h *h, const char *name, int64_t ms);
void h_stop_delay(struct h *h, const char *name, int64_t ms);
void h_stop_status(struct h *h, const char *name, int wstatus);
/*
 * From now on the main process of `name` leaves processes behind when it
 * ends (a worker is its cgroup): they go `left_delay` ms after a stop
 * signal reaches them (H_NEVER: only SIGKILL ends them), at once on KILL.
 * H_NONE: it leaves nothing (the default).
 */
#define H_NONE (-2)
void h_leaves(struct h *h, const char *name, int64_t left_delay);
/* Non-zero while processes left by name's last main process live. */
int h_left(struct h *h, const char *name);
void h_manual(struct h *h, const char *name, bool on);
/* Defaults for workers added later (and dynamic children). */
void h_default_stop_delay(struct h *h, int64_t ms);
void h_default_fail_always(struct h *h, bool on);
void h_default_ready_delay(struct h *h, int64_t ms);
/* Answer a manual worker's SPAWN now. */
void h_ready(struct h *h, const char *name);
void h_start_fail(struct h *h, const char *name);

/* Commands; each returns the reply's result, or H_PENDING. */
int h_cmd_start(struct h *h, const char *name);
int h_cmd_stop(struct h *h, const char *name);
int h_cmd_restart(struct h *h, const char *name);
int h_cmd_delete(struct h *h, const char *name);
/*
 * restart --overlap.  The second process is not modelled: its actions are
 * logged (spawn+:N sig<S>+:N kill+:N) and not carried out; the test says
 * when it is ready (the worker gets a new pid) or gone.
 */
int h_cmd_overlap(struct h *h, const char *name, int64_t timeout_ms);
void h_overlap_ready(struct h *h, const char *name);
void h_overlap_exited(struct h *h, const char *name, int wstatus, const char *why);
int h_cmd_kill(struct h *h, const char *name, int signo);
/* Reload: stop and take out for good; insert stopped after `after` (NULL: first). */
int h_cmd_remove(struct h *h, const char *name);
struct sup_node *h_insert(struct h *h, const char *parent, const char *after,
			  const struct sup_spec *spec);
/* `ret_name` (SUP_NAME_MAX + 1 bytes, may be NULL) gets the new child's name. */
int h_cmd_start_child(struct h *h, const char *sup, const char *name, int argc,
		      char *const *args, char *ret_name);
/* Result of the last command issued (it may arrive later). */
int h_last_result(struct h *h);
uint64_t h_last_cookie(struct h *h);
int h_result(struct h *h, uint64_t cookie);

/* Reading state. */
struct sup_node *h_node(struct h *h, const char *name);
int h_pid(struct h *h, const char *name);
int h_spawns(struct h *h, const char *name);
enum sup_state h_state(struct h *h, const char *name);
unsigned h_restarts(struct h *h, const char *name);
struct sup_counts h_counts(struct h *h, const char *sup);
/* "specs,active,supervisors,workers" of a supervisor, e.g. "2,2,0,2". */
const char *h_counts_str(struct h *h, const char *sup);
/* last_exit of a node as sup_reason_format spells it. */
const char *h_last_exit(struct h *h, const char *name);
int h_otpd_exit(struct h *h);   /* -1: none */
int h_otpd_exits(struct h *h);

/* The action log. */
size_t h_mark(struct h *h);
/*
 * Actions since `from` whose kind is in `mask`, space separated:
 * spawn:N term:N sig<S>:N kill:N reply:<result> exit:N=<reason> (crash:N=<reason>
 * when counted) restart:N gaveup:SUP/CHILD forget:N N=<state> otpd_exit:<code>.
 */
const char *h_trace(struct h *h, size_t from, unsigned mask);
/* Actions since `from` of `kind` naming `name` (NULL: any). */
int h_count(struct h *h, size_t from, enum sup_action_kind kind, const char *name);
/* Instant (ms) of the first action since `from` of `kind` naming `name`, or -1. */
int64_t h_when(struct h *h, size_t from, enum sup_action_kind kind, const char *name);

/*
 * otpd's re-execution, in the core's terms: save the tree (sup_save), build
 * a fresh one with the same specs in the same order, restore the save on
 * it (sup_restore) and go on with the new tree.  false (nothing changed)
 * when the tree cannot be saved now.
 */
bool h_reexec(struct h *h);
/* A never booted tree with the specs and order of h's static nodes. */
struct sup_tree *h_twin(struct h *h);
/* What status would show of every node (state, restarts, last exit,
 * uptime, counts, window), one line; valid until the next h_* call. */
const char *h_dump(struct h *h);

/* End of a test: shut down, deliver everything, check the tree is consistent. */
void h_end(struct h *h);

#endif
