/*
 * test_shutdown.c: stopping children and supervisors (OTP-SEMANTICS §4,
 * §9 items 18-22), ready timeouts, watchdogs, restart_delay, deaths otpd
 * caused, and failed boots (§5, item 31).
 */
#include <criterion/criterion.h>

#include "harness.h"

#define HOUR (3600 * 1000LL)

static struct h *pair(int64_t shutdown2)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 2, HOUR);
	struct sup_spec s;

	h_worker(h, NULL, "child1", SUP_PERMANENT);
	sup_spec_init(&s, SUP_WORKER, "child2");
	s.shutdown_ms = shutdown2;
	h_add(h, NULL, &s);
	h_boot(h);
	return h;
}

Test(shutdown, sup_stop_timeout)
{
	struct h *h = pair(1000);
	size_t m = h_mark(h);

	h_stop_delay(h, "child2", H_NEVER);
	h_shutdown(h);
	h_advance(h, 999);
	cr_assert_str_eq(h_trace(h, m, H_STOPS), "term:child2");
	h_advance(h, 1);
	cr_assert_str_eq(h_trace(h, m, H_STOPS | HM(SUP_A_EXITED) | HM(SUP_A_OTPD_EXIT)),
			 "term:child2 kill:child2 exit:child2=killed term:child1 "
			 "exit:child1=shutdown otpd_exit:0");
	cr_assert_eq(h_when(h, m, SUP_A_KILL, "child2"), H_T0 + 1000);
	cr_assert_str_eq(h_last_exit(h, "child2"), "killed");
	cr_assert_str_eq(h_last_exit(h, "child1"), "shutdown");
	h_end(h);
}

Test(shutdown, sup_stop_brutal_kill)
{
	struct h *h = pair(SUP_SHUTDOWN_BRUTAL);
	size_t m = h_mark(h);

	h_shutdown(h);
	cr_assert_str_eq(h_trace(h, m, H_STOPS | HM(SUP_A_OTPD_EXIT)),
			 "kill:child2 term:child1 otpd_exit:0");
	cr_assert_str_eq(h_last_exit(h, "child2"), "killed");
	h_end(h);
}

Test(shutdown, sup_stop_infinity)
{
	struct h *h = pair(SUP_SHUTDOWN_INFINITY);
	size_t m = h_mark(h);

	h_stop_delay(h, "child2", H_NEVER);
	h_shutdown(h);
	h_advance(h, 10 * HOUR);
	cr_assert_str_eq(h_trace(h, m, H_STOPS), "term:child2");
	cr_assert_eq(sup_next_deadline(h_tree(h)), SUP_NO_DEADLINE);
	cr_assert(!sup_tree_done(h_tree(h)));
	h_crash(h, "child2", H_SIG(SIGTERM));   /* it finally goes */
	cr_assert_str_eq(h_trace(h, m, H_STOPS | HM(SUP_A_OTPD_EXIT)),
			 "term:child2 term:child1 otpd_exit:0");
	h_end(h);
}

Test(shutdown, stop_signal_is_the_specs)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 2, HOUR);
	struct sup_spec s;
	size_t m;

	sup_spec_init(&s, SUP_WORKER, "nginx");
	s.stop_signal = SIGQUIT;
	h_add(h, NULL, &s);
	h_boot(h);
	m = h_mark(h);
	h_shutdown(h);
	cr_assert_str_eq(h_trace(h, m, H_STOPS), "sig3:nginx");
	h_end(h);
}

Test(shutdown, simple_one_for_one_shutdown)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 2, HOUR);
	struct sup_spec s;
	char n[3][SUP_NAME_MAX + 1];
	size_t m;

	h_sup(h, NULL, "pool", SUP_SIMPLE_ONE_FOR_ONE, 2, HOUR);
	sup_spec_init(&s, SUP_WORKER, "w");
	s.shutdown_ms = 2000;
	h_add(h, "pool", &s);
	h_boot(h);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(h_cmd_start_child(h, "pool", NULL, 0, NULL, n[i]), SUP_OK);
	h_stop_delay(h, n[0], 1000);
	h_stop_delay(h, n[1], 5000);
	h_stop_delay(h, n[2], 1000);
	m = h_mark(h);
	h_shutdown(h);
	/* All at once, order undefined: three stop signals in one batch. */
	cr_assert_eq(h_count(h, m, SUP_A_SIGNAL, NULL), 3);
	h_advance(h, 1000);
	cr_assert_eq(h_count(h, m, SUP_A_EXITED, NULL), 2);
	cr_assert(!sup_tree_done(h_tree(h)));
	h_advance(h, 1000);
	cr_assert_eq(h_count(h, m, SUP_A_KILL, n[1]), 1);
	cr_assert_eq(h_when(h, m, SUP_A_KILL, n[1]), H_T0 + 2000);
	cr_assert(sup_tree_done(h_tree(h)));
	cr_assert_eq(h_when(h, m, SUP_A_OTPD_EXIT, NULL), H_T0 + 2000);
	h_end(h);
}

