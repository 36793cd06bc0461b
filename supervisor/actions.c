/*
 * actions.c: the batch of actions handed to the shell, and the work queue
 * that carries cascades (a child up/down/failed reaching its parent)
 * without recursion.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void sup_emit(struct sup_tree *t, const struct sup_action *a)
{
	if (t->n_acts == t->cap_acts) {
		size_t cap = t->cap_acts ? t->cap_acts * 2 : SUP_ACTS_KEEP;
		struct sup_action *p = realloc(t->acts, cap * sizeof(*p));

		if (!p) {
			t->oom = true;
			return;
		}
		t->acts = p;
		t->cap_acts = cap;
	}
	t->acts[t->n_acts++] = *a;
}

void sup_emit_node(struct sup_tree *t, enum sup_action_kind k, struct sup_node *n)
{
	struct sup_action a = { .kind = k, .node = n };

	sup_emit(t, &a);
}

void sup_emit_final_forget(struct sup_tree *t, struct sup_node *n)
{
	struct sup_action a = { .kind = SUP_A_FORGET, .node = n, .final = true };

	sup_overlap_forget(n);
	sup_emit(t, &a);
}

void sup_emit_reply(struct sup_tree *t, uint64_t cookie, enum sup_result r,
		    const struct sup_reason *why)
{
	struct sup_action a = { .kind = SUP_A_REPLY, .cookie = cookie, .result = r };

	if (why)
		a.reason = *why;
	sup_emit(t, &a);
}

void sup_set_state(struct sup_node *n, enum sup_state s)
{
	struct sup_action a = { .kind = SUP_A_STATE, .node = n, .state = s };

	if (n->state == s)
		return;
	n->state = s;
	if (s == SUP_RUNNING) {
		n->since = n->tree->now;
		n->retrying = false;    /* a restart loop ends with a start that works */
	}
	sup_emit(n->tree, &a);
}

void sup_work_push(struct sup_tree *t, int kind, struct sup_node *n)
{
	if (t->w_len == t->w_cap) {
		size_t cap = t->w_cap ? t->w_cap * 2 : 32;
		struct sup_work *w = malloc(cap * sizeof(*w));

		if (!w) {
			t->oom = true;
			return;
		}
		for (size_t i = 0; i < t->w_len; i++)
			w[i] = t->work[(t->w_head + i) % t->w_cap];
		free(t->work);
		t->work = w;
		t->w_cap = cap;
		t->w_head = 0;
	}
	t->work[(t->w_head + t->w_len) % t->w_cap] = (struct sup_work){ kind, n };
	t->w_len++;
}

static void work_one(struct sup_tree *t, struct sup_work w)
{
	struct sup_node *p = w.node->parent;

	switch (w.kind) {
	case SUP_W_UP:
		if (p)
			sup_plan_child_up(p, w.node);
		break;
	case SUP_W_DOWN:
		if (p)
			sup_plan_child_down(p, w.node);
		break;
	case SUP_W_FAILED:
		if (p)
			sup_plan_child_failed(p, w.node);
		break;
	case SUP_W_EXIT: {
		struct sup_reason r;

		sup_last_get(w.node, &r);
		sup_child_crashed(w.node, &r);
		break;
	}
	case SUP_W_STEP:
		sup_plan_step(w.node);
		break;
	case SUP_W_DRAIN:
		sup_defer_drain(w.node);
		break;
	}
}

void sup_work_run(struct sup_tree *t)
{
	while (t->w_len) {
		struct sup_work w = t->work[t->w_head];

		t->w_head = (t->w_head + 1) % t->w_cap;
		t->w_len--;
		work_one(t, w);
	}
}

const struct sup_action *sup_actions(const struct sup_tree *t, size_t *ret_n)
{
	*ret_n = t->n_acts;
	return t->acts;
}

void sup_actions_clear(struct sup_tree *t)
{
	t->n_acts = 0;
	/* A boot or a big cascade grows the batch to many KiB: not kept. */
	if (t->cap_acts > 4 * SUP_ACTS_KEEP) {
		free(t->acts);
		t->acts = NULL;
		t->cap_acts = 0;
	}
	for (struct sup_node *g = t->graveyard, *nx; g; g = nx) {
		nx = g->gnext;
		sup_node_destroy(g);
	}
	t->graveyard = NULL;
}
