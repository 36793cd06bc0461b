/*
 * test_leftovers.c: a worker is its cgroup (otp.conf(5)).  When a worker's
 * main process ends and leaves processes behind, the core stops them as it
 * stops the worker (stop signal, SIGKILL at the shutdown deadline, at once
 * for brutal_kill) and the exit counts only once they are gone.
 */
#include <criterion/criterion.h>

#include "harness.h"

#define HOUR (3600 * 1000LL)

static struct h *one(int64_t shutdown_ms)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 5, HOUR);
	struct sup_spec s;

	sup_spec_init(&s, SUP_WORKER, "w");
	s.shutdown_ms = shutdown_ms;
	h_add(h, NULL, &s);
	h_worker(h, NULL, "z", SUP_PERMANENT);
	h_boot(h);
	return h;
}

Test(leftovers, a_crash_counts_once_they_are_gone)
{
	struct h *h = one(1000);
	size_t m;

	h_leaves(h, "w", 200);
	m = h_mark(h);
	h_crash(h, "w", H_EXIT(3));
	cr_assert_eq(h_state(h, "w"), SUP_STOPPING);
	cr_assert_str_eq(h_trace(h, m, H_PROC), "term:w");
	h_advance(h, 199);
	cr_assert_eq(h_spawns(h, "w"), 1, "no restart while leftovers live");
	h_advance(h, 1);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_EXITED)), "term:w crash:w=exit:3 spawn:w");
	cr_assert_str_eq(h_last_exit(h, "w"), "exit:3");
	cr_assert_eq(h_restarts(h, "w"), 1);
	cr_assert_eq(h_state(h, "w"), SUP_RUNNING);
	h_leaves(h, "w", H_NONE);
	h_end(h);
}

Test(leftovers, those_ignoring_the_stop_signal_are_killed_at_the_deadline)
{
	struct h *h = one(500);
	size_t m;

	h_leaves(h, "w", H_NEVER);
	m = h_mark(h);
	h_crash(h, "w", H_EXIT(3));
	h_advance(h, 499);
	cr_assert_str_eq(h_trace(h, m, H_PROC), "term:w");
	h_advance(h, 1);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_EXITED)), "term:w kill:w crash:w=exit:3 spawn:w");
	cr_assert_eq(h_when(h, m, SUP_A_KILL, "w"), H_T0 + 500);
	cr_assert_str_eq(h_last_exit(h, "w"), "exit:3", "the main process's exit, not the kill");
	h_leaves(h, "w", H_NONE);
	h_end(h);
}

Test(leftovers, brutal_kill_kills_them_at_once)
{
	struct h *h = one(SUP_SHUTDOWN_BRUTAL);
	size_t m;

	h_leaves(h, "w", H_NEVER);
	m = h_mark(h);
	h_crash(h, "w", H_SIG(SIGSEGV));
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_EXITED)),
			 "kill:w crash:w=signal:SIGSEGV spawn:w");
	h_leaves(h, "w", H_NONE);
	h_end(h);
}

Test(leftovers, infinity_waits_for_them)
{
	struct h *h = one(SUP_SHUTDOWN_INFINITY);
	size_t m;

	h_leaves(h, "w", H_NEVER);
	m = h_mark(h);
	h_crash(h, "w", H_EXIT(1));
	h_advance(h, HOUR);
	cr_assert_str_eq(h_trace(h, m, H_PROC), "term:w");
	cr_assert_eq(h_state(h, "w"), SUP_STOPPING);
	cr_assert_neq(h_left(h, "w"), 0);
	h_leaves(h, "w", H_NONE);
	cr_assert_eq(h_cmd_kill(h, "w", SIGKILL), SUP_OK);
	h_run(h);
	cr_assert_eq(h_state(h, "w"), SUP_RUNNING);
	h_end(h);
}

