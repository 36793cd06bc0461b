/*
 * test_dynamic.c: simple_one_for_one children (OTP-SEMANTICS §1, §7;
 * §9 item 27) and the tree scenario (item 34).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define HOUR (3600 * 1000LL)

static struct h *pool(enum sup_restart r)
{
	struct h *h = h_new(SUP_SIMPLE_ONE_FOR_ONE, 2, HOUR);

	h_worker(h, NULL, "w", r);
	h_boot(h);
	return h;
}

Test(dynamic, child_adm_simple)
{
	struct h *h = pool(SUP_PERMANENT);
	char a[SUP_NAME_MAX + 1], b[SUP_NAME_MAX + 1];
	char *args[] = { "--port", "80" };
	int argc;
	size_t m;

	cr_assert_str_eq(h_counts_str(h, NULL), "1,0,0,0");
	cr_assert_null(sup_node_first(sup_tree_root(h_tree(h))));
	cr_assert_eq(h_cmd_start_child(h, "root", NULL, 2, args, a), SUP_OK);
	cr_assert_eq(h_cmd_start_child(h, "root", NULL, 0, NULL, b), SUP_OK);
	cr_assert_str_eq(a, "w@1");
	cr_assert_str_eq(b, "w@2");
	cr_assert(sup_node_is_dynamic(h_node(h, a)));
	cr_assert_str_eq(sup_node_args(h_node(h, a), &argc)[1], "80");
	cr_assert_eq(argc, 2);
	cr_assert_str_eq(h_counts_str(h, NULL), "1,2,0,2");
	/* the template is not a child */
	cr_assert_eq(h_cmd_stop(h, "w"), SUP_E_SIMPLE_ONE_FOR_ONE);
	cr_assert_eq(h_cmd_start(h, "w"), SUP_E_SIMPLE_ONE_FOR_ONE);
	cr_assert_eq(h_cmd_delete(h, "w"), SUP_E_SIMPLE_ONE_FOR_ONE);
	cr_assert_eq(h_cmd_start(h, a), SUP_E_SIMPLE_ONE_FOR_ONE);
	cr_assert_eq(h_cmd_delete(h, a), SUP_E_SIMPLE_ONE_FOR_ONE);
	/* stop by name (otpd has no pids in commands): the child ends and leaves */
	h_stop_delay(h, a, 200);
	m = h_mark(h);
	cr_assert_eq(h_cmd_stop(h, a), H_PENDING);
	cr_assert_eq(h_state(h, a), SUP_STOPPING);
	h_advance(h, 200);
	cr_assert_eq(h_last_result(h), SUP_OK);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_FORGET) | HM(SUP_A_REPLY)),
			 "term:w@1 forget:w@1 reply:ok");
	cr_assert_str_eq(h_counts_str(h, NULL), "1,1,0,1");
	/* the name is gone with the child (OTP: a dead pid gives ok) */
	cr_assert_eq(h_cmd_stop(h, a), SUP_E_NOT_FOUND);
	cr_assert_eq(h_cmd_start_child(h, "root", "named", 0, NULL, a), SUP_OK);
	cr_assert_str_eq(a, "named");
	cr_assert_eq(h_cmd_start_child(h, "root", "named", 0, NULL, NULL), SUP_E_ALREADY_PRESENT);
	cr_assert_eq(h_cmd_start_child(h, "root", "bad name", 0, NULL, NULL), SUP_E_INVALID);
	cr_assert_eq(h_cmd_start_child(h, "nosuch", NULL, 0, NULL, NULL), SUP_E_NOT_FOUND);
	h_end(h);
}

Test(dynamic, restart_is_one_for_one_with_saved_args)
{
	struct h *h = pool(SUP_PERMANENT);
	char a[SUP_NAME_MAX + 1], b[SUP_NAME_MAX + 1];
	char *args[] = { "x" };
	int pb, argc;
	size_t m;

	h_cmd_start_child(h, "root", NULL, 1, args, a);
	h_cmd_start_child(h, "root", NULL, 0, NULL, b);
	pb = h_pid(h, b);
	m = h_mark(h);
	h_crash(h, a, H_EXIT(1));
	cr_assert_str_eq(h_trace(h, m, H_PROC), "spawn:w@1");
	cr_assert_eq(h_pid(h, b), pb);
	cr_assert_str_eq(sup_node_args(h_node(h, a), &argc)[0], "x");
	h_end(h);
}