Test(shutdown, sup_stop_race)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 1, HOUR);
	size_t m;

	h_worker(h, NULL, "a", SUP_PERMANENT);
	h_worker(h, NULL, "b", SUP_TRANSIENT);
	h_worker(h, NULL, "c", SUP_PERMANENT);
	h_worker(h, NULL, "d", SUP_PERMANENT);
	h_boot(h);
	h_stop_delay(h, "d", H_NEVER);
	m = h_mark(h);
	h_shutdown(h);
	h_crash(h, "a", H_EXIT(1));
	h_crash(h, "b", 0);
	h_crash(h, "c", H_SIG(SIGSEGV));
	h_crash(h, "d", H_EXIT(7));
	cr_assert(sup_tree_done(h_tree(h)));
	cr_assert_eq(h_otpd_exit(h), 0);
	cr_assert_eq(h_count(h, m, SUP_A_SPAWN, NULL), 0);
	cr_assert_eq(h_count(h, m, SUP_A_RESTART, NULL), 0);
	cr_assert_str_eq(h_trace(h, m, H_STOPS), "term:d");
	h_end(h);
}

Test(shutdown, sup_stop_non_shutdown_exit_dynamic)
{
	struct h *h = h_new(SUP_SIMPLE_ONE_FOR_ONE, 1, HOUR);
	char n[3][SUP_NAME_MAX + 1];
	size_t m;

	h_worker(h, NULL, "w", SUP_PERMANENT);
	h_boot(h);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(h_cmd_start_child(h, "root", NULL, 0, NULL, n[i]), SUP_OK);
		h_stop_delay(h, n[i], H_NEVER);
	}
	m = h_mark(h);
	h_shutdown(h);
	h_crash(h, n[0], H_EXIT(1));
	h_crash(h, n[1], 0);
	h_crash(h, n[2], H_SIG(SIGSEGV));
	cr_assert(sup_tree_done(h_tree(h)));
	cr_assert_eq(h_otpd_exit(h), 0);
	cr_assert_eq(h_count(h, m, SUP_A_SPAWN, NULL), 0);
	cr_assert_eq(h_count(h, m, SUP_A_RESTART, NULL), 0);
	cr_assert_eq(h_count(h, m, SUP_A_FORGET, NULL), 3);
	h_end(h);
}

/* A supervisor child with a finite shutdown: its workers are killed at the deadline. */
Test(shutdown, supervisor_shutdown_timeout)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 1, HOUR);
	struct sup_spec s;
	size_t m;

	sup_spec_init(&s, SUP_SUPERVISOR, "sub");
	s.shutdown_ms = 500;
	h_add(h, NULL, &s);
	h_worker(h, "sub", "a", SUP_PERMANENT);
	h_worker(h, "sub", "b", SUP_PERMANENT);
	h_boot(h);
	h_stop_delay(h, "a", H_NEVER);
	h_stop_delay(h, "b", H_NEVER);
	m = h_mark(h);
	h_shutdown(h);
	cr_assert_str_eq(h_trace(h, m, H_STOPS), "term:b");
	h_advance(h, 500);
	/* b's own 1000 ms is not over, but sub's 500 ms is: everything below dies. */
	cr_assert_eq(h_count(h, m, SUP_A_KILL, "a"), 1);
	cr_assert_eq(h_count(h, m, SUP_A_KILL, "b"), 1);
	cr_assert_eq(h_when(h, m, SUP_A_KILL, "a"), H_T0 + 500);
	cr_assert_eq(h_when(h, m, SUP_A_OTPD_EXIT, NULL), H_T0 + 500);
	/* OTP kills a supervisor whose shutdown time ran out: reason killed. */
	cr_assert_str_eq(h_last_exit(h, "sub"), "killed");
	h_end(h);
}

Test(shutdown, deaths_of_stopped_children_never_count)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 0, HOUR);
	size_t m;

	h_worker(h, NULL, "a", SUP_PERMANENT);
	h_boot(h);
	h_stop_delay(h, "a", H_NEVER);
	m = h_mark(h);
	cr_assert_eq(h_cmd_stop(h, "a"), H_PENDING);
	h_crash(h, "a", H_EXIT(1));     /* dies on its own while being stopped */
	cr_assert_eq(h_last_result(h), SUP_OK);
	cr_assert_eq(h_count(h, m, SUP_A_RESTART, NULL), 0);
	cr_assert_eq(h_state(h, "root"), SUP_RUNNING);
	cr_assert_eq(h_state(h, "a"), SUP_STOPPED);
	cr_assert_str_eq(h_trace(h, m, HM(SUP_A_EXITED)), "exit:a=shutdown");
	h_end(h);
}

