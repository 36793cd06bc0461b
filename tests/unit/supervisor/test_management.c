/*
 * test_management.c: start (restart_child), stop (terminate_child),
 * restart, delete, kill (OTP-SEMANTICS §5, §7; §9 items 23-30, 33).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

#define HOUR (3600 * 1000LL)

static struct h *one(void)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 2, HOUR);

	h_worker(h, NULL, "child1", SUP_PERMANENT);
	h_boot(h);
	return h;
}

Test(management, child_adm)
{
	struct h *h = one();
	int p;
	size_t m;

	/* start_child exists only for simple_one_for_one supervisors */
	cr_assert_eq(h_cmd_start_child(h, "root", NULL, 0, NULL, NULL), SUP_E_NOT_SIMPLE);
	cr_assert_eq(h_cmd_stop(h, "unknown"), SUP_E_NOT_FOUND);
	m = h_mark(h);
	cr_assert_eq(h_cmd_stop(h, "child1"), SUP_OK);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_EXITED) | HM(SUP_A_REPLY)),
			 "term:child1 exit:child1=shutdown reply:ok");
	cr_assert_eq(h_state(h, "child1"), SUP_STOPPED);
	cr_assert_str_eq(h_counts_str(h, NULL), "1,0,0,1");
	cr_assert_eq(h_cmd_stop(h, "child1"), SUP_OK);          /* idempotent */
	cr_assert_eq(h_cmd_start(h, "child1"), SUP_OK);
	p = h_pid(h, "child1");
	cr_assert_neq(p, 0);
	cr_assert_eq(h_cmd_start(h, "child1"), SUP_E_RUNNING);
	cr_assert_eq(h_cmd_start(h, "unknown"), SUP_E_NOT_FOUND);
	cr_assert_eq(h_cmd_delete(h, "child1"), SUP_E_RUNNING);
	cr_assert_eq(h_cmd_stop(h, "child1"), SUP_OK);
	m = h_mark(h);
	cr_assert_eq(h_cmd_delete(h, "child1"), SUP_OK);
	cr_assert_str_eq(h_trace(h, m, HM(SUP_A_FORGET)), "forget:child1");
	cr_assert_eq(h_cmd_start(h, "child1"), SUP_E_NOT_FOUND);
	cr_assert_eq(h_cmd_delete(h, "child1"), SUP_E_NOT_FOUND);
	cr_assert_str_eq(h_counts_str(h, NULL), "0,0,0,0");
	/* None of this counted toward intensity. */
	cr_assert_eq(h_count(h, 0, SUP_A_RESTART, NULL), 0);
	h_end(h);
}

Test(management, child_adm_waits_for_the_stop)
{
	struct h *h = one();
	uint64_t c;

	h_stop_delay(h, "child1", 300);
	cr_assert_eq(h_cmd_stop(h, "child1"), H_PENDING);
	c = h_last_cookie(h);
	cr_assert_eq(h_state(h, "child1"), SUP_STOPPING);
	cr_assert_str_eq(h_counts_str(h, NULL), "1,1,0,1");
	h_advance(h, 300);
	cr_assert_eq(h_result(h, c), SUP_OK);
	h_end(h);
}

Test(management, extra_return)
{
	struct h *h = one();
	int p = h_pid(h, "child1");

	h_crash(h, "child1", H_SIG(SIGKILL));
	cr_assert_neq(h_pid(h, "child1"), p);
	cr_assert_neq(h_pid(h, "child1"), 0);
	cr_assert_eq(h_cmd_stop(h, "child1"), SUP_OK);
	cr_assert_eq(h_cmd_start(h, "child1"), SUP_OK);
	cr_assert_eq(h_cmd_stop(h, "child1"), SUP_OK);
	cr_assert_eq(h_cmd_stop(h, "child1"), SUP_OK);
	cr_assert_eq(h_cmd_delete(h, "child1"), SUP_OK);
	cr_assert_eq(h_cmd_delete(h, "child1"), SUP_E_NOT_FOUND);
	h_end(h);
}

