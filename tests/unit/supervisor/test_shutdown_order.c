/*
 * test_shutdown_order.c: shutdown_order = parallel (issue 19): a
 * supervisor that stops several children at once (its own end, the stop
 * phase of a group restart, an init that failed) sends every one its stop
 * together, each under its own shutdown; reverse stays OTP's rule.
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "harness.h"

#define HOUR (3600 * 1000LL)

static struct h *tree(enum sup_strategy st, enum sup_shutdown_order order)
{
	struct sup_spec s;

	sup_spec_init(&s, SUP_SUPERVISOR, "root");
	s.strategy = st;
	s.intensity = 5;
	s.period_ms = HOUR;
	s.shutdown_order = order;
	return h_new_spec(&s);
}

static void worker(struct h *h, const char *parent, const char *name, int64_t shutdown,
		   int64_t stop_delay)
{
	struct sup_spec s;

	sup_spec_init(&s, SUP_WORKER, name);
	s.shutdown_ms = shutdown;
	h_add(h, parent, &s);
	h_stop_delay(h, name, stop_delay);
}

static void sup(struct h *h, const char *parent, const char *name, enum sup_shutdown_order order)
{
	struct sup_spec s;

	sup_spec_init(&s, SUP_SUPERVISOR, name);
	s.intensity = 5;
	s.period_ms = HOUR;
	s.shutdown_order = order;
	h_add(h, parent, &s);
}

/* Ten workers that take 100 ms each: together in 100 ms, not one by one in 1 s. */
Test(shutdown_order, parallel_stops_everything_at_once)
{
	struct h *h = tree(SUP_ONE_FOR_ONE, SUP_ORDER_PARALLEL);
	char name[16];
	size_t m;

	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "w%d", i);
		worker(h, NULL, name, 5000, 100);
	}
	h_boot(h);
	m = h_mark(h);
	h_shutdown(h);
	cr_assert_eq(h_count(h, m, SUP_A_SIGNAL, NULL), 10);
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "w%d", i);
		cr_assert_eq(h_when(h, m, SUP_A_SIGNAL, name), H_T0);
	}
	h_advance(h, 100);
	cr_assert(sup_tree_done(h_tree(h)));
	cr_assert_eq(h_when(h, m, SUP_A_OTPD_EXIT, NULL), H_T0 + 100);
	cr_assert_eq(h_otpd_exit(h), 0);
	h_end(h);
}

/* The same tree in reverse (the default): one at a time, last first. */
Test(shutdown_order, reverse_is_one_at_a_time)
{
	struct h *h = tree(SUP_ONE_FOR_ONE, SUP_ORDER_REVERSE);
	size_t m;

	worker(h, NULL, "a", 5000, 100);
	worker(h, NULL, "b", 5000, 100);
	worker(h, NULL, "c", 5000, 100);
	h_boot(h);
	m = h_mark(h);
	h_shutdown(h);
	h_advance(h, 300);
	cr_assert_str_eq(h_trace(h, m, H_STOPS), "term:c term:b term:a");
	cr_assert_eq(h_when(h, m, SUP_A_SIGNAL, "b"), H_T0 + 100);
	cr_assert_eq(h_when(h, m, SUP_A_SIGNAL, "a"), H_T0 + 200);
	cr_assert_eq(h_when(h, m, SUP_A_OTPD_EXIT, NULL), H_T0 + 300);
	h_end(h);
}

/* Each child under its own shutdown: brutal_kill at once, 300 ms, 700 ms, infinity. */
Test(shutdown_order, parallel_each_under_its_own_shutdown)
{
	struct h *h = tree(SUP_ONE_FOR_ONE, SUP_ORDER_PARALLEL);
	size_t m;

	worker(h, NULL, "brutal", SUP_SHUTDOWN_BRUTAL, 0);
	worker(h, NULL, "short", 300, H_NEVER);
	worker(h, NULL, "long", 700, H_NEVER);
	worker(h, NULL, "patient", SUP_SHUTDOWN_INFINITY, 1500);
	h_boot(h);
	m = h_mark(h);
	h_shutdown(h);
	cr_assert_str_eq(h_trace(h, m, H_STOPS), "kill:brutal term:short term:long term:patient");
	h_advance(h, 300);
	cr_assert_eq(h_when(h, m, SUP_A_KILL, "short"), H_T0 + 300);
	h_advance(h, 400);
	cr_assert_eq(h_when(h, m, SUP_A_KILL, "long"), H_T0 + 700);
	cr_assert(!sup_tree_done(h_tree(h)));
	h_advance(h, 800);
	cr_assert_eq(h_count(h, m, SUP_A_KILL, "patient"), 0);
	cr_assert_eq(h_when(h, m, SUP_A_OTPD_EXIT, NULL), H_T0 + 1500);
	cr_assert_str_eq(h_last_exit(h, "short"), "killed");
	cr_assert_str_eq(h_last_exit(h, "patient"), "shutdown");
	h_end(h);
}