Test(shutdown, init_failure_stops_started_children)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 1, HOUR);
	size_t m = h_mark(h);

	h_worker(h, NULL, "c1", SUP_PERMANENT);
	h_worker(h, NULL, "c2", SUP_PERMANENT);
	h_worker(h, NULL, "c3", SUP_PERMANENT);
	h_fail_always(h, "c2", true);
	h_boot(h);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_OTPD_EXIT)),
			 "spawn:c1 spawn:c2 term:c1 otpd_exit:1");
	cr_assert(sup_tree_done(h_tree(h)));
	cr_assert(sup_node_failed(h_node(h, "root")));
	cr_assert_str_eq(h_last_exit(h, "root"), "start_failed:c2: start_failed:exec failed");
	cr_assert_eq(h_spawns(h, "c3"), 0);
	h_end(h);
}

Test(shutdown, init_failure_cascades_to_root)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 1, HOUR);
	size_t m = h_mark(h);

	h_worker(h, NULL, "c1", SUP_PERMANENT);
	h_sup(h, NULL, "sub", SUP_ONE_FOR_ONE, 1, HOUR);
	h_worker(h, "sub", "s1", SUP_PERMANENT);
	h_worker(h, "sub", "s2", SUP_PERMANENT);
	h_worker(h, NULL, "c3", SUP_PERMANENT);
	h_fail_always(h, "s2", true);
	h_boot(h);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_OTPD_EXIT)),
			 "spawn:c1 spawn:s1 spawn:s2 term:s1 term:c1 otpd_exit:1");
	cr_assert(sup_node_failed(h_node(h, "sub")));
	h_end(h);
}

/* A ready timeout is a start failure: at init it fails the supervisor. */
Test(shutdown, ready_timeout_at_init_fails)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 1, HOUR);
	struct sup_spec s;
	size_t m = h_mark(h);

	sup_spec_init(&s, SUP_WORKER, "slow");
	s.ready_timeout_ms = 3000;
	h_add(h, NULL, &s);
	h_manual(h, "slow", true);
	h_boot(h);
	h_advance(h, 2999);
	cr_assert_str_eq(h_trace(h, m, H_PROC), "spawn:slow");
	h_advance(h, 1);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_OTPD_EXIT)),
			 "spawn:slow kill:slow otpd_exit:1");
	cr_assert_str_eq(h_last_exit(h, "slow"), "start_failed:ready_timeout");
	h_end(h);
}

/* ... and during a restart it enters the retry loop. */
Test(shutdown, ready_timeout_on_restart_retries)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 2, HOUR);
	struct sup_spec s;
	size_t m;

	sup_spec_init(&s, SUP_WORKER, "slow");
	s.ready_timeout_ms = 3000;
	h_add(h, NULL, &s);
	h_boot(h);
	h_ready_delay(h, "slow", 5000);
	m = h_mark(h);
	h_crash(h, "slow", H_EXIT(1));
	h_advance(h, 3000);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_RESTART)),
			 "restart:slow spawn:slow kill:slow restart:slow spawn:slow");
	h_advance(h, 3000);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_RESTART) | HM(SUP_A_OTPD_EXIT)),
			 "restart:slow spawn:slow kill:slow restart:slow spawn:slow kill:slow "
			 "otpd_exit:1");
	h_end(h);
}

Test(shutdown, watchdog_expiry_kills_and_restarts)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 2, HOUR);
	struct sup_spec s;
	size_t m;

	sup_spec_init(&s, SUP_WORKER, "wd");
	s.watchdog_ms = 1000;
	h_add(h, NULL, &s);
	h_boot(h);
	h_advance(h, 900);
	h_watchdog(h, "wd");
	h_advance(h, 900);
	h_watchdog(h, "wd");
	m = h_mark(h);
	h_advance(h, 999);
	cr_assert_str_eq(h_trace(h, m, H_PROC), "");
	h_advance(h, 1);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_EXITED) | HM(SUP_A_RESTART)),
			 "kill:wd crash:wd=watchdog restart:wd spawn:wd");
	cr_assert_str_eq(h_last_exit(h, "wd"), "watchdog");
	cr_assert_eq(h_state(h, "wd"), SUP_RUNNING);
	/* the new process has a fresh watchdog */
	m = h_mark(h);
	h_advance(h, 999);
	cr_assert_eq(h_count(h, m, SUP_A_KILL, NULL), 0);
	h_end(h);
}