/* otpd's restart of a running child: stop, then start, counted as a requested restart. */
Test(management, restart_running_child)
{
	struct h *h = one();
	size_t m = h_mark(h);

	cr_assert_eq(h_cmd_restart(h, "child1"), SUP_OK);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_REPLY)),
			 "term:child1 spawn:child1 reply:ok");
	cr_assert_eq(h_restarts(h, "child1"), 1);
	cr_assert_eq(h_count(h, m, SUP_A_RESTART, NULL), 0);   /* not in the history */
	h_end(h);
}

Test(management, kill_is_a_crash)
{
	struct h *h = one();
	size_t m = h_mark(h);

	cr_assert_eq(h_cmd_kill(h, "child1", SIGSEGV), SUP_OK);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_EXITED)),
			 "sig11!:child1 crash:child1=signal:SIGSEGV spawn:child1");
	cr_assert_eq(h_cmd_kill(h, "child1", 0), SUP_E_INVALID);
	cr_assert_eq(h_cmd_kill(h, "root", SIGTERM), SUP_E_INVALID);
	cr_assert_eq(h_cmd_stop(h, "child1"), SUP_OK);
	cr_assert_eq(h_cmd_kill(h, "child1", SIGTERM), SUP_E_NOT_RUNNING);
	h_end(h);
}

Test(management, root_is_not_a_child)
{
	struct h *h = one();

	cr_assert_eq(h_cmd_stop(h, "root"), SUP_E_INVALID);
	cr_assert_eq(h_cmd_start(h, "root"), SUP_E_INVALID);
	h_end(h);
}

/* Every start attempt of child1 fails 2 s after its spawn. */
static struct h *looping(enum sup_strategy st, int n)
{
	struct h *h = h_new(st, 8, 10000);
	static const char *const names[] = { "child1", "child2", "child3" };

	for (int i = 0; i < n; i++)
		h_worker(h, NULL, names[i], SUP_PERMANENT);
	h_boot(h);
	return h;
}

Test(restart_loop, hanging_restart_loop)
{
	struct h *h = looping(SUP_ONE_FOR_ONE, 1);
	uint64_t c[4];
	size_t m;

	h_ready_delay(h, "child1", 2000);
	h_fail_always(h, "child1", true);
	h_crash(h, "child1", H_SIG(SIGKILL));
	h_advance(h, 3000);             /* one attempt failed, the next one runs */
	cr_assert_eq(h_spawns(h, "child1"), 3);
	/* OTP: the child is `restarting` while its restarts keep failing. */
	cr_assert_str_eq(h_counts_str(h, NULL), "1,0,0,1");
	/*
	 * The supervisor is blocked in that attempt: calls wait for it to fail
	 * and are served before the next attempt (OTP's try_again cast).
	 */
	cr_assert_eq(h_cmd_start(h, "child1"), H_PENDING);
	c[0] = h_last_cookie(h);
	cr_assert_eq(h_cmd_delete(h, "child1"), H_PENDING);
	c[1] = h_last_cookie(h);
	cr_assert_eq(h_cmd_restart(h, "child1"), H_PENDING);
	c[2] = h_last_cookie(h);
	/* terminate_child ends the loop */
	cr_assert_eq(h_cmd_stop(h, "child1"), H_PENDING);
	c[3] = h_last_cookie(h);
	m = h_mark(h);
	h_advance(h, 1000);
	cr_assert_eq(h_result(h, c[0]), SUP_E_RESTARTING);
	cr_assert_eq(h_result(h, c[1]), SUP_E_RESTARTING);
	cr_assert_eq(h_result(h, c[2]), SUP_E_RESTARTING);
	cr_assert_eq(h_result(h, c[3]), SUP_OK);
	cr_assert_eq(h_state(h, "child1"), SUP_STOPPED);
	h_advance(h, 20000);
	cr_assert_eq(h_count(h, m, SUP_A_SPAWN, NULL), 0);
	cr_assert_eq(h_state(h, "root"), SUP_RUNNING);
	/* fixed: restart_child works */
	h_fail_always(h, "child1", false);
	cr_assert_eq(h_cmd_start(h, "child1"), H_PENDING);
	h_advance(h, 2000);
	cr_assert_eq(h_last_result(h), SUP_OK);
	cr_assert_eq(h_state(h, "child1"), SUP_RUNNING);
	h_end(h);
}

