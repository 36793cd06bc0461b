/*
 * libseccomp.c: libseccomp, loaded the first time a sandbox needs it.
 *
 * Most trees filter no system call, and a library mapped at start for
 * nothing costs otpd 8 KiB of private memory for good (its relocated and
 * data pages: issue 19, bench/PROFILE.md), a third of what stood between
 * otpd's base and s6's.  So the dynamic build dlopen()s it when a
 * configuration first names a system call or a worker's filter is first
 * built, and the static build (OTPD_STATIC) links it and calls it
 * directly.  The package still depends on libseccomp2 (pkg/deb.sh), and a
 * library that cannot be loaded is said as such, with dlerror()'s words.
 */
#include <dlfcn.h>
#include <seccomp.h>
#include <stddef.h>

#include "util.h"

#ifdef OTPD_STATIC

static const struct util_scmp linked = {
	.init = seccomp_init, .arch_add = seccomp_arch_add, .arch_native = seccomp_arch_native,
	.export_bpf = seccomp_export_bpf, .release = seccomp_release,
	.rule_add = seccomp_rule_add, .resolve_name = seccomp_syscall_resolve_name,
	.resolve_num_arch = seccomp_syscall_resolve_num_arch,
};

const struct util_scmp *util_libseccomp(const char **ret_why)
{
	return &linked;
}

#else

#define LIBSECCOMP_SONAME "libseccomp.so.2"

/* The symbol `name` into the function pointer at `slot` (POSIX's way:
 * dlsym returns an object pointer). */
static int sym(void *lib, const char *name, void *slot)
{
	void *p = dlsym(lib, name);

	if (!p)
		return -1;
	*(void **)slot = p;
	return 0;
}

static int bind_all(void *lib, struct util_scmp *s)
{
	return sym(lib, "seccomp_init", &s->init) | sym(lib, "seccomp_arch_add", &s->arch_add) |
	       sym(lib, "seccomp_arch_native", &s->arch_native) |
	       sym(lib, "seccomp_export_bpf", &s->export_bpf) |
	       sym(lib, "seccomp_release", &s->release) |
	       sym(lib, "seccomp_rule_add", &s->rule_add) |
	       sym(lib, "seccomp_syscall_resolve_name", &s->resolve_name) |
	       sym(lib, "seccomp_syscall_resolve_num_arch", &s->resolve_num_arch);
}

const struct util_scmp *util_libseccomp(const char **ret_why)
{
	static struct util_scmp s;
	void *lib;

	if (s.init)
		return &s;
	/* Tried again at each need: a library installed meanwhile is found
	 * at the next reload.  Never closed once bound: the filters otpd
	 * builds use it until it exits. */
	lib = dlopen(LIBSECCOMP_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (lib && bind_all(lib, &s) == 0)
		return &s;
	s = (struct util_scmp){ 0 };
	if (lib)
		dlclose(lib);
	if (ret_why)
		*ret_why = lib ? "libseccomp: a symbol is missing (libseccomp 2.5 or later needed)"
			       : "cannot load " LIBSECCOMP_SONAME " (install libseccomp2)";
	return NULL;
}

#endif
