/*
 * keys_sandbox_limits.c: rlimit_* values.
 *
 * "N" sets the soft and the hard limit, "SOFT:HARD" each; "infinity" (or
 * "unlimited") is no limit.  Limits counted in bytes take sizes (64K, 1G),
 * rlimit_cpu takes seconds (as ulimit -t) or a duration with a unit, the
 * others plain numbers as setrlimit(2) takes them.
 */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "internal.h"

enum rl_unit { RL_NUMBER, RL_BYTES, RL_SECONDS };

static enum rl_unit rl_unit_of(int resource)
{
	switch (resource) {
	case RLIMIT_AS: case RLIMIT_CORE: case RLIMIT_DATA: case RLIMIT_FSIZE:
	case RLIMIT_MEMLOCK: case RLIMIT_MSGQUEUE: case RLIMIT_RSS: case RLIMIT_STACK:
		return RL_BYTES;
	case RLIMIT_CPU:
		return RL_SECONDS;
	default:
		return RL_NUMBER;
	}
}

static int rl_one(const char *s, enum rl_unit unit, uint64_t *ret)
{
	int64_t v;
	uint64_t u;

	if (strcmp(s, "infinity") == 0 || strcmp(s, "unlimited") == 0) {
		*ret = CFG_RLIM_INFINITY;
		return 0;
	}
	switch (unit) {
	case RL_BYTES:
		if (cfg_parse_size(s, &v) < 0)
			return -EINVAL;
		*ret = (uint64_t)v;
		return 0;
	case RL_SECONDS:
		if (cfg_parse_uint(s, &u) == 0) {
			*ret = u;
			return 0;
		}
		if (cfg_parse_duration(s, &v) < 0 || v % 1000)
			return -EINVAL;
		*ret = (uint64_t)v / 1000;
		return 0;
	default:
		if (cfg_parse_uint(s, &u) < 0 || u == CFG_RLIM_INFINITY)
			return -EINVAL;
		*ret = u;
		return 0;
	}
}

static const char *rl_expected(enum rl_unit unit)
{
	switch (unit) {
	case RL_BYTES:
		return "expected a size or infinity, or SOFT:HARD (as 64M:1G)";
	case RL_SECONDS:
		return "expected seconds (or a duration in whole seconds) or infinity, "
		       "or SOFT:HARD";
	default:
		return "expected a number or infinity, or SOFT:HARD (as 1024:4096)";
	}
}

const char *cfg_sb_set_rlimit(struct cfg_sandbox *sb, const char *v, int resource)
{
	enum rl_unit unit = rl_unit_of(resource);
	const char *colon = strchr(v, ':');
	char soft[64];
	uint64_t cur, max;

	if (resource < 0 || resource >= CFG_RLIMIT_N)
		return "not a resource limit of this system";
	if (colon && (size_t)(colon - v) >= sizeof(soft))
		return rl_expected(unit);
	if (colon) {
		memcpy(soft, v, (size_t)(colon - v));
		soft[colon - v] = '\0';
	}
	if (rl_one(colon ? soft : v, unit, &cur) < 0 ||
	    rl_one(colon ? colon + 1 : v, unit, &max) < 0)
		return rl_expected(unit);
	if (cur > max)
		return "the soft limit is above the hard limit";
	sb->rlimit[resource] = (struct cfg_rlimit){ .set = true, .cur = cur, .max = max };
	return NULL;
}