Test(dynamic, transient_clean_exit_removes_child)
{
	struct h *h = pool(SUP_TRANSIENT);
	char a[SUP_NAME_MAX + 1];
	size_t m;

	h_cmd_start_child(h, "root", NULL, 0, NULL, a);
	m = h_mark(h);
	h_crash(h, a, 0);
	/* OTP deletes a simple_one_for_one child that is not restarted */
	cr_assert_str_eq(h_trace(h, m, HM(SUP_A_FORGET)), "forget:w@1");
	cr_assert_str_eq(h_counts_str(h, NULL), "1,0,0,0");
	h_end(h);
}

Test(dynamic, temporary_exit_removes_child)
{
	struct h *h = pool(SUP_TEMPORARY);
	char a[SUP_NAME_MAX + 1];

	h_cmd_start_child(h, "root", NULL, 0, NULL, a);
	h_crash(h, a, H_EXIT(1));
	cr_assert_null(sup_find(h_tree(h), a));
	cr_assert_str_eq(h_counts_str(h, NULL), "1,0,0,0");
	h_end(h);
}

Test(dynamic, restart_command_keeps_child)
{
	struct h *h = pool(SUP_PERMANENT);
	char a[SUP_NAME_MAX + 1];

	h_cmd_start_child(h, "root", NULL, 0, NULL, a);
	cr_assert_eq(h_cmd_restart(h, a), SUP_OK);
	cr_assert_eq(h_state(h, a), SUP_RUNNING);
	cr_assert_eq(h_spawns(h, a), 2);
	h_end(h);
}

Test(dynamic, start_child_on_stopped_pool)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 2, HOUR);

	h_sup(h, NULL, "pool", SUP_SIMPLE_ONE_FOR_ONE, 2, HOUR);
	h_worker(h, "pool", "w", SUP_PERMANENT);
	h_boot(h);
	cr_assert_eq(h_cmd_start_child(h, "pool", NULL, 0, NULL, NULL), SUP_OK);
	cr_assert_eq(h_cmd_stop(h, "pool"), SUP_OK);
	cr_assert_str_eq(h_counts_str(h, "pool"), "1,0,0,0");
	cr_assert_eq(h_cmd_start_child(h, "pool", NULL, 0, NULL, NULL), SUP_E_NOPROC);
	cr_assert_eq(h_cmd_start(h, "pool"), SUP_OK);
	cr_assert_str_eq(h_counts_str(h, "pool"), "1,0,0,0");
	h_end(h);
}

Test(tree, tree)
{
	struct h *h = h_new(SUP_ONE_FOR_ALL, 4, HOUR);
	struct sup_spec s;
	char c[3][SUP_NAME_MAX + 1];
	size_t m;

	h_sup(h, NULL, "sup1", SUP_ONE_FOR_ONE, 1, HOUR);
	h_worker(h, "sup1", "child1", SUP_PERMANENT);
	h_worker(h, "sup1", "child2", SUP_PERMANENT);
	h_sup(h, NULL, "sup2", SUP_SIMPLE_ONE_FOR_ONE, 2, HOUR);
	h_worker(h, "sup2", "tmpl", SUP_PERMANENT);
	sup_spec_init(&s, SUP_SUPERVISOR, "sup3");
	s.restart = SUP_TRANSIENT;
	h_add(h, NULL, &s);
	h_worker(h, "sup3", "child5", SUP_PERMANENT);
	h_boot(h);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(h_cmd_start_child(h, "sup2", NULL, 0, NULL, c[i]), SUP_OK);
	cr_assert_eq(h_cmd_stop(h, "sup3"), SUP_OK);
	cr_assert_str_eq(h_counts_str(h, NULL), "3,2,3,0");
	cr_assert_str_eq(h_counts_str(h, "sup2"), "1,3,0,3");
	/* kill a worker of sup2: only that worker restarts */
	m = h_mark(h);
	h_crash(h, c[0], H_SIG(SIGKILL));
	cr_assert_str_eq(h_trace(h, m, H_PROC), "spawn:tmpl@1");
	/* child3 fails every restart: sup2 gives up; the top restarts all three */
	h_fail_always(h, c[2], true);
	m = h_mark(h);
	h_crash(h, c[2], H_SIG(SIGKILL));
	cr_assert_eq(h_count(h, m, SUP_A_GAVE_UP, "sup2"), 1);
	cr_assert_eq(h_count(h, m, SUP_A_GAVE_UP, "root"), 0);
	cr_assert_eq(h_state(h, "root"), SUP_RUNNING);
	cr_assert_str_eq(h_counts_str(h, NULL), "3,3,3,0");
	cr_assert_eq(h_state(h, "sup3"), SUP_RUNNING);
	cr_assert_eq(h_state(h, "child5"), SUP_RUNNING);
	cr_assert_str_eq(h_counts_str(h, "sup2"), "1,0,0,0");  /* dynamic children lost */
	cr_assert_null(sup_find(h_tree(h), c[1]));
	cr_assert_eq(h_state(h, "child1"), SUP_RUNNING);
	h_end(h);
}