Test(restart_loop, hanging_restart_loop_between_attempts)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 8, 10000);
	struct sup_spec s;

	/* With a restart_delay the node really is RESTARTING between attempts. */
	sup_spec_init(&s, SUP_WORKER, "child1");
	s.restart_delay_ms = 1000;
	h_add(h, NULL, &s);
	h_boot(h);
	h_fail_always(h, "child1", true);
	h_crash(h, "child1", H_SIG(SIGKILL));
	h_advance(h, 1000);             /* first attempt failed at once */
	cr_assert_eq(h_state(h, "child1"), SUP_RESTARTING);
	cr_assert_str_eq(h_counts_str(h, NULL), "1,0,0,1");
	cr_assert_eq(h_cmd_stop(h, "child1"), SUP_OK);
	cr_assert_eq(h_state(h, "child1"), SUP_STOPPED);
	h_end(h);
}

Test(restart_loop, hanging_restart_loop_shutdown)
{
	struct h *h = looping(SUP_ONE_FOR_ONE, 1);

	h_ready_delay(h, "child1", 2000);
	h_fail_always(h, "child1", true);
	h_crash(h, "child1", H_SIG(SIGKILL));
	h_advance(h, 3000);
	h_shutdown(h);
	cr_assert(sup_tree_done(h_tree(h)));
	cr_assert_eq(h_otpd_exit(h), 0);
	h_end(h);
}

Test(restart_loop, hanging_restart_loop_rest_for_one)
{
	struct h *h = looping(SUP_REST_FOR_ONE, 3);
	uint64_t c1, c2;
	size_t m;

	h_ready_delay(h, "child2", 2000);
	h_fail_always(h, "child2", true);
	h_crash(h, "child2", H_SIG(SIGKILL));
	h_advance(h, 3000);
	cr_assert_eq(h_state(h, "child3"), SUP_STOPPED);
	cr_assert_eq(h_state(h, "child1"), SUP_RUNNING);
	cr_assert_str_eq(h_counts_str(h, NULL), "3,1,0,3");
	/*
	 * The supervisor is busy with child2's group start: calls wait and are
	 * served between two attempts, as OTP serves its mailbox between
	 * try_again casts.
	 */
	cr_assert_eq(h_cmd_start(h, "child2"), H_PENDING);
	c1 = h_last_cookie(h);
	cr_assert_eq(h_cmd_stop(h, "child2"), H_PENDING);
	c2 = h_last_cookie(h);
	m = h_mark(h);
	h_advance(h, 1000);             /* the attempt started at 2000 fails at 4000 */
	cr_assert_eq(h_result(h, c1), SUP_E_RESTARTING);
	cr_assert_eq(h_result(h, c2), SUP_OK);
	cr_assert_eq(h_state(h, "child2"), SUP_STOPPED);
	h_advance(h, 20000);
	cr_assert_eq(h_count(h, m, SUP_A_SPAWN, NULL), 0);
	cr_assert_eq(h_state(h, "child3"), SUP_STOPPED);
	cr_assert_eq(h_state(h, "root"), SUP_RUNNING);
	h_end(h);
}

