/*
 * save.c: the tree's runtime state, saved for otpd's re-execution
 * (otpd(8), RE-EXECUTION); restore.c puts it back on a tree built from
 * the same configuration.
 *
 * Specs are not saved: the configuration rebuilds them.  What is saved is
 * what events changed: every node's state, restart count, last exit, the
 * instant it became running, its flags; each supervisor's restart history,
 * the plan it runs, what waits in its queue; dynamic children with their
 * arguments; and the deadline heap as it is, entry by entry, so that
 * deadlines due at the same instant fire in the same order.  Instants are
 * saved as offsets from `now` (the restore's `now` is the new origin),
 * deadlines as the time left.
 *
 * A tree cannot be saved while a command waits for its reply (the reply's
 * cookie names a requester of the process that is going away), while a
 * reload's removal is under way, or during shutdown.
 */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

static const char *plan_word(enum sup_plan_kind k)
{
	switch (k) {
	case SUP_PLAN_INIT: return "starting its children";
	case SUP_PLAN_INIT_ABORT: return "stopping the children of a failed start";
	case SUP_PLAN_GROUP: return "restarting a group of children";
	case SUP_PLAN_SHUTDOWN: return "stopping its children";
	case SUP_PLAN_START: return "starting a child";
	case SUP_PLAN_STOP: return "stopping a child";
	default: return "busy";
	}
}

/* A plan that only waits for its current child to be started. */
static bool plan_waits_start(const struct sup_sv *sv)
{
	return sv->plan == SUP_PLAN_NONE ||
	       (sv->phase == SUP_PHASE_START && sv->plan != SUP_PLAN_INIT_ABORT &&
		sv->plan != SUP_PLAN_SHUTDOWN && sv->cur < sv->set_n &&
		sv->set[sv->cur]->state == SUP_STARTING);
}

static bool queue_has_command(const struct sup_sv *sv)
{
	for (const struct sup_deferred *d = sv->dq_head; d; d = d->next)
		if (d->kind == SUP_DEF_CMD)
			return true;
	return false;
}

/*
 * Why `n` keeps the tree from being saved (strict: from settling), or
 * NULL.  Pass 0 looks at what a node itself does, pass 1 at supervisors'
 * plans: a supervisor stopping a child is named by the child.
 */
static const char *node_busy(const struct sup_node *n, bool strict, int pass)
{
	if (pass == 1)
		return strict && n->sv && !plan_waits_start(n->sv) ? plan_word(n->sv->plan) : NULL;
	if (n->removed)
		return "is being removed by a reload";
	if (strict && n->state == SUP_STOPPING)
		return "is stopping";
	if (n->pending != SUP_PEND_NONE)
		return "has a command under way";
	/* Its second process is not saved: an overlap ends first (otpd(8)). */
	if (n->ov)
		return "is in an overlapping restart";
	if (n->sv && queue_has_command(n->sv))
		return "has commands waiting";
	return NULL;
}

bool sup_tree_quiet(const struct sup_tree *t, bool strict, const struct sup_node **ret_node,
		    const char **ret_why)
{
	const char *why = NULL;
	const struct sup_node *n = t->root;

	if (t->shutting_down || t->done)
		why = "is shutting down";
	for (int pass = 0; !why && pass < 2; pass++)
		for (n = t->root; n; n = sup_walk_all(t->root, n))
			if ((why = node_busy(n, strict, pass)))
				break;
	if (!why)
		return true;
	if (ret_node)
		*ret_node = n;
	if (ret_why)
		*ret_why = why;
	return false;
}

static void save_reason(struct sup_wbuf *w, unsigned tag, const struct sup_reason *r)
{
	size_t at = sup_w_open(w, tag);

	sup_w_u64(w, RV_KIND, (uint64_t)r->kind);
	sup_w_u64(w, RV_CODE, (uint64_t)(int64_t)r->code);
	sup_w_str(w, RV_WHY, r->why);
	sup_w_close(w, at);
}

static unsigned node_flags(const struct sup_node *n)
{
	return (n->hidden ? SUP_SF_HIDDEN : 0) | (n->fired == SUP_R_WATCHDOG ? SUP_SF_WATCHDOG_FIRED : 0) |
	       (n->fired == SUP_R_PING_TIMEOUT ? SUP_SF_PING_FIRED : 0) |
	       (n->leftovers ? SUP_SF_LEFTOVERS : 0) | (n->kill_sent ? SUP_SF_KILL_SENT : 0) |
	       (n->crash_pending ? SUP_SF_CRASH_PENDING : 0) | (n->gave_up ? SUP_SF_GAVE_UP : 0) |
	       (n->retrying ? SUP_SF_RETRYING : 0);
}

