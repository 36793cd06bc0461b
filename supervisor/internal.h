/*
 * internal.h: data shared by the files of supervisor/.  Nothing here is
 * visible outside the module.
 *
 * A supervisor runs at most one "plan" at a time: an ordered set of its
 * children to terminate (walked backwards, one at a time, or all at once
 * for simple_one_for_one and shutdown_order = parallel) and then to start
 * (walked forwards, each waiting for the previous one to be ready).  Init,
 * group restarts, shutdown, the start of one child (a restart, or the
 * start of a command) and the stop of one child for a command are all
 * plans; only their ending differs.  While a plan runs, exits of children
 * outside it and management commands wait in the supervisor's deferred
 * queue, as messages wait in an OTP supervisor's mailbox while it is
 * blocked in a start or a termination.
 */
#ifndef OTPD_SUPERVISOR_INTERNAL_H
#define OTPD_SUPERVISOR_INTERNAL_H

#include "supervisor.h"

/* Why otpd is stopping a node (set while STOPPING). */
enum sup_stop_why {
	SUP_STOP_NONE,
	SUP_STOP_PLAN,          /* the parent's plan (group restart, shutdown, init abort) */
	SUP_STOP_CMD,           /* stop or restart command */
	SUP_STOP_READY_TIMEOUT, /* started too slowly: a start failure once gone */
};

/* What a pending command on a node waits for. */
enum sup_pending {
	SUP_PEND_NONE,
	SUP_PEND_STOP,          /* reply once stopped */
	SUP_PEND_RESTART,       /* once stopped, start; reply once started */
	SUP_PEND_START,         /* reply once started or failed */
	SUP_PEND_REMOVE,        /* once stopped, leave the tree; then reply */
};

enum sup_plan_kind {
	SUP_PLAN_NONE,
	SUP_PLAN_INIT,          /* start every child; a failure aborts */
	SUP_PLAN_INIT_ABORT,    /* terminating what init started; then fail */
	SUP_PLAN_GROUP,         /* one_for_all / rest_for_one restart */
	SUP_PLAN_SHUTDOWN,      /* terminate everything; then exit */
	SUP_PLAN_START,         /* one child starting (restart, start command):
	                           OTP's start is a synchronous call */
	SUP_PLAN_STOP,          /* one child stopping for a command (stop, the
	                           stop half of restart): OTP's terminate_child
	                           is a synchronous call too */
};

enum sup_phase { SUP_PHASE_TERM, SUP_PHASE_START };

struct sup_deferred {
	enum { SUP_DEF_EXIT, SUP_DEF_CMD, SUP_DEF_RESTART, SUP_DEF_RETRY } kind;
	struct sup_node *node;                  /* EXIT, RESTART, RETRY */
	struct sup_reason reason;               /* EXIT */
	int cmd;                                /* CMD: enum sup_cmd_kind */
	char name[SUP_NAME_MAX + 1];            /* target (START_CHILD: the supervisor) */
	char child[SUP_NAME_MAX + 1];           /* START_CHILD: --name, or "" */
	int signo;
	uint64_t cookie;
	int argc;
	char **args;
	struct sup_deferred *next;
};

/* Runtime of a supervisor node. */
struct sup_sv {
	int64_t *hist;                  /* restart instants, oldest first */
	int hist_n, hist_cap;
	enum sup_plan_kind plan;
	enum sup_phase phase;
	struct sup_node **set;          /* plan members in start order; NULL = removed */
	size_t set_n, set_cap;
	size_t cur;                     /* TERM: members left (walks down); START: next index */
	size_t waiting;                 /* parallel terminations outstanding */
	bool parallel;                  /* TERM phase: all at once (shutdown_order) */
	struct sup_node *failed;        /* group start: the child that failed */
	struct sup_reason exit_reason;  /* why the supervisor itself will exit */
	int exit_code;                  /* root: otpd exit code when done */
	unsigned next_dyn;              /* <template>@N counter */
	struct sup_deferred *dq_head, *dq_tail;
	bool draining;
};

