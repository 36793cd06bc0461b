/*
 * diff.c: what differs between two versions of one node, for a reload.
 */
#include <string.h>

#include "internal.h"

static bool simple(const struct cfg_node *n)
{
	return n->spec.type == SUP_SUPERVISOR && n->spec.strategy == SUP_SIMPLE_ONE_FOR_ONE;
}

/* The specs without the shell's pointer (nodes are zeroed before parsing,
 * so padding compares equal). */
static bool spec_differs(const struct cfg_node *a, const struct cfg_node *b)
{
	struct sup_spec sa, sb;

	memcpy(&sa, &a->spec, sizeof(sa));
	memcpy(&sb, &b->spec, sizeof(sb));
	sa.user = sb.user = NULL;
	return memcmp(&sa, &sb, sizeof(sa)) != 0;
}

unsigned cfg_node_changes(const struct cfg_node *a, const struct cfg_node *b)
{
	unsigned m = 0;

	if (a->spec.type != b->spec.type || strcmp(a->parent, b->parent) != 0 ||
	    simple(a) != simple(b))
		m |= CFG_CHANGED_SHAPE;
	if (a->fp_run != b->fp_run)
		m |= CFG_CHANGED_RUN;
	if (a->fp_limits != b->fp_limits)
		m |= CFG_CHANGED_LIMITS;
	if (spec_differs(a, b))
		m |= CFG_CHANGED_SPEC;
	return m;
}
