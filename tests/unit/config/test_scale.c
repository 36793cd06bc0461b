/*
 * A 40,000-node config (issue 18.14): loads with every node findable by
 * name and linked to its parent and previous sibling by index.  Loading
 * was quadratic (16 s for 40k workers); no timing is asserted here (that
 * is `make bench`'s), but a quadratic load would not end within the
 * runner's timeout under ASan.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cfgtest.h"

#define N_SUPS 400
#define PER_SUP 100

/* Workers first, their supervisors after (parents resolve late). */
static char *big_text(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	for (int i = 0; i < N_SUPS * PER_SUP; i++)
		fprintf(f, "[worker w%d]\nparent = s%d\nexec = /bin/w %d\n", i, i % N_SUPS, i);
	for (int s = 0; s < N_SUPS; s++)
		fprintf(f, "[supervisor s%d]\nparent = %s\n", s, s % 2 ? "root" : "top");
	fprintf(f, "[supervisor top]\n");
	cr_assert_eq(fclose(f), 0);
	return text;
}

static void links_check(const struct otp_config *c, size_t k)
{
	const struct cfg_node *n = &c->nodes[k], *p;

	cr_assert_eq(cfg_find(c, n->spec.name), n, "%s", n->spec.name);
	if (k == 0) {
		cr_assert_eq(n->parent_index, CFG_NO_NODE);
		cr_assert_eq(n->prev_sibling, CFG_NO_NODE);
		return;
	}
	cr_assert_lt(n->parent_index, k);
	p = &c->nodes[n->parent_index];
	cr_assert_str_eq(p->spec.name, n->parent);
	cr_assert_eq(n->depth, p->depth + 1);
	if (n->prev_sibling == CFG_NO_NODE) {
		cr_assert_eq(n->parent_index + 1, k, "%s is a first child", n->spec.name);
		return;
	}
	cr_assert_lt(n->prev_sibling, k);
	cr_assert_eq(c->nodes[n->prev_sibling].parent_index, n->parent_index);
}

Test(cfg_scale, forty_thousand_nodes, .timeout = 60)
{
	char *text = big_text();
	struct otp_config *c = load_ok(text);
	size_t first_children = 0;

	free(text);
	cr_assert_eq(c->n_nodes, 1 + 1 + N_SUPS + N_SUPS * PER_SUP);
	for (size_t k = 0; k < c->n_nodes; k++) {
		links_check(c, k);
		first_children += k > 0 && c->nodes[k].prev_sibling == CFG_NO_NODE;
	}
	/* one first child per supervisor with children: root, top, s0..s399 */
	cr_assert_eq(first_children, 2 + N_SUPS);
	/* w1 is the second child of s1: its previous sibling is none, w401 follows it */
	cr_assert_eq(cfg_find(c, "w401")->prev_sibling,
		     (size_t)(cfg_find(c, "w1") - c->nodes));
	cr_assert_eq(cfg_find(c, "w0")->depth, 3);
	cr_assert_null(cfg_find(c, "w40000"));
	cfg_free(c);
}

Test(cfg_scale, siblings_in_declaration_order)
{
	struct otp_config *c = load_ok("[worker a]\nexec = x\n[supervisor s]\n"
				       "[worker b]\nexec = x\n[worker s1]\nparent = s\nexec = x\n"
				       "[worker s2]\nparent = s\nexec = x\n");
	/* pre-order: root a s s1 s2 b */
	static const char *const pre[] = { "root", "a", "s", "s1", "s2", "b" };
	static const size_t prev[] = { CFG_NO_NODE, CFG_NO_NODE, 1, CFG_NO_NODE, 3, 2 };
	static const size_t parent[] = { CFG_NO_NODE, 0, 0, 2, 2, 0 };

	cr_assert_eq(c->n_nodes, 6);
	for (size_t k = 0; k < 6; k++) {
		cr_assert_str_eq(c->nodes[k].spec.name, pre[k]);
		cr_assert_eq(c->nodes[k].prev_sibling, prev[k], "%s", pre[k]);
		cr_assert_eq(c->nodes[k].parent_index, parent[k], "%s", pre[k]);
	}
	cfg_free(c);
}
