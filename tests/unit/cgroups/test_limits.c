/* Limits -> control files, on a temporary directory whose empty files stand
 * in for a cgroup's.  Some limits come from the config loader, so the path
 * otp.conf -> struct cg_limits -> cgroupfs is covered end to end. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "../../../config/config.h"
#include "cgtest.h"

static const char *const files[] = { "memory.high", "memory.max",  "memory.swap.max",
				     "cpu.max",     "cpu.weight",  "pids.max",
				     "io.weight",   "io.max",      "cpuset.cpus" };
#define N_FILES (sizeof(files) / sizeof(files[0]))

static void limits_setup(void)
{
	ct_setup();
	for (size_t i = 0; i < N_FILES; i++)
		ct_put(files[i], "");
}

TestSuite(cg_limits, .init = limits_setup, .fini = ct_teardown);

/* Every limit set, each to a value that shows its formatting. */
static struct cg_limits all_set(void)
{
	struct cg_limits l = ct_no_limits();

	l.memory_max = INT64_MAX;
	l.memory_high = 268435456;
	l.memory_swap_max = 0;          /* 0 is a limit, not "unset" */
	l.cpu_quota_us = 50000;         /* cpu_max = 50%: the loader leaves the period */
	l.cpu_period_us = -1;
	l.cpu_weight = 200;
	l.pids_max = 64;
	l.io_weight = 300;
	l.io_max = "8:0 rbps=1048576 wiops=max";
	l.cpuset_cpus = "0-1,3";
	return l;
}

/* Load one worker with `keys` and return its limits (config freed by caller). */
static const struct cg_limits *load(struct otp_config **c, const char *keys)
{
	struct cfg_errors e = { 0 };
	char text[1024];
	const struct cfg_node *n;

	snprintf(text, sizeof(text), "[worker w]\nexec = /bin/true\n%s", keys);
	cr_assert_eq(cfg_load_string(text, "t.conf", c, &e), 0, "%s", e.n ? e.msgs[0] : "");
	n = cfg_find(*c, "w");
	cr_assert_not_null(n);
	return cfg_node_limits(n);
}

Test(cg_limits, need)
{
	struct cg_limits l = ct_no_limits();

	cr_assert_eq(cg_limits_need(&l), 0);
	l = ct_no_limits(), l.memory_swap_max = 0;
	cr_assert_eq(cg_limits_need(&l), CG_MEMORY);
	l = ct_no_limits(), l.memory_high = 1;
	cr_assert_eq(cg_limits_need(&l), CG_MEMORY);
	l = ct_no_limits(), l.cpu_weight = 1;
	cr_assert_eq(cg_limits_need(&l), CG_CPU);
	l = ct_no_limits(), l.cpu_quota_us = INT64_MAX;
	cr_assert_eq(cg_limits_need(&l), CG_CPU);
	l = ct_no_limits(), l.pids_max = 1;
	cr_assert_eq(cg_limits_need(&l), CG_PIDS);
	l = ct_no_limits(), l.io_max = "8:0 rbps=1";
	cr_assert_eq(cg_limits_need(&l), CG_IO);
	l = ct_no_limits(), l.io_weight = 1;
	cr_assert_eq(cg_limits_need(&l), CG_IO);
	l = ct_no_limits(), l.cpuset_cpus = "0";
	cr_assert_eq(cg_limits_need(&l), CG_CPUSET);
	l = all_set();
	cr_assert_eq(cg_limits_need(&l), CG_ALL);
}

Test(cg_limits, need_from_config)
{
	struct otp_config *c = NULL;

	cr_assert_eq(cg_limits_need(load(&c, "")), 0);
	cfg_free(c);
	cr_assert_eq(cg_limits_need(load(&c, "pids_max = max\ncpu_weight = 50\n")), CG_PIDS | CG_CPU);
	cfg_free(c);
}

