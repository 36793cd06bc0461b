/*
 * test_ping.c: a worker that misses otpd's mailbox ping (otp.conf(5) ping,
 * ping_timeout) is killed like a watchdog miss, and its end is a crash
 * with reason ping_timeout that counts toward intensity.
 */
#include <criterion/criterion.h>

#include "harness.h"

#define HOUR (3600 * 1000)

Test(ping, miss_kills_and_restarts_as_a_crash)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 2, HOUR);
	size_t m;

	h_worker(h, NULL, "p", SUP_PERMANENT);
	h_boot(h);
	m = h_mark(h);
	h_ping_timeout(h, "p");
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_EXITED) | HM(SUP_A_RESTART)),
			 "kill:p crash:p=ping_timeout restart:p spawn:p");
	cr_assert_str_eq(h_last_exit(h, "p"), "ping_timeout");
	cr_assert_eq(h_restarts(h, "p"), 1);
	cr_assert_eq(h_state(h, "p"), SUP_RUNNING);
	h_end(h);
}

/* Two misses within the window are fine with intensity 2; the third is not. */
Test(ping, misses_count_toward_intensity)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 2, HOUR);

	h_worker(h, NULL, "p", SUP_PERMANENT);
	h_boot(h);
	h_ping_timeout(h, "p");
	h_advance(h, 10);
	h_ping_timeout(h, "p");
	h_advance(h, 10);
	cr_assert_eq(h_otpd_exits(h), 0);
	h_ping_timeout(h, "p");
	cr_assert_eq(h_otpd_exit(h), 1);
	h_end(h);
}

/* ping_timeout is an abnormal end: a transient worker comes back. */
Test(ping, transient_worker_is_restarted)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 2, HOUR);
	size_t m;

	h_worker(h, NULL, "t", SUP_TRANSIENT);
	h_boot(h);
	m = h_mark(h);
	h_ping_timeout(h, "t");
	cr_assert_str_eq(h_trace(h, m, H_PROC), "kill:t spawn:t");
	cr_assert_str_eq(h_last_exit(h, "t"), "ping_timeout");
	h_end(h);
}

/* Only a running worker is pinged: starting or stopping, a late timeout is ignored. */
Test(ping, ignored_unless_running)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 2, HOUR);
	size_t m;

	h_worker(h, NULL, "slow", SUP_PERMANENT);
	h_ready_delay(h, "slow", 500);
	h_boot(h);
	cr_assert_eq(h_state(h, "slow"), SUP_STARTING);
	m = h_mark(h);
	h_ping_timeout(h, "slow");
	cr_assert_str_eq(h_trace(h, m, H_PROC), "");
	h_advance(h, 500);
	cr_assert_eq(h_state(h, "slow"), SUP_RUNNING);
	h_stop_delay(h, "slow", 1000);
	h_cmd_stop(h, "slow");
	cr_assert_eq(h_state(h, "slow"), SUP_STOPPING);
	m = h_mark(h);
	h_ping_timeout(h, "slow");
	cr_assert_eq(h_count(h, m, SUP_A_KILL, NULL), 0);
	h_advance(h, 1000);
	cr_assert_str_eq(h_last_exit(h, "slow"), "shutdown");
	h_end(h);
}

/* One miss, one kill, one reason, with a watchdog set too. */
Test(ping, with_a_watchdog_too)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 5, HOUR);
	struct sup_spec s;
	size_t m;

	sup_spec_init(&s, SUP_WORKER, "both");
	s.watchdog_ms = 1000;
	h_add(h, NULL, &s);
	h_stop_delay(h, "both", H_NEVER);
	h_boot(h);
	h_advance(h, 900);
	m = h_mark(h);
	h_ping_timeout(h, "both");
	h_advance(h, 200);
	cr_assert_eq(h_count(h, m, SUP_A_KILL, NULL), 1);
	cr_assert_str_eq(h_last_exit(h, "both"), "ping_timeout");
	h_end(h);
}
