/*
 * test_overlap.c: overlapping restarts (supervisor/overlap.c): the new
 * process starts beside the old one, which is stopped once the new one is
 * ready; a new process that fails changes nothing and counts nothing; the
 * old one's exit or stop before the switch ends the overlap.
 */
#include <criterion/criterion.h>
#include <signal.h>

#include "harness.h"

#define HOUR (3600 * 1000)
#define OV (H_PROC | HM(SUP_A_REPLY) | HM(SUP_A_EXITED) | HM(SUP_A_RESTART))

static struct h *one_worker(void)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 1, HOUR);

	h_worker(h, NULL, "w", SUP_PERMANENT);
	h_boot(h);
	return h;
}

Test(overlap, switch_then_old_stopped_then_reply)
{
	struct h *h = one_worker();
	int pid = h_pid(h, "w");
	size_t m = h_mark(h);

	cr_assert_eq(h_cmd_overlap(h, "w", 1000), H_PENDING);
	cr_assert_str_eq(h_trace(h, m, OV), "spawn+:w");
	cr_assert_eq(h_pid(h, "w"), pid);
	h_advance(h, 100);
	h_overlap_ready(h, "w");
	cr_assert_str_eq(h_trace(h, m, OV), "spawn+:w sig15+:w");
	cr_assert_neq(h_pid(h, "w"), pid);
	cr_assert_eq(h_restarts(h, "w"), 1);
	cr_assert_eq(h_last_result(h), H_PENDING);
	h_overlap_exited(h, "w", H_SIG(SIGTERM), NULL);
	cr_assert_eq(h_last_result(h), SUP_OK);
	cr_assert_eq(h_state(h, "w"), SUP_RUNNING);
	/* the worker's own process was never touched */
	cr_assert_str_eq(h_trace(h, m, OV), "spawn+:w sig15+:w reply:ok");
	h_end(h);
}

/* The old process ignores its stop signal: killed at the shutdown deadline. */
Test(overlap, old_killed_at_shutdown_deadline)
{
	struct h *h = one_worker();
	size_t m = h_mark(h);

	h_cmd_overlap(h, "w", 0);
	h_overlap_ready(h, "w");
	h_advance(h, 999);   /* the harness gives workers shutdown = 1s */
	cr_assert_str_eq(h_trace(h, m, OV), "spawn+:w sig15+:w");
	h_advance(h, 1);
	cr_assert_str_eq(h_trace(h, m, OV), "spawn+:w sig15+:w kill+:w");
	h_overlap_exited(h, "w", H_SIG(SIGKILL), NULL);
	cr_assert_eq(h_last_result(h), SUP_OK);
	h_end(h);
}

/* Never ready in time: stopped, the old one keeps running, nothing counts
 * (intensity 1: three failures would end the root otherwise). */
Test(overlap, ready_timeout_changes_nothing)
{
	struct h *h = one_worker();
	int pid = h_pid(h, "w");

	for (int i = 0; i < 3; i++) {
		size_t m = h_mark(h);

		h_cmd_overlap(h, "w", 500);
		h_advance(h, 500);
		cr_assert_str_eq(h_trace(h, m, OV), "spawn+:w sig15+:w");
		h_overlap_exited(h, "w", H_SIG(SIGTERM), NULL);
		cr_assert_eq(h_last_result(h), SUP_E_START_FAILED);
	}
	cr_assert_eq(h_pid(h, "w"), pid);
	cr_assert_eq(h_restarts(h, "w"), 0);
	cr_assert_eq(h_state(h, "w"), SUP_RUNNING);
	cr_assert_eq(h_otpd_exits(h), 0);
	h_end(h);
}

Test(overlap, new_process_exits_before_ready)
{
	struct h *h = one_worker();
	size_t m = h_mark(h);

	h_cmd_overlap(h, "w", 1000);
	h_overlap_exited(h, "w", H_EXIT(3), NULL);
	cr_assert_eq(h_last_result(h), SUP_E_START_FAILED);
	cr_assert_str_eq(h_trace(h, m, OV), "spawn+:w reply:start_failed");
	/* a late ready of a process that is gone is ignored */
	h_advance(h, 2000);
	cr_assert_str_eq(h_trace(h, m, OV), "spawn+:w reply:start_failed");
	cr_assert_eq(h_restarts(h, "w"), 0);
	h_end(h);
}

/* The old process crashes before the switch: the new one is killed, the
 * crash is handled as usual (a restart), the overlap fails. */
Test(overlap, old_crash_before_switch)
{
	struct h *h = one_worker();
	size_t m;

	h_cmd_overlap(h, "w", 1000);
	m = h_mark(h);
	h_crash(h, "w", H_EXIT(1));
	cr_assert_str_eq(h_trace(h, m, OV), "kill+:w crash:w=exit:1 restart:w spawn:w");
	h_overlap_exited(h, "w", H_SIG(SIGKILL), NULL);
	cr_assert_eq(h_last_result(h), SUP_E_START_FAILED);
	cr_assert_eq(h_restarts(h, "w"), 1);
	h_end(h);
}