Test(cg_limits, apply_writes_each_file)
{
	struct cg_limits l = all_set();
	const char *file = NULL;

	cr_assert_eq(cg_limits_apply(ct_fd, &l, CG_ALL, &file), 0);
	cr_assert_null(file);
	cr_assert_str_eq(ct_get("memory.max"), "max");
	cr_assert_str_eq(ct_get("memory.high"), "268435456");
	cr_assert_str_eq(ct_get("memory.swap.max"), "0");
	cr_assert_str_eq(ct_get("cpu.max"), "50000 100000");
	cr_assert_str_eq(ct_get("cpu.weight"), "200");
	cr_assert_str_eq(ct_get("pids.max"), "64");
	cr_assert_str_eq(ct_get("io.weight"), "default 300");
	cr_assert_str_eq(ct_get("io.max"), "8:0 rbps=1048576 wiops=max");
	cr_assert_str_eq(ct_get("cpuset.cpus"), "0-1,3");
}

Test(cg_limits, apply_nothing_set)
{
	struct cg_limits l = ct_no_limits();
	const char *file = NULL;

	cr_assert_eq(cg_limits_apply(ct_fd, &l, CG_ALL, &file), 0);
	for (size_t i = 0; i < N_FILES; i++)
		cr_assert_str_eq(ct_get(files[i]), "", "%s written", files[i]);
}

Test(cg_limits, apply_mask_skips_controllers)
{
	struct cg_limits l = all_set();
	const char *file = NULL;

	cr_assert_eq(cg_limits_apply(ct_fd, &l, CG_MEMORY | CG_PIDS, &file), 0);
	cr_assert_str_eq(ct_get("memory.max"), "max");
	cr_assert_str_eq(ct_get("memory.high"), "268435456");
	cr_assert_str_eq(ct_get("memory.swap.max"), "0");
	cr_assert_str_eq(ct_get("pids.max"), "64");
	cr_assert_str_eq(ct_get("cpu.max"), "");
	cr_assert_str_eq(ct_get("cpu.weight"), "");
	cr_assert_str_eq(ct_get("io.weight"), "");
	cr_assert_str_eq(ct_get("io.max"), "");
	cr_assert_str_eq(ct_get("cpuset.cpus"), "");
}

Test(cg_limits, apply_mask_none)
{
	struct cg_limits l = all_set();
	const char *file = NULL;

	/* a cgroup without any of our controllers: no file is even opened */
	for (size_t i = 0; i < N_FILES; i++)
		cr_assert_eq(unlinkat(ct_fd, files[i], 0), 0);
	cr_assert_eq(cg_limits_apply(ct_fd, &l, 0, &file), 0);
	cr_assert_null(file);
}

Test(cg_limits, missing_file_is_named)
{
	struct cg_limits l = all_set();
	const char *file = NULL;

	/* cpu is on, but this kernel has no cpu.weight (say) */
	cr_assert_eq(unlinkat(ct_fd, "cpu.weight", 0), 0);
	cr_assert_eq(cg_limits_apply(ct_fd, &l, CG_ALL, &file), -ENOENT);
	cr_assert_not_null(file);
	cr_assert_str_eq(file, "cpu.weight");
	/* it stops there: what comes before is written, what comes after is not */
	cr_assert_str_eq(ct_get("cpu.max"), "50000 100000");
	cr_assert_str_eq(ct_get("pids.max"), "");
}

Test(cg_limits, missing_file_of_an_unset_limit_is_fine)
{
	struct cg_limits l = ct_no_limits();
	const char *file = NULL;

	l.memory_max = 1 << 20;
	cr_assert_eq(unlinkat(ct_fd, "memory.swap.max", 0), 0);       /* swap accounting off */
	cr_assert_eq(unlinkat(ct_fd, "memory.high", 0), 0);
	cr_assert_eq(cg_limits_apply(ct_fd, &l, CG_ALL, &file), 0);
	cr_assert_str_eq(ct_get("memory.max"), "1048576");
}

Test(cg_limits, memory_high_before_memory_max)
{
	struct cg_limits l = all_set();
	const char *file = NULL;

	/* memory.max refusing shows memory.high was already in place */
	cr_assert_eq(unlinkat(ct_fd, "memory.max", 0), 0);
	cr_assert_eq(cg_limits_apply(ct_fd, &l, CG_ALL, &file), -ENOENT);
	cr_assert_str_eq(file, "memory.max");
	cr_assert_str_eq(ct_get("memory.high"), "268435456");
	cr_assert_str_eq(ct_get("memory.swap.max"), "");
}

