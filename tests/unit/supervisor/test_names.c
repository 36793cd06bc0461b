/*
 * test_names.c: sup_name_valid, the one check of a node's name (issue
 * 18.4), and start-child --name going through it.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

#define HOUR (3600 * 1000LL)

Test(names, valid)
{
	static const char *const ok[] = {
		"a", "web", "db-1", "web@2", "a.b", "a..b", "...", "_x", "Memory.max", "memory",
		"cgroupfs", "cpu_x.y", "x.cgroup.procs", "0123456789012345678901234567890123456789"
		"012345678901234567890123",
	};
	const char *why = "untouched";

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		cr_assert(sup_name_valid(ok[i], &why), "%s", ok[i]);
	cr_assert_str_eq(why, "untouched");
}

Test(names, refused_with_a_reason)
{
	static const struct { const char *name, *why; } bad[] = {
		{ "", SUP_NAME_RULE }, { "a b", SUP_NAME_RULE }, { "a/b", SUP_NAME_RULE },
		{ "../x", SUP_NAME_RULE }, { "x\n", SUP_NAME_RULE },
		{ "0123456789012345678901234567890123456789012345678901234567890123x", SUP_NAME_RULE },
		{ ".", "directories" }, { "..", "directories" },
		{ "-n", "'-'" }, { "--json", "'-'" }, { "-", "'-'" },
		{ "cgroup.procs", "cgroupfs" }, { "cgroup.kill", "cgroupfs" },
		{ "memory.max", "cgroupfs" }, { "cpu.weight", "cgroupfs" }, { "io.max", "cgroupfs" },
		{ "pids.max", "cgroupfs" }, { "cpuset.cpus", "cgroupfs" },
		{ "hugetlb.2MB.max", "cgroupfs" }, { "rdma.max", "cgroupfs" },
		{ "misc.max", "cgroupfs" }, { "irq.pressure", "cgroupfs" }, { "dmem.max", "cgroupfs" },
		{ "memory.", "cgroupfs" },
	};

	cr_assert_not(sup_name_valid(NULL, NULL));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;

		cr_assert_not(sup_name_valid(bad[i].name, &why), "%s", bad[i].name);
		cr_assert_not_null(why);
		cr_assert(strstr(why, bad[i].why), "%s: %s", bad[i].name, why);
		cr_assert_not(sup_name_valid(bad[i].name, NULL));
	}
}

Test(names, start_child_name_is_checked)
{
	struct h *h = h_new(SUP_SIMPLE_ONE_FOR_ONE, 2, HOUR);
	static const char *const bad[] = { "..", ".", "-n", "cgroup.procs", "memory.max", "a/b" };
	char got[SUP_NAME_MAX + 1];

	h_worker(h, NULL, "w", SUP_PERMANENT);
	h_boot(h);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(h_cmd_start_child(h, "root", bad[i], 0, NULL, NULL), SUP_E_INVALID,
			     "%s", bad[i]);
	cr_assert_null(sup_node_first(sup_tree_root(h_tree(h))), "no child was added");
	cr_assert_eq(h_cmd_start_child(h, "root", "ok..name", 0, NULL, got), SUP_OK);
	cr_assert_str_eq(got, "ok..name");
	h_end(h);
}
