/*
 * test_diff.c: what a reload sees as changed between two versions of a
 * node (cfg_node_changes): process-level keys, limits, the spec, shape.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "../../../config/config.h"

static struct otp_config *load(const char *text)
{
	struct cfg_errors e = { 0 };
	struct otp_config *c = NULL;

	cr_assert_eq(cfg_load_string(text, "t.conf", &c, &e), 0, "%s", e.n ? e.msgs[0] : "?");
	cfg_errors_clear(&e);
	return c;
}

static unsigned changes(const char *a, const char *b, const char *name)
{
	struct otp_config *x = load(a), *y = load(b);
	unsigned m = cfg_node_changes(cfg_find(x, name), cfg_find(y, name));

	cfg_free(x);
	cfg_free(y);
	return m;
}

#define W "[worker w]\nexec = /bin/true\n"

Test(cfg_diff, same_text_no_change)
{
	cr_assert_eq(changes(W "env = A=1\nmemory_max = 1M\n", W "env = A=1\nmemory_max = 1M\n", "w"), 0);
	/* Whitespace is not a change: values are compared as parsed lines. */
	cr_assert_eq(changes(W "env = A=1\n", W "env   =   A=1\n", "w"), 0);
}

Test(cfg_diff, process_keys)
{
	cr_assert_eq(changes(W "env = A=1\n", W "env = A=2\n", "w"), CFG_CHANGED_RUN);
	cr_assert_eq(changes(W "env = A=1\nenv = B=1\n", W "env = B=1\nenv = A=1\n", "w"),
		     CFG_CHANGED_RUN, "env order matters (later wins)");
	cr_assert_eq(changes(W, W "private_tmp = true\n", "w"), CFG_CHANGED_RUN);
	cr_assert_eq(changes("[worker w]\nexec = /bin/true\n", "[worker w]\nexec = /bin/false\n", "w"),
		     CFG_CHANGED_RUN);
}

Test(cfg_diff, limits_alone)
{
	cr_assert_eq(changes(W "pids_max = 5\n", W "pids_max = 6\n", "w"), CFG_CHANGED_LIMITS);
	cr_assert_eq(changes(W, W "cpu_max = 50%\n", "w"), CFG_CHANGED_LIMITS);
}

Test(cfg_diff, spec_in_place)
{
	cr_assert_eq(changes(W, W "restart = transient\n", "w"), CFG_CHANGED_SPEC);
	cr_assert_eq(changes(W, W "shutdown = brutal_kill\n", "w"), CFG_CHANGED_SPEC);
	cr_assert_eq(changes("[supervisor s]\n", "[supervisor s]\nintensity = 9\n", "s"),
		     CFG_CHANGED_SPEC);
	cr_assert_eq(changes(W, W "mailbox_mode = 0600\n", "w"), 0,
		     "mailbox mode is applied in place by the shell, not a spec change");
	cr_assert_eq(changes(W "mailbox = true\n", W "mailbox = true\nmonitors = root\nping = 1s\n"
			     "ping_timeout = 2s\n", "w"), 0,
		     "monitors and pings follow a reload in place: no restart");
}

Test(cfg_diff, shape)
{
	cr_assert(changes("[supervisor s]\n" W, "[supervisor s]\n" W "parent = s\n", "w") &
		  CFG_CHANGED_SHAPE);
	cr_assert(changes("[supervisor s]\n", "[supervisor s]\nstrategy = simple_one_for_one\n"
		  "[worker t]\nparent = s\nexec = /bin/true\n", "s") & CFG_CHANGED_SHAPE);
	cr_assert_eq(changes("[supervisor s]\n", "[supervisor s]\nstrategy = rest_for_one\n", "s"),
		     CFG_CHANGED_SPEC);
}