Test(cg_limits, refusing_file_keeps_its_errno)
{
	struct cg_limits l = ct_no_limits();
	const char *file = NULL;

	l.pids_max = 10;
	cr_assert_eq(unlinkat(ct_fd, "pids.max", 0), 0);
	ct_mkdir("pids.max");
	cr_assert_eq(cg_limits_apply(ct_fd, &l, CG_PIDS, &file), -EISDIR);
	cr_assert_str_eq(file, "pids.max");
}

Test(cg_limits, from_config)
{
	struct otp_config *c = NULL;
	const struct cg_limits *l = load(&c, "memory_max = max\n"
					      "memory_high = 64M\n"
					      "cpu_max = 50%\n"
					      "io_weight = 300\n"
					      "io_max = 259:0 wbps=4096 riops=max\n"
					      "cpuset_cpus = 0-1,3\n"
					      "pids_max = 32\n");
	const char *file = NULL;

	cr_assert_eq(cg_limits_need(l), CG_ALL);
	cr_assert_eq(cg_limits_apply(ct_fd, l, CG_ALL, &file), 0);
	cr_assert_str_eq(ct_get("memory.max"), "max");
	cr_assert_str_eq(ct_get("memory.high"), "67108864");
	cr_assert_str_eq(ct_get("memory.swap.max"), "", "not configured, not written");
	cr_assert_str_eq(ct_get("cpu.max"), "50000 100000");
	cr_assert_str_eq(ct_get("cpu.weight"), "");
	cr_assert_str_eq(ct_get("io.weight"), "default 300");
	cr_assert_str_eq(ct_get("io.max"), "259:0 wbps=4096 riops=max");
	cr_assert_str_eq(ct_get("cpuset.cpus"), "0-1,3");
	cr_assert_str_eq(ct_get("pids.max"), "32");
	cfg_free(c);
}

Test(cg_limits, cpu_max_forms_from_config)
{
	static const struct {
		const char *conf, *file;
	} cases[] = {
		{ "cpu_max = 250%\n", "250000 100000" },
		{ "cpu_max = 20000 50000\n", "20000 50000" },
		{ "cpu_max = max\n", "max 100000" },
		{ "cpu_max = max 20000\n", "max 20000" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct otp_config *c = NULL;
		const struct cg_limits *l = load(&c, cases[i].conf);
		const char *file = NULL;

		cr_assert_eq(cg_limits_apply(ct_fd, l, CG_CPU, &file), 0);
		cr_assert_str_eq(ct_get("cpu.max"), cases[i].file, "%s", cases[i].conf);
		cfg_free(c);
		/* a fresh empty stand-in for the next case (cgroupfs replaces, a file overlays) */
		ct_put("cpu.max", "");
	}
}

Test(cg_limits, keys_for_messages)
{
	struct cg_limits l = ct_no_limits();
	char buf[256];

	cg_limits_keys(&l, CG_ALL, buf, sizeof(buf));
	cr_assert_str_eq(buf, "");
	l.memory_max = 1;
	l.cpu_quota_us = 1000;
	l.io_max = "8:0 rbps=1";
	cg_limits_keys(&l, CG_ALL, buf, sizeof(buf));
	cr_assert_str_eq(buf, "memory_max cpu_max io_max");
	/* only those needing a controller in the mask: the missing ones */
	cg_limits_keys(&l, CG_CPU | CG_IO, buf, sizeof(buf));
	cr_assert_str_eq(buf, "cpu_max io_max");
	cg_limits_keys(&l, CG_PIDS, buf, sizeof(buf));
	cr_assert_str_eq(buf, "");
	l = all_set();
	cg_limits_keys(&l, CG_ALL, buf, sizeof(buf));
	cr_assert_str_eq(buf, "memory_high memory_max memory_swap_max cpu_max cpu_weight "
			      "pids_max io_weight io_max cpuset_cpus");
}

Test(cg_limits, keys_short_buffer_keeps_whole_names)
{
	struct cg_limits l = all_set();
	char buf[32];

	/* "memory_high memory_max memory_swap_max" cut at 30 bytes */
	cg_limits_keys(&l, CG_ALL, buf, 30);
	cr_assert_str_eq(buf, "memory_high memory_max");
	cg_limits_keys(&l, CG_ALL, buf, 5);
	cr_assert_str_eq(buf, "");
	memcpy(buf, "XY", 3);
	cg_limits_keys(&l, CG_ALL, buf, 0);
	cr_assert_str_eq(buf, "XY", "len 0 writes nothing");
}