/* An overlapping restart under way (overlap.c). */
enum sup_ov_phase { SUP_OV_STARTING, SUP_OV_RETIRING, SUP_OV_ABORTING };
struct sup_ov {
	struct sup_node *node;
	struct sup_ov *next;            /* tree->ovs */
	int64_t deadline;               /* SUP_NO_DEADLINE: none */
	uint64_t cookie;
	enum sup_ov_phase phase;
	bool kill_sent;
	char why[64];                   /* ABORTING: why it failed */
};

/*
 * A node's last exit as kept.  struct sup_reason carries a 160-byte `why`
 * for a failed start only; kept in every node it was most of a node's
 * size (issue 19: memory per child), so here it is on the heap, and only
 * when there is one (node.c).
 */
struct sup_last {
	enum sup_reason_kind kind;
	int code;
	char *why;                      /* NULL: none */
};

struct sup_node {
	uint64_t id;
	struct sup_spec spec;
	struct sup_tree *tree;
	struct sup_node *parent;
	struct sup_node *prev, *next;   /* siblings, start order */
	struct sup_node *first, *last;  /* children */
	struct sup_node *hnext;         /* name hash chain */
	struct sup_node *gnext;         /* tree->graveyard */
	enum sup_state state;
	unsigned restarts;
	struct sup_last last_exit;      /* sup_last_set / sup_last_get */
	int64_t since;
	int64_t deadline;
	size_t heap_idx;                /* SIZE_MAX: not in the heap */
	void *shell;
	bool dynamic;                   /* simple_one_for_one child */
	bool hidden;                    /* temporary/deleted: out of the tree until re-init */
	bool freed;                     /* left the tree: freed at actions_clear */
	bool removed;                   /* reload took it out for good (reload.c) */
	enum sup_reason_kind fired;     /* killed for a liveness miss: WATCHDOG,
	                                   PING_TIMEOUT; NONE: not */
	bool leftovers;                 /* worker: main process gone, its cgroup not empty */
	bool kill_sent;                 /* worker: SIGKILL sent; supervisor: its subtree
	                                   was killed (brutal_kill, deadline passed) */
	bool is_template;
	bool crash_pending;             /* died during a plan; restart logic after it */
	bool gave_up;                   /* supervisor: last exit was max intensity */
	bool retrying;                  /* in a failing restart loop: while a retry is
	                                   STARTING, OTP shows it as `restarting` */
	enum sup_stop_why stop_why;
	enum sup_state left_from;       /* leftovers: the state the main process exited in */
	enum sup_reason_kind left_kind; /* leftovers: why the main process exited */
	int left_code;
	enum sup_pending pending;
	int argc;                       /* next to pending: no padding hole */
	uint64_t cookie;
	char **args;
	struct sup_sv *sv;              /* supervisors only */
	struct sup_ov *ov;              /* worker: an overlapping restart, or NULL */
};

struct sup_work {
	enum { SUP_W_UP, SUP_W_DOWN, SUP_W_FAILED, SUP_W_EXIT, SUP_W_DRAIN, SUP_W_STEP } kind;
	struct sup_node *node;
};

struct sup_tree {
	struct sup_node *root;
	uint64_t next_id;
	/* name index */
	struct sup_node **buckets;
	size_t n_buckets, n_names;
	/* actions of the current batch */
	struct sup_action *acts;
	size_t n_acts, cap_acts;
	/* work queue (FIFO ring) */
	struct sup_work *work;
	size_t w_head, w_len, w_cap;
	/* deadline heap */
	struct sup_node **heap;
	size_t heap_n, heap_cap;
	struct sup_node *graveyard;     /* dynamic nodes to free at actions_clear */
	struct sup_ov *ovs;             /* overlapping restarts under way */
	int64_t now;
	bool shutting_down;
	bool done;
	bool hold_root;                 /* sup_tree_hold_root */
	bool oom;                       /* an allocation failed: the batch is incomplete */
};

/* actions.c: a batch of this many actions is kept allocated between
 * batches (a restart's batch fits); larger ones are given back. */
#define SUP_ACTS_KEEP 16
/* node.c: set (copies r->why) and read a node's last exit. */
void sup_last_set(struct sup_node *n, const struct sup_reason *r);
void sup_last_get(const struct sup_node *n, struct sup_reason *ret);
void sup_emit(struct sup_tree *t, const struct sup_action *a);
void sup_emit_node(struct sup_tree *t, enum sup_action_kind k, struct sup_node *n);
/* FORGET of a node gone for good (SUP_A_FORGET, final). */
void sup_emit_final_forget(struct sup_tree *t, struct sup_node *n);
void sup_emit_reply(struct sup_tree *t, uint64_t cookie, enum sup_result r,
		    const struct sup_reason *why);
