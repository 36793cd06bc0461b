/*
 * test_strategies.c: start order, one_for_one, one_for_all, rest_for_one
 * and their escalations (OTP-SEMANTICS §1, §5, §9 items 1-11).
 */
#include <criterion/criterion.h>

#include "harness.h"

#define HOUR (3600 * 1000LL)
#define KILLED H_SIG(SIGKILL)

static struct h *five(void)
{
	static const char *const ids[] = { "ch7", "ch3", "ch10", "ch2", "ch5" };
	struct h *h = h_new(SUP_REST_FOR_ONE, 2, HOUR);

	for (int i = 0; i < 5; i++)
		h_worker(h, NULL, ids[i], SUP_PERMANENT);
	h_boot(h);
	return h;
}

Test(strategies, order_of_children_start)
{
	struct h *h = five();

	cr_assert_str_eq(h_trace(h, 0, H_PROC),
			 "spawn:ch7 spawn:ch3 spawn:ch10 spawn:ch2 spawn:ch5");
	cr_assert(h_pid(h, "ch7") < h_pid(h, "ch3") && h_pid(h, "ch3") < h_pid(h, "ch10") &&
		  h_pid(h, "ch10") < h_pid(h, "ch2") && h_pid(h, "ch2") < h_pid(h, "ch5"));
	cr_assert_eq(h_state(h, "root"), SUP_RUNNING);
	cr_assert_str_eq(h_counts_str(h, NULL), "5,5,0,5");
	/* Each child is started only once the previous one is ready. */
	cr_assert_str_eq(h_trace(h, 0, H_SPAWN | HM(SUP_A_STATE)),
			 "root=starting ch7=starting spawn:ch7 ch7=running ch3=starting spawn:ch3 "
			 "ch3=running ch10=starting spawn:ch10 ch10=running ch2=starting spawn:ch2 "
			 "ch2=running ch5=starting spawn:ch5 ch5=running root=running");
	h_end(h);
}

Test(strategies, order_of_children_rest_for_one)
{
	struct h *h = five();
	int p7 = h_pid(h, "ch7"), p3 = h_pid(h, "ch3");
	size_t m = h_mark(h);

	h_crash(h, "ch10", KILLED);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_EXITED) | HM(SUP_A_RESTART)),
			 "crash:ch10=signal:SIGKILL restart:ch10 term:ch5 exit:ch5=shutdown "
			 "term:ch2 exit:ch2=shutdown spawn:ch10 spawn:ch2 spawn:ch5");
	cr_assert_eq(h_pid(h, "ch7"), p7);
	cr_assert_eq(h_pid(h, "ch3"), p3);
	cr_assert_str_eq(h_counts_str(h, NULL), "5,5,0,5");
	cr_assert_eq(h_restarts(h, "ch10"), 1);
	cr_assert_eq(h_restarts(h, "ch7"), 0);
	cr_assert_str_eq(h_last_exit(h, "ch10"), "signal:SIGKILL");
	cr_assert_str_eq(h_last_exit(h, "ch5"), "shutdown");
	h_end(h);
}

Test(strategies, order_of_children_stop)
{
	struct h *h = five();
	size_t m = h_mark(h);

	h_shutdown(h);
	h_finish(h, 10000);
	cr_assert_str_eq(h_trace(h, m, H_STOPS | HM(SUP_A_EXITED) | HM(SUP_A_OTPD_EXIT)),
			 "term:ch5 exit:ch5=shutdown term:ch2 exit:ch2=shutdown term:ch10 "
			 "exit:ch10=shutdown term:ch3 exit:ch3=shutdown term:ch7 exit:ch7=shutdown "
			 "otpd_exit:0");
	cr_assert_eq(h_otpd_exit(h), 0);
	h_end(h);
}