Test(restart_loop, count_restarting_children)
{
	struct h *h = h_new(SUP_SIMPLE_ONE_FOR_ONE, 100, 10000);
	char n[3][SUP_NAME_MAX + 1];

	h_worker(h, NULL, "w", SUP_PERMANENT);
	h_boot(h);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(h_cmd_start_child(h, "root", NULL, 0, NULL, n[i]), SUP_OK);
	for (int i = 0; i < 2; i++) {
		h_ready_delay(h, n[i], 2000);
		h_fail_always(h, n[i], true);
		h_crash(h, n[i], H_SIG(SIGKILL));
	}
	/*
	 * One start at a time: n0 fails at 2000, n1 (its exit waited) at 4000;
	 * at 5000 n0's retry is under way and n1's is queued.
	 */
	h_advance(h, 5000);
	cr_assert_str_eq(h_counts_str(h, NULL), "1,1,0,3");
	h_fail_always(h, n[0], false);
	h_fail_always(h, n[1], false);
	h_advance(h, 6000);     /* the attempt under way fails, the next ones work */
	cr_assert_str_eq(h_counts_str(h, NULL), "1,3,0,3");
	h_end(h);
}

Test(management, sup_start_child_returns_error)
{
	struct h *h = h_new(SUP_SIMPLE_ONE_FOR_ONE, 1, HOUR);
	size_t m;

	h_worker(h, NULL, "w", SUP_PERMANENT);
	h_boot(h);
	h_default_fail_always(h, true); /* for the dynamic child to come */
	m = h_mark(h);
	cr_assert_eq(h_cmd_start_child(h, "root", "x", 0, NULL, NULL), SUP_E_START_FAILED);
	cr_assert_eq(h_count(h, m, SUP_A_SPAWN, "x"), 1);
	cr_assert_str_eq(h_trace(h, m, HM(SUP_A_FORGET) | HM(SUP_A_RESTART)), "forget:x");
	cr_assert_str_eq(h_counts_str(h, NULL), "1,0,0,0");
	cr_assert_null(sup_find(h_tree(h), "x"));
	h_end(h);
}

Test(management, sup_start_restart_child_returns_error)
{
	struct h *h = one();
	size_t m;

	cr_assert_eq(h_cmd_stop(h, "child1"), SUP_OK);
	h_fail_next(h, "child1", 1);
	m = h_mark(h);
	cr_assert_eq(h_cmd_start(h, "child1"), SUP_E_START_FAILED);
	cr_assert_eq(h_state(h, "child1"), SUP_STOPPED);
	cr_assert_eq(h_count(h, m, SUP_A_SPAWN, NULL), 1);
	cr_assert_eq(h_count(h, m, SUP_A_RESTART, NULL), 0);
	h_advance(h, 10000);
	cr_assert_eq(h_count(h, m, SUP_A_SPAWN, NULL), 1);     /* no retry loop */
	cr_assert_str_eq(h_counts_str(h, NULL), "1,0,0,1");
	h_end(h);
}

Test(management, sup_start_map)
{
	struct sup_spec w, s;
	struct h *h = one();

	sup_spec_init(&w, SUP_WORKER, "w");
	sup_spec_init(&s, SUP_SUPERVISOR, "s");
	cr_assert_eq(w.restart, SUP_PERMANENT);
	cr_assert_eq(w.shutdown_ms, 5000);
	cr_assert_eq(w.type, SUP_WORKER);
	cr_assert_eq(w.significant, false);
	cr_assert_eq(w.stop_signal, SIGTERM);
	cr_assert_eq(w.restart_delay_ms, 0);
	cr_assert_eq(s.shutdown_ms, SUP_SHUTDOWN_INFINITY);
	cr_assert_eq(s.restart, SUP_PERMANENT);
	cr_assert_eq(s.intensity, 1);
	cr_assert_eq(s.period_ms, 5000);
	cr_assert_eq(s.strategy, SUP_ONE_FOR_ONE);
	cr_assert_eq(s.auto_shutdown, SUP_AUTO_NEVER);
	cr_assert_null(sup_find(h_tree(h), "unknown"));
	cr_assert_str_eq(sup_node_spec(h_node(h, "child1"))->name, "child1");
	h_end(h);
}