/* A chain of 5000 supervisors boots and shuts down with no recursion. */
Test(tree, deep_tree)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 1, HOUR);
	char name[16], parent[16] = "root";

	h_check_order(h, false);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		h_sup(h, strcmp(parent, "root") ? parent : NULL, name, SUP_ONE_FOR_ONE, 1, HOUR);
		snprintf(parent, sizeof(parent), "%s", name);
	}
	h_worker(h, parent, "leaf", SUP_PERMANENT);
	h_boot(h);
	cr_assert_eq(h_state(h, "root"), SUP_RUNNING);
	cr_assert_eq(h_state(h, "leaf"), SUP_RUNNING);
	cr_assert_eq(h_state(h, "s0"), SUP_RUNNING);
	h_crash(h, "leaf", H_EXIT(1));
	cr_assert_eq(h_state(h, "leaf"), SUP_RUNNING);
	h_shutdown(h);
	cr_assert(sup_tree_done(h_tree(h)));
	cr_assert_eq(h_state(h, "s4999"), SUP_STOPPED);
	h_end(h);
}

/* 10,000 workers under one_for_all: one crash restarts them all, in order. */
Test(tree, wide_tree)
{
	struct h *h = h_new(SUP_ONE_FOR_ALL, 1, HOUR);
	char name[16];
	size_t m;

	h_check_order(h, false);
	for (int i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "w%d", i);
		h_worker(h, NULL, name, SUP_PERMANENT);
	}
	h_boot(h);
	cr_assert_str_eq(h_counts_str(h, NULL), "10000,10000,0,10000");
	m = h_mark(h);
	h_crash(h, "w5000", H_EXIT(1));
	cr_assert_eq(h_count(h, m, SUP_A_SIGNAL, NULL), 9999);
	cr_assert_eq(h_count(h, m, SUP_A_SPAWN, NULL), 10000);
	cr_assert_str_eq(h_counts_str(h, NULL), "10000,10000,0,10000");
	/* reverse start order for the stops, start order for the spawns */
	{
		const char *tr = h_trace(h, m, HM(SUP_A_SIGNAL));

		cr_assert(strncmp(tr, "term:w9999 term:w9998 ", 22) == 0);
		cr_assert(strcmp(tr + strlen(tr) - 16, "term:w1 term:w0") == 0 ||
			  strstr(tr, "term:w1 term:w0") != NULL);
		cr_assert_null(strstr(tr, "term:w5000 "));
	}
	h_end(h);
}

/* Issue 18.1: start-child aimed at a worker (or at a static supervisor)
 * is an error reply, never a crash of the core. */
Test(dynamic, start_child_on_a_worker_or_static_supervisor)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 2, HOUR);

	h_worker(h, NULL, "w", SUP_PERMANENT);
	h_sup(h, NULL, "s", SUP_ONE_FOR_ONE, 1, HOUR);
	h_worker(h, "s", "x", SUP_PERMANENT);
	h_boot(h);
	cr_assert_eq(h_cmd_start_child(h, "w", NULL, 0, NULL, NULL), SUP_E_NOT_SIMPLE);
	cr_assert_eq(h_cmd_start_child(h, "x", "n", 0, NULL, NULL), SUP_E_NOT_SIMPLE);
	cr_assert_eq(h_cmd_start_child(h, "s", NULL, 0, NULL, NULL), SUP_E_NOT_SIMPLE);
	cr_assert_eq(h_cmd_start_child(h, "root", NULL, 0, NULL, NULL), SUP_E_NOT_SIMPLE);
	/* also while the worker's supervisor is busy restarting it */
	h_stop_delay(h, "x", 100);
	cr_assert_eq(h_cmd_restart(h, "x"), H_PENDING);
	cr_assert_eq(h_cmd_start_child(h, "x", NULL, 0, NULL, NULL), SUP_E_NOT_SIMPLE);
	h_advance(h, 100);
	cr_assert_eq(h_state(h, "x"), SUP_RUNNING);
	h_end(h);
}
