/*
 * tree.c: nodes, their links and the name index.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;    /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static int index_grow(struct sup_tree *t)
{
	size_t n = t->n_buckets ? t->n_buckets * 2 : 64;
	struct sup_node **b = calloc(n, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_buckets; i++) {
		struct sup_node *x = t->buckets[i], *nx;

		for (; x; x = nx) {
			nx = x->hnext;
			size_t j = name_hash(x->spec.name) & (n - 1);
			x->hnext = b[j];
			b[j] = x;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->n_buckets = n;
	return 0;
}

void sup_name_index(struct sup_tree *t, struct sup_node *n)
{
	if (t->n_names + 1 > t->n_buckets / 2 && index_grow(t) < 0 && !t->n_buckets) {
		t->oom = true;
		return;
	}
	size_t j = name_hash(n->spec.name) & (t->n_buckets - 1);
	n->hnext = t->buckets[j];
	t->buckets[j] = n;
	t->n_names++;
}

void sup_name_unindex(struct sup_tree *t, struct sup_node *n)
{
	if (!t->n_buckets)
		return;
	struct sup_node **p = &t->buckets[name_hash(n->spec.name) & (t->n_buckets - 1)];

	for (; *p; p = &(*p)->hnext) {
		if (*p == n) {
			*p = n->hnext;
			n->hnext = NULL;
			t->n_names--;
			return;
		}
	}
}

/* Any node with that name, hidden ones included (names stay reserved). */
struct sup_node *sup_find_any(struct sup_tree *t, const char *name)
{
	if (!t->n_buckets || !name)
		return NULL;
	struct sup_node *n = t->buckets[name_hash(name) & (t->n_buckets - 1)];

	for (; n; n = n->hnext)
		if (strcmp(n->spec.name, name) == 0)
			return n;
	return NULL;
}

struct sup_node *sup_find(struct sup_tree *t, const char *name)
{
	struct sup_node *n = sup_find_any(t, name);

	/* A child of a removed supervisor is out of the tree too. */
	for (struct sup_node *a = n; a; a = a->parent)
		if (a->hidden)
			return NULL;
	return n;
}

struct sup_node *sup_node_alloc(struct sup_tree *t, const struct sup_spec *spec)
{
	struct sup_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->spec = *spec;
	n->tree = t;
	n->id = ++t->next_id;
	n->heap_idx = SIZE_MAX;
	n->deadline = SUP_NO_DEADLINE;
	n->since = -1;
	if (spec->type == SUP_SUPERVISOR) {
		n->sv = calloc(1, sizeof(*n->sv));
		if (!n->sv) {
			free(n);
			return NULL;
		}
	}
	return n;
}

/* Link n under parent right after `after` (NULL: first in start order). */
void sup_node_link_after(struct sup_node *parent, struct sup_node *after, struct sup_node *n)
{
	n->parent = parent;
	n->prev = after;
	n->next = after ? after->next : parent->first;
	if (n->next)
		n->next->prev = n;
	else
		parent->last = n;
	if (after)
		after->next = n;
	else
		parent->first = n;
}

void sup_node_link(struct sup_node *parent, struct sup_node *n)
{
	sup_node_link_after(parent, parent->last, n);
}

void sup_node_unlink(struct sup_node *n)
{
	struct sup_node *p = n->parent;

	if (!p)
		return;
	if (n->prev)
		n->prev->next = n->next;
	else
		p->first = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		p->last = n->prev;
	n->prev = n->next = NULL;
}

static void deferred_free(struct sup_sv *sv)
{
	struct sup_deferred *d = sv->dq_head, *nx;

	for (; d; d = nx) {
		nx = d->next;
		for (int i = 0; i < d->argc; i++)
			free(d->args[i]);
		free(d->args);
		free(d);
	}
}

void sup_node_destroy(struct sup_node *n)
{
	if (!n)
		return;
	sup_overlap_drop(n);
	free(n->last_exit.why);
	for (int i = 0; i < n->argc; i++)
		free(n->args[i]);
	free(n->args);
	if (n->sv) {
		free(n->sv->hist);
		free(n->sv->set);
		deferred_free(n->sv);
		free(n->sv);
	}
	free(n);
}

bool sup_is_simple(const struct sup_node *sup)
{
	return sup->spec.type == SUP_SUPERVISOR && sup->spec.strategy == SUP_SIMPLE_ONE_FOR_ONE;
}

struct sup_tree *sup_tree_new(const struct sup_spec *root)
{
	struct sup_tree *t = calloc(1, sizeof(*t));
	struct sup_spec rs = *root;

	if (!t)
		return NULL;
	rs.type = SUP_SUPERVISOR;
	t->root = sup_node_alloc(t, &rs);
	if (!t->root || index_grow(t) < 0) {
		sup_tree_free(t);
		return NULL;
	}
	sup_name_index(t, t->root);
	return t;
}

struct sup_node *sup_tree_insert(struct sup_tree *t, struct sup_node *parent,
				 struct sup_node *after, const struct sup_spec *spec,
				 enum sup_result *ret_err)
{
	enum sup_result err = SUP_OK;
	struct sup_node *n = NULL;

	if (!parent || parent->spec.type != SUP_SUPERVISOR || (after && after->parent != parent))
		err = SUP_E_NOT_FOUND;
	else if (sup_find_any(t, spec->name))
		err = SUP_E_ALREADY_PRESENT;
	else if (sup_is_simple(parent) && parent->first)
		err = SUP_E_SIMPLE_ONE_FOR_ONE;
	else if (!(n = sup_node_alloc(t, spec)))
		err = SUP_E_NOMEM;
	if (err != SUP_OK) {
		if (ret_err)
			*ret_err = err;
		return NULL;
	}
	n->is_template = sup_is_simple(parent);
	sup_node_link_after(parent, after, n);
	sup_name_index(t, n);
	return n;
}

struct sup_node *sup_tree_add(struct sup_tree *t, struct sup_node *parent,
			      const struct sup_spec *spec, enum sup_result *ret_err)
{
	return sup_tree_insert(t, parent, parent ? parent->last : NULL, spec, ret_err);
}

static void subtree_free(struct sup_node *n)
{
	/* Iterative post-order walk: depth cannot overflow the stack. */
	while (n) {
		if (n->first) {
			n = n->first;
			continue;
		}
		struct sup_node *up = n->parent, *nx = n->next;

		if (up) {
			up->first = nx;
			if (!nx)
				up->last = NULL;
		}
		sup_node_destroy(n);
		n = nx ? nx : up;
	}
}

void sup_tree_free(struct sup_tree *t)
{
	if (!t)
		return;
	subtree_free(t->root);
	for (struct sup_node *g = t->graveyard, *nx; g; g = nx) {
		nx = g->gnext;
		sup_node_destroy(g);
	}
	free(t->buckets);
	free(t->acts);
	free(t->work);
	free(t->heap);
	free(t);
}

struct sup_node *sup_tree_root(struct sup_tree *t)
{
	return t->root;
}

bool sup_out_of_memory(struct sup_tree *t)
{
	bool oom = t->oom;

	t->oom = false;
	return oom;
}

bool sup_tree_done(const struct sup_tree *t)
{
	return t->done;
}

void sup_tree_hold_root(struct sup_tree *t, bool hold)
{
	t->hold_root = hold;
}

bool sup_node_exit_clean(const struct sup_node *n, const struct sup_reason *r)
{
	return sup_reason_clean(n, r);
}