Test(management, tree_add_errors)
{
	struct h *h = h_new(SUP_SIMPLE_ONE_FOR_ONE, 1, HOUR);
	struct sup_spec s;
	enum sup_result err = SUP_OK;
	struct sup_node *w;

	w = h_worker(h, NULL, "w", SUP_PERMANENT);
	sup_spec_init(&s, SUP_WORKER, "w2");
	cr_assert_null(sup_tree_add(h_tree(h), sup_tree_root(h_tree(h)), &s, &err));
	cr_assert_eq(err, SUP_E_SIMPLE_ONE_FOR_ONE);
	cr_assert_null(sup_tree_add(h_tree(h), w, &s, &err));
	cr_assert_eq(err, SUP_E_NOT_FOUND);
	sup_spec_init(&s, SUP_WORKER, "root");
	cr_assert_null(sup_tree_add(h_tree(h), sup_tree_root(h_tree(h)), &s, &err));
	cr_assert_eq(err, SUP_E_ALREADY_PRESENT);
	h_end(h);
}

/* Commands to a busy supervisor wait for its plan, as calls in an OTP mailbox. */
Test(management, commands_wait_for_a_group_restart)
{
	struct h *h = h_new(SUP_ONE_FOR_ALL, 5, HOUR);
	uint64_t c;

	h_worker(h, NULL, "a", SUP_PERMANENT);
	h_worker(h, NULL, "b", SUP_PERMANENT);
	h_boot(h);
	h_stop_delay(h, "b", 500);
	h_crash(h, "a", H_EXIT(1));
	cr_assert_eq(h_cmd_stop(h, "a"), H_PENDING);
	c = h_last_cookie(h);
	h_advance(h, 500);
	cr_assert_eq(h_result(h, c), SUP_OK);
	cr_assert_eq(h_state(h, "a"), SUP_STOPPED);
	cr_assert_eq(h_state(h, "b"), SUP_RUNNING);
	h_end(h);
}

/* Commands on children of a supervisor that is down: noproc (test_fidelity.c). */
Test(management, command_under_stopped_supervisor)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 5, HOUR);

	h_sup(h, NULL, "sub", SUP_ONE_FOR_ONE, 1, HOUR);
	h_worker(h, "sub", "w", SUP_PERMANENT);
	h_boot(h);
	cr_assert_eq(h_cmd_stop(h, "sub"), SUP_OK);
	cr_assert_eq(h_state(h, "w"), SUP_STOPPED);
	cr_assert_eq(h_cmd_start(h, "w"), SUP_E_NOPROC);
	cr_assert_eq(h_pid(h, "w"), 0);
	cr_assert_eq(h_cmd_start(h, "sub"), SUP_OK);
	cr_assert_eq(h_state(h, "w"), SUP_RUNNING);
	h_end(h);
}

Test(management, restart_of_temporary_child_gets_a_reply)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 5, HOUR);

	h_worker(h, NULL, "t", SUP_TEMPORARY);
	h_boot(h);
	cr_assert_neq(h_cmd_restart(h, "t"), H_PENDING);
	h_end(h);
}

Test(management, restart_waits_through_other_group_restart)
{
	struct h *h = h_new(SUP_REST_FOR_ONE, 5, HOUR);
	uint64_t c;

	h_worker(h, NULL, "a", SUP_PERMANENT);
	h_worker(h, NULL, "b", SUP_PERMANENT);
	h_worker(h, NULL, "c", SUP_PERMANENT);
	h_boot(h);
	h_stop_delay(h, "a", 500);
	cr_assert_eq(h_cmd_restart(h, "a"), H_PENDING);        /* a stopping */
	c = h_last_cookie(h);
	h_ready_delay(h, "c", 1000);
	h_crash(h, "c", H_EXIT(1));     /* group from c, not including a */
	h_advance(h, 3000);
	cr_assert_eq(h_result(h, c), SUP_OK);
	cr_assert_eq(h_state(h, "a"), SUP_RUNNING);
	h_end(h);
}
