/*
 * keys_sandbox.c: the [worker] keys of the sandbox (otp.conf(5),
 * SANDBOXING): identity, limits, capabilities and namespaces.
 *
 * They have a key table of their own: cfg_key_dispatch() asks
 * cfg_sb_dispatch() about any name its own table does not know, and the
 * same rules apply (worker sections only, no duplicates).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "internal.h"

/* Which setter a key has (a switch in sb_key_set, not function pointers: below). */
enum sb_kind { SB_GROUPS, SB_UMASK, SB_NICE, SB_OOM, SB_AFFINITY, SB_CAPS, SB_FLAG, SB_PATHS,
	       SB_RLIMIT };

struct sb_key {
	char name[24];                  /* the longest is "supplementary_groups" */
	enum sb_kind kind;
	int arg;
};

static const char *set_groups(struct cfg_sandbox *sb, const char *v, int arg);
static const char *set_umask(struct cfg_sandbox *sb, const char *v, int arg);
static const char *set_nice(struct cfg_sandbox *sb, const char *v, int arg);
static const char *set_oom(struct cfg_sandbox *sb, const char *v, int arg);
static const char *set_affinity(struct cfg_sandbox *sb, const char *v, int arg);
static const char *set_caps(struct cfg_sandbox *sb, const char *v, int arg);
static const char *set_flag(struct cfg_sandbox *sb, const char *v, int arg);
static const char *set_paths(struct cfg_sandbox *sb, const char *v, int arg);

enum { SB_PRIVATE_TMP, SB_PRIVATE_NETWORK, SB_PRIVATE_DEVICES };
enum { SB_READ_ONLY, SB_INACCESSIBLE };

/* No pointers: stays in .rodata, not relocated at start (issue 19, bench/PROFILE.md). */
static const struct sb_key sb_keys[] = {
	{ "supplementary_groups", SB_GROUPS, 0 },
	{ "umask", SB_UMASK, 0 },
	{ "nice", SB_NICE, 0 },
	{ "oom_score_adj", SB_OOM, 0 },
	{ "cpu_affinity", SB_AFFINITY, 0 },
	{ "capabilities", SB_CAPS, 0 },
	{ "private_tmp", SB_FLAG, SB_PRIVATE_TMP },
	{ "private_network", SB_FLAG, SB_PRIVATE_NETWORK },
	{ "private_devices", SB_FLAG, SB_PRIVATE_DEVICES },
	{ "read_only_paths", SB_PATHS, SB_READ_ONLY },
	{ "inaccessible_paths", SB_PATHS, SB_INACCESSIBLE },
	{ "rlimit_as", SB_RLIMIT, RLIMIT_AS },
	{ "rlimit_core", SB_RLIMIT, RLIMIT_CORE },
	{ "rlimit_cpu", SB_RLIMIT, RLIMIT_CPU },
	{ "rlimit_data", SB_RLIMIT, RLIMIT_DATA },
	{ "rlimit_fsize", SB_RLIMIT, RLIMIT_FSIZE },
	{ "rlimit_locks", SB_RLIMIT, RLIMIT_LOCKS },
	{ "rlimit_memlock", SB_RLIMIT, RLIMIT_MEMLOCK },
	{ "rlimit_msgqueue", SB_RLIMIT, RLIMIT_MSGQUEUE },
	{ "rlimit_nice", SB_RLIMIT, RLIMIT_NICE },
	{ "rlimit_nofile", SB_RLIMIT, RLIMIT_NOFILE },
	{ "rlimit_nproc", SB_RLIMIT, RLIMIT_NPROC },
	{ "rlimit_rss", SB_RLIMIT, RLIMIT_RSS },
	{ "rlimit_rtprio", SB_RLIMIT, RLIMIT_RTPRIO },
	{ "rlimit_rttime", SB_RLIMIT, RLIMIT_RTTIME },
	{ "rlimit_sigpending", SB_RLIMIT, RLIMIT_SIGPENDING },
	{ "rlimit_stack", SB_RLIMIT, RLIMIT_STACK },
};

#define SB_N_KEYS (sizeof(sb_keys) / sizeof(sb_keys[0]))
_Static_assert(SB_N_KEYS <= CFG_SB_KEYS_MAX, "struct cfg_sb_seen is too small");

const char *cfg_rlimit_key(int resource)
{
	for (size_t i = 0; i < SB_N_KEYS; i++)
		if (sb_keys[i].kind == SB_RLIMIT && sb_keys[i].arg == resource)
			return sb_keys[i].name;
	return NULL;
}

