/*
 * child.h: what a worker's process does between clone and execve.
 *
 * Everything in init/child/ runs in the child.  Most workers are started by
 * a child that shares otpd's memory while otpd waits (CLONE_VM |
 * CLONE_VFORK, worker/clone.c): it may only do async-signal-safe work (no
 * malloc, no stdio, no NSS), with everything prepared by otpd in a struct
 * child_plan, and it writes to otpd's memory only the plan itself, which
 * otpd made for this one start, and the LISTEN_PID= entry of the
 * environment built for it.  Workers that need NSS (user, group,
 * supplementary_groups: identity.c) or whose set-up may wait for another
 * process (file: outputs) are started by a copy of otpd instead
 * (worker.h: spawn_fork_only()).  Nothing here calls into the rest of
 * otpd.
 *
 * The sandbox (otp.conf(5), SANDBOXING) is applied in this fixed order
 * (sandbox.c), each step failing the start as start_failed:<step>:<errno>:
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
 *   8. seccomp       last: the BPF otpd prepared is loaded with seccomp(2)
 *   9. execve
 *
 * A step that fails is reported as STEP and an errno: into the plan when
 * the memory is shared (otpd reads it when the child has exec'd or
 * exited), else as "ERRNO:STEP" on the close-on-exec exec-result pipe;
 * otpd turns it into start_failed:STEP:<errno text>.
 */
#ifndef OTPD_INIT_CHILD_H
#define OTPD_INIT_CHILD_H

#include <linux/filter.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include "../../config/config.h"

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)   /* Linux 5.9 */
#endif

/* A seccomp filter ready for seccomp(2), built by otpd (worker/seccomp.c). */
struct sb_filter {
	struct sock_filter *insns;
	unsigned short len;
	unsigned n_syscalls;            /* distinct names allowed (allow) or refused (deny) */
	unsigned n_arches;
	uint32_t arches[4];             /* SCMP_ARCH_* the filter covers, native first */
};

/* Everything one start needs, prepared by otpd (worker/spawn.c). */
struct child_plan {
	const struct cfg_worker *cfg;
	char **argv;
	char **envp;
	int exec_fd;            /* write end of the exec-result pipe (cloexec), or -1: */
	const char *fail_step;  /* ... the child reports here (shared memory) */
	int fail_err;
	int out_fd, err_fd;     /* otpd's pipes (log, file:, worker:), or -1 */
	int in_fd;              /* a logger's stdin (its pipe), or -1: /dev/null */
	int ready_fd;           /* fd:N readiness pipe write end, or -1 */
	struct rlimit nofile;   /* RLIMIT_NOFILE to give back; rlim_cur 0: keep */
	const sigset_t *sig_reset;      /* dispositions to set back to SIG_DFL */
	int mb_fd;              /* mailbox listening socket (becomes fd 3), or -1 */
	int ho_fd;              /* an overlap's handover channel (becomes
	                           CHILD_HANDOVER_FD(cfg): OTP_HANDOVER_FD), or -1 */
	char *listen_pid;       /* the LISTEN_PID= entry of envp, or NULL */
	int cg_fd;              /* the worker's cgroup directory, or -1 */
	/* > 0: the child shares otpd's descriptor table at the clone and keeps
	 * only the descriptors below this (close_range CLOSE_RANGE_UNSHARE),
	 * where otpd lent it the ones above (worker/clone.c). */
	int lend_end;
	bool cg_join;           /* not born inside it: move in first */
	bool pid1;              /* otpd is process 1: workers get a normal oom_score_adj */
	const struct sb_filter *filter; /* seccomp filter to load, or NULL */
	int *node_fds;          /* one slot per inaccessible_paths entry, or NULL */
	const char *run_dir;    /* where inaccessible_paths' nodes are made (otpd's run_dir) */
	int oom_back;           /* oom_score_adj a worker of PID 1 gets back */
	const char *exec_path;  /* argv[0] found in PATH (set in the child) */
	int oom_fd;             /* /proc/self/oom_score_adj, opened in the child */
	/* CHILD_EXEC_MAX bytes for the PATH search of an argv[0] without a
	 * slash (child_exec_buf()), else NULL.  Not in the plan: the plan is
	 * on otpd's stack, and 4 KiB there was a page of otpd's memory for
	 * good (issue 19). */
	char *exec_buf;
};

#define CHILD_EXEC_MAX 4096
/* The one PATH-search buffer (allocated at the first need; NULL: ENOMEM).
 * One is enough: otpd waits for a child sharing its memory until its
 * execve, and a child of fork() has its own copy. */
char *child_exec_buf(void);

/*
 * Set up the child and execve; never returns.  The plan is the child's to
 * change: its own copy after a fork, or otpd's plan for this start only.
 */
void child_run(struct child_plan *p) __attribute__((noreturn));
/* Report STEP and err (see above) and exit 127. */
void child_fail(struct child_plan *p, const char *step, int err) __attribute__((noreturn));

/* text.c: `v` in decimal into buf (12 bytes), NUL-terminated; its length. */
size_t child_text_int(char *buf, int v);
/* a + b into buf; false when it does not fit in `size`. */
bool child_text_join(char *buf, size_t size, const char *a, const char *b);

/* The sandbox steps (never return on failure: child_fail). */
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

/* The fd number of a handover channel: 4, or 5 when ready = fd:4. */
#define CHILD_HANDOVER_FD(c) ((c)->ready == CFG_READY_FD && (c)->ready_fd == 4 ? 5 : 4)

#endif