/* The key is each supervisor's own: a reverse sub below a parallel root. */
Test(shutdown_order, nested_reverse_below_parallel)
{
	struct h *h = tree(SUP_ONE_FOR_ONE, SUP_ORDER_PARALLEL);
	size_t m;

	sup(h, NULL, "sub", SUP_ORDER_REVERSE);
	worker(h, "sub", "a", 5000, 100);
	worker(h, "sub", "b", 5000, 100);
	worker(h, NULL, "c", 5000, 100);
	h_boot(h);
	m = h_mark(h);
	h_shutdown(h);
	cr_assert_str_eq(h_trace(h, m, H_STOPS), "term:c term:b");
	h_advance(h, 100);
	cr_assert_str_eq(h_trace(h, m, H_STOPS), "term:c term:b term:a");
	h_advance(h, 100);
	cr_assert_eq(h_when(h, m, SUP_A_OTPD_EXIT, NULL), H_T0 + 200);
	h_end(h);
}

/* A parallel sub below a reverse root: its turn comes in order, then all at once. */
Test(shutdown_order, nested_parallel_below_reverse)
{
	struct h *h = tree(SUP_ONE_FOR_ONE, SUP_ORDER_REVERSE);
	size_t m;

	sup(h, NULL, "sub", SUP_ORDER_PARALLEL);
	worker(h, "sub", "a", 5000, 100);
	worker(h, "sub", "b", 5000, 100);
	worker(h, NULL, "c", 5000, 100);
	h_boot(h);
	m = h_mark(h);
	h_shutdown(h);
	cr_assert_str_eq(h_trace(h, m, H_STOPS), "term:c");
	h_advance(h, 100);
	cr_assert_str_eq(h_trace(h, m, H_STOPS), "term:c term:a term:b");
	cr_assert_eq(h_when(h, m, SUP_A_SIGNAL, "a"), H_T0 + 100);
	cr_assert_eq(h_when(h, m, SUP_A_SIGNAL, "b"), H_T0 + 100);
	h_advance(h, 100);
	cr_assert_eq(h_when(h, m, SUP_A_OTPD_EXIT, NULL), H_T0 + 200);
	h_end(h);
}

/* A parallel supervisor stopped by a command stops its children at once too. */
Test(shutdown_order, parallel_sub_stopped_by_its_parent)
{
	struct h *h = tree(SUP_ONE_FOR_ONE, SUP_ORDER_REVERSE);
	uint64_t c;
	size_t m;

	sup(h, NULL, "sub", SUP_ORDER_PARALLEL);
	worker(h, "sub", "a", 5000, 100);
	worker(h, "sub", "b", 5000, 300);
	h_boot(h);
	m = h_mark(h);
	cr_assert_eq(h_cmd_stop(h, "sub"), H_PENDING);
	c = h_last_cookie(h);
	cr_assert_eq(h_count(h, m, SUP_A_SIGNAL, NULL), 2);
	h_advance(h, 300);
	cr_assert_eq(h_result(h, c), SUP_OK);
	cr_assert_eq(h_state(h, "sub"), SUP_STOPPED);
	h_end(h);
}

/* one_for_all: the stop phase of a group restart is parallel, the start stays in order. */
Test(shutdown_order, one_for_all_group_restart)
{
	struct h *h = tree(SUP_ONE_FOR_ALL, SUP_ORDER_PARALLEL);
	size_t m;

	worker(h, NULL, "a", 5000, 100);
	worker(h, NULL, "b", 5000, 100);
	worker(h, NULL, "c", 5000, 200);
	worker(h, NULL, "d", 5000, 100);
	h_boot(h);
	m = h_mark(h);
	h_crash(h, "b", H_EXIT(1));
	cr_assert_str_eq(h_trace(h, m, H_PROC), "term:a term:c term:d");
	h_advance(h, 200);
	cr_assert_str_eq(h_trace(h, m, H_PROC), "term:a term:c term:d spawn:a spawn:b spawn:c spawn:d");
	cr_assert_eq(h_when(h, m, SUP_A_SPAWN, "a"), H_T0 + 200);
	cr_assert_eq(h_count(h, m, SUP_A_RESTART, NULL), 1);
	h_end(h);
}

/* rest_for_one: the dead child and those after it, at once; those before are left alone. */
Test(shutdown_order, rest_for_one_group_restart)
{
	struct h *h = tree(SUP_REST_FOR_ONE, SUP_ORDER_PARALLEL);
	size_t m;

	worker(h, NULL, "a", 5000, 100);
	worker(h, NULL, "b", 5000, 100);
	worker(h, NULL, "c", 5000, 100);
	worker(h, NULL, "d", SUP_SHUTDOWN_BRUTAL, 100);
	h_boot(h);
	m = h_mark(h);
	h_crash(h, "b", H_EXIT(1));
	cr_assert_str_eq(h_trace(h, m, H_PROC), "term:c kill:d");
	h_advance(h, 100);
	cr_assert_str_eq(h_trace(h, m, H_PROC), "term:c kill:d spawn:b spawn:c spawn:d");
	cr_assert_eq(h_spawns(h, "a"), 1);
	h_end(h);
}

