/*
 * index.c: nodes by name, in O(1).
 *
 * An open-addressing table (linear probing, at most half full) of indexes
 * into an array whose elements begin with a struct cfg_node: the parsed
 * sections while loading (struct cfg_pnode), the result's nodes after.
 * The names stay in the nodes; the table holds index + 1 (0: empty slot).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

_Static_assert(offsetof(struct cfg_pnode, node) == 0, "a pnode begins with its node");

static const char *name_at(const void *base, size_t stride, size_t i)
{
	return ((const struct cfg_node *)((const char *)base + i * stride))->spec.name;
}

static size_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)(h ^ (h >> 32));
}

/* The slot holding `name`, or the empty slot where it would go. */
static size_t slot_of(const struct cfg_name_index *ix, const char *name, const void *base,
		      size_t stride)
{
	size_t mask = ix->cap - 1, j = name_hash(name) & mask;

	while (ix->slot[j] && strcmp(name_at(base, stride, ix->slot[j] - 1), name) != 0)
		j = (j + 1) & mask;
	return j;
}

size_t cfg_index_find(const struct cfg_name_index *ix, const char *name, const void *base,
		      size_t stride)
{
	size_t j;

	if (!ix->cap || !name)
		return CFG_NONE;
	j = slot_of(ix, name, base, stride);
	return ix->slot[j] ? ix->slot[j] - 1 : CFG_NONE;
}

static int index_grow(struct cfg_name_index *ix, const void *base, size_t stride)
{
	struct cfg_name_index big = { .cap = ix->cap ? 2 * ix->cap : 64, .n = ix->n };

	big.slot = calloc(big.cap, sizeof(*big.slot));
	if (!big.slot)
		return -ENOMEM;
	for (size_t j = 0; j < ix->cap; j++)
		if (ix->slot[j])
			big.slot[slot_of(&big, name_at(base, stride, ix->slot[j] - 1), base,
					 stride)] = ix->slot[j];
	free(ix->slot);
	*ix = big;
	return 0;
}

int cfg_index_add(struct cfg_name_index *ix, size_t i, const void *base, size_t stride)
{
	size_t j;

	if (2 * (ix->n + 1) > ix->cap && index_grow(ix, base, stride) < 0)
		return -ENOMEM;
	j = slot_of(ix, name_at(base, stride, i), base, stride);
	if (!ix->slot[j])
		ix->n++;
	ix->slot[j] = i + 1;
	return 0;
}

void cfg_index_free(struct cfg_name_index *ix)
{
	free(ix->slot);
	memset(ix, 0, sizeof(*ix));
}
