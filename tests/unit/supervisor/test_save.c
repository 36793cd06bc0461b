/*
 * test_save.c: the tree saved for otpd's re-execution and restored on a
 * fresh tree (save.c, restore.c; otpd(8), RE-EXECUTION).  The random
 * tests (test_random.c, reexec_*) check that a restored tree acts exactly
 * as the one saved; these check each kind of state on its own, and what a
 * restore refuses.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static struct sup_spec worker_spec(const char *name, enum sup_restart restart)
{
	struct sup_spec s;

	sup_spec_init(&s, SUP_WORKER, name);
	s.restart = restart;
	s.shutdown_ms = 1000;
	return s;
}

/* A worker started and waiting for its readiness is carried, and its
 * supervisor's start goes on when it comes. */
Test(save, starting_worker_is_carried)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 3, 5000);
	int pid;

	h_worker(h, NULL, "a", SUP_PERMANENT);
	h_worker(h, NULL, "slow", SUP_PERMANENT);
	h_worker(h, NULL, "b", SUP_PERMANENT);
	h_manual(h, "slow", true);
	h_boot(h);
	cr_assert_eq(h_state(h, "slow"), SUP_STARTING);
	cr_assert_eq(h_state(h, "b"), SUP_STOPPED);
	cr_assert(sup_tree_quiet(h_tree(h), true, NULL, NULL), "a start that waits is quiet");
	pid = h_pid(h, "slow");
	cr_assert(h_reexec(h));
	cr_assert_eq(h_pid(h, "slow"), pid);
	h_ready(h, "slow");
	cr_assert_eq(h_state(h, "b"), SUP_RUNNING);
	cr_assert_eq(h_state(h, "root"), SUP_RUNNING);
	h_end(h);
}

/* A restart_delay under way fires after the time that was left. */
Test(save, restart_delay_is_carried)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 3, 5000);
	struct sup_spec s = worker_spec("w", SUP_PERMANENT);
	size_t m;

	s.restart_delay_ms = 1000;
	h_add(h, NULL, &s);
	h_boot(h);
	h_crash(h, "w", H_EXIT(1));
	h_advance(h, 400);
	cr_assert_eq(h_state(h, "w"), SUP_RESTARTING);
	cr_assert(h_reexec(h));
	m = h_mark(h);
	h_advance(h, 599);
	cr_assert_eq(h_count(h, m, SUP_A_SPAWN, "w"), 0);
	h_advance(h, 1);
	cr_assert_eq(h_count(h, m, SUP_A_SPAWN, "w"), 1);
	cr_assert_eq(h_restarts(h, "w"), 1);
	h_end(h);
}

/* The intensity window goes on counting the restarts made before. */
Test(save, intensity_window_is_carried)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 2, 5000);

	h_worker(h, NULL, "w", SUP_PERMANENT);
	h_boot(h);
	h_crash(h, "w", H_EXIT(1));
	h_advance(h, 100);
	h_crash(h, "w", H_EXIT(1));
	cr_assert(h_reexec(h));
	cr_assert_eq(h_restarts(h, "w"), 2);
	cr_assert_eq(sup_node_window_restarts(sup_tree_root(h_tree(h)), h_now(h)), 2);
	h_advance(h, 100);
	h_crash(h, "w", H_EXIT(1));
	cr_assert_eq(h_otpd_exit(h), 1, "the third restart in the window is one too many");
	h_end(h);
}

/* Dynamic children come back with their arguments; deleted and stopped
 * children stay so. */
