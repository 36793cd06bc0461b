/*
 * build.c: a supervision tree from a loaded config.
 */
#include <errno.h>

#include "internal.h"

int cfg_build_tree(const struct otp_config *c, struct sup_tree **ret_tree)
{
	struct sup_tree *t;

	if (!c || !ret_tree || c->n_nodes == 0)
		return -EINVAL;
	t = sup_tree_new(&c->nodes[0].spec);
	if (!t)
		return -ENOMEM;
	for (size_t i = 1; i < c->n_nodes; i++) {
		const struct cfg_node *n = &c->nodes[i];
		enum sup_result err = SUP_OK;

		if (!sup_tree_add(t, sup_find(t, n->parent), &n->spec, &err)) {
			sup_tree_free(t);
			/* a loaded config passed every check sup_tree_add makes */
			return err == SUP_E_NOMEM ? -ENOMEM : -EINVAL;
		}
	}
	*ret_tree = t;
	return 0;
}