void sup_set_state(struct sup_node *n, enum sup_state s);
void sup_work_push(struct sup_tree *t, int kind, struct sup_node *n);
void sup_work_run(struct sup_tree *t);

/* timer.c */
void sup_deadline_set(struct sup_node *n, int64_t at);
void sup_deadline_after(struct sup_node *n, int64_t ms);
void sup_deadline_clear(struct sup_node *n);
struct sup_node *sup_deadline_due(struct sup_tree *t, int64_t now);

/* tree.c */
void sup_name_index(struct sup_tree *t, struct sup_node *n);
void sup_name_unindex(struct sup_tree *t, struct sup_node *n);
struct sup_node *sup_node_alloc(struct sup_tree *t, const struct sup_spec *spec);
void sup_node_link(struct sup_node *parent, struct sup_node *n);
void sup_node_link_after(struct sup_node *parent, struct sup_node *after, struct sup_node *n);
void sup_node_unlink(struct sup_node *n);
void sup_node_destroy(struct sup_node *n);
bool sup_is_simple(const struct sup_node *sup);

/* intensity.c */
bool sup_add_restart(struct sup_node *sup, int64_t now);

/* lifecycle.c: starting and terminating one node */
void sup_node_start(struct sup_node *n);
void sup_node_terminate(struct sup_node *n, enum sup_stop_why why);
void sup_worker_leftovers_stop(struct sup_node *n);
void sup_node_gone(struct sup_node *n, const struct sup_reason *r);
void sup_node_remove(struct sup_node *n);
void sup_node_hide(struct sup_node *n);
bool sup_node_live(const struct sup_node *n);
void sup_subtree_kill(struct sup_node *sup);

/* plan.c */
void sup_plan_begin(struct sup_node *sup, enum sup_plan_kind kind, struct sup_node *from);
void sup_plan_start_one(struct sup_node *sup, struct sup_node *n);
void sup_plan_stop_one(struct sup_node *sup, struct sup_node *n);
bool sup_plan_holds(const struct sup_node *sup, const struct sup_node *child);
void sup_plan_step(struct sup_node *sup);
void sup_plan_child_down(struct sup_node *sup, struct sup_node *child);
void sup_plan_child_up(struct sup_node *sup, struct sup_node *child);
void sup_plan_child_failed(struct sup_node *sup, struct sup_node *child);
bool sup_plan_member(const struct sup_node *sup, const struct sup_node *child);
void sup_exit_begin(struct sup_node *sup, const struct sup_reason *why);
void sup_exit_finish(struct sup_node *sup);
void sup_remove_dynamic(struct sup_node *sup);

/* restart.c */
void sup_child_crashed(struct sup_node *n, const struct sup_reason *r);
void sup_restart_decide(struct sup_node *n);
void sup_retry(struct sup_node *n);
void sup_defer_retry(struct sup_node *n);
void sup_give_up(struct sup_node *sup, struct sup_node *child);
void sup_auto_shutdown_check(struct sup_node *n);
int sup_reason_code(const struct sup_reason *r);
void sup_pending_reply(struct sup_node *n, enum sup_result r);

/* cmd.c */
enum sup_cmd_kind { SUP_CMD_START, SUP_CMD_STOP, SUP_CMD_RESTART, SUP_CMD_DELETE, SUP_CMD_KILL,
		    SUP_CMD_START_CHILD, SUP_CMD_REMOVE };
void sup_defer_push(struct sup_node *sup, struct sup_deferred *d);
void sup_defer_drain(struct sup_node *sup);
void sup_cmd_run(struct sup_tree *t, struct sup_deferred *d);
void sup_cmd_submit(struct sup_tree *t, int cmd, const char *name, int signo, uint64_t cookie,
		    int64_t now);
/* `n` is about to be freed: drop its queued exit, restart or retry. */
void sup_defer_forget(struct sup_node *n);
/* The supervisor leaves the tree: queued commands are answered not_found. */
void sup_defer_cancel(struct sup_node *sup);

