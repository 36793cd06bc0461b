/*
 * sandbox.h: a worker's sandbox (otp.conf(5), SANDBOXING).
 *
 * otpd prepares what can be prepared before the clone (sandbox_prep.c: the
 * seccomp filter is built with libseccomp and exported to BPF once per
 * worker), so that the child only has to apply it.  The child applies
 * every step in this fixed order (sandbox_apply), each one failing the
 * start as start_failed:<step>:<errno text>; nothing is skipped:
 *
 *   1. namespaces    mount namespace (inaccessible_paths, read_only_paths,
 *                    private_devices, private_tmp), then private_network
 *   2. identity      supplementary_groups, group, user, umask, and HOME,
 *                    USER, LOGNAME, SHELL; capabilities stay in the
 *                    permitted set until step 4
 *   3. limits        rlimit_*, nice, oom_score_adj, cpu_affinity
 *   4. capabilities  the bounding set, then what the program starts with
 *                    (ambient capabilities for a user other than root)
 *   5. workdir
 *   6. no_new_privs  (implied by a seccomp filter without CAP_SYS_ADMIN)
 *   7. exec lookup   the program is found before the filter is loaded, so
 *                    a missing program is reported whatever the filter allows
 *   8. seccomp       last: the prepared BPF is loaded with seccomp(2)
 *   9. execve
 *
 * User and group names are resolved in the child (step 2) with NSS, never
 * in otpd, which may be PID 1.  NSS allocates, opens files and sockets and
 * may load modules, none of which a child sharing otpd's memory may do: a
 * worker with user, group or supplementary_groups is started by a copy of
 * single-threaded otpd (clone without CLONE_VM, spawn_fork_only()), where
 * that is safe.  Every other step is async-signal-safe and writes nothing
 * of otpd's but the plan made for this start, so that the other workers
 * can be started by a child sharing otpd's memory (spawn_child.h,
 * spawn_clone.c).  The filter, the one costly piece, is built in otpd
 * either way.
 */
#ifndef OTPD_INIT_SANDBOX_H
#define OTPD_INIT_SANDBOX_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

struct child_plan;

/* A seccomp filter ready for seccomp(2). */
struct sb_filter {
	struct sock_filter *insns;
	unsigned short len;
	unsigned n_syscalls;            /* distinct names allowed (allow) or refused (deny) */
	unsigned n_arches;
	uint32_t arches[4];             /* SCMP_ARCH_* the filter covers, native first */
};

/* What otpd keeps per worker (struct ws) for its starts. */
struct sb_prep {
	struct sb_filter filter;
	bool built;
	int *node_fds;                  /* the child's slots for inaccessible_paths */
};

/* --- otpd side ---------------------------------------------------------- */

/*
 * Make w's sandbox ready for a start and point the plan at it: 0, or
 * -errno with *ret_why naming the step ("seccomp").
 */
int sandbox_prepare(struct ws *w, struct child_plan *p, const char **ret_why);
/* Release what sandbox_prepare kept for w. */
void sandbox_free(struct ws *w);

/* sandbox_seccomp.c: build `c`'s filter.  0 or -errno (-E2BIG: too long). */
int sb_seccomp_build(const struct cfg_worker *c, struct sb_filter *ret);
void sb_filter_release(struct sb_filter *f);
/* "x86_64", "x86", ... for SCMP_ARCH_* (status). */
const char *sb_arch_name(uint32_t arch);

/*
 * status_sandbox.c: the sandbox of worker w, as a "sandbox" member of its
 * open JSON object, or as text lines (nothing for a worker without a
 * configuration).
 */
struct jbuf;
void status_sandbox_json(struct jbuf *b, struct ws *w);
void status_sandbox_text(struct jbuf *b, struct ws *w);

/* --- child side (never return on failure: child_fail) ------------------ */

void sandbox_apply(struct child_plan *p);
void sb_namespaces(struct child_plan *p);
size_t sb_strv_len(char *const *v);
void sb_private_devices(struct child_plan *p);
void sb_identity(struct child_plan *p);
void sb_limits_open(struct child_plan *p);
void sb_limits(struct child_plan *p);
void sb_capabilities(struct child_plan *p);
void sb_seccomp_load(struct child_plan *p);
/* Is `cap` in the effective set of this process? */
bool sb_cap_effective(int cap);

#endif
