/*
 * limits.c: a node's configured limits -> its cgroup's control files.
 * "Not set" is -1 (or NULL) in struct cg_limits and leaves the kernel's
 * default; INT64_MAX means "max".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cgroups.h"

const struct cg_limits cg_limits_none = {
	.memory_max = -1, .memory_high = -1, .memory_swap_max = -1,
	.cpu_quota_us = -1, .cpu_period_us = -1, .cpu_weight = -1,
	.pids_max = -1, .io_weight = -1,
};

unsigned cg_limits_need(const struct cg_limits *l)
{
	unsigned m = 0;

	if (l->memory_max >= 0 || l->memory_high >= 0 || l->memory_swap_max >= 0)
		m |= CG_MEMORY;
	if (l->cpu_quota_us >= 0 || l->cpu_weight >= 0)
		m |= CG_CPU;
	if (l->pids_max >= 0)
		m |= CG_PIDS;
	if (l->io_weight >= 0 || l->io_max)
		m |= CG_IO;
	if (l->cpuset_cpus)
		m |= CG_CPUSET;
	return m;
}

static void fmt_max(char *buf, size_t len, int64_t v)
{
	if (v == INT64_MAX)
		snprintf(buf, len, "max");
	else
		snprintf(buf, len, "%" PRId64, v);
}

struct cg_lim_file {
	const char *file;
	unsigned controller;
	int (*fmt)(const struct cg_limits *l, char *buf, size_t len);   /* 0: not set */
	const char *dflt;               /* the kernel's default, written when a limit goes */
};

static int f_memory_max(const struct cg_limits *l, char *b, size_t n)
{
	return l->memory_max >= 0 ? (fmt_max(b, n, l->memory_max), 1) : 0;
}

static int f_memory_high(const struct cg_limits *l, char *b, size_t n)
{
	return l->memory_high >= 0 ? (fmt_max(b, n, l->memory_high), 1) : 0;
}

static int f_memory_swap_max(const struct cg_limits *l, char *b, size_t n)
{
	return l->memory_swap_max >= 0 ? (fmt_max(b, n, l->memory_swap_max), 1) : 0;
}

static int f_cpu_max(const struct cg_limits *l, char *b, size_t n)
{
	char q[24];

	if (l->cpu_quota_us < 0)
		return 0;
	fmt_max(q, sizeof(q), l->cpu_quota_us);
	snprintf(b, n, "%s %" PRId64, q, l->cpu_period_us > 0 ? l->cpu_period_us : 100000);
	return 1;
}

static int f_cpu_weight(const struct cg_limits *l, char *b, size_t n)
{
	return l->cpu_weight >= 0 ? (snprintf(b, n, "%" PRId64, l->cpu_weight), 1) : 0;
}

static int f_pids_max(const struct cg_limits *l, char *b, size_t n)
{
	return l->pids_max >= 0 ? (fmt_max(b, n, l->pids_max), 1) : 0;
}

static int f_io_weight(const struct cg_limits *l, char *b, size_t n)
{
	return l->io_weight >= 0 ? (snprintf(b, n, "default %" PRId64, l->io_weight), 1) : 0;
}

static int f_io_max(const struct cg_limits *l, char *b, size_t n)
{
	return l->io_max ? (snprintf(b, n, "%s", l->io_max), 1) : 0;
}

static int f_cpuset_cpus(const struct cg_limits *l, char *b, size_t n)
{
	return l->cpuset_cpus ? (snprintf(b, n, "%s", l->cpuset_cpus), 1) : 0;
}

/* memory.high before memory.max: lowering max below usage reclaims, and
 * the throttle should be in place first. */
static const struct cg_lim_file cg_lim_files[] = {
	{ "memory.high", CG_MEMORY, f_memory_high, "max" },
	{ "memory.max", CG_MEMORY, f_memory_max, "max" },
	{ "memory.swap.max", CG_MEMORY, f_memory_swap_max, "max" },
	{ "cpu.max", CG_CPU, f_cpu_max, "max 100000" },
	{ "cpu.weight", CG_CPU, f_cpu_weight, "100" },
	{ "pids.max", CG_PIDS, f_pids_max, "max" },
	{ "io.weight", CG_IO, f_io_weight, "default 100" },
	{ "io.max", CG_IO, f_io_max, NULL },
	{ "cpuset.cpus", CG_CPUSET, f_cpuset_cpus, "" },
};


/* io.max has no default line: the device's limits are each set back to max. */
static void io_max_reset(const char *old, char *buf, size_t len)
{
	size_t dev = strcspn(old, " ");

	snprintf(buf, len, "%.*s rbps=max wbps=max riops=max wiops=max", (int)dev, old);
}

/* The device of an io.max line changed: the old device's limits must go too. */
static bool io_max_moved(const struct cg_lim_file *f, const char *was, const char *now)
{
	size_t dev = strcspn(was, " ");

	return f->fmt == f_io_max && (strcspn(now, " ") != dev || strncmp(was, now, dev) != 0);
}

int cg_limits_update(int dirfd, const struct cg_limits *old, const struct cg_limits *l,
		     unsigned mask, const char **ret_file)
{
	char buf[512], was[512];

	for (size_t i = 0; i < sizeof(cg_lim_files) / sizeof(cg_lim_files[0]); i++) {
		const struct cg_lim_file *f = &cg_lim_files[i];
		bool set = f->fmt(l, buf, sizeof(buf)), had = f->fmt(old, was, sizeof(was));
		int r = 0;

		if (!(mask & f->controller) || (!set && !had) || (set && had && !strcmp(buf, was)))
			continue;
		if (had && (!set || io_max_moved(f, was, buf))) {
			char reset[512];

			if (f->dflt)
				snprintf(reset, sizeof(reset), "%s", f->dflt);
			else
				io_max_reset(was, reset, sizeof(reset));
			r = cg_write(dirfd, f->file, reset);
		}
		if (r >= 0 && set)
			r = cg_write(dirfd, f->file, buf);
		if (r < 0) {
			*ret_file = f->file;
			return r;
		}
	}
	return 0;
}

int cg_limits_apply(int dirfd, const struct cg_limits *l, unsigned mask, const char **ret_file)
{
	return cg_limits_update(dirfd, &cg_limits_none, l, mask, ret_file);
}

void cg_limits_keys(const struct cg_limits *l, unsigned mask, char *buf, size_t len)
{
	static const char *const keys[] = { "memory_high", "memory_max", "memory_swap_max",
					    "cpu_max",     "cpu_weight", "pids_max",
					    "io_weight",   "io_max",     "cpuset_cpus" };
	char tmp[512];
	size_t at = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(cg_lim_files) / sizeof(cg_lim_files[0]); i++) {
		if (!(mask & cg_lim_files[i].controller) || !cg_lim_files[i].fmt(l, tmp, sizeof(tmp)))
			continue;
		if (!cg_words_add(buf, len, &at, keys[i]))
			return;
	}
}
