/* The sandbox keys of a worker: what they store, and every error. */
#include <linux/capability.h>
#include <sys/resource.h>

#include "cfgtest.h"

/* The sandbox of the one worker of a config with `keys` (*c to free). */
static const struct cfg_sandbox *sb_with(struct otp_config **c, const char *keys)
{
	return cfg_worker_sandbox(&worker_with(c, keys)->w);
}

Test(cfg_sandbox, defaults_change_nothing)
{
	struct otp_config *c;
	const struct cfg_sandbox *sb = sb_with(&c, "");

	cr_assert_null(sb->supplementary_groups);
	cr_assert_not(sb->groups_set);
	cr_assert_eq(sb->umask, -1);
	for (int r = 0; r < CFG_RLIMIT_N; r++)
		cr_assert_not(sb->rlimit[r].set);
	cr_assert_not(sb->nice_set || sb->oom_set || sb->affinity_set || sb->caps_set);
	cr_assert_not(sb->private_tmp || sb->private_network || sb->private_devices);
	cr_assert_null(sb->read_only_paths);
	cr_assert_null(sb->inaccessible_paths);
	cfg_free(c);
}

/* Settings are allocated only for a worker that sets a sandbox key (a
 * thousand plain workers would otherwise carry 600 bytes each). */
Test(cfg_sandbox, allocated_only_when_set)
{
	struct otp_config *c;

	cr_assert_null(worker_with(&c, "")->w.sb);
	cfg_free(c);
	cr_assert_not_null(worker_with(&c, "nice = 1")->w.sb);
	cfg_free(c);
}

Test(cfg_sandbox, identity)
{
	struct otp_config *c;
	const struct cfg_sandbox *sb;

	sb = sb_with(&c, "supplementary_groups = adm 44 video\numask = 0027");
	cr_assert(sb->groups_set);
	cr_assert_str_eq(sb->supplementary_groups[0], "adm");
	cr_assert_str_eq(sb->supplementary_groups[1], "44");
	cr_assert_str_eq(sb->supplementary_groups[2], "video");
	cr_assert_null(sb->supplementary_groups[3]);
	cr_assert_eq(sb->umask, 027);
	cfg_free(c);
	/* Empty: no supplementary groups at all (not "the user's"). */
	sb = sb_with(&c, "supplementary_groups =\numask = 0");
	cr_assert(sb->groups_set);
	cr_assert_null(sb->supplementary_groups);
	cr_assert_eq(sb->umask, 0);
	cfg_free(c);
}

Test(cfg_sandbox, rlimits)
{
	struct otp_config *c;
	const struct cfg_sandbox *sb;

	sb = sb_with(&c, "rlimit_nofile = 1024:4096\nrlimit_nproc = 64\nrlimit_core = 0\n"
		     "rlimit_as = 512M:infinity\nrlimit_cpu = 10min\nrlimit_stack = 8M\n"
		     "rlimit_memlock = unlimited\nrlimit_rttime = 500000\nrlimit_nice = 40");
	cr_assert(sb->rlimit[RLIMIT_NOFILE].set);
	cr_assert_eq(sb->rlimit[RLIMIT_NOFILE].cur, 1024);
	cr_assert_eq(sb->rlimit[RLIMIT_NOFILE].max, 4096);
	cr_assert_eq(sb->rlimit[RLIMIT_NPROC].cur, 64);
	cr_assert_eq(sb->rlimit[RLIMIT_NPROC].max, 64);
	cr_assert(sb->rlimit[RLIMIT_CORE].set);
	cr_assert_eq(sb->rlimit[RLIMIT_CORE].max, 0);
	cr_assert_eq(sb->rlimit[RLIMIT_AS].cur, 512ULL << 20);
	cr_assert_eq(sb->rlimit[RLIMIT_AS].max, CFG_RLIM_INFINITY);
	cr_assert_eq(sb->rlimit[RLIMIT_CPU].cur, 600);
	cr_assert_eq(sb->rlimit[RLIMIT_STACK].max, 8ULL << 20);
	cr_assert_eq(sb->rlimit[RLIMIT_MEMLOCK].cur, CFG_RLIM_INFINITY);
	cr_assert_eq(sb->rlimit[RLIMIT_RTTIME].cur, 500000);
	cr_assert_eq(sb->rlimit[RLIMIT_NICE].cur, 40);
	cr_assert_not(sb->rlimit[RLIMIT_DATA].set);
	cfg_free(c);
	sb = sb_with(&c, "rlimit_cpu = 30");
	cr_assert_eq(sb->rlimit[RLIMIT_CPU].cur, 30, "a bare number is seconds, as ulimit -t");
	cfg_free(c);
}

