/*
 * test_restart_types.c: permanent, transient, temporary (OTP-SEMANTICS §2,
 * §9 items 12-16) and otpd's rule of what a clean exit is (a deviation,
 * otp.conf(5) DEVIATIONS FROM OTP).
 */
#include <criterion/criterion.h>

#include "harness.h"

#define HOUR (3600 * 1000LL)

static struct h *one(enum sup_restart r)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 2, HOUR);

	h_worker(h, NULL, "child1", r);
	h_boot(h);
	return h;
}

static void permanent_restarts_after(int status, const char *reason)
{
	struct h *h = one(SUP_PERMANENT);
	int p = h_pid(h, "child1");
	size_t m = h_mark(h);

	h_crash(h, "child1", status);
	cr_assert_neq(h_pid(h, "child1"), 0);
	cr_assert_neq(h_pid(h, "child1"), p);
	cr_assert_str_eq(h_counts_str(h, NULL), "1,1,0,1");
	cr_assert_eq(h_restarts(h, "child1"), 1);
	cr_assert_str_eq(h_last_exit(h, "child1"), reason);
	cr_assert_eq(h_count(h, m, SUP_A_RESTART, "child1"), 1);
	h_end(h);
}

Test(restart_types, permanent_normal) { permanent_restarts_after(0, "normal"); }
Test(restart_types, permanent_shutdown) { permanent_restarts_after(H_SIG(SIGTERM), "signal:SIGTERM"); }
Test(restart_types, permanent_abnormal) { permanent_restarts_after(H_EXIT(1), "exit:1"); }

static void transient_stays_down_after(int status)
{
	struct h *h = one(SUP_TRANSIENT);
	size_t m = h_mark(h);

	h_crash(h, "child1", status);
	cr_assert_eq(h_pid(h, "child1"), 0);
	cr_assert_eq(h_state(h, "child1"), SUP_STOPPED);
	cr_assert_str_eq(h_counts_str(h, NULL), "1,0,0,1");
	cr_assert_eq(h_count(h, m, SUP_A_SPAWN, NULL), 0);
	cr_assert_eq(h_count(h, m, SUP_A_RESTART, NULL), 0);
	cr_assert(!sup_node_failed(h_node(h, "child1")));
	/* restart_child starts it again */
	cr_assert_eq(h_cmd_start(h, "child1"), SUP_OK);
	cr_assert_neq(h_pid(h, "child1"), 0);
	cr_assert_str_eq(h_counts_str(h, NULL), "1,1,0,1");
	h_end(h);
}

Test(restart_types, transient_normal) { transient_stays_down_after(0); }
Test(restart_types, transient_shutdown) { transient_stays_down_after(H_SIG(SIGTERM)); }
Test(restart_types, transient_shutdown_sigint) { transient_stays_down_after(H_SIG(SIGINT)); }
Test(restart_types, transient_shutdown_sighup) { transient_stays_down_after(H_SIG(SIGHUP)); }
Test(restart_types, transient_shutdown_sigpipe) { transient_stays_down_after(H_SIG(SIGPIPE)); }

static void transient_restarts_after(int status)
{
	struct h *h = one(SUP_TRANSIENT);
	int p = h_pid(h, "child1");

	h_crash(h, "child1", status);
	cr_assert_neq(h_pid(h, "child1"), 0);
	cr_assert_neq(h_pid(h, "child1"), p);
	cr_assert_eq(h_restarts(h, "child1"), 1);
	h_end(h);
}

Test(restart_types, transient_abnormal) { transient_restarts_after(H_EXIT(1)); }
Test(restart_types, transient_abnormal_killed) { transient_restarts_after(H_SIG(SIGKILL)); }
Test(restart_types, transient_abnormal_segv) { transient_restarts_after(H_SIG(SIGSEGV)); }
Test(restart_types, transient_abnormal_exit255) { transient_restarts_after(H_EXIT(255)); }

Test(restart_types, transient_oom_is_abnormal)
{
	struct h *h = one(SUP_TRANSIENT);

	h_crash_flags(h, "child1", H_SIG(SIGKILL), SUP_EXIT_OOM);
	cr_assert_eq(h_restarts(h, "child1"), 1);
	cr_assert_str_eq(h_last_exit(h, "child1"), "oom");
	h_end(h);
}

Test(restart_types, transient_success_exit_is_clean)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 2, HOUR);
	struct sup_spec s;

	sup_spec_init(&s, SUP_WORKER, "child1");
	s.restart = SUP_TRANSIENT;
	sup_success_add(&s, true, 3);
	sup_success_add(&s, false, SIGUSR1);
	h_add(h, NULL, &s);
	h_boot(h);
	h_crash(h, "child1", H_EXIT(3));
	cr_assert_eq(h_state(h, "child1"), SUP_STOPPED);
	cr_assert_eq(h_cmd_start(h, "child1"), SUP_OK);
	h_crash(h, "child1", H_SIG(SIGUSR1));
	cr_assert_eq(h_state(h, "child1"), SUP_STOPPED);
	cr_assert_eq(h_cmd_start(h, "child1"), SUP_OK);
	/* other codes and signals stay abnormal */
	h_crash(h, "child1", H_EXIT(4));
	cr_assert_eq(h_state(h, "child1"), SUP_RUNNING);
	h_crash(h, "child1", H_SIG(SIGUSR2));
	cr_assert_eq(h_state(h, "child1"), SUP_RUNNING);
	cr_assert_eq(h_restarts(h, "child1"), 2);
	h_end(h);
}

