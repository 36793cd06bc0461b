/*
 * test_upgrade_watch.c: the watch of otpctl upgrade (init/upgrade_watch.c)
 * over a small tree driven through the real core; the actions a batch
 * would show it are handed to it directly, and its timer is fired by hand.
 *
 *   root (one_for_one)
 *   ├── p   worker, permanent (watched)
 *   ├── t   worker, transient (watched)
 *   ├── u   worker, permanent (not watched)
 *   └── s   supervisor
 *       └── y worker
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <signal.h>
#include <string.h>

#include "tutil.h"

static struct sup_node *p, *t, *u, *s, *y;
static int passed, failed;
static struct watch w;

static struct sup_node *add(struct sup_node *parent, enum sup_type type, const char *name,
			    enum sup_restart restart)
{
	struct sup_spec sp;
	enum sup_result err;
	struct sup_node *n;

	sup_spec_init(&sp, type, name);
	sp.restart = restart;
	n = sup_tree_add(ttree, parent, &sp, &err);
	cr_assert(n != NULL, "add %s: %d", name, err);
	return n;
}

/* Answer every SPAWN with "ready" until the core asks for nothing more. */
static void run_ready(void)
{
	for (int round = 0; round < 16; round++) {
		size_t n, i, spawned = 0;
		const struct sup_action *a = sup_actions(ttree, &n);
		struct sup_node *ready[16];

		for (i = 0; i < n && spawned < 16; i++)
			if (a[i].kind == SUP_A_SPAWN)
				ready[spawned++] = a[i].node;
		sup_actions_clear(ttree);
		if (spawned == 0)
			return;
		for (i = 0; i < spawned; i++)
			sup_child_ready(ttree, ready[i], ev_now());
	}
	cr_fatal("the core kept spawning");
}

static void on_pass(struct watch *x) { passed++; }
static void on_fail(struct watch *x) { failed++; }

static void setup(void)
{
	struct sup_spec root;

	cr_assert(eq(int, ev_init(), 0));
	sup_spec_init(&root, SUP_SUPERVISOR, "root");
	tree_use(sup_tree_new(&root));
	p = add(sup_tree_root(ttree), SUP_WORKER, "p", SUP_PERMANENT);
	t = add(sup_tree_root(ttree), SUP_WORKER, "t", SUP_TRANSIENT);
	u = add(sup_tree_root(ttree), SUP_WORKER, "u", SUP_PERMANENT);
	s = add(sup_tree_root(ttree), SUP_SUPERVISOR, "s", SUP_PERMANENT);
	y = add(s, SUP_WORKER, "y", SUP_PERMANENT);
	sup_boot(ttree, ev_now());
	run_ready();
	passed = failed = 0;
	w = (struct watch){ .fail = on_fail, .pass = on_pass };
	cr_assert(eq(int, watch_add(&w, "p"), 0));
	cr_assert(eq(int, watch_add(&w, "t"), 0));
	watch_begin(&w, 1000);
}

static void teardown(void)
{
	watch_end(&w);
	sup_tree_free(ttree);
	tree_use(NULL);
	ev_fini();
}

TestSuite(upgrade_watch, .init = setup, .fini = teardown, .timeout = 10);

static void show(const struct sup_action *a)
{
	w.watcher.action(&w.watcher, a);
}

static void exited(struct sup_node *n, enum sup_reason_kind kind, int code, bool counted)
{
	struct sup_action a = { .kind = SUP_A_EXITED, .node = n, .counted = counted };

	a.reason.kind = kind;
	a.reason.code = code;
	show(&a);
}

/* The timer fires at `ms` after now. */
static void fire(int64_t ms)
{
	cr_assert(w.timer.armed, "the watch's timer is armed");
	w.timer.fn(&w.timer, ev_now() + ms);
}

/* Take node n's process away in the core too (its state for the deadline). */
static void gone(struct sup_node *n, int wstatus)
{
	sup_child_exited(ttree, n, wstatus, 0, ev_now());
	sup_actions_clear(ttree);
}