Test(cfg_sandbox, every_rlimit_has_a_key)
{
	static const char *const keys[] = {
		"rlimit_as", "rlimit_core", "rlimit_cpu", "rlimit_data", "rlimit_fsize",
		"rlimit_locks", "rlimit_memlock", "rlimit_msgqueue", "rlimit_nice", "rlimit_nofile",
		"rlimit_nproc", "rlimit_rss", "rlimit_rtprio", "rlimit_rttime", "rlimit_sigpending",
		"rlimit_stack",
	};
	bool seen[CFG_RLIMIT_N] = { false };

	cr_assert_eq(RLIMIT_NLIMITS, CFG_RLIMIT_N);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct otp_config *c;
		char kv[64];
		int hits = 0;

		snprintf(kv, sizeof(kv), "%s = 1", keys[i]);
		const struct cfg_sandbox *sb = sb_with(&c, kv);

		for (int r = 0; r < CFG_RLIMIT_N; r++) {
			if (!sb->rlimit[r].set)
				continue;
			hits++;
			seen[r] = true;
			cr_assert_str_eq(cfg_rlimit_key(r), keys[i]);
		}
		cr_assert_eq(hits, 1, "%s sets exactly one limit", keys[i]);
		cfg_free(c);
	}
	for (int r = 0; r < CFG_RLIMIT_N; r++)
		cr_assert(seen[r], "RLIMIT %d has no key", r);
}

Test(cfg_sandbox, scheduling)
{
	struct otp_config *c;
	const struct cfg_sandbox *sb;

	sb = sb_with(&c, "nice = -5\noom_score_adj = 500\ncpu_affinity = 0-2,5,1023");
	cr_assert(sb->nice_set);
	cr_assert_eq(sb->nice, -5);
	cr_assert(sb->oom_set);
	cr_assert_eq(sb->oom_score_adj, 500);
	cr_assert(sb->affinity_set);
	cr_assert_eq(sb->affinity[0], 0x27);
	cr_assert_eq(sb->affinity[15], 1ULL << 63);
	cfg_free(c);
	sb = sb_with(&c, "nice = 19\noom_score_adj = -1000");
	cr_assert_eq(sb->nice, 19);
	cr_assert_eq(sb->oom_score_adj, -1000);
	cfg_free(c);
}

Test(cfg_sandbox, capabilities)
{
	struct otp_config *c;
	const struct cfg_sandbox *sb;

	sb = sb_with(&c, "capabilities = CAP_NET_BIND_SERVICE net_raw Cap_Kill");
	cr_assert(sb->caps_set);
	cr_assert_eq(sb->caps, (1ULL << CAP_NET_BIND_SERVICE) | (1ULL << CAP_NET_RAW) |
				       (1ULL << CAP_KILL));
	cfg_free(c);
	/* Empty: keep nothing. */
	sb = sb_with(&c, "capabilities =");
	cr_assert(sb->caps_set);
	cr_assert_eq(sb->caps, 0);
	cfg_free(c);
}

