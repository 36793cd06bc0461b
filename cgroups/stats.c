/*
 * stats.c: what a cgroup costs, for `otpctl status`.  A file that is
 * missing (its controller is not enabled here) reads as -1.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroups.h"

static int64_t read_num(int dirfd, const char *file)
{
	char buf[64], *end;
	long long v;

	if (cg_read(dirfd, file, buf, sizeof(buf)) <= 0)
		return -1;
	v = strtoll(buf, &end, 10);
	return end == buf ? -1 : v;
}

static int64_t read_key(int dirfd, const char *file, const char *key)
{
	char buf[1024];
	int64_t v;

	if (cg_read(dirfd, file, buf, sizeof(buf)) <= 0 || cg_kv(buf, key, &v) < 0)
		return -1;
	return v;
}

void cg_stats_read_mask(int dirfd, unsigned mask, struct cg_stats *s)
{
	s->memory_current = mask & CG_MEMORY ? read_num(dirfd, "memory.current") : -1;
	s->memory_peak = mask & CG_MEMORY ? read_num(dirfd, "memory.peak") : -1;
	s->cpu_usage_usec = read_key(dirfd, "cpu.stat", "usage_usec");
	s->pids_current = mask & CG_PIDS ? read_num(dirfd, "pids.current") : -1;
}

void cg_stats_read(int dirfd, struct cg_stats *s)
{
	cg_stats_read_mask(dirfd, CG_ALL, s);
}

int64_t cg_oom_kills(int dirfd)
{
	int64_t v = read_key(dirfd, "memory.events", "oom_kill");

	return v < 0 ? 0 : v;
}