/* reload.c */
/* n (stopped) and its subtree leave the tree for good. */
void sup_node_purge(struct sup_node *n);
/* The plan of `sup` ended: free the children reload removed meanwhile. */
void sup_purge_removed(struct sup_node *sup);
void sup_cmd_defer_start(struct sup_node *n);

/* overlap.c */
void sup_overlap_main_gone(struct sup_node *n, const char *why);
void sup_overlap_forget(struct sup_node *n);
void sup_overlap_kill(struct sup_node *n);
void sup_overlap_drop(struct sup_node *n);
int64_t sup_overlap_deadline(const struct sup_tree *t);
void sup_overlap_timer(struct sup_tree *t, int64_t now);

/* reasons */
void sup_reason_from_status(struct sup_reason *r, int wstatus);
bool sup_reason_clean(const struct sup_node *n, const struct sup_reason *r);
void sup_reason_set(struct sup_reason *r, enum sup_reason_kind k, int code);

/*
 * save.c, restore.c, save_codec.c: a tree saved for otpd's re-execution
 * (otpd(8), RE-EXECUTION).  The bytes are items: a tag (u16), a length
 * (u32) and as many bytes, little-endian; an item may hold items.  A
 * reader skips the tags it does not know (what a minor version adds).
 */
#define SUP_SAVE_VERSION 1              /* the core's part: its major version */
enum sup_save_tag {             /* top level */
	SV_VERSION = 1, SV_NEXT_ID, SV_NODE, SV_HEAP,
};
enum sup_save_node_tag {        /* in SV_NODE */
	NV_NAME = 1, NV_TYPE, NV_ID, NV_DYNAMIC, NV_ARG, NV_STATE, NV_RESTARTS, NV_LAST_EXIT,
	NV_SINCE, NV_FLAGS, NV_STOP_WHY, NV_LEFT_FROM, NV_LEFT_KIND, NV_LEFT_CODE, NV_HIST,
	NV_PLAN, NV_EXIT_REASON, NV_EXIT_CODE, NV_NEXT_DYN, NV_DEFER, NV_PARENT,
};
enum sup_save_misc_tag {        /* in a reason, a plan, a deferred entry, a heap entry */
	RV_KIND = 1, RV_CODE, RV_WHY,
	PV_KIND = 1, PV_PHASE, PV_CUR, PV_WAITING, PV_PARALLEL, PV_FAILED, PV_MEMBER,
	DV_KIND = 1, DV_NODE, DV_REASON,
	HV_ENTRY = 1, HV_NAME = 1, HV_IN,
};
/* NV_FLAGS bits */
#define SUP_SF_HIDDEN 0x1
#define SUP_SF_WATCHDOG_FIRED 0x2
#define SUP_SF_LEFTOVERS 0x4
#define SUP_SF_KILL_SENT 0x8
#define SUP_SF_CRASH_PENDING 0x10
#define SUP_SF_GAVE_UP 0x20
#define SUP_SF_RETRYING 0x40
#define SUP_SF_PING_FIRED 0x80        /* fired = PING_TIMEOUT (0x2: WATCHDOG) */

struct sup_wbuf {
	unsigned char *p;
	size_t len, cap;
	bool oom;
};
void sup_w_bytes(struct sup_wbuf *w, unsigned tag, const void *v, size_t n);
void sup_w_u64(struct sup_wbuf *w, unsigned tag, uint64_t v);
void sup_w_str(struct sup_wbuf *w, unsigned tag, const char *s);
/* An item holding items: open it, write them, close it with what open returned. */
size_t sup_w_open(struct sup_wbuf *w, unsigned tag);
void sup_w_close(struct sup_wbuf *w, size_t at);

struct sup_rbuf {
	const unsigned char *p;
	size_t n;
};
/* The next item of r: 1 (tag and value), 0 at the end, -1 when r is cut short. */
int sup_r_next(struct sup_rbuf *r, unsigned *ret_tag, struct sup_rbuf *ret_v);
bool sup_r_u64(const struct sup_rbuf *v, uint64_t *ret);
/* A string of at most len - 1 bytes and no NUL. */
bool sup_r_str(const struct sup_rbuf *v, char *buf, size_t len);

#endif
