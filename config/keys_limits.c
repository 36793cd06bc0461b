/*
 * keys_limits.c: cgroup v2 resource limits, on workers and supervisors
 * (a supervisor's limits cap its whole subtree).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CPU_PERIOD_DEFAULT 100000       /* the kernel's cpu.max default */
/* What the kernel's pids.max and cpu.max accept (else EINVAL at start). */
#define PIDS_MAX 4194304                /* PID_MAX_LIMIT on 64-bit */
#define CPU_QUOTA_MAX ((1LL << 44) - 1) /* MAX_BW, in us */

/* p's own limits, allocated at its first limit key.  NULL: ENOMEM. */
static struct cg_limits *limits_own(struct cfg_pnode *p)
{
	struct cfg_node *n = &p->node;

	if (!n->limits && (n->limits = malloc(sizeof(*n->limits))))
		*n->limits = cg_limits_none;
	return n->limits;
}

const struct cg_limits *cfg_node_limits(const struct cfg_node *n)
{
	return n->limits ? n->limits : &cg_limits_none;
}

static const char *set_size_or_max(int64_t *dst, const char *v)
{
	if (strcmp(v, "max") == 0) {
		*dst = INT64_MAX;
		return NULL;
	}
	if (cfg_parse_size(v, dst) < 0)
		return "expected a size (bytes, or with K, M, G, T) or max";
	return NULL;
}

const char *cfg_set_memory_max(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	struct cg_limits *own = limits_own(p);

	return own ? set_size_or_max(&own->memory_max, v) : cfg_oom;
}

const char *cfg_set_memory_high(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	struct cg_limits *own = limits_own(p);

	return own ? set_size_or_max(&own->memory_high, v) : cfg_oom;
}

const char *cfg_set_memory_swap_max(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	struct cg_limits *own = limits_own(p);

	return own ? set_size_or_max(&own->memory_swap_max, v) : cfg_oom;
}

/* "50%" (of one CPU per default period), "QUOTA_US PERIOD_US", "max [PERIOD_US]" */
static int cpu_max_parse(const char *v, int64_t *quota, int64_t *period)
{
	char q[32], per[32], extra;
	int64_t pct;
	int n;

	*period = CPU_PERIOD_DEFAULT;
	n = sscanf(v, "%31s %31s %c", q, per, &extra);
	if (n < 1 || n > 2)
		return -EINVAL;
	if (n == 2 && cfg_parse_int_range(per, 1000, 1000000, period) < 0)
		return -EINVAL;
	if (strcmp(q, "max") == 0) {
		*quota = INT64_MAX;
		return 0;
	}
	if (n == 1 && q[0] && q[strlen(q) - 1] == '%') {
		q[strlen(q) - 1] = '\0';
		if (cfg_parse_int_range(q, 1, 100000, &pct) < 0)
			return -EINVAL;
		*quota = pct * CPU_PERIOD_DEFAULT / 100;
		return 0;
	}
	if (n != 2 || cfg_parse_int_range(q, 1000, CPU_QUOTA_MAX, quota) < 0)
		return -EINVAL;
	return 0;
}

const char *cfg_set_cpu_max(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	struct cg_limits *own;
	int64_t quota, period;

	if (cpu_max_parse(v, &quota, &period) < 0)
		return "expected a percentage (50%), \"QUOTA_US PERIOD_US\" "
		       "(quota 1000 to 17592186044415, period 1000 to 1000000) or max";
	if (!(own = limits_own(p)))
		return cfg_oom;
	own->cpu_quota_us = quota;
	own->cpu_period_us = period;
	return NULL;
}

static const char *set_weight(int64_t *dst, const char *v)
{
	if (cfg_parse_int_range(v, 1, 10000, dst) < 0)
		return "expected an integer from 1 to 10000";
	return NULL;
}

const char *cfg_set_cpu_weight(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	struct cg_limits *own = limits_own(p);

	return own ? set_weight(&own->cpu_weight, v) : cfg_oom;
}

const char *cfg_set_io_weight(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	struct cg_limits *own = limits_own(p);

	return own ? set_weight(&own->io_weight, v) : cfg_oom;
}

const char *cfg_set_pids_max(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	struct cg_limits *own = limits_own(p);

	if (!own)
		return cfg_oom;
	if (strcmp(v, "max") == 0) {
		own->pids_max = INT64_MAX;
		return NULL;
	}
	if (cfg_parse_int_range(v, 1, PIDS_MAX, &own->pids_max) < 0)
		return "expected an integer from 1 to 4194304 or max";
	return NULL;
}

/* "MAJ:MIN" */
static bool is_devnum(const char *s, size_t len)
{
	size_t colon = strcspn(s, ":");

	if (colon == 0 || colon >= len - 1)
		return false;
	for (size_t i = 0; i < len; i++)
		if (i != colon && !isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* "rbps=N" and friends, N an integer or max */
static bool is_io_setting(const char *s, size_t len)
{
	static const char *const keys[] = { "rbps=", "wbps=", "riops=", "wiops=" };
	char val[32];
	uint64_t n;

	for (size_t i = 0; i < 4; i++) {
		size_t kl = strlen(keys[i]);

		if (len <= kl || strncmp(s, keys[i], kl) != 0 || len - kl >= sizeof(val))
			continue;
		snprintf(val, sizeof(val), "%.*s", (int)(len - kl), s + kl);
		return strcmp(val, "max") == 0 || cfg_parse_uint(val, &n) == 0;
	}
	return false;
}

/* Kept as written; it only has to look like what io.max takes. */
const char *cfg_set_io_max(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	const char *s = v;
	struct cg_limits *own;
	size_t len;
	int words = 0;
	char *copy;

	for (;; s += len, words++) {
		s += strspn(s, " \t");
		len = strcspn(s, " \t");
		if (!len)
			break;
		if (words == 0 ? !is_devnum(s, len) : !is_io_setting(s, len))
			return "expected \"MAJ:MIN KEY=VALUE...\" with KEY rbps, wbps, riops "
			       "or wiops and VALUE a number or max";
	}
	if (words < 2)
		return "expected \"MAJ:MIN KEY=VALUE...\" with KEY rbps, wbps, riops "
		       "or wiops and VALUE a number or max";
	copy = strdup(v);
	if (!copy || !(own = limits_own(p))) {
		free(copy);
		return cfg_oom;
	}
	free(own->io_max);
	own->io_max = copy;
	return NULL;
}

/* "N" or "A-B" with A <= B */
static bool is_cpu_range(const char *s, size_t len)
{
	char buf[48], *dash;
	int64_t a, b;

	if (len == 0 || len >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%.*s", (int)len, s);
	dash = strchr(buf, '-');
	if (!dash)
		return cfg_parse_int_range(buf, 0, 65535, &a) == 0;
	*dash = '\0';
	return cfg_parse_int_range(buf, 0, 65535, &a) == 0 &&
	       cfg_parse_int_range(dash + 1, 0, 65535, &b) == 0 && a <= b;
}

const char *cfg_set_cpuset_cpus(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	const char *s = v;
	struct cg_limits *own;
	char *copy;

	for (;;) {
		size_t len = strcspn(s, ",");

		if (!is_cpu_range(s, len))
			return "expected a CPU list such as 0-1,3";
		if (!s[len])
			break;
		s += len + 1;
	}
	copy = strdup(v);
	if (!copy || !(own = limits_own(p))) {
		free(copy);
		return cfg_oom;
	}
	free(own->cpuset_cpus);
	own->cpuset_cpus = copy;
	return NULL;
}