/* After the switch the new process is the worker: its crash is a crash,
 * the old one's stop goes on. */
Test(overlap, new_crash_after_switch)
{
	struct h *h = one_worker();
	size_t m;

	h_cmd_overlap(h, "w", 1000);
	h_overlap_ready(h, "w");
	m = h_mark(h);
	h_crash(h, "w", H_EXIT(2));
	cr_assert_str_eq(h_trace(h, m, OV), "crash:w=exit:2 restart:w spawn:w");
	h_overlap_exited(h, "w", H_SIG(SIGTERM), NULL);
	cr_assert_eq(h_last_result(h), SUP_OK);
	h_end(h);
}

Test(overlap, stop_before_switch_kills_the_new_one)
{
	struct h *h = one_worker();
	size_t m;

	h_cmd_overlap(h, "w", 1000);
	m = h_mark(h);
	cr_assert_eq(h_cmd_stop(h, "w"), SUP_OK);
	cr_assert_str_eq(h_trace(h, m, OV), "kill+:w term:w exit:w=shutdown reply:ok");
	h_overlap_exited(h, "w", H_SIG(SIGKILL), NULL);
	cr_assert_eq(h_result(h, 1), SUP_E_START_FAILED);
	h_end(h);
}

Test(overlap, refusals)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 1, HOUR);

	h_worker(h, NULL, "w", SUP_PERMANENT);
	h_worker(h, NULL, "s", SUP_PERMANENT);
	h_sup(h, NULL, "sub", SUP_ONE_FOR_ONE, 1, HOUR);
	h_boot(h);
	cr_assert_eq(h_cmd_overlap(h, "nope", 0), SUP_E_NOT_FOUND);
	cr_assert_eq(h_cmd_overlap(h, "sub", 0), SUP_E_INVALID);
	h_cmd_stop(h, "s");
	cr_assert_eq(h_cmd_overlap(h, "s", 0), SUP_E_NOT_RUNNING);
	cr_assert_eq(h_cmd_overlap(h, "w", 0), H_PENDING);
	cr_assert_eq(h_cmd_overlap(h, "w", 0), SUP_E_BUSY);
	h_overlap_ready(h, "w");
	cr_assert_eq(h_cmd_overlap(h, "w", 0), SUP_E_BUSY);     /* the old one still stops */
	h_overlap_exited(h, "w", H_SIG(SIGTERM), NULL);
	cr_assert_eq(h_cmd_overlap(h, "w", 0), H_PENDING);
	h_overlap_exited(h, "w", H_EXIT(1), NULL);
	h_end(h);
}

/* otpd's shutdown before the switch kills the new process. */
Test(overlap, shutdown_during_overlap)
{
	struct h *h = one_worker();
	size_t m;

	h_cmd_overlap(h, "w", 1000);
	m = h_mark(h);
	h_shutdown(h);
	cr_assert_eq(h_count(h, m, SUP_A_KILL, "w"), 1);       /* kill+:w */
	h_overlap_exited(h, "w", H_SIG(SIGKILL), NULL);
	cr_assert_eq(h_last_result(h), SUP_E_START_FAILED);
	h_end(h);
}

/* otpd's shutdown kills an old process still stopping after the switch. */
Test(overlap, shutdown_kills_the_retiring_old_one)
{
	struct h *h = one_worker();
	size_t m;

	h_cmd_overlap(h, "w", 1000);
	h_overlap_ready(h, "w");
	m = h_mark(h);
	h_shutdown(h);
	cr_assert_eq(h_count(h, m, SUP_A_KILL, "w"), 1);       /* kill+:w */
	h_overlap_exited(h, "w", H_SIG(SIGKILL), NULL);
	cr_assert_eq(h_last_result(h), SUP_OK);
	h_end(h);
}

/* otpctl reexec waits for an overlap to end: the tree cannot be saved meanwhile. */
Test(overlap, no_save_during_overlap)
{
	struct h *h = one_worker();
	const struct sup_node *n = NULL;
	const char *why = NULL;

	cr_assert(sup_tree_quiet(h_tree(h), true, NULL, NULL));
	h_cmd_overlap(h, "w", 1000);
	cr_assert(!sup_tree_quiet(h_tree(h), false, &n, &why));
	cr_assert_str_eq(sup_node_name(n), "w");
	cr_assert_str_eq(why, "is in an overlapping restart");
	h_overlap_ready(h, "w");
	cr_assert(!sup_tree_quiet(h_tree(h), false, NULL, NULL));
	h_overlap_exited(h, "w", H_SIG(SIGTERM), NULL);
	cr_assert(sup_tree_quiet(h_tree(h), true, NULL, NULL));
	h_end(h);
}
