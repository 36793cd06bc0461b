/*
 * timer.c: one deadline per node (ready timeout, kill deadline, watchdog,
 * restart delay), kept in a binary min-heap so the next one is O(1) and
 * changes are O(log n).
 */
#include <stdlib.h>

#include "internal.h"

static void heap_swap(struct sup_tree *t, size_t a, size_t b)
{
	struct sup_node *x = t->heap[a];

	t->heap[a] = t->heap[b];
	t->heap[b] = x;
	t->heap[a]->heap_idx = a;
	t->heap[b]->heap_idx = b;
}

static void heap_up(struct sup_tree *t, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (t->heap[p]->deadline <= t->heap[i]->deadline)
			break;
		heap_swap(t, p, i);
		i = p;
	}
}

static void heap_down(struct sup_tree *t, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < t->heap_n && t->heap[l]->deadline < t->heap[m]->deadline)
			m = l;
		if (r < t->heap_n && t->heap[r]->deadline < t->heap[m]->deadline)
			m = r;
		if (m == i)
			return;
		heap_swap(t, i, m);
		i = m;
	}
}

void sup_deadline_clear(struct sup_node *n)
{
	struct sup_tree *t = n->tree;
	size_t i = n->heap_idx;

	n->deadline = SUP_NO_DEADLINE;
	if (i == SIZE_MAX)
		return;
	n->heap_idx = SIZE_MAX;
	t->heap_n--;
	if (i == t->heap_n)
		return;
	t->heap[i] = t->heap[t->heap_n];
	t->heap[i]->heap_idx = i;
	heap_up(t, i);
	heap_down(t, t->heap[i]->heap_idx);
}

/*
 * `ms` after now, saturated: a duration near INT64_MAX (a config may say
 * shutdown = 9223372036854775807ms) is "practically never", not a sum
 * that wraps into the past.
 */
void sup_deadline_after(struct sup_node *n, int64_t ms)
{
	int64_t now = n->tree->now;

	sup_deadline_set(n, ms >= SUP_NO_DEADLINE - 1 - now ? SUP_NO_DEADLINE - 1 : now + ms);
}

void sup_deadline_set(struct sup_node *n, int64_t at)
{
	struct sup_tree *t = n->tree;

	sup_deadline_clear(n);
	if (at == SUP_NO_DEADLINE)
		return;
	if (t->heap_n == t->heap_cap) {
		size_t cap = t->heap_cap ? t->heap_cap * 2 : 64;
		struct sup_node **h = realloc(t->heap, cap * sizeof(*h));

		if (!h) {
			t->oom = true;
			return;
		}
		t->heap = h;
		t->heap_cap = cap;
	}
	n->deadline = at;
	n->heap_idx = t->heap_n;
	t->heap[t->heap_n++] = n;
	heap_up(t, n->heap_idx);
}

/* Pop one node whose deadline is <= now, or NULL. */
struct sup_node *sup_deadline_due(struct sup_tree *t, int64_t now)
{
	if (!t->heap_n || t->heap[0]->deadline > now)
		return NULL;
	struct sup_node *n = t->heap[0];

	sup_deadline_clear(n);
	return n;
}

int64_t sup_next_deadline(const struct sup_tree *t)
{
	int64_t d = t->heap_n ? t->heap[0]->deadline : SUP_NO_DEADLINE;
	int64_t o = t->ovs ? sup_overlap_deadline(t) : SUP_NO_DEADLINE;

	return o < d ? o : d;
}
