/*
 * test_reload.c: the core's side of a configuration reload (otpctl(1) reload,
 * OTP-SEMANTICS §8): specs replaced in place with the restart history
 * kept (SUITE code_change), new children inserted stopped and started on
 * request, removed children stopped and taken out for good, start order
 * following the new configuration.
 */
#include <criterion/criterion.h>

#include "harness.h"

#define HOUR (3600 * 1000LL)
#define KILLED H_SIG(SIGKILL)

static struct sup_spec worker_spec(const char *name)
{
	struct sup_spec s;

	sup_spec_init(&s, SUP_WORKER, name);
	s.shutdown_ms = 1000;
	return s;
}

static struct h *abc(enum sup_strategy st)
{
	struct h *h = h_new(st, 2, HOUR);

	h_worker(h, NULL, "a", SUP_PERMANENT);
	h_worker(h, NULL, "b", SUP_PERMANENT);
	h_worker(h, NULL, "c", SUP_PERMANENT);
	h_boot(h);
	return h;
}

/* SUITE code_change: new flags replace the old ones, the history is kept. */
Test(reload, code_change_keeps_history)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 1, HOUR);
	struct sup_spec root;
	int pb;

	h_worker(h, NULL, "a", SUP_PERMANENT);
	h_worker(h, NULL, "b", SUP_PERMANENT);
	h_boot(h);
	pb = h_pid(h, "b");
	h_crash(h, "a", KILLED);                /* restart 1 of 1 */
	root = *sup_node_spec(h_node(h, "root"));
	root.intensity = 2;
	cr_assert_eq(sup_node_respec(h_node(h, "root"), &root), SUP_OK);
	cr_assert_eq(sup_node_spec(h_node(h, "root"))->intensity, 2);
	h_crash(h, "a", KILLED);                /* restart 2 of 2: allowed now */
	cr_assert_eq(h_state(h, "root"), SUP_RUNNING);
	cr_assert_eq(h_pid(h, "b"), pb, "a spec swap restarts nothing");
	/* The first restart still counts: a third one within the hour gives up. */
	h_crash(h, "a", KILLED);
	cr_assert_eq(h_count(h, 0, SUP_A_GAVE_UP, "root"), 1);
	h_finish(h, 10000);
	h_end(h);
}

Test(reload, code_change_worker_spec_at_next_stop)
{
	struct h *h = abc(SUP_ONE_FOR_ONE);
	struct sup_spec s = worker_spec("b");
	int pb = h_pid(h, "b");
	size_t m;

	s.shutdown_ms = SUP_SHUTDOWN_BRUTAL;
	cr_assert_eq(sup_node_respec(h_node(h, "b"), &s), SUP_OK);
	cr_assert_eq(h_pid(h, "b"), pb);
	cr_assert_eq(h_state(h, "b"), SUP_RUNNING);
	m = h_mark(h);
	cr_assert_eq(h_cmd_stop(h, "b"), SUP_OK);
	cr_assert_str_eq(h_trace(h, m, H_STOPS), "kill:b");
	h_end(h);
}

Test(reload, code_change_refuses_a_new_shape)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 1, HOUR);
	struct sup_spec s;

	h_worker(h, NULL, "w", SUP_PERMANENT);
	h_sup(h, NULL, "s", SUP_ONE_FOR_ONE, 1, HOUR);
	h_boot(h);
	sup_spec_init(&s, SUP_SUPERVISOR, "w");
	cr_assert_eq(sup_node_respec(h_node(h, "w"), &s), SUP_E_INVALID);
	sup_spec_init(&s, SUP_SUPERVISOR, "s");
	s.strategy = SUP_SIMPLE_ONE_FOR_ONE;
	cr_assert_eq(sup_node_respec(h_node(h, "s"), &s), SUP_E_INVALID);
	s.strategy = SUP_REST_FOR_ONE;
	cr_assert_eq(sup_node_respec(h_node(h, "s"), &s), SUP_OK);
	cr_assert_str_eq(sup_node_name(h_node(h, "s")), "s");
	h_end(h);
}

