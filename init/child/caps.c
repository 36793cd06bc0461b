/*
 * caps.c: step 4, capabilities (capabilities(7)).
 *
 * `capabilities` is what the worker keeps.  Everything else leaves the
 * bounding set, so that no later execve (set-user-ID root included) can
 * bring it back.  A worker that runs as root then starts with the kept
 * capabilities; one that runs as another user gets them as ambient
 * capabilities, the only kind that survives its execve.  A non-root worker
 * without `capabilities` ends with none, as after a plain setuid().
 */
#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"

struct sb_caps {
	uint64_t eff, prm, inh;
};

static int caps_get(struct sb_caps *c)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	c->eff = d[0].effective | (uint64_t)d[1].effective << 32;
	c->prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	c->inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static int caps_set(const struct sb_caps *c)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)c->eff, (uint32_t)c->prm, (uint32_t)c->inh },
		{ (uint32_t)(c->eff >> 32), (uint32_t)(c->prm >> 32), (uint32_t)(c->inh >> 32) },
	};

	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	return 0;
}

bool sb_cap_effective(int cap)
{
	struct sb_caps c;

	return caps_get(&c) == 0 && (c.eff & (1ULL << cap));
}

/* Drop from the bounding set every capability the kernel has but `keep` lacks. */
static int bounding_limit(uint64_t keep)
{
	for (int cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
			return 0;       /* EINVAL: past the kernel's last capability */
		if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -errno;
	}
	return 0;
}

/* The kept capabilities become ambient (each must be permitted and inheritable). */
static int ambient_raise(uint64_t keep)
{
	for (int cap = 0; cap < 64; cap++)
		if ((keep & (1ULL << cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return -errno;
	return 0;
}

static int caps_apply(const struct cfg_sandbox *sb)
{
	bool root = geteuid() == 0;
	uint64_t keep = sb->caps_set ? sb->caps : 0;
	struct sb_caps c;
	int r;

	if (sb->caps_set && (r = bounding_limit(keep)) < 0)
		return r;
	if (root && !sb->caps_set)
		return 0;               /* root, unrestricted: as otpd would start it */
	if ((r = caps_get(&c)) < 0)
		return r;
	if (!root && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return -errno;
	/* Root's execve grants the bounding set anyway; only `inheritable` could add more. */
	c = root ? (struct sb_caps){ c.eff & keep, c.prm & keep, c.inh & keep }
		 : (struct sb_caps){ keep, keep, keep };
	if ((r = caps_set(&c)) < 0)
		return r;
	if (!root && (r = ambient_raise(keep)) < 0)
		return r;
	return 0;
}

void sb_capabilities(struct child_plan *p)
{
	int r = caps_apply(cfg_worker_sandbox(p->cfg));

	if (r < 0)
		child_fail(p, "capabilities", -r);
	/* Step 2 kept the permitted set across setresuid(); that ends here. */
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		child_fail(p, "capabilities", errno);
}