/* Every setting at its default: what a worker without sandbox keys gets. */
static const struct cfg_sandbox sb_defaults = { .umask = -1 };

const struct cfg_sandbox *cfg_worker_sandbox(const struct cfg_worker *w)
{
	return w->sb ? w->sb : &sb_defaults;
}

/* w's own settings, allocated at its first sandbox key.  NULL: ENOMEM. */
static struct cfg_sandbox *sb_own(struct cfg_worker *w)
{
	if (!w->sb && (w->sb = malloc(sizeof(*w->sb))))
		*w->sb = sb_defaults;
	return w->sb;
}

void cfg_sandbox_free(struct cfg_sandbox *sb)
{
	if (!sb)
		return;
	cfg_strv_free(sb->supplementary_groups);
	cfg_strv_free(sb->read_only_paths);
	cfg_strv_free(sb->inaccessible_paths);
	free(sb);
}

/* Words of `v`, each checked by ok(); *ret_v is written only on success. */
static const char *split_checked(const char *v, bool (*ok)(const char *w), const char *why,
				 char ***ret_v)
{
	char **words;
	int n;

	switch (cfg_split_words(v, &words, &n)) {
	case 0:
		break;
	case -ENOMEM:
		return cfg_oom;
	default:
		return why;
	}
	if (n == 0) {
		cfg_strv_free(words);
		return why;
	}
	for (char **w = words; *w; w++) {
		if (!ok(*w)) {
			cfg_strv_free(words);
			return why;
		}
	}
	*ret_v = words;
	return NULL;
}

/* Empty: no supplementary groups at all. */
static const char *set_groups(struct cfg_sandbox *sb, const char *v, int arg)
{
	char **words = NULL;
	const char *msg = NULL;

	if (*v)
		msg = split_checked(v, cfg_is_account, "expected group names or numbers", &words);
	if (msg)
		return msg;
	cfg_strv_free(sb->supplementary_groups);
	sb->supplementary_groups = words;
	sb->groups_set = true;
	return NULL;
}

static const char *set_umask(struct cfg_sandbox *sb, const char *v, int arg)
{
	char *end;
	unsigned long m;

	errno = 0;
	m = strtoul(v, &end, 8);
	if (!*v || *end || errno || m > 0777 || strspn(v, "01234567") != strlen(v))
		return "expected an octal mode from 0000 to 0777, as 0027";
	sb->umask = (int)m;
	return NULL;
}

/* A signed decimal in [lo, hi]. */
static int parse_signed(const char *v, int lo, int hi, int *ret)
{
	int64_t n;
	bool neg = v[0] == '-';

	if (cfg_parse_int_range(v + (neg || v[0] == '+'), 0, 100000, &n) < 0)
		return -EINVAL;
	n = neg ? -n : n;
	if (n < lo || n > hi)
		return -ERANGE;
	*ret = (int)n;
	return 0;
}

static const char *set_nice(struct cfg_sandbox *sb, const char *v, int arg)
{
	if (parse_signed(v, -20, 19, &sb->nice) < 0)
		return "expected a number from -20 to 19";
	sb->nice_set = true;
	return NULL;
}

static const char *set_oom(struct cfg_sandbox *sb, const char *v, int arg)
{
	if (parse_signed(v, -1000, 1000, &sb->oom_score_adj) < 0)
		return "expected a number from -1000 to 1000";
	sb->oom_set = true;
	return NULL;
}

/* "0-1,3": CPU numbers and ranges separated by commas. */
static int parse_cpus(const char *v, uint64_t *mask)
{
	char buf[1024], *save = NULL, *tok;
	int64_t a, b;

	if (!*v || strlen(v) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, v);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');

		if (dash)
			*dash = '\0';
		if (cfg_parse_int_range(tok, 0, CFG_CPU_MAX - 1, &a) < 0 ||
		    cfg_parse_int_range(dash ? dash + 1 : tok, a, CFG_CPU_MAX - 1, &b) < 0)
			return -EINVAL;
		for (int64_t c = a; c <= b; c++)
			mask[c / 64] |= 1ULL << (c % 64);
	}
	return v[strlen(v) - 1] == ',' ? -EINVAL : 0;
}