Test(shutdown, restart_delay)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 2, HOUR);
	struct sup_spec s;
	size_t m;

	sup_spec_init(&s, SUP_WORKER, "d");
	s.restart_delay_ms = 2000;
	h_add(h, NULL, &s);
	h_boot(h);
	m = h_mark(h);
	h_crash(h, "d", H_EXIT(1));
	cr_assert_eq(h_state(h, "d"), SUP_RESTARTING);
	cr_assert_str_eq(h_counts_str(h, NULL), "1,0,0,1");
	cr_assert_eq(h_cmd_start(h, "d"), SUP_E_RESTARTING);
	cr_assert_eq(h_cmd_delete(h, "d"), SUP_E_RESTARTING);
	h_advance(h, 1999);
	cr_assert_eq(h_count(h, m, SUP_A_SPAWN, NULL), 0);
	h_advance(h, 1);
	cr_assert_eq(h_when(h, m, SUP_A_SPAWN, "d"), H_T0 + 2000);
	cr_assert_eq(h_state(h, "d"), SUP_RUNNING);
	h_end(h);
}

/* restart_delay under rest_for_one while another group restart is running. */
Test(shutdown, restart_delay_expires_during_group_restart)
{
	struct h *h = h_new(SUP_REST_FOR_ONE, 5, HOUR);
	struct sup_spec s;

	sup_spec_init(&s, SUP_WORKER, "a");
	s.restart_delay_ms = 100;
	h_add(h, NULL, &s);
	h_worker(h, NULL, "b", SUP_PERMANENT);
	h_worker(h, NULL, "c", SUP_PERMANENT);
	h_boot(h);
	h_ready_delay(h, "c", 500);
	h_crash(h, "a", H_EXIT(1));     /* a waits 100 ms before its restart */
	cr_assert_eq(h_state(h, "a"), SUP_RESTARTING);
	h_crash(h, "c", H_EXIT(1));     /* group from c: c starting for 500 ms */
	h_advance(h, 100);              /* a's delay ends while the group runs */
	h_advance(h, 2000);
	cr_assert_eq(h_state(h, "a"), SUP_RUNNING);
	cr_assert_eq(h_state(h, "b"), SUP_RUNNING);
	cr_assert_eq(h_state(h, "c"), SUP_RUNNING);
	h_end(h);
}

Test(shutdown, shutdown_twice_and_after_done)
{
	struct h *h = pair(1000);

	h_shutdown(h);
	h_shutdown(h);
	cr_assert_eq(h_otpd_exits(h), 1);
	cr_assert_eq(h_cmd_start(h, "child1"), SUP_E_SHUTTING_DOWN);
	h_end(h);
}

Test(shutdown, shutdown_during_boot)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 1, HOUR);
	size_t m = h_mark(h);

	h_worker(h, NULL, "a", SUP_PERMANENT);
	h_worker(h, NULL, "b", SUP_PERMANENT);
	h_worker(h, NULL, "c", SUP_PERMANENT);
	h_ready_delay(h, "b", 1000);
	h_boot(h);
	h_shutdown(h);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_OTPD_EXIT)),
			 "spawn:a spawn:b term:b term:a otpd_exit:0");
	h_end(h);
}

/* Issue 18.3: durations near INT64_MAX mean "practically never", not "at
 * once" (now + duration must not wrap). */
Test(shutdown, huge_durations_saturate)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 2, HOUR);
	struct sup_spec s;
	size_t m;

	sup_spec_init(&s, SUP_WORKER, "child2");
	s.shutdown_ms = INT64_MAX - 1;
	h_add(h, NULL, &s);
	sup_spec_init(&s, SUP_WORKER, "slow");
	s.restart_delay_ms = INT64_MAX - 5;
	s.ready_timeout_ms = INT64_MAX - 7;
	h_add(h, NULL, &s);
	h_boot(h);
	cr_assert_eq(h_state(h, "slow"), SUP_RUNNING);
	m = h_mark(h);
	h_crash(h, "slow", H_EXIT(1));
	h_advance(h, 10 * HOUR);
	cr_assert_eq(h_count(h, m, SUP_A_SPAWN, "slow"), 0);
	cr_assert_eq(h_state(h, "slow"), SUP_RESTARTING);
	h_stop_delay(h, "child2", H_NEVER);
	m = h_mark(h);
	h_shutdown(h);
	h_advance(h, 10 * HOUR);
	cr_assert_eq(h_count(h, m, SUP_A_KILL, "child2"), 0);
	cr_assert_eq(h_state(h, "child2"), SUP_STOPPING);
	h_crash(h, "child2", H_SIG(SIGTERM));
	h_finish(h, HOUR);
	cr_assert_eq(h_otpd_exit(h), 0);
	h_free(h);
}