/* An added child sits where the new config puts it, in start order too. */
Test(reload, insert_and_start_in_place)
{
	struct h *h = h_new(SUP_REST_FOR_ONE, 2, HOUR);
	struct sup_spec s = worker_spec("b");
	size_t m;

	h_worker(h, NULL, "a", SUP_PERMANENT);
	h_worker(h, NULL, "c", SUP_PERMANENT);
	h_boot(h);
	h_insert(h, NULL, "a", &s);
	cr_assert_eq(h_state(h, "b"), SUP_STOPPED);
	cr_assert_str_eq(h_counts_str(h, NULL), "3,2,0,3");
	m = h_mark(h);
	cr_assert_eq(h_cmd_start(h, "b"), SUP_OK);
	cr_assert_str_eq(h_trace(h, m, H_PROC), "spawn:b");
	m = h_mark(h);
	h_crash(h, "a", KILLED);
	cr_assert_str_eq(h_trace(h, m, H_PROC), "term:c term:b spawn:a spawn:b spawn:c");
	cr_assert_eq(h_count(h, 0, SUP_A_RESTART, "b"), 0, "starting it was not a restart");
	h_end(h);
}

Test(reload, insert_refused)
{
	struct h *h = abc(SUP_ONE_FOR_ONE);
	struct sup_spec s = worker_spec("b");
	enum sup_result err = SUP_OK;

	cr_assert_null(sup_tree_insert(h_tree(h), h_node(h, "root"), NULL, &s, &err));
	cr_assert_eq(err, SUP_E_ALREADY_PRESENT);
	s = worker_spec("d");
	cr_assert_null(sup_tree_insert(h_tree(h), h_node(h, "a"), NULL, &s, &err));
	cr_assert_eq(err, SUP_E_NOT_FOUND, "a worker is no parent");
	h_end(h);
}

Test(reload, remove_running_worker)
{
	struct h *h = abc(SUP_ONE_FOR_ONE);
	struct sup_spec s = worker_spec("b");
	size_t m = h_mark(h);

	h_stop_delay(h, "b", 200);
	cr_assert_eq(h_cmd_remove(h, "b"), H_PENDING);
	cr_assert_eq(h_state(h, "b"), SUP_STOPPING);
	h_advance(h, 200);
	cr_assert_eq(h_last_result(h), SUP_OK);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_FORGET)), "term:b forget:b");
	cr_assert_null(sup_find(h_tree(h), "b"));
	cr_assert_str_eq(h_counts_str(h, NULL), "2,2,0,2");
	cr_assert_eq(h_count(h, 0, SUP_A_RESTART, NULL), 0);
	/* The name is free again (a reload that changed b's type re-adds it). */
	h_insert(h, NULL, "a", &s);
	cr_assert_eq(h_cmd_start(h, "b"), SUP_OK);
	cr_assert_eq(h_cmd_remove(h, "b"), SUP_OK);
	cr_assert_eq(h_cmd_remove(h, "b"), SUP_E_NOT_FOUND);
	cr_assert_eq(h_cmd_remove(h, "root"), SUP_E_INVALID);
	h_end(h);
}

Test(reload, remove_stopped_and_deleted)
{
	struct h *h = abc(SUP_ONE_FOR_ONE);

	cr_assert_eq(h_cmd_stop(h, "a"), SUP_OK);
	cr_assert_eq(h_cmd_delete(h, "a"), SUP_OK);
	cr_assert_eq(h_cmd_remove(h, "a"), SUP_OK, "a deleted spec goes for good");
	cr_assert_null(sup_find_any(h_tree(h), "a"));
	cr_assert_eq(h_cmd_stop(h, "c"), SUP_OK);
	cr_assert_eq(h_cmd_remove(h, "c"), SUP_OK);
	cr_assert_str_eq(h_counts_str(h, NULL), "1,1,0,1");
	h_end(h);
}

/* A supervisor goes with its subtree: children stop in reverse order, every
 * node is forgotten, children first. */
Test(reload, remove_supervisor_subtree)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 2, HOUR);
	size_t m;

	h_worker(h, NULL, "a", SUP_PERMANENT);
	h_sup(h, NULL, "s", SUP_ONE_FOR_ALL, 2, HOUR);
	h_worker(h, "s", "x", SUP_PERMANENT);
	h_sup(h, "s", "t", SUP_ONE_FOR_ONE, 2, HOUR);
	h_worker(h, "t", "y", SUP_PERMANENT);
	h_boot(h);
	m = h_mark(h);
	cr_assert_eq(h_cmd_remove(h, "s"), SUP_OK);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_FORGET)),
			 "term:y term:x forget:x forget:y forget:t forget:s");
	for (const char *const *n = (const char *const[]){ "s", "x", "t", "y", NULL }; *n; n++)
		cr_assert_null(sup_find(h_tree(h), *n), "%s still there", *n);
	cr_assert_str_eq(h_counts_str(h, NULL), "1,1,0,1");
	h_end(h);
}