static const char *set_affinity(struct cfg_sandbox *sb, const char *v, int arg)
{
	uint64_t mask[CFG_CPU_MAX / 64] = { 0 };

	if (parse_cpus(v, mask) < 0)
		return "expected CPU numbers (0 to 1023) and ranges, as 0-1,3";
	memcpy(sb->affinity, mask, sizeof(mask));
	sb->affinity_set = true;
	return NULL;
}

/* Empty: the worker keeps no capability at all. */
static const char *set_caps(struct cfg_sandbox *sb, const char *v, int arg)
{
	char **words;
	uint64_t caps = 0;
	int n, cap;

	if (cfg_split_list(v, &words, &n) < 0)
		return cfg_oom;
	for (int i = 0; i < n; i++) {
		if (cfg_parse_cap(words[i], &cap) < 0) {
			cfg_strv_free(words);
			return "expected capability names, as CAP_NET_BIND_SERVICE";
		}
		caps |= 1ULL << cap;
	}
	cfg_strv_free(words);
	sb->caps = caps;
	sb->caps_set = true;
	return NULL;
}

static const char *set_flag(struct cfg_sandbox *sb, const char *v, int arg)
{
	bool *dst = arg == SB_PRIVATE_TMP ? &sb->private_tmp :
		    arg == SB_PRIVATE_NETWORK ? &sb->private_network : &sb->private_devices;

	if (cfg_parse_bool(v, dst) < 0)
		return "expected true or false";
	return NULL;
}

static bool path_word(const char *w)
{
	return cfg_is_abs_path(w[0] == '-' ? w + 1 : w);
}

static const char *set_paths(struct cfg_sandbox *sb, const char *v, int arg)
{
	char ***dst = arg == SB_READ_ONLY ? &sb->read_only_paths : &sb->inaccessible_paths;
	char **words = NULL;
	const char *msg;

	msg = split_checked(v, path_word,
			    "expected absolute paths (each prefixed with - when it may be missing)",
			    &words);
	if (msg)
		return msg;
	cfg_strv_free(*dst);
	*dst = words;
	return NULL;
}

/* Set key `k` from v: NULL, cfg_oom or why not (static text). */
static const char *sb_key_set(const struct sb_key *k, struct cfg_sandbox *sb, const char *v)
{
	switch (k->kind) {
	case SB_GROUPS: return set_groups(sb, v, k->arg);
	case SB_UMASK: return set_umask(sb, v, k->arg);
	case SB_NICE: return set_nice(sb, v, k->arg);
	case SB_OOM: return set_oom(sb, v, k->arg);
	case SB_AFFINITY: return set_affinity(sb, v, k->arg);
	case SB_CAPS: return set_caps(sb, v, k->arg);
	case SB_FLAG: return set_flag(sb, v, k->arg);
	case SB_PATHS: return set_paths(sb, v, k->arg);
	case SB_RLIMIT: return cfg_sb_set_rlimit(sb, v, k->arg);
	}
	return "unknown key";           /* not reached: every kind has a case */
}

static const struct sb_key *sb_lookup(const char *name, int *ret_k)
{
	for (size_t k = 0; k < SB_N_KEYS; k++) {
		if (strcmp(sb_keys[k].name, name) == 0) {
			*ret_k = (int)k;
			return &sb_keys[k];
		}
	}
	return NULL;
}

bool cfg_sb_dispatch(struct cfg_ctx *x, const char *name, const char *value)
{
	struct cfg_pnode *p = x->cur == CFG_NONE ? NULL : &x->pn[x->cur];
	const struct sb_key *key;
	struct cfg_sandbox *sb;
	const char *msg;
	int k;

	if (!(key = sb_lookup(name, &k)))
		return false;
	if (x->sec != CFG_SEC_WORKER || !p) {
		cfg_err(x, x->file, x->line, name, value, "invalid key in a %s section",
			x->sec == CFG_SEC_OTPD ? "[otpd]" : "[supervisor]");
		return true;
	}
	if (p->sb_seen.bits & (1ULL << k)) {
		cfg_err(x, x->file, x->line, name, value, "duplicate key, first set at %s:%d",
			p->node.file, p->sb_seen.line[k]);
		return true;
	}
	p->sb_seen.bits |= 1ULL << k;
	p->sb_seen.line[k] = x->line;
	sb = sb_own(&p->node.w);
	msg = sb ? sb_key_set(key, sb, value) : cfg_oom;
	if (msg == cfg_oom)
		x->oom = true;
	else if (msg)
		cfg_err(x, x->file, x->line, name, value, "%s", msg);
	return true;
}