/* A failed init stops what it started, at once. */
Test(shutdown_order, failed_init_stops_at_once)
{
	struct h *h = tree(SUP_ONE_FOR_ONE, SUP_ORDER_PARALLEL);
	size_t m = h_mark(h);

	worker(h, NULL, "c1", 5000, 100);
	worker(h, NULL, "c2", 5000, 100);
	worker(h, NULL, "c3", 5000, 100);
	h_fail_always(h, "c3", true);
	h_boot(h);
	cr_assert_str_eq(h_trace(h, m, H_PROC), "spawn:c1 spawn:c2 spawn:c3 term:c1 term:c2");
	h_advance(h, 100);
	cr_assert_eq(h_when(h, m, SUP_A_OTPD_EXIT, NULL), H_T0 + 100);
	cr_assert_eq(h_otpd_exit(h), 1);
	h_end(h);
}

/* A supervisor that gives up stops its children by its own order too. */
Test(shutdown_order, give_up_in_parallel)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 5, HOUR);
	struct sup_spec s;
	size_t m;

	sup_spec_init(&s, SUP_SUPERVISOR, "sub");
	s.intensity = 0;
	s.restart = SUP_TRANSIENT;
	s.shutdown_order = SUP_ORDER_PARALLEL;
	h_add(h, NULL, &s);
	worker(h, "sub", "a", 5000, 100);
	worker(h, "sub", "b", 5000, 100);
	worker(h, "sub", "c", 5000, 100);
	h_boot(h);
	m = h_mark(h);
	h_crash(h, "b", H_EXIT(1));
	cr_assert_str_eq(h_trace(h, m, H_PROC), "term:a term:c");
	h_advance(h, 100);
	cr_assert_eq(h_state(h, "sub"), SUP_STOPPED);
	h_end(h);
}

/* The order is taken when a stop phase begins: a reload meanwhile changes the next one. */
Test(shutdown_order, reload_during_a_stop_phase)
{
	struct h *h = tree(SUP_ONE_FOR_ONE, SUP_ORDER_REVERSE);
	struct sup_spec s;
	size_t m;

	worker(h, NULL, "a", 5000, 100);
	worker(h, NULL, "b", 5000, 100);
	worker(h, NULL, "c", 5000, 100);
	h_boot(h);
	m = h_mark(h);
	h_shutdown(h);
	s = *sup_node_spec(sup_tree_root(h_tree(h)));
	s.shutdown_order = SUP_ORDER_PARALLEL;
	cr_assert_eq(sup_node_respec(sup_tree_root(h_tree(h)), &s), SUP_OK);
	h_advance(h, 300);
	cr_assert_str_eq(h_trace(h, m, H_STOPS), "term:c term:b term:a");
	cr_assert_eq(h_when(h, m, SUP_A_OTPD_EXIT, NULL), H_T0 + 300);
	h_end(h);
}

Test(shutdown_order, reload_during_a_parallel_stop_phase)
{
	struct h *h = tree(SUP_ONE_FOR_ONE, SUP_ORDER_PARALLEL);
	struct sup_spec s;
	size_t m;

	worker(h, NULL, "a", 5000, 100);
	worker(h, NULL, "b", 5000, 200);
	h_boot(h);
	h_check_order(h, false);        /* the harness would read the new order */
	m = h_mark(h);
	h_shutdown(h);
	s = *sup_node_spec(sup_tree_root(h_tree(h)));
	s.shutdown_order = SUP_ORDER_REVERSE;
	cr_assert_eq(sup_node_respec(sup_tree_root(h_tree(h)), &s), SUP_OK);
	h_advance(h, 200);
	cr_assert_eq(h_count(h, m, SUP_A_SIGNAL, NULL), 2);
	cr_assert_eq(h_when(h, m, SUP_A_OTPD_EXIT, NULL), H_T0 + 200);
	h_end(h);
}

/* A supervisor killed at its deadline: everything below at once, whatever its order. */
Test(shutdown_order, killed_parallel_supervisor)
{
	struct h *h = tree(SUP_ONE_FOR_ONE, SUP_ORDER_REVERSE);
	struct sup_spec s;
	size_t m;

	sup_spec_init(&s, SUP_SUPERVISOR, "sub");
	s.shutdown_ms = 500;
	s.shutdown_order = SUP_ORDER_PARALLEL;
	h_add(h, NULL, &s);
	worker(h, "sub", "a", SUP_SHUTDOWN_INFINITY, H_NEVER);
	worker(h, "sub", "b", 5000, H_NEVER);
	h_boot(h);
	m = h_mark(h);
	h_shutdown(h);
	cr_assert_str_eq(h_trace(h, m, H_STOPS), "term:a term:b");
	h_advance(h, 500);
	cr_assert_str_eq(h_trace(h, m, H_STOPS), "term:a term:b kill:a kill:b");
	cr_assert_eq(h_when(h, m, SUP_A_OTPD_EXIT, NULL), H_T0 + 500);
	h_end(h);
}