Test(strategies, order_of_children_stop_waits_for_each)
{
	struct h *h = five();
	size_t m = h_mark(h);

	h_stop_delay(h, "ch5", 300);
	h_stop_delay(h, "ch2", 200);
	h_shutdown(h);
	cr_assert_str_eq(h_trace(h, m, H_STOPS), "term:ch5");
	h_advance(h, 299);
	cr_assert_str_eq(h_trace(h, m, H_STOPS), "term:ch5");
	h_advance(h, 1);
	cr_assert_str_eq(h_trace(h, m, H_STOPS), "term:ch5 term:ch2");
	cr_assert_eq(h_when(h, m, SUP_A_SIGNAL, "ch2"), H_T0 + 300);
	h_advance(h, 200);
	cr_assert_eq(h_otpd_exit(h), 0);
	cr_assert(sup_tree_done(h_tree(h)));
	h_end(h);
}

static struct h *two(enum sup_strategy s, int intensity)
{
	struct h *h = h_new(s, intensity, HOUR);

	h_worker(h, NULL, "child1", SUP_PERMANENT);
	h_worker(h, NULL, "child2", SUP_PERMANENT);
	h_boot(h);
	return h;
}

Test(strategies, one_for_one)
{
	struct h *h = two(SUP_ONE_FOR_ONE, 2);
	int p1 = h_pid(h, "child1"), p2 = h_pid(h, "child2");
	size_t m = h_mark(h);

	h_crash(h, "child1", KILLED);
	cr_assert_str_eq(h_trace(h, m, H_PROC), "spawn:child1");
	cr_assert_neq(h_pid(h, "child1"), p1);
	cr_assert_eq(h_pid(h, "child2"), p2);
	cr_assert_str_eq(h_counts_str(h, NULL), "2,2,0,2");
	h_crash(h, "child2", KILLED);
	cr_assert_neq(h_pid(h, "child2"), p2);
	cr_assert_str_eq(h_counts_str(h, NULL), "2,2,0,2");
	m = h_mark(h);
	h_crash(h, "child1", KILLED);
	cr_assert_str_eq(h_trace(h, m, H_ALL & ~HM(SUP_A_STATE)),
			 "crash:child1=signal:SIGKILL gaveup:root/child1 term:child2 "
			 "exit:child2=shutdown otpd_exit:1");
	cr_assert(sup_node_failed(h_node(h, "root")));
	cr_assert_eq(h_state(h, "child1"), SUP_STOPPED);
	h_end(h);
}

/* A sub-supervisor that gives up exits with shutdown; its permanent parent restarts it. */
Test(strategies, one_for_one_sub_supervisor_gives_up)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 5, HOUR);
	size_t m;

	h_sup(h, NULL, "sup", SUP_ONE_FOR_ONE, 2, HOUR);
	h_worker(h, "sup", "child1", SUP_PERMANENT);
	h_worker(h, "sup", "child2", SUP_PERMANENT);
	h_boot(h);
	h_crash(h, "child1", KILLED);
	h_crash(h, "child2", KILLED);
	m = h_mark(h);
	h_crash(h, "child2", H_EXIT(1));
	cr_assert_str_eq(h_trace(h, m, H_ALL & ~HM(SUP_A_STATE)),
			 "crash:child2=exit:1 gaveup:sup/child2 term:child1 exit:child1=shutdown "
			 "crash:sup=shutdown restart:sup spawn:child1 spawn:child2");
	cr_assert_str_eq(h_counts_str(h, "sup"), "2,2,0,2");
	cr_assert_eq(h_restarts(h, "sup"), 1);
	/* The new incarnation has an empty history: two more crashes are fine. */
	h_crash(h, "child1", KILLED);
	h_crash(h, "child1", KILLED);
	cr_assert_eq(h_state(h, "sup"), SUP_RUNNING);
	h_end(h);
}

Test(strategies, one_for_one_escalation)
{
	struct h *h = two(SUP_ONE_FOR_ONE, 4);
	size_t m = h_mark(h);

	h_fail_always(h, "child1", true);
	h_crash(h, "child1", KILLED);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_RESTART) | HM(SUP_A_GAVE_UP) |
				 HM(SUP_A_OTPD_EXIT)),
			 "restart:child1 spawn:child1 restart:child1 spawn:child1 restart:child1 "
			 "spawn:child1 restart:child1 spawn:child1 gaveup:root/child1 "
			 "term:child2 otpd_exit:1");
	cr_assert_eq(h_state(h, "child1"), SUP_STOPPED);
	cr_assert_str_eq(h_last_exit(h, "child1"), "start_failed:exec failed");
	cr_assert_eq(h_otpd_exit(h), 1);
	h_end(h);
}