Test(leftovers, a_stop_meanwhile_is_not_a_crash)
{
	struct h *h = one(10000);
	size_t m;

	h_leaves(h, "w", 100);
	m = h_mark(h);
	h_crash(h, "w", H_EXIT(3));
	cr_assert_eq(h_cmd_stop(h, "w"), H_PENDING);
	h_advance(h, 100);
	cr_assert_eq(h_last_result(h), SUP_OK);
	cr_assert_eq(h_state(h, "w"), SUP_STOPPED);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_EXITED)), "term:w exit:w=shutdown");
	cr_assert_eq(h_restarts(h, "w"), 0);
	h_leaves(h, "w", H_NONE);
	h_end(h);
}

Test(leftovers, a_stop_keeps_its_deadline_when_the_main_process_leaves_them)
{
	struct h *h = one(1000);
	size_t m;

	h_leaves(h, "w", H_NEVER);
	h_stop_delay(h, "w", 300);
	m = h_mark(h);
	cr_assert_eq(h_cmd_stop(h, "w"), H_PENDING);
	h_advance(h, 300);
	cr_assert_str_eq(h_trace(h, m, H_PROC), "term:w term:w", "the leftovers get it too");
	h_advance(h, 699);
	cr_assert_eq(h_count(h, m, SUP_A_KILL, "w"), 0);
	h_advance(h, 1);
	cr_assert_eq(h_when(h, m, SUP_A_KILL, "w"), H_T0 + 1000, "not 300 + 1000");
	cr_assert_eq(h_last_result(h), SUP_OK);
	cr_assert_str_eq(h_last_exit(h, "w"), "killed");
	h_leaves(h, "w", H_NONE);
	h_end(h);
}

Test(leftovers, a_start_that_leaves_them_fails_once_they_are_gone)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 5, HOUR);

	h_worker(h, NULL, "w", SUP_PERMANENT);
	h_boot(h);
	cr_assert_eq(h_cmd_stop(h, "w"), SUP_OK);
	h_manual(h, "w", true);
	h_leaves(h, "w", 50);
	cr_assert_eq(h_cmd_start(h, "w"), H_PENDING);
	cr_assert_eq(h_state(h, "w"), SUP_STARTING);
	h_crash(h, "w", H_EXIT(2));
	cr_assert_eq(h_state(h, "w"), SUP_STOPPING);
	h_manual(h, "w", false);
	h_leaves(h, "w", H_NONE);
	h_advance(h, 50);
	cr_assert(strstr(h_last_exit(h, "w"), "start_failed:exited before ready (exit:2)"),
		  "%s", h_last_exit(h, "w"));
	h_end(h);
}

Test(leftovers, shutdown_waits_for_them_in_reverse_order)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 5, HOUR);
	size_t m;

	h_worker(h, NULL, "a", SUP_PERMANENT);
	h_worker(h, NULL, "b", SUP_PERMANENT);
	h_boot(h);
	h_leaves(h, "b", 400);
	m = h_mark(h);
	h_shutdown(h);
	h_advance(h, 399);
	cr_assert_str_eq(h_trace(h, m, H_STOPS), "term:b term:b", "a waits for b's leftovers");
	h_advance(h, 1);
	cr_assert_str_eq(h_trace(h, m, H_STOPS), "term:b term:b term:a");
	h_finish(h, HOUR);
	cr_assert_eq(h_otpd_exit(h), 0);
	h_free(h);
}

Test(leftovers, their_crash_counts_toward_intensity_when_gone)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 1, HOUR);

	h_worker(h, NULL, "w", SUP_PERMANENT);
	h_boot(h);
	h_leaves(h, "w", 10);
	h_crash(h, "w", H_EXIT(1));
	h_advance(h, 10);
	cr_assert_eq(h_restarts(h, "w"), 1);
	h_crash(h, "w", H_EXIT(1));
	h_advance(h, 9);
	cr_assert_eq(h_otpd_exits(h), 0, "not yet: the leftovers still live");
	h_advance(h, 1);
	h_finish(h, HOUR);
	cr_assert_eq(h_otpd_exit(h), 1);
	h_free(h);
}