Test(save, dynamic_deleted_stopped)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 3, 5000);
	char *args[] = { "--port", "80 81" };
	char name[SUP_NAME_MAX + 1];
	char *const *got;
	int argc = 0;

	h_sup(h, NULL, "pool", SUP_SIMPLE_ONE_FOR_ONE, 3, 5000);
	h_worker(h, "pool", "job", SUP_TEMPORARY);
	h_worker(h, NULL, "gone", SUP_PERMANENT);
	h_worker(h, NULL, "off", SUP_PERMANENT);
	h_boot(h);
	cr_assert_eq(h_cmd_start_child(h, "pool", NULL, 2, args, name), SUP_OK);
	cr_assert_eq(h_cmd_start_child(h, "pool", "named", 0, NULL, NULL), SUP_OK);
	cr_assert_eq(h_cmd_stop(h, "gone"), SUP_OK);
	cr_assert_eq(h_cmd_delete(h, "gone"), SUP_OK);
	cr_assert_eq(h_cmd_stop(h, "off"), SUP_OK);
	cr_assert(h_reexec(h));
	got = sup_node_args(h_node(h, name), &argc);
	cr_assert_eq(argc, 2);
	cr_assert_str_eq(got[0], "--port");
	cr_assert_str_eq(got[1], "80 81");
	cr_assert_eq(h_state(h, "named"), SUP_RUNNING);
	cr_assert_null(sup_find(h_tree(h), "gone"), "a deleted child stays deleted");
	cr_assert_not_null(sup_find_any(h_tree(h), "gone"));
	cr_assert_eq(h_state(h, "off"), SUP_STOPPED);
	/* The next automatic name follows the ones given before. */
	cr_assert_eq(h_cmd_start_child(h, "pool", NULL, 0, NULL, name), SUP_OK);
	cr_assert_str_eq(name, "job@2");
	cr_assert_eq(h_cmd_start(h, "off"), SUP_OK);
	h_end(h);
}

/* Not while a command waits for its reply, nor during shutdown; a stop
 * under way is not quiet in the strict sense, but can be saved. */
Test(save, refused_while_busy)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 3, 5000);
	const struct sup_node *n = NULL;
	const char *why = NULL;
	void *buf = NULL;
	size_t len;

	h_worker(h, NULL, "w", SUP_PERMANENT);
	h_worker(h, NULL, "x", SUP_PERMANENT);
	h_boot(h);
	h_stop_delay(h, "w", 500);
	cr_assert_eq(h_cmd_stop(h, "w"), H_PENDING);
	cr_assert_eq(sup_save(h_tree(h), h_now(h), &buf, &len), -EBUSY);
	cr_assert(!sup_tree_quiet(h_tree(h), false, &n, &why));
	cr_assert_str_eq(sup_node_name(n), "w");
	cr_assert_str_eq(why, "has a command under way");
	h_advance(h, 500);
	cr_assert(sup_tree_quiet(h_tree(h), true, NULL, NULL));
	/* A crash's restart that is stopping (no command): saved, not strict. */
	h_stop_delay(h, "x", 300);
	h_leaves(h, "x", 200);
	h_crash(h, "x", H_EXIT(1));
	cr_assert(!sup_tree_quiet(h_tree(h), true, &n, &why));
	cr_assert_str_eq(why, "is stopping");
	cr_assert(h_reexec(h));
	h_advance(h, 300);
	cr_assert_eq(h_state(h, "x"), SUP_RUNNING);
	h_shutdown(h);
	cr_assert(!sup_tree_quiet(h_tree(h), false, NULL, &why));
	cr_assert_str_eq(why, "is shutting down");
	h_end(h);
}

static void *saved(struct h *h, size_t *ret_len)
{
	void *buf = NULL;

	cr_assert_eq(sup_save(h_tree(h), h_now(h), &buf, ret_len), 0);
	return buf;
}

static struct h *small_tree(void)
{
	struct h *h = h_new(SUP_ONE_FOR_ONE, 3, 5000);

	h_worker(h, NULL, "a", SUP_PERMANENT);
	h_sup(h, NULL, "s", SUP_REST_FOR_ONE, 1, 1000);
	h_worker(h, "s", "b", SUP_TRANSIENT);
	h_boot(h);
	return h;
}

