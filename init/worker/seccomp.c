/*
 * seccomp.c: the seccomp filter.
 *
 * otpd builds it with libseccomp and exports it as BPF (once per worker,
 * sandbox_prep.c); the child only hands the program to seccomp(2), the last
 * step before execve.  libseccomp allocates and builds trees, which is no
 * work for a process between clone and execve.
 *
 * The filter covers the native architecture and the compat ones it can
 * run (x86 and x32 beside x86_64, ...), by name: libseccomp maps each name
 * to each architecture's number.
 *
 *   seccomp_deny   the listed calls get the action; everything else runs.
 *   seccomp_allow  the listed calls and @default run.  Every other call
 *                  libseccomp knows gets the action; a call it does not
 *                  know (newer than this otpd's libseccomp) fails with
 *                  ENOSYS, so that libc falls back to an older one, as
 *                  glibc does from clone3 to clone.  For the same reason
 *                  clone3 fails with ENOSYS when clone is allowed and
 *                  clone3 is not.  With `log`, nothing is refused: calls
 *                  outside the list are logged.
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../util/util.h"
#include "spawn.h"

/* Highest system call number looked up when listing what libseccomp knows. */
#define SB_NR_MAX 1024
#define SB_X32_BIT 0x40000000

struct sb_arch {
	uint32_t native;
	char name[12];                  /* the longest is "ppc64le" */
	uint32_t compat[3];             /* 0-terminated */
	char compat_names[3][12];
};

/* No pointers: stays in .rodata, not relocated at start (issue 19, bench/PROFILE.md). */
static const struct sb_arch sb_arches[] = {
	{ SCMP_ARCH_X86_64, "x86_64", { SCMP_ARCH_X86, SCMP_ARCH_X32 }, { "x86", "x32" } },
	{ SCMP_ARCH_AARCH64, "aarch64", { SCMP_ARCH_ARM }, { "arm" } },
	{ SCMP_ARCH_S390X, "s390x", { SCMP_ARCH_S390 }, { "s390" } },
	{ SCMP_ARCH_PPC64, "ppc64", { SCMP_ARCH_PPC }, { "ppc" } },
	{ SCMP_ARCH_X86, "x86", { 0 }, { "" } },
	{ SCMP_ARCH_ARM, "arm", { 0 }, { "" } },
	{ SCMP_ARCH_PPC64LE, "ppc64le", { 0 }, { "" } },
	{ SCMP_ARCH_RISCV64, "riscv64", { 0 }, { "" } },
};

const char *sb_arch_name(uint32_t arch)
{
	for (size_t i = 0; i < sizeof(sb_arches) / sizeof(sb_arches[0]); i++) {
		if (sb_arches[i].native == arch)
			return sb_arches[i].name;
		for (int j = 0; sb_arches[i].compat[j]; j++)
			if (sb_arches[i].compat[j] == arch)
				return sb_arches[i].compat_names[j];
	}
	return "unknown";
}

/* A set of system call names (few hundred: a plain array is enough). */
struct sb_names {
	const char **v;
	size_t n, cap;
};

static bool names_has(const struct sb_names *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0)
			return true;
	return false;
}

/* cfg_seccomp_expand() callback: add a name (pointers into the config, kept). */
static int names_add(const char *name, void *data)
{
	struct sb_names *s = data;

	if (names_has(s, name))
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		const char **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = name;
	return 0;
}

static uint32_t action_of(const struct cfg_worker *c)
{
	switch (c->seccomp_action) {
	case CFG_SECCOMP_ERRNO: return SCMP_ACT_ERRNO((uint32_t)c->seccomp_errno);
	case CFG_SECCOMP_LOG: return SCMP_ACT_LOG;
	case CFG_SECCOMP_KILL: break;
	}
	return SCMP_ACT_KILL_PROCESS;
}

/* libseccomp, bound by sb_seccomp_build for the helpers below (util_libseccomp). */
static const struct util_scmp *lib;

/* A rule for `name` on every architecture of the filter; unknown names are skipped. */
static int rule(scmp_filter_ctx ctx, uint32_t act, const char *name)
{
	int nr = lib->resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return 0;
	return lib->rule_add(ctx, act, nr, 0);
}

static int add_arches(scmp_filter_ctx ctx, struct sb_filter *f)
{
	uint32_t native = lib->arch_native();
	int r;

	f->arches[f->n_arches++] = native;
	for (size_t i = 0; i < sizeof(sb_arches) / sizeof(sb_arches[0]); i++) {
		if (sb_arches[i].native != native)
			continue;
		for (int j = 0; sb_arches[i].compat[j]; j++) {
			r = lib->arch_add(ctx, sb_arches[i].compat[j]);
			if (r < 0 && r != -EEXIST)
				return r;
			f->arches[f->n_arches++] = sb_arches[i].compat[j];
		}
	}
	return 0;
}

