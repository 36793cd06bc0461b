/*
 * reload.c: what a configuration reload changes in a running tree
 * (OTP-SEMANTICS §8; where it differs from OTP: otp.conf(5), DEVIATIONS FROM
 * OTP).
 *
 * The shell diffs the old and the new configuration and drives the core
 * with these primitives: a spec replaced in place (OTP's code_change: the
 * process keeps running, the restart history is kept), a kept child moved
 * to its new place in start order, new children inserted stopped (started
 * by sup_cmd_start), and children taken out of the tree for good
 * (sup_cmd_remove, which stops them first).  Nothing here starts or stops
 * a process by itself.
 */
#include <string.h>

#include "internal.h"

static bool same_shape(const struct sup_node *n, const struct sup_spec *spec)
{
	if (n->spec.type != spec->type)
		return false;
	return n->spec.type != SUP_SUPERVISOR ||
	       (n->spec.strategy == SUP_SIMPLE_ONE_FOR_ONE) ==
	       (spec->strategy == SUP_SIMPLE_ONE_FOR_ONE);
}

static void spec_copy(struct sup_node *n, const struct sup_spec *spec)
{
	char name[SUP_NAME_MAX + 1];

	memcpy(name, n->spec.name, sizeof(name));
	n->spec = *spec;
	memcpy(n->spec.name, name, sizeof(name));
}

enum sup_result sup_node_respec(struct sup_node *n, const struct sup_spec *spec)
{
	if (!n || n->dynamic || !same_shape(n, spec))
		return SUP_E_INVALID;
	spec_copy(n, spec);
	/* Dynamic children are copies of the template: they follow it. */
	if (n->is_template)
		for (struct sup_node *c = n->parent->first; c; c = c->next)
			if (c->dynamic)
				spec_copy(c, spec);
	return SUP_OK;
}

enum sup_result sup_node_place(struct sup_node *n, struct sup_node *after)
{
	if (!n || !n->parent || n == after || (after && after->parent != n->parent))
		return SUP_E_INVALID;
	/* A template stays first: dynamic children are copied from it. */
	if (n->is_template || n->dynamic)
		return n->prev == after ? SUP_OK : SUP_E_INVALID;
	if (n->prev == after)
		return SUP_OK;
	/* A running plan walks its own copy of the order: relinking is safe. */
	sup_node_unlink(n);
	sup_node_link_after(n->parent, after, n);
	return SUP_OK;
}

/* Post-order successor of `n` within the subtree of `top`. */
static struct sup_node *post_next(struct sup_node *n, struct sup_node *top)
{
	if (n == top)
		return NULL;
	if (!n->next)
		return n->parent;
	for (n = n->next; n->first; n = n->first)
		;
	return n;
}

static struct sup_node *post_first(struct sup_node *top)
{
	struct sup_node *n = top;

	while (n->first)
		n = n->first;
	return n;
}

/* Every node of the subtree leaves the shell and the name index. */
static void subtree_forget(struct sup_node *top)
{
	struct sup_tree *t = top->tree;

	for (struct sup_node *n = post_first(top); n; n = post_next(n, top)) {
		/* Removed before and still held by a plan: forgotten already. */
		if (n->removed)
			continue;
		if (n->sv)
			sup_defer_cancel(n);
		sup_deadline_clear(n);
		n->removed = true;
		n->hidden = true;
		sup_emit_final_forget(t, n);
		sup_name_unindex(t, n);
	}
}

/* The subtree's memory goes at the end of the batch (actions may name it). */
static void subtree_bury(struct sup_node *top)
{
	struct sup_tree *t = top->tree;
	struct sup_node *n = post_first(top), *nx;

	/* Unlinked, but the parent pointer stays: the shell still needs the
	 * node's path (its cgroup) when it handles the FORGET. */
	sup_defer_forget(top);
	sup_node_unlink(top);
	for (; n; n = nx) {
		nx = post_next(n, top);
		n->freed = true;
		n->gnext = t->graveyard;
		t->graveyard = n;
	}
}

void sup_node_purge(struct sup_node *n)
{
	struct sup_node *p = n->parent;

	if (!n->removed)
		subtree_forget(n);
	/* A plan of the parent may still hold it: buried when the plan ends. */
	if (p && p->sv->plan != SUP_PLAN_NONE)
		return;
	subtree_bury(n);
}

void sup_purge_removed(struct sup_node *sup)
{
	struct sup_node *c = sup->first, *nx;

	for (; c; c = nx) {
		nx = c->next;
		if (c->removed && !c->freed)
			subtree_bury(c);
	}
}

void sup_cmd_remove(struct sup_tree *t, const char *name, uint64_t cookie, int64_t now)
{
	sup_cmd_submit(t, SUP_CMD_REMOVE, name, 0, cookie, now);
}

bool sup_node_removed(const struct sup_node *n)
{
	return n->removed;
}
