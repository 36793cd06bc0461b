/*
 * test_shutdown_order.c: the supervisor key shutdown_order (parse,
 * validation, print, reload class) and otpd --check's warning about
 * reverse supervisors whose children may take more than 10 s to stop.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cfgtest.h"

static char *warnings(const char *text, int *ret_n)
{
	struct otp_config *c = load_ok(text);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	*ret_n = cfg_print_warnings(c, f);
	fclose(f);
	cfg_free(c);
	return buf;
}

static char *outline(const char *text)
{
	struct otp_config *c = load_ok(text);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cfg_print_tree(c, f);
	fclose(f);
	cfg_free(c);
	return buf;
}

#define W(name, sd) "[worker " name "]\nexec = /bin/true\nshutdown = " sd "\n"

Test(cfg_shutdown_order, parse_and_default)
{
	struct otp_config *c = load_ok("[supervisor a]\n[supervisor b]\nshutdown_order = parallel\n"
				       "[supervisor c]\nshutdown_order = reverse\n");

	cr_assert_eq(cfg_find(c, "root")->spec.shutdown_order, SUP_ORDER_REVERSE);
	cr_assert_eq(cfg_find(c, "a")->spec.shutdown_order, SUP_ORDER_REVERSE);
	cr_assert_eq(cfg_find(c, "b")->spec.shutdown_order, SUP_ORDER_PARALLEL);
	cr_assert_eq(cfg_find(c, "c")->spec.shutdown_order, SUP_ORDER_REVERSE);
	cfg_free(c);
	c = load_ok("[supervisor root]\nshutdown_order = parallel\n");
	cr_assert_eq(c->nodes[0].spec.shutdown_order, SUP_ORDER_PARALLEL);
	cfg_free(c);
	/* simple_one_for_one stops in parallel anyway: saying so is allowed. */
	c = load_ok("[supervisor p]\nstrategy = simple_one_for_one\nshutdown_order = parallel\n"
		    "[worker t]\nparent = p\nexec = /bin/true\n");
	cfg_free(c);
}

Test(cfg_shutdown_order, errors)
{
	expect_error("[supervisor s]\nshutdown_order = random\n",
		     "t.conf:2: shutdown_order: expected reverse or parallel, got \"random\"");
	expect_error("[worker w]\nexec = x\nshutdown_order = parallel\n",
		     "t.conf:3: shutdown_order: invalid key in a [worker] section, got \"parallel\"");
	expect_error("[supervisor s]\nstrategy = simple_one_for_one\nshutdown_order = reverse\n"
		     "[worker t]\nparent = s\nexec = x\n",
		     "t.conf:3: shutdown_order: a simple_one_for_one supervisor always stops its "
		     "children in parallel, got \"reverse\"");
}

Test(cfg_shutdown_order, print)
{
	char *out = outline("[supervisor root]\nshutdown_order = parallel\n"
			    "[supervisor s]\n"
			    "[supervisor p]\nstrategy = simple_one_for_one\nshutdown_order = parallel\n"
			    "[worker t]\nparent = p\nexec = /bin/true\n");

	cr_assert_str_eq(out,
			 "root (supervisor, one_for_one, intensity 1/5s, shutdown_order parallel)\n"
			 "  s (supervisor, one_for_one, intensity 1/5s, permanent)\n"
			 "  p (supervisor, simple_one_for_one, intensity 1/5s, permanent)\n"
			 "    t (worker, permanent, shutdown 5s): /bin/true\n");
	free(out);
}

/* A reload changes it in place (the core reads it when a stop phase begins). */
Test(cfg_shutdown_order, reload_in_place)
{
	struct otp_config *a = load_ok("[supervisor s]\n");
	struct otp_config *b = load_ok("[supervisor s]\nshutdown_order = parallel\n");

	cr_assert_eq(cfg_node_changes(cfg_find(a, "s"), cfg_find(b, "s")), CFG_CHANGED_SPEC);
	cfg_free(a);
	cfg_free(b);
}

Test(cfg_shutdown_order, warns_when_reverse_takes_over_10s)
{
	int n;
	char *out = warnings(W("a", "6s") W("b", "5s"), &n);

	cr_assert_eq(n, 1);
	cr_assert_str_eq(out, "otpd: warning: [supervisor root]: stopping its children one at a "
			 "time (shutdown_order = reverse) may take 11s, more than the 10s a "
			 "container engine waits before SIGKILL; shutdown_order = parallel stops "
			 "them all at once\n");
	free(out);
}

Test(cfg_shutdown_order, no_warning_within_10s_or_parallel)
{
	int n;
	char *out = warnings(W("a", "5s") W("b", "5s"), &n);

	cr_assert_eq(n, 0, "exactly 10s is not over: %s", out);
	free(out);
	out = warnings("[supervisor root]\nshutdown_order = parallel\n" W("a", "9s") W("b", "9s"),
		       &n);
	cr_assert_eq(n, 0, "%s", out);
	free(out);
	/* One slow child: the order cannot help. */
	out = warnings(W("a", "1h") W("b", "brutal_kill"), &n);
	cr_assert_eq(n, 0, "%s", out);
	free(out);
}

/* infinity counts as over, with the section's place when it has one. */
Test(cfg_shutdown_order, infinity_is_over)
{
	int n;
	char *out = warnings("[supervisor s]\n" W("a", "1s") "parent = s\n"
			     W("b", "infinity") "parent = s\n", &n);

	cr_assert_eq(n, 1);
	cr_assert(strstr(out, "otpd: warning: t.conf:1: [supervisor s]: ") == out, "%s", out);
	cr_assert(strstr(out, "may take forever (shutdown = infinity below it)"), "%s", out);
	free(out);
}

/*
 * A sub-supervisor counts as what its own children may take (its default
 * shutdown is infinity), cut at its own shutdown when that is a duration.
 */
Test(cfg_shutdown_order, nested_supervisors)
{
	int n;
	char *out;

	/* root: sub (parallel: max 8s) + c (5s) = 13s; sub itself is fine. */
	out = warnings("[supervisor sub]\nshutdown_order = parallel\n"
		       W("a", "8s") "parent = sub\n" W("b", "8s") "parent = sub\n" W("c", "5s"), &n);
	cr_assert_eq(n, 1, "%s", out);
	cr_assert(strstr(out, "[supervisor root]") && strstr(out, "may take 13s"), "%s", out);
	free(out);
	/* The same sub cut at 2s: 2s + 5s. */
	out = warnings("[supervisor sub]\nshutdown_order = parallel\nshutdown = 2s\n"
		       W("a", "8s") "parent = sub\n" W("b", "8s") "parent = sub\n" W("c", "5s"), &n);
	cr_assert_eq(n, 0, "%s", out);
	free(out);
	/* A reverse sub over 10s is named, and so is the root above it. */
	out = warnings("[supervisor sub]\n" W("a", "8s") "parent = sub\n" W("b", "8s") "parent = sub\n"
		       W("c", "5s"), &n);
	cr_assert_eq(n, 2, "%s", out);
	cr_assert(strstr(out, "[supervisor root]: ") && strstr(out, "may take 21s"), "%s", out);
	cr_assert(strstr(out, "[supervisor sub]: ") && strstr(out, "may take 16s"), "%s", out);
	free(out);
}