/* Every call libseccomp knows on one architecture, outside `allowed`, gets `act`. */
static int refuse_others(scmp_filter_ctx ctx, uint32_t arch, const struct sb_names *allowed,
			 uint32_t act, bool clone3_enosys)
{
	uint32_t bit = arch == SCMP_ARCH_X32 ? SB_X32_BIT : 0;
	int r = 0;

	for (int nr = 0; nr < SB_NR_MAX && r == 0; nr++) {
		char *name = lib->resolve_num_arch(arch, (int)(nr | bit));

		if (!name)
			continue;
		/* No rule at all for clone3 leaves it to the default: ENOSYS. */
		if (!names_has(allowed, name) && !(clone3_enosys && strcmp(name, "clone3") == 0))
			r = rule(ctx, act, name);
		free(name);
	}
	return r;
}

static int fill_rules(scmp_filter_ctx ctx, const struct cfg_worker *c, struct sb_filter *f,
		      struct sb_names *names)
{
	char *base[] = { CFG_SECCOMP_BASE, NULL };
	uint32_t act = action_of(c);
	bool clone3_enosys;
	int r;

	if ((r = cfg_seccomp_expand(c->seccomp_list, names_add, names)) < 0)
		return r;
	f->n_syscalls = (unsigned)names->n;
	if (c->seccomp == CFG_SECCOMP_DENY) {
		for (size_t i = 0; i < names->n && r == 0; i++)
			r = rule(ctx, act, names->v[i]);
		return r;
	}
	if ((r = cfg_seccomp_expand(base, names_add, names)) < 0)
		return r;
	f->n_syscalls = (unsigned)names->n;
	for (size_t i = 0; i < names->n && r == 0; i++)
		r = rule(ctx, SCMP_ACT_ALLOW, names->v[i]);
	if (c->seccomp_action == CFG_SECCOMP_LOG ||
	    (c->seccomp_action == CFG_SECCOMP_ERRNO && c->seccomp_errno == ENOSYS))
		return r;       /* the default action covers the rest already */
	clone3_enosys = names_has(names, "clone") && !names_has(names, "clone3");
	for (unsigned a = 0; a < f->n_arches && r == 0; a++)
		r = refuse_others(ctx, f->arches[a], names, act, clone3_enosys);
	return r;
}

/* The BPF program of `ctx`, through a memfd (libseccomp 2.5 exports to a descriptor). */
static int export_bpf(scmp_filter_ctx ctx, struct sb_filter *f)
{
	int fd = memfd_create("otpd-seccomp", MFD_CLOEXEC), r = 0;
	off_t size;

	if (fd < 0)
		return -errno;
	if ((r = lib->export_bpf(ctx, fd)) < 0)
		goto out_close;
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % (off_t)sizeof(struct sock_filter) ||
	    size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
		r = size < 0 ? -errno : -E2BIG;
		goto out_close;
	}
	f->insns = malloc((size_t)size);
	if (!f->insns) {
		r = -ENOMEM;
		goto out_close;
	}
	if (pread(fd, f->insns, (size_t)size, 0) != size) {
		r = -EIO;
		free(f->insns);
		f->insns = NULL;
		goto out_close;
	}
	f->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
out_close:
	close(fd);
	return r;
}

int sb_seccomp_build(const struct cfg_worker *c, struct sb_filter *ret)
{
	struct sb_filter f = { 0 };
	struct sb_names names = { 0 };
	uint32_t dflt;
	scmp_filter_ctx ctx;
	int r;

	if (c->seccomp == CFG_SECCOMP_NONE)
		return -EINVAL;
	if (!(lib = util_libseccomp(NULL)))
		return -ELIBACC;
	dflt = c->seccomp == CFG_SECCOMP_DENY ? SCMP_ACT_ALLOW :
	       c->seccomp_action == CFG_SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_ERRNO(ENOSYS);
	ctx = lib->init(dflt);
	if (!ctx)
		return -ENOMEM;
	if ((r = add_arches(ctx, &f)) == 0 && (r = fill_rules(ctx, c, &f, &names)) == 0)
		r = export_bpf(ctx, &f);
	lib->release(ctx);
	free(names.v);
	if (r < 0)
		return r;
	*ret = f;
	return 0;
}

void sb_filter_release(struct sb_filter *f)
{
	free(f->insns);
	memset(f, 0, sizeof(*f));
}