static void save_plan(struct sup_wbuf *w, const struct sup_sv *sv)
{
	size_t at;

	if (sv->plan == SUP_PLAN_NONE)
		return;
	at = sup_w_open(w, NV_PLAN);
	sup_w_u64(w, PV_KIND, (uint64_t)sv->plan);
	sup_w_u64(w, PV_PHASE, (uint64_t)sv->phase);
	sup_w_u64(w, PV_CUR, sv->cur);
	sup_w_u64(w, PV_WAITING, sv->waiting);
	sup_w_u64(w, PV_PARALLEL, sv->parallel);
	if (sv->failed)
		sup_w_str(w, PV_FAILED, sv->failed->spec.name);
	for (size_t i = 0; i < sv->set_n; i++)
		sup_w_str(w, PV_MEMBER, sv->set[i]->spec.name);
	sup_w_close(w, at);
}

static void save_queue(struct sup_wbuf *w, const struct sup_sv *sv)
{
	for (const struct sup_deferred *d = sv->dq_head; d; d = d->next) {
		size_t at = sup_w_open(w, NV_DEFER);

		sup_w_u64(w, DV_KIND, (uint64_t)d->kind);
		sup_w_str(w, DV_NODE, d->node->spec.name);
		if (d->kind == SUP_DEF_EXIT)
			save_reason(w, DV_REASON, &d->reason);
		sup_w_close(w, at);
	}
}

static void save_sv(struct sup_wbuf *w, const struct sup_node *n, int64_t now)
{
	const struct sup_sv *sv = n->sv;

	for (int i = 0; i < sv->hist_n; i++)
		sup_w_u64(w, NV_HIST, (uint64_t)(now - sv->hist[i]));
	save_plan(w, sv);
	save_reason(w, NV_EXIT_REASON, &sv->exit_reason);
	sup_w_u64(w, NV_EXIT_CODE, (uint64_t)(int64_t)sv->exit_code);
	sup_w_u64(w, NV_NEXT_DYN, sv->next_dyn);
	save_queue(w, sv);
}

static void save_node(struct sup_wbuf *w, const struct sup_node *n, int64_t now)
{
	size_t at = sup_w_open(w, SV_NODE);
	struct sup_reason last;

	sup_w_str(w, NV_NAME, n->spec.name);
	sup_w_str(w, NV_PARENT, n->parent ? n->parent->spec.name : "");
	sup_w_u64(w, NV_TYPE, (uint64_t)n->spec.type);
	sup_w_u64(w, NV_ID, n->id);
	if (n->dynamic) {
		sup_w_u64(w, NV_DYNAMIC, 1);
		for (int i = 0; i < n->argc; i++)
			sup_w_str(w, NV_ARG, n->args[i]);
	}
	sup_w_u64(w, NV_STATE, (uint64_t)n->state);
	sup_w_u64(w, NV_RESTARTS, n->restarts);
	sup_last_get(n, &last);
	save_reason(w, NV_LAST_EXIT, &last);
	if (n->since >= 0)
		sup_w_u64(w, NV_SINCE, (uint64_t)(now - n->since));
	sup_w_u64(w, NV_FLAGS, node_flags(n));
	sup_w_u64(w, NV_STOP_WHY, (uint64_t)n->stop_why);
	if (n->leftovers) {
		sup_w_u64(w, NV_LEFT_FROM, (uint64_t)n->left_from);
		sup_w_u64(w, NV_LEFT_KIND, (uint64_t)n->left_kind);
		sup_w_u64(w, NV_LEFT_CODE, (uint64_t)(int64_t)n->left_code);
	}
	if (n->sv)
		save_sv(w, n, now);
	sup_w_close(w, at);
}

/* The heap as it is: entry i is heap[i], with the time left to its deadline. */
static void save_heap(struct sup_wbuf *w, const struct sup_tree *t, int64_t now)
{
	size_t at = sup_w_open(w, SV_HEAP);

	for (size_t i = 0; i < t->heap_n; i++) {
		size_t e = sup_w_open(w, HV_ENTRY);

		sup_w_str(w, HV_NAME, t->heap[i]->spec.name);
		sup_w_u64(w, HV_IN, (uint64_t)(t->heap[i]->deadline - now));
		sup_w_close(w, e);
	}
	sup_w_close(w, at);
}

int sup_save(const struct sup_tree *t, int64_t now, void **ret_buf, size_t *ret_len)
{
	struct sup_wbuf w = { 0 };

	if (!sup_tree_quiet(t, false, NULL, NULL))
		return -EBUSY;
	sup_w_u64(&w, SV_VERSION, SUP_SAVE_VERSION);
	sup_w_u64(&w, SV_NEXT_ID, t->next_id);
	/* Parents before children, siblings in start order, hidden ones too. */
	for (const struct sup_node *n = t->root; n; n = sup_walk_all(t->root, n))
		save_node(&w, n, now);
	save_heap(&w, t, now);
	if (w.oom) {
		free(w.p);
		return -ENOMEM;
	}
	*ret_buf = w.p;
	*ret_len = w.len;
	return 0;
}