static void temporary_is_removed_after(int status)
{
	struct h *h = one(SUP_TEMPORARY);
	size_t m = h_mark(h);

	h_crash(h, "child1", status);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_FORGET) | HM(SUP_A_RESTART)),
			 "forget:child1");
	cr_assert_null(sup_find(h_tree(h), "child1"));
	cr_assert_null(sup_node_first(sup_tree_root(h_tree(h))));
	cr_assert_str_eq(h_counts_str(h, NULL), "0,0,0,0");
	/* The supervisor is still up and nothing counted toward intensity. */
	cr_assert_eq(h_state(h, "root"), SUP_RUNNING);
	h_end(h);
}

Test(restart_types, temporary_normal) { temporary_is_removed_after(0); }
Test(restart_types, temporary_shutdown) { temporary_is_removed_after(H_SIG(SIGTERM)); }
Test(restart_types, temporary_abnormal) { temporary_is_removed_after(H_SIG(SIGKILL)); }

Test(restart_types, temporary_never_counts_toward_intensity)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 0, HOUR);

	h_worker(h, NULL, "t", SUP_TEMPORARY);
	h_worker(h, NULL, "p", SUP_PERMANENT);
	h_boot(h);
	h_crash(h, "t", H_EXIT(1));
	cr_assert_eq(h_state(h, "root"), SUP_RUNNING);
	cr_assert_str_eq(h_counts_str(h, NULL), "1,1,0,1");
	/* intensity 0: the first counted restart ends it */
	h_crash(h, "p", H_EXIT(1));
	cr_assert_eq(h_otpd_exit(h), 1);
	h_end(h);
}

Test(restart_types, temporary_terminate_child_removes)
{
	struct h *h = one(SUP_TEMPORARY);

	cr_assert_eq(h_cmd_stop(h, "child1"), SUP_OK);
	cr_assert_null(sup_find(h_tree(h), "child1"));
	cr_assert_eq(h_cmd_start(h, "child1"), SUP_E_NOT_FOUND);
	cr_assert_eq(h_cmd_stop(h, "child1"), SUP_E_NOT_FOUND);
	cr_assert_str_eq(h_counts_str(h, NULL), "0,0,0,0");
	h_end(h);
}

static void temporary_bystander(enum sup_strategy st)
{
	struct h *h = h_new(st, 2, HOUR);
	size_t m;

	h_worker(h, NULL, "child1", SUP_PERMANENT);
	h_worker(h, NULL, "child2", SUP_TEMPORARY);
	h_boot(h);
	m = h_mark(h);
	h_crash(h, "child1", 0);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_FORGET)),
			 "term:child2 forget:child2 spawn:child1");
	cr_assert_eq(h_state(h, "root"), SUP_RUNNING);
	cr_assert_str_eq(h_counts_str(h, NULL), "1,1,0,1");
	cr_assert_null(sup_find(h_tree(h), "child2"));
	cr_assert_str_eq(sup_node_name(sup_node_first(sup_tree_root(h_tree(h)))), "child1");
	cr_assert_null(sup_node_next(sup_node_first(sup_tree_root(h_tree(h)))));
	h_end(h);
}

Test(restart_types, temporary_bystander_one_for_all) { temporary_bystander(SUP_ONE_FOR_ALL); }
Test(restart_types, temporary_bystander_rest_for_one) { temporary_bystander(SUP_REST_FOR_ONE); }

/* Under one_for_all, stopped transient children come back with the group. */
Test(restart_types, group_restart_starts_stopped_specs)
{
	struct h *h = h_new(SUP_ONE_FOR_ALL, 2, HOUR);
	size_t m;

	h_worker(h, NULL, "a", SUP_PERMANENT);
	h_worker(h, NULL, "b", SUP_TRANSIENT);
	h_worker(h, NULL, "c", SUP_PERMANENT);
	h_boot(h);
	h_crash(h, "b", 0);
	cr_assert_eq(h_cmd_stop(h, "c"), SUP_OK);
	cr_assert_str_eq(h_counts_str(h, NULL), "3,1,0,3");
	m = h_mark(h);
	h_crash(h, "a", H_EXIT(1));
	cr_assert_str_eq(h_trace(h, m, H_PROC), "spawn:a spawn:b spawn:c");
	cr_assert_str_eq(h_counts_str(h, NULL), "3,3,0,3");
	h_end(h);
}

Test(restart_types, clean_rule)
{
	struct h *h = one(SUP_TRANSIENT);
	const struct sup_node *n = h_node(h, "child1");
	struct sup_reason r;
	static const struct { int status; bool clean; } cases[] = {
		{ 0, true }, { H_SIG(SIGTERM), true }, { H_SIG(SIGINT), true },
		{ H_SIG(SIGHUP), true }, { H_SIG(SIGPIPE), true }, { H_SIG(SIGKILL), false },
		{ H_EXIT(1), false }, { H_SIG(SIGSEGV), false }, { H_SIG(SIGABRT), false },
		{ H_EXIT(143), false },
	};

	(void)n;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int p;

		if (h_state(h, "child1") != SUP_RUNNING)
			cr_assert_eq(h_cmd_start(h, "child1"), SUP_OK);
		p = h_pid(h, "child1");
		h_advance(h, 3600 * 1000);      /* keep the intensity out of the way */
		h_crash(h, "child1", cases[i].status);
		cr_assert_eq(h_pid(h, "child1") == 0, cases[i].clean, "case %zu (status %#x)", i,
			     cases[i].status);
		cr_assert_neq(h_pid(h, "child1"), p);
	}
	(void)r;
	h_end(h);
}
