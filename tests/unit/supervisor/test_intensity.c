/*
 * test_intensity.c: restart intensity (OTP-SEMANTICS §3, §9 item 17; the
 * window is in ms and inclusive: a deviation, otp.conf(5) DEVIATIONS FROM OTP).
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "harness.h"

Test(intensity, multiple_restarts)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 1, 1000);

	h_worker(h, NULL, "child1", SUP_PERMANENT);
	h_boot(h);
	for (int i = 0; i < 4; i++) {
		h_advance(h, 2100);
		h_crash(h, "child1", H_SIG(SIGKILL));
		cr_assert_eq(h_state(h, "root"), SUP_RUNNING);
		cr_assert_eq(h_state(h, "child1"), SUP_RUNNING);
	}
	cr_assert_eq(h_restarts(h, "child1"), 4);
	h_end(h);
}

/* A restart exactly `period` ms after an earlier one still counts it. */
Test(intensity, window_is_inclusive)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 1, 1000);

	h_worker(h, NULL, "child1", SUP_PERMANENT);
	h_boot(h);
	h_crash(h, "child1", H_EXIT(1));
	h_advance(h, 1000);
	h_crash(h, "child1", H_EXIT(1));
	cr_assert_eq(h_otpd_exit(h), 1);
	h_end(h);
}

Test(intensity, window_just_past)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 1, 1000);

	h_worker(h, NULL, "child1", SUP_PERMANENT);
	h_boot(h);
	h_crash(h, "child1", H_EXIT(1));
	h_advance(h, 1001);
	h_crash(h, "child1", H_EXIT(1));
	cr_assert_eq(h_state(h, "root"), SUP_RUNNING);
	cr_assert_eq(h_otpd_exit(h), -1);
	h_end(h);
}

Test(intensity, zero_intensity_first_crash_ends)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 0, 5000);
	size_t m;

	h_worker(h, NULL, "a", SUP_PERMANENT);
	h_worker(h, NULL, "b", SUP_PERMANENT);
	h_boot(h);
	m = h_mark(h);
	h_crash(h, "a", H_EXIT(1));
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_GAVE_UP) | HM(SUP_A_OTPD_EXIT)),
			 "gaveup:root/a term:b otpd_exit:1");
	h_end(h);
}

/* MaxR restarts pass in the window, MaxR+1 ends; one history for all children. */
Test(intensity, one_history_per_supervisor)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 3, 10000);

	h_worker(h, NULL, "a", SUP_PERMANENT);
	h_worker(h, NULL, "b", SUP_PERMANENT);
	h_worker(h, NULL, "c", SUP_PERMANENT);
	h_boot(h);
	h_crash(h, "a", H_EXIT(1));
	h_advance(h, 100);
	h_crash(h, "b", H_EXIT(1));
	h_advance(h, 100);
	h_crash(h, "c", H_EXIT(1));
	cr_assert_eq(h_state(h, "root"), SUP_RUNNING);
	h_advance(h, 9800);     /* a's restart is now exactly 10000 ms old: still in */
	h_crash(h, "a", H_EXIT(1));
	cr_assert_eq(h_otpd_exit(h), 1);
	h_end(h);
}

Test(intensity, old_restarts_drop_out)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 2, 10000);

	h_worker(h, NULL, "a", SUP_PERMANENT);
	h_boot(h);
	for (int i = 0; i < 20; i++) {
		h_crash(h, "a", H_EXIT(1));
		h_advance(h, 5001);
	}
	cr_assert_eq(h_state(h, "root"), SUP_RUNNING);
	cr_assert_eq(h_restarts(h, "a"), 20);
	h_end(h);
}

/* Group restarts count once, however many children they restart. */
Test(intensity, group_restart_counts_once)
{
	struct h *h = h_new(SUP_ONE_FOR_ALL, 2, 10000);

	for (int i = 0; i < 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "w%d", i);
		h_worker(h, NULL, name, SUP_PERMANENT);
	}
	h_boot(h);
	h_crash(h, "w2", H_EXIT(1));
	h_crash(h, "w4", H_EXIT(1));
	cr_assert_eq(h_state(h, "root"), SUP_RUNNING);
	cr_assert_str_eq(h_counts_str(h, NULL), "5,5,0,5");
	h_crash(h, "w0", H_EXIT(1));
	cr_assert_eq(h_otpd_exit(h), 1);
	h_end(h);
}

/* Nested limits multiply: each give-up of the child is one restart of the parent. */
Test(intensity, escalation_counts_in_parent)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 1, 60000);

	h_sup(h, NULL, "sub", SUP_ONE_FOR_ONE, 0, 60000);
	h_worker(h, "sub", "w", SUP_PERMANENT);
	h_boot(h);
	h_crash(h, "w", H_EXIT(1));     /* sub gives up; root restarts it (1) */
	cr_assert_eq(h_state(h, "sub"), SUP_RUNNING);
	cr_assert_eq(h_state(h, "w"), SUP_RUNNING);
	cr_assert_str_eq(h_last_exit(h, "sub"), "shutdown");
	h_crash(h, "w", H_EXIT(1));     /* sub gives up again; root: 2 > 1 */
	cr_assert_eq(h_otpd_exit(h), 1);
	h_end(h);
}