/* A child in a failing restart loop: the loop ends and it is removed. */
Test(reload, remove_restarting)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 8, 10000);
	struct sup_spec s = worker_spec("b");

	/* With a restart_delay the node really is RESTARTING between attempts. */
	s.restart_delay_ms = 1000;
	h_worker(h, NULL, "a", SUP_PERMANENT);
	h_add(h, NULL, &s);
	h_boot(h);
	h_fail_always(h, "b", true);
	h_crash(h, "b", KILLED);
	h_advance(h, 1000);
	cr_assert_eq(h_state(h, "b"), SUP_RESTARTING);
	cr_assert_eq(h_cmd_remove(h, "b"), SUP_OK);
	cr_assert_null(sup_find(h_tree(h), "b"));
	h_advance(h, 5000);
	cr_assert_eq(h_state(h, "root"), SUP_RUNNING);
	cr_assert_eq(h_spawns(h, "b"), 2, "no attempt after the removal");
	h_end(h);
}

/*
 * Removed while stopping, and meanwhile a sibling's crash starts a
 * one_for_all group restart that holds it: it is not started again, and
 * leaves once the group is back.
 */
Test(reload, remove_during_group_restart)
{
	struct h *h = abc(SUP_ONE_FOR_ALL);
	uint64_t c;
	size_t m = h_mark(h);

	h_stop_delay(h, "b", 500);
	cr_assert_eq(h_cmd_remove(h, "b"), H_PENDING);
	c = h_last_cookie(h);
	h_crash(h, "a", KILLED);
	h_advance(h, 500);
	cr_assert_eq(h_result(h, c), SUP_OK);
	cr_assert_str_eq(h_trace(h, m, H_PROC | HM(SUP_A_FORGET)),
			 "term:b term:c forget:b spawn:a spawn:c");
	cr_assert_null(sup_find(h_tree(h), "b"));
	cr_assert_str_eq(h_counts_str(h, NULL), "2,2,0,2");
	h_crash(h, "c", KILLED);
	cr_assert_eq(h_state(h, "a"), SUP_RUNNING);
	h_end(h);
}

/* A command on a supervisor that goes away is answered, not lost. */
Test(reload, remove_queued_after_busy_parent)
{
	struct h *h = abc(SUP_ONE_FOR_ALL);
	uint64_t c;

	h_stop_delay(h, "c", 300);
	h_crash(h, "a", KILLED);                /* group restart: c stops slowly */
	cr_assert_eq(h_cmd_remove(h, "b"), H_PENDING, "waits for the group restart");
	c = h_last_cookie(h);
	h_advance(h, 300);
	cr_assert_eq(h_result(h, c), SUP_OK);
	cr_assert_null(sup_find(h_tree(h), "b"));
	cr_assert_eq(h_state(h, "c"), SUP_RUNNING);
	h_end(h);
}

Test(reload, place_changes_stop_order)
{
	struct h *h = abc(SUP_ONE_FOR_ONE);
	size_t m;

	cr_assert_eq(sup_node_place(h_node(h, "c"), NULL), SUP_OK);     /* c a b */
	cr_assert_eq(sup_node_place(h_node(h, "a"), h_node(h, "b")), SUP_OK); /* c b a */
	cr_assert_eq(sup_node_place(h_node(h, "a"), h_node(h, "a")), SUP_E_INVALID);
	m = h_mark(h);
	h_shutdown(h);
	h_finish(h, 10000);
	cr_assert_str_eq(h_trace(h, m, H_STOPS), "term:a term:b term:c");
	h_end(h);
}

/* simple_one_for_one: the template's new spec reaches running children. */
Test(reload, template_respec_reaches_dynamic_children)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 2, HOUR);
	struct sup_spec s;
	char name[SUP_NAME_MAX + 1];
	size_t m;

	h_sup(h, NULL, "pool", SUP_SIMPLE_ONE_FOR_ONE, 2, HOUR);
	h_worker(h, "pool", "tpl", SUP_TEMPORARY);
	h_boot(h);
	cr_assert_eq(h_cmd_start_child(h, "pool", NULL, 0, NULL, name), SUP_OK);
	s = *sup_node_spec(h_node(h, "tpl"));
	s.shutdown_ms = SUP_SHUTDOWN_BRUTAL;
	cr_assert_eq(sup_node_respec(h_node(h, "tpl"), &s), SUP_OK);
	cr_assert_eq(sup_node_respec(h_node(h, name), &s), SUP_E_INVALID);
	cr_assert_str_eq(sup_node_name(h_node(h, name)), name);
	m = h_mark(h);
	cr_assert_eq(h_cmd_stop(h, name), SUP_OK);
	cr_assert_str_eq(h_trace(h, m, H_STOPS), "kill:tpl@1");
	h_end(h);
}