Test(strategies, one_for_all)
{
	struct h *h = two(SUP_ONE_FOR_ALL, 2);
	int p1 = h_pid(h, "child1"), p2 = h_pid(h, "child2");
	size_t m = h_mark(h);

	h_crash(h, "child1", KILLED);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_EXITED)),
			 "crash:child1=signal:SIGKILL term:child2 exit:child2=shutdown "
			 "spawn:child1 spawn:child2");
	cr_assert_neq(h_pid(h, "child1"), p1);
	cr_assert_neq(h_pid(h, "child2"), p2);
	cr_assert_str_eq(h_counts_str(h, NULL), "2,2,0,2");
	h_crash(h, "child2", KILLED);
	cr_assert_str_eq(h_counts_str(h, NULL), "2,2,0,2");
	m = h_mark(h);
	h_crash(h, "child1", KILLED);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_GAVE_UP) | HM(SUP_A_OTPD_EXIT)),
			 "gaveup:root/child1 term:child2 otpd_exit:1");
	h_end(h);
}

Test(strategies, one_for_all_escalation)
{
	struct h *h = two(SUP_ONE_FOR_ALL, 4);
	size_t m = h_mark(h);

	h_fail_always(h, "child2", true);
	h_crash(h, "child1", KILLED);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_RESTART) | HM(SUP_A_GAVE_UP) |
				 HM(SUP_A_OTPD_EXIT)),
			 "restart:child1 term:child2 spawn:child1 spawn:child2 "
			 "restart:child2 term:child1 spawn:child1 spawn:child2 "
			 "restart:child2 term:child1 spawn:child1 spawn:child2 "
			 "restart:child2 term:child1 spawn:child1 spawn:child2 "
			 "gaveup:root/child2 term:child1 otpd_exit:1");
	cr_assert_eq(h_state(h, "child2"), SUP_STOPPED);
	cr_assert_eq(h_pid(h, "child1"), 0);
	h_end(h);
}

Test(strategies, one_for_all_other_child_fails_restart)
{
	struct h *h = two(SUP_ONE_FOR_ALL, 3);
	size_t m = h_mark(h);

	h_fail_next(h, "child2", 1);
	h_crash(h, "child1", KILLED);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_RESTART)),
			 "restart:child1 term:child2 spawn:child1 spawn:child2 "
			 "restart:child2 term:child1 spawn:child1 spawn:child2");
	cr_assert_str_eq(h_last_exit(h, "child1"), "shutdown");
	cr_assert_str_eq(h_counts_str(h, NULL), "2,2,0,2");
	cr_assert_eq(h_state(h, "root"), SUP_RUNNING);
	h_end(h);
}

static struct h *three(enum sup_strategy s, int intensity)
{
	struct h *h = h_new(s, intensity, HOUR);

	h_worker(h, NULL, "child1", SUP_PERMANENT);
	h_worker(h, NULL, "child2", SUP_PERMANENT);
	h_worker(h, NULL, "child3", SUP_PERMANENT);
	h_boot(h);
	return h;
}

Test(strategies, rest_for_one)
{
	struct h *h = three(SUP_REST_FOR_ONE, 2);
	int p1 = h_pid(h, "child1"), p2 = h_pid(h, "child2"), p3 = h_pid(h, "child3");
	size_t m = h_mark(h);

	h_crash(h, "child2", KILLED);
	cr_assert_str_eq(h_trace(h, m, H_PROC), "term:child3 spawn:child2 spawn:child3");
	cr_assert_eq(h_pid(h, "child1"), p1);
	cr_assert_neq(h_pid(h, "child2"), p2);
	cr_assert_neq(h_pid(h, "child3"), p3);
	cr_assert_str_eq(h_counts_str(h, NULL), "3,3,0,3");
	m = h_mark(h);
	h_crash(h, "child3", KILLED);
	cr_assert_str_eq(h_trace(h, m, H_PROC), "spawn:child3");
	m = h_mark(h);
	h_crash(h, "child2", KILLED);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_GAVE_UP) | HM(SUP_A_OTPD_EXIT)),
			 "gaveup:root/child2 term:child3 term:child1 otpd_exit:1");
	h_end(h);
}

