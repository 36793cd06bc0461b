/* Node order, the tree built from it, and the printed outline. */
#include <stdio.h>
#include <stdlib.h>

#include "cfgtest.h"

static const char order_text[] =
	"[worker a1]\nparent = a\nexec = x\n"           /* child before its parent */
	"[worker top1]\nexec = x\n"
	"[supervisor a]\nparent = b\n"
	"[worker a2]\nparent = a\nexec = x\n"
	"[supervisor b]\n"
	"[supervisor root]\nintensity = 3\n"           /* root declared late */
	"[worker b1]\nparent = b\nexec = x\n";

Test(cfg_tree, parents_first_siblings_in_declaration_order)
{
	struct otp_config *c = load_ok(order_text);

	/* pre-order: root; its children top1, b (declaration order);
	 * b's children a then b1; a's children a1, a2 */
	cr_assert_eq(c->n_nodes, 7);
	cr_assert_str_eq(c->nodes[0].spec.name, "root");
	cr_assert_eq(c->nodes[0].spec.intensity, 3);
	for (size_t i = 1; i < c->n_nodes; i++) {
		const struct cfg_node *p = cfg_find(c, c->nodes[i].parent);

		cr_assert_not_null(p);
		cr_assert_lt(p, &c->nodes[i], "%s after its parent", c->nodes[i].spec.name);
		cr_assert_eq(c->nodes[i].spec.user, &c->nodes[i]);
	}
	{
		static const char *const pre[] = { "root", "top1", "b", "a", "a1", "a2", "b1" };
		static const char *const par[] = { "", "root", "root", "b", "a", "a", "b" };

		for (size_t i = 0; i < 7; i++) {
			cr_assert_str_eq(c->nodes[i].spec.name, pre[i], "node %zu", i);
			cr_assert_str_eq(c->nodes[i].parent, par[i], "node %zu", i);
		}
	}
	cr_assert_null(cfg_find(c, "nope"));
	cr_assert_null(cfg_find(NULL, "a"));
	cfg_free(c);
}

Test(cfg_tree, build_tree)
{
	struct otp_config *c = load_ok(order_text);
	struct sup_tree *t = NULL;
	struct sup_node *n, *ch;

	cr_assert_eq(cfg_build_tree(c, &t), 0);
	cr_assert_not_null(t);
	n = sup_tree_root(t);
	cr_assert_str_eq(sup_node_name(n), "root");
	cr_assert_eq(sup_node_spec(n)->intensity, 3);
	ch = sup_node_first(n);
	cr_assert_str_eq(sup_node_name(ch), "top1");
	ch = sup_node_next(ch);
	cr_assert_str_eq(sup_node_name(ch), "b");
	cr_assert_null(sup_node_next(ch));
	ch = sup_node_first(ch);
	cr_assert_str_eq(sup_node_name(ch), "a");
	cr_assert_str_eq(sup_node_name(sup_node_next(ch)), "b1");
	n = sup_find(t, "a2");
	cr_assert_not_null(n);
	cr_assert_str_eq(sup_node_name(sup_node_parent(n)), "a");
	cr_assert_eq(sup_node_spec(n)->user, cfg_find(c, "a2"));
	cr_assert_eq(cfg_build_tree(NULL, &t), -EINVAL);
	sup_tree_free(t);
	cfg_free(c);
}

Test(cfg_tree, build_tree_simple_one_for_one)
{
	struct otp_config *c = load_ok("[supervisor pool]\nstrategy = simple_one_for_one\n"
				       "[worker web]\nparent = pool\nexec = /bin/web\n"
				       "restart = transient\n");
	struct sup_tree *t = NULL;

	cr_assert_eq(cfg_build_tree(c, &t), 0);
	cr_assert_not_null(sup_find(t, "web"));
	sup_tree_free(t);
	cfg_free(c);
}

static char *print_to_string(const struct otp_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cfg_print_tree(c, f);
	fclose(f);
	return buf;
}

Test(cfg_tree, print_outline)
{
	struct otp_config *c = load_ok(
		"[supervisor root]\nintensity = 3\n"
		"[supervisor backend]\nstrategy = rest_for_one\nauto_shutdown = any_significant\n"
		"restart = transient\n"
		"[worker db]\nparent = backend\nshutdown = 10s\n"
		"exec = /usr/sbin/mydb --data \"/var/lib/my db\" it\\'s\n"
		"[worker job]\nparent = backend\nrestart = temporary\nsignificant = true\n"
		"shutdown = brutal_kill\nexec = /bin/job\n"
		"[worker cron]\nexec = /bin/cron -f\nshutdown = 90s\n");
	char *out = print_to_string(c);

	cr_assert_str_eq(out,
		"root (supervisor, one_for_one, intensity 3/5s)\n"
		"  backend (supervisor, rest_for_one, intensity 1/5s, transient, "
		"auto_shutdown any_significant)\n"
		"    db (worker, permanent, shutdown 10s): /usr/sbin/mydb --data '/var/lib/my db' "
		"'it'\\''s'\n"
		"    job (worker, temporary, shutdown brutal_kill, significant): /bin/job\n"
		"  cron (worker, permanent, shutdown 90s): /bin/cron -f\n");
	free(out);
	cfg_free(c);
}

Test(cfg_tree, at_sign_names)
{
	/* '@' is allowed; only T@N under a simple_one_for_one template clashes */
	struct otp_config *c = load_ok("[worker mail@host]\nexec = x\n[worker job@1]\nexec = x\n"
				       "[worker job]\nexec = x\n");

	cr_assert_eq(c->n_nodes, 4);
	cfg_free(c);
}

Test(cfg_tree, significant_ok_under_auto_shutdown)
{
	struct otp_config *c = load_ok("[supervisor s]\nauto_shutdown = all_significant\n"
				       "restart = transient\n"
				       "[worker a]\nparent = s\nexec = x\nrestart = transient\n"
				       "significant = true\n");

	cr_assert(cfg_find(c, "a")->spec.significant);
	cfg_free(c);
}