Test(upgrade_watch, a_crash_of_a_watched_worker_fails_from_the_timer)
{
	exited(p, SUP_R_EXIT, 3, true);
	cr_assert(eq(int, failed, 0), "never inside the batch");
	cr_assert(le(i64, w.timer.at, ev_now()), "armed at once");
	fire(0);
	cr_assert(eq(int, failed, 1));
	cr_assert(eq(int, passed, 0));
	cr_assert(eq(str, w.child, "p"));
	cr_assert(eq(str, w.last_exit, "exit:3"));
	cr_assert(eq(str, w.why, "ended by itself during the window"));
	cr_assert(not(w.active));
}

Test(upgrade_watch, unwatched_crashes_do_not_count_give_ups_do)
{
	struct sup_action g = { .kind = SUP_A_GAVE_UP, .node = s, .child = y };

	exited(u, SUP_R_SIGNAL, 9, true);
	exited(y, SUP_R_EXIT, 1, true);
	cr_assert(not(w.failed));
	show(&g);
	fire(0);
	cr_assert(eq(int, failed, 1));
	cr_assert(eq(str, w.child, "y"));
	cr_assert(eq(str, w.why, "supervisor s gave up (intensity 1 in 5000ms)"));
}

Test(upgrade_watch, a_held_give_up_of_the_root_says_otpd_would_exit)
{
	struct sup_action g = { .kind = SUP_A_GAVE_UP, .node = sup_tree_root(ttree), .child = u,
				.held = true };

	show(&g);
	fire(0);
	cr_assert(eq(int, failed, 1));
	cr_assert(eq(str, w.child, "u"));
	cr_assert(strstr(w.why, "would have given up") && strstr(w.why, "otpd would have exited"),
		  "%s", w.why);
}

Test(upgrade_watch, a_failed_start_fails_even_when_not_counted)
{
	exited(p, SUP_R_START_FAILED, 0, false);
	fire(0);
	cr_assert(eq(int, failed, 1));
	cr_assert(eq(str, w.why, "failed to start"));
}

Test(upgrade_watch, a_clean_end_of_a_transient_and_a_stop_pass)
{
	exited(t, SUP_R_NORMAL, 0, true);
	gone(t, 0);
	cr_assert(eq(int, sup_node_state(t), SUP_STOPPED));
	/* otpctl stop p */
	sup_cmd_stop(ttree, "p", 0, ev_now());
	sup_actions_clear(ttree);
	gone(p, SIGTERM);
	exited(p, SUP_R_SHUTDOWN, 0, false);
	cr_assert(eq(int, sup_node_state(p), SUP_STOPPED));
	fire(0);
	cr_assert(eq(int, failed + passed, 0), "not before the deadline");
	fire(1000);
	cr_assert(eq(int, passed, 1), "%s: %s", w.child, w.why);
	cr_assert(eq(int, failed, 0));
}

Test(upgrade_watch, a_clean_end_of_a_permanent_worker_fails)
{
	exited(p, SUP_R_NORMAL, 0, true);
	fire(0);
	cr_assert(eq(int, failed, 1));
	cr_assert(eq(str, w.last_exit, "normal"));
}

Test(upgrade_watch, a_watched_worker_not_running_at_the_deadline_fails)
{
	struct sup_action sp = { .kind = SUP_A_SPAWN, .node = t };

	/* t ended cleanly, then was started again and is not ready. */
	exited(t, SUP_R_NORMAL, 0, true);
	show(&sp);
	sup_cmd_restart(ttree, "t", 0, ev_now());
	sup_actions_clear(ttree);
	gone(t, SIGTERM);       /* stopped, and spawned again: never ready */
	cr_assert(eq(int, sup_node_state(t), SUP_STARTING));
	fire(1000);
	cr_assert(eq(int, failed, 1));
	cr_assert(eq(str, w.child, "t"));
	cr_assert(eq(str, w.why, "still starting, not ready at the end of the window"));
}

Test(upgrade_watch, passes_when_all_run_and_ends_cleanly)
{
	fire(1000);
	cr_assert(eq(int, passed, 1));
	cr_assert(not(w.active));
	watch_fail(&w, "x", "none", "too late");
	cr_assert(eq(int, failed, 0), "an ended watch takes no failure");
}