/* Another configuration: a node more, a node less, another type. */
Test(save, refused_on_another_tree)
{
	struct h *h = small_tree();
	char why[256];
	size_t len;
	void *buf = saved(h, &len);
	struct sup_tree *t = h_twin(h);
	struct sup_spec extra = worker_spec("extra", SUP_PERMANENT);

	sup_tree_add(t, sup_tree_root(t), &extra, NULL);
	cr_assert_eq(sup_restore(t, buf, len, h_now(h), why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "the configuration has 5 nodes, the save 4");
	sup_tree_free(t);

	struct h *other = h_new(SUP_ONE_FOR_ONE, 3, 5000);

	h_worker(other, NULL, "a", SUP_PERMANENT);
	t = h_twin(other);
	cr_assert_eq(sup_restore(t, buf, len, h_now(h), why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "s: saved, but not in the configuration");
	sup_tree_free(t);
	h_free(other);

	other = h_new(SUP_ONE_FOR_ONE, 3, 5000);
	h_worker(other, NULL, "a", SUP_PERMANENT);
	h_worker(other, NULL, "s", SUP_PERMANENT);
	t = h_twin(other);
	cr_assert_eq(sup_restore(t, buf, len, h_now(h), why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "s: not the same node in the configuration");
	sup_tree_free(t);
	h_free(other);

	/* And a tree that has run already. */
	cr_assert_eq(sup_restore(h_tree(h), buf, len, h_now(h), why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "the tree has run already");
	free(buf);
	h_end(h);
}

/* The core's part has its own major version; a newer one is refused. */
Test(save, refused_other_version)
{
	struct h *h = small_tree();
	char why[256];
	size_t len;
	unsigned char *buf = saved(h, &len);
	struct sup_tree *t = h_twin(h);

	/* The first item is the version: tag 1, length 8, then the number. */
	cr_assert_eq(buf[0], 1);
	buf[6] = 2;
	cr_assert_eq(sup_restore(t, buf, len, h_now(h), why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "the saved tree has version 2, this otpd reads 1");
	sup_tree_free(t);
	t = h_twin(h);
	cr_assert_eq(sup_restore(t, buf, len - 3, h_now(h), why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "the saved tree is cut short");
	sup_tree_free(t);
	free(buf);
	h_end(h);
}

/* Unknown items (a later minor version's) are skipped. */
Test(save, unknown_items_skipped)
{
	struct h *h = small_tree();
	size_t len;
	unsigned char *buf = saved(h, &len), *more = malloc(len + 10);
	struct sup_tree *t = h_twin(h);
	char why[256];

	/* An item of tag 999 with 4 bytes, appended at the top level. */
	memcpy(more, buf, len);
	memcpy(more + len, "\xe7\x03\x04\x00\x00\x00" "abcd", 10);
	cr_assert_eq(sup_restore(t, more, len + 10, h_now(h), why, sizeof(why)), 0, "%s", why);
	sup_tree_free(t);
	free(more);
	free(buf);
	h_end(h);
}

/* Damaged bytes: refused or restored, never a crash (ASan watches). */
Test(save, damaged_bytes_never_crash)
{
	struct h *h = small_tree();
	size_t len;
	unsigned char *buf = saved(h, &len);
	uint64_t s = 0x9e3779b97f4a7c15ull;

	for (int i = 0; i < 3000; i++) {
		unsigned char *copy = malloc(len);
		struct sup_tree *t = h_twin(h);
		int r;

		memcpy(copy, buf, len);
		for (int k = 0; k < 1 + i % 4; k++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			copy[s % len] = (unsigned char)(s >> 32);
		}
		r = sup_restore(t, copy, len - (size_t)(i % 7 == 0 ? s % len : 0), h_now(h), NULL, 0);
		cr_assert(r == 0 || r == -EINVAL || r == -ENOMEM);
		sup_tree_free(t);
		free(copy);
	}
	free(buf);
	h_end(h);
}