Test(strategies, rest_for_one_escalation)
{
	struct h *h = two(SUP_REST_FOR_ONE, 4);
	size_t m = h_mark(h);

	h_fail_always(h, "child2", true);
	h_crash(h, "child1", KILLED);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_RESTART) | HM(SUP_A_GAVE_UP) |
				 HM(SUP_A_OTPD_EXIT)),
			 "restart:child1 term:child2 spawn:child1 spawn:child2 "
			 "restart:child2 spawn:child2 restart:child2 spawn:child2 "
			 "restart:child2 spawn:child2 gaveup:root/child2 term:child1 otpd_exit:1");
	h_end(h);
}

Test(strategies, rest_for_one_other_child_fails_restart)
{
	struct h *h = three(SUP_REST_FOR_ONE, 3);
	size_t m = h_mark(h);
	int p1;

	h_fail_next(h, "child2", 1);
	h_crash(h, "child1", KILLED);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_RESTART)),
			 "restart:child1 term:child3 term:child2 spawn:child1 spawn:child2 "
			 "restart:child2 spawn:child2 spawn:child3");
	p1 = h_pid(h, "child1");
	cr_assert_neq(p1, 0);
	cr_assert_str_eq(h_counts_str(h, NULL), "3,3,0,3");
	h_end(h);
}

/* rest_for_one: a child started before the dead one, dying meanwhile, is its own crash. */
Test(strategies, rest_for_one_earlier_death_during_group_is_a_crash)
{
	struct h *h = three(SUP_REST_FOR_ONE, 5);
	size_t m = h_mark(h);

	h_stop_delay(h, "child3", H_NEVER);
	h_crash(h, "child2", KILLED);
	cr_assert_str_eq(h_trace(h, m, H_PROC), "term:child3");
	h_crash(h, "child1", H_EXIT(2));
	h_advance(h, 2000);     /* child3's shutdown timeout, twice */
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_RESTART)),
			 "restart:child2 term:child3 kill:child3 spawn:child2 spawn:child3 "
			 "restart:child1 term:child3 kill:child3 term:child2 spawn:child1 "
			 "spawn:child2 spawn:child3");
	cr_assert_str_eq(h_counts_str(h, NULL), "3,3,0,3");
	h_end(h);
}

/* one_for_all: a sibling dying on its own while being stopped is absorbed. */
Test(strategies, one_for_all_simultaneous_deaths_count_once)
{
	struct h *h = three(SUP_ONE_FOR_ALL, 1);
	size_t m = h_mark(h);

	h_stop_delay(h, "child3", H_NEVER);
	h_crash(h, "child1", KILLED);
	cr_assert_str_eq(h_trace(h, m, H_PROC), "term:child3");
	h_crash(h, "child3", H_EXIT(1));
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_RESTART) | HM(SUP_A_EXITED)),
			 "crash:child1=signal:SIGKILL restart:child1 term:child3 exit:child3=shutdown "
			 "term:child2 exit:child2=shutdown spawn:child1 spawn:child2 spawn:child3");
	/* intensity 1: a second counted restart would have ended the supervisor */
	cr_assert_eq(h_state(h, "root"), SUP_RUNNING);
	cr_assert_str_eq(h_counts_str(h, NULL), "3,3,0,3");
	h_end(h);
}

/* The same deaths reported in one reap batch, before the core asked anything. */
Test(strategies, one_for_all_same_batch_deaths_count_once)
{
	struct h *h = three(SUP_ONE_FOR_ALL, 1);
	struct sup_tree *t = h_tree(h);

	/* Both exits reach the core back to back, as one SIGCHLD batch would. */
	h_stop_delay(h, "child2", H_NEVER);
	h_crash(h, "child2", H_EXIT(3));
	cr_assert_eq(h_state(h, "root"), SUP_RUNNING);
	(void)t;
	cr_assert_str_eq(h_counts_str(h, NULL), "3,3,0,3");
	h_end(h);
}