/* A transient sub-supervisor that gives up exits with shutdown: not restarted. */
Test(intensity, transient_sub_supervisor_stays_down)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 1, 60000);
	struct sup_spec s;

	sup_spec_init(&s, SUP_SUPERVISOR, "sub");
	s.restart = SUP_TRANSIENT;
	s.intensity = 0;
	h_add(h, NULL, &s);
	h_worker(h, "sub", "w", SUP_PERMANENT);
	h_worker(h, NULL, "other", SUP_PERMANENT);
	h_boot(h);
	h_crash(h, "w", H_EXIT(1));
	cr_assert_eq(h_state(h, "sub"), SUP_STOPPED);
	cr_assert(sup_node_failed(h_node(h, "sub")));
	cr_assert_eq(h_state(h, "root"), SUP_RUNNING);
	cr_assert_str_eq(h_counts_str(h, NULL), "2,1,1,1");
	/* and it can be started again by hand */
	cr_assert_eq(h_cmd_start(h, "sub"), SUP_OK);
	cr_assert_eq(h_state(h, "w"), SUP_RUNNING);
	h_end(h);
}

/* A failed restart is retried at once and counts again (OTP-exact). */
Test(intensity, failed_restart_retries_count)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 1, 5000);

	h_worker(h, NULL, "a", SUP_PERMANENT);
	h_boot(h);
	h_fail_next(h, "a", 1);
	h_crash(h, "a", H_EXIT(1));
	cr_assert_eq(h_otpd_exit(h), 1);
	cr_assert_eq(h_spawns(h, "a"), 2);
	h_end(h);
}

/*
 * A held root (sup_tree_hold_root, otpctl upgrade's window) does not give
 * up: GAVE_UP is marked held, the child stays stopped, its siblings keep
 * their processes, the history starts afresh; released, the root gives up
 * as before.
 */
Test(intensity, held_root_does_not_exit)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 1, 10000);
	int b;
	size_t m;

	h_worker(h, NULL, "a", SUP_PERMANENT);
	h_worker(h, NULL, "b", SUP_PERMANENT);
	h_boot(h);
	b = h_pid(h, "b");
	sup_tree_hold_root(h_tree(h), true);
	h_crash(h, "a", H_EXIT(1));
	cr_assert_eq(h_state(h, "a"), SUP_RUNNING);     /* restart 1 of 1 */
	m = h_mark(h);
	h_crash(h, "a", H_EXIT(2));
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_GAVE_UP) | HM(SUP_A_OTPD_EXIT)),
			 "gaveup:root/a(held)");
	cr_assert_eq(h_state(h, "a"), SUP_STOPPED);
	cr_assert_eq(h_state(h, "root"), SUP_RUNNING);
	cr_assert_eq(h_pid(h, "b"), b);
	cr_assert_eq(h_otpd_exit(h), -1);
	/* A fresh history: one restart passes again. */
	h_crash(h, "b", H_EXIT(1));
	cr_assert_eq(h_state(h, "b"), SUP_RUNNING);
	sup_tree_hold_root(h_tree(h), false);
	m = h_mark(h);
	h_crash(h, "b", H_EXIT(1));
	cr_assert_str_eq(h_trace(h, m, HM(SUP_A_GAVE_UP) | HM(SUP_A_OTPD_EXIT)),
			 "gaveup:root/b otpd_exit:1");
	h_end(h);
}

/* Only the root is held: a supervisor below gives up and stops its
 * children; the escalation stops at the held root, which keeps the
 * supervisor down and its other children running. */
Test(intensity, held_root_stops_an_escalation)
{
	struct h *h = h_new(SUP_ONE_FOR_ALL, 0, 10000);
	int k;
	size_t m;

	h_worker(h, NULL, "keep", SUP_PERMANENT);
	h_sup(h, NULL, "s", SUP_ONE_FOR_ONE, 0, 10000);
	h_worker(h, "s", "x", SUP_PERMANENT);
	h_worker(h, "s", "y", SUP_PERMANENT);
	h_boot(h);
	k = h_pid(h, "keep");
	sup_tree_hold_root(h_tree(h), true);
	m = h_mark(h);
	h_crash(h, "x", H_EXIT(1));
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_GAVE_UP) | HM(SUP_A_OTPD_EXIT)),
			 "gaveup:s/x term:y gaveup:root/s(held)");
	cr_assert_eq(h_state(h, "s"), SUP_STOPPED);
	cr_assert_eq(h_pid(h, "keep"), k);
	cr_assert_eq(h_otpd_exit(h), -1);
	h_end(h);
}