Test(cfg_sandbox, capability_names)
{
	int cap;

	for (int i = 0; i <= CAP_LAST_CAP; i++) {
		cr_assert_not_null(cfg_cap_name(i), "capability %d has no name", i);
		cr_assert_eq(cfg_parse_cap(cfg_cap_name(i), &cap), 0);
		cr_assert_eq(cap, i);
	}
	cr_assert_null(cfg_cap_name(CAP_LAST_CAP + 1));
	cr_assert_null(cfg_cap_name(-1));
	cr_assert_str_eq(cfg_cap_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
	cr_assert_eq(cfg_parse_cap("sys_admin", &cap), 0);
	cr_assert_eq(cap, CAP_SYS_ADMIN);
	cr_assert_eq(cfg_parse_cap("CAP_", &cap), -EINVAL);
	cr_assert_eq(cfg_parse_cap("CAP_FLY", &cap), -EINVAL);
}

Test(cfg_sandbox, namespaces)
{
	struct otp_config *c;
	const struct cfg_sandbox *sb;

	sb = sb_with(&c, "private_tmp = true\nprivate_network = yes\nprivate_devices = 1\n"
		     "read_only_paths = / \"/srv/my data\" -/opt/maybe\n"
		     "inaccessible_paths = /root /etc/shadow");
	cr_assert(sb->private_tmp && sb->private_network && sb->private_devices);
	cr_assert_str_eq(sb->read_only_paths[0], "/");
	cr_assert_str_eq(sb->read_only_paths[1], "/srv/my data");
	cr_assert_str_eq(sb->read_only_paths[2], "-/opt/maybe");
	cr_assert_null(sb->read_only_paths[3]);
	cr_assert_str_eq(sb->inaccessible_paths[0], "/root");
	cr_assert_str_eq(sb->inaccessible_paths[1], "/etc/shadow");
	cr_assert_null(sb->inaccessible_paths[2]);
	cfg_free(c);
}

Test(cfg_sandbox, seccomp_names_are_checked)
{
	struct otp_config *c;
	const struct cfg_node *w;

	w = worker_with(&c, "seccomp_allow = @system-service socketcall mmap2 clone3");
	cr_assert_eq(w->w.seccomp, CFG_SECCOMP_ALLOW, "calls of other architectures are known");
	cfg_free(c);
}

#define W "[worker w]\nexec = x\n"      /* the bad key is on line 3 */

static const struct { const char *text, *msg; } bad[] = {
	{ W "supplementary_groups = a:b", "t.conf:3: supplementary_groups: expected group names or numbers, got \"a:b\"" },
	{ W "umask = 0999", "t.conf:3: umask: expected an octal mode from 0000 to 0777, as 0027, got \"0999\"" },
	{ W "umask = 01000", "t.conf:3: umask: expected an octal mode from 0000 to 0777, as 0027, got \"01000\"" },
	{ W "umask = -1", "t.conf:3: umask: expected an octal mode from 0000 to 0777, as 0027, got \"-1\"" },
	{ W "rlimit_nofile = 10:5", "t.conf:3: rlimit_nofile: the soft limit is above the hard limit, got \"10:5\"" },
	{ W "rlimit_nofile = 1k", "t.conf:3: rlimit_nofile: expected a number or infinity, or SOFT:HARD (as 1024:4096), got \"1k\"" },
	{ W "rlimit_nofile = 1:2:3", "t.conf:3: rlimit_nofile: expected a number or infinity, or SOFT:HARD (as 1024:4096), got \"1:2:3\"" },
	{ W "rlimit_as = lots", "t.conf:3: rlimit_as: expected a size or infinity, or SOFT:HARD (as 64M:1G), got \"lots\"" },
	{ W "rlimit_cpu = 1500ms", "t.conf:3: rlimit_cpu: expected seconds (or a duration in whole seconds) or infinity, or SOFT:HARD, got \"1500ms\"" },
	{ W "rlimit_core = infinity:0", "t.conf:3: rlimit_core: the soft limit is above the hard limit, got \"infinity:0\"" },
	{ W "rlimit_files = 5", "t.conf:3: rlimit_files: unknown key in a [worker] section, got \"5\"" },
	{ W "nice = 20", "t.conf:3: nice: expected a number from -20 to 19, got \"20\"" },
	{ W "nice = -21", "t.conf:3: nice: expected a number from -20 to 19, got \"-21\"" },
	{ W "nice = low", "t.conf:3: nice: expected a number from -20 to 19, got \"low\"" },
	{ W "oom_score_adj = 1001", "t.conf:3: oom_score_adj: expected a number from -1000 to 1000, got \"1001\"" },
	{ W "cpu_affinity = 1024", "t.conf:3: cpu_affinity: expected CPU numbers (0 to 1023) and ranges, as 0-1,3, got \"1024\"" },
	{ W "cpu_affinity = 3-1", "t.conf:3: cpu_affinity: expected CPU numbers (0 to 1023) and ranges, as 0-1,3, got \"3-1\"" },
	{ W "cpu_affinity = 0,", "t.conf:3: cpu_affinity: expected CPU numbers (0 to 1023) and ranges, as 0-1,3, got \"0,\"" },
	{ W "capabilities = CAP_FLY", "t.conf:3: capabilities: expected capability names, as CAP_NET_BIND_SERVICE, got \"CAP_FLY\"" },
	{ W "private_tmp = maybe", "t.conf:3: private_tmp: expected true or false, got \"maybe\"" },
	{ W "private_network = 2", "t.conf:3: private_network: expected true or false, got \"2\"" },
	{ W "read_only_paths = etc", "t.conf:3: read_only_paths: expected absolute paths (each prefixed with - when it may be missing), got \"etc\"" },
	{ W "read_only_paths =", "t.conf:3: read_only_paths: expected absolute paths (each prefixed with - when it may be missing), got \"\"" },
	{ W "inaccessible_paths = /a '/b", "t.conf:3: inaccessible_paths: expected absolute paths (each prefixed with - when it may be missing), got \"/a '/b\"" },
	{ W "seccomp_deny = ptrace fly", "t.conf:3: seccomp_deny: unknown system call \"fly\", got \"ptrace fly\"" },
	{ W "seccomp_allow = @default @nope", "t.conf:3: seccomp_allow: unknown system call group \"@nope\" (otp.conf(5) lists them), got \"@default @nope\"" },
	{ "[supervisor s]\nnice = 1\n", "t.conf:2: nice: invalid key in a [supervisor] section, got \"1\"" },
	{ "[otpd]\nprivate_tmp = true\n", "t.conf:2: private_tmp: invalid key in a [otpd] section, got \"true\"" },
	{ W "umask = 022\numask = 077", "t.conf:4: umask: duplicate key, first set at t.conf:3, got \"077\"" },
};

Test(cfg_sandbox, errors)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(bad[i].text, bad[i].msg);
}

Test(cfg_sandbox, all_errors_of_a_section_together)
{
	struct cfg_errors e = load_bad(W "nice = 99\numask = x\ncapabilities = nope\n");

	cr_assert_eq(e.n, 3);
	cfg_errors_clear(&e);
}
