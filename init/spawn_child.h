/*
 * spawn_child.h: what the child does between clone and execve.
 *
 * Most workers are started by a child that shares otpd's memory and runs
 * while otpd waits (CLONE_VM | CLONE_VFORK, spawn_clone.c): it may only do
 * async-signal-safe work (no malloc, no stdio, no NSS), with everything
 * prepared by otpd in a struct child_plan, and it writes to otpd's memory
 * only the plan itself, which otpd made for this one start, and the
 * LISTEN_PID= entry of the environment built for it.  Workers that need
 * NSS (user, group, supplementary_groups: sandbox_id.c) or whose set-up
 * may wait for another process (file: outputs) are started by a copy of
 * otpd instead (spawn_fork_only()).
 *
 * A step that fails is reported as STEP and an errno: into the plan when
 * the memory is shared (otpd reads it when the child has exec'd or
 * exited), else as "ERRNO:STEP" on the close-on-exec exec-result pipe;
 * otpd turns it into start_failed:STEP:<errno text>.
 */
#ifndef OTPD_INIT_SPAWN_CHILD_H
#define OTPD_INIT_SPAWN_CHILD_H

#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>

#include "internal.h"
#include "sandbox.h"

struct child_plan {
	const struct cfg_worker *cfg;
	char **argv;
	char **envp;
	int exec_fd;            /* write end of the exec-result pipe (cloexec), or -1: */
	const char *fail_step;  /* ... the child reports here (shared memory) */
	int fail_err;
	int out_fd, err_fd;     /* log pipes, or -1 */
	int ready_fd;           /* fd:N readiness pipe write end, or -1 */
	struct rlimit nofile;   /* RLIMIT_NOFILE to give back; rlim_cur 0: keep */
	const sigset_t *sig_reset;      /* dispositions to set back to SIG_DFL */
	int mb_fd;              /* mailbox listening socket (becomes fd 3), or -1 */
	char *listen_pid;       /* the LISTEN_PID= entry of envp, or NULL */
	int cg_fd;              /* the worker's cgroup directory, or -1 */
	bool cg_join;           /* not born inside it: move in first */
	const struct sb_filter *filter; /* seccomp filter to load, or NULL */
	int *node_fds;          /* one slot per inaccessible_paths entry, or NULL */
	int oom_back;           /* oom_score_adj a worker of PID 1 gets back */
	const char *exec_path;  /* argv[0] found in PATH (set in the child) */
	int oom_fd;             /* /proc/self/oom_score_adj, opened in the child */
	char exec_buf[4096];
};

/*
 * Set up the child and execve; never returns.  The plan is the child's to
 * change: its own copy after a fork, or otpd's plan for this start only.
 */
void child_run(struct child_plan *p) __attribute__((noreturn));
/* Report STEP and err (see above) and exit 127. */
void child_fail(struct child_plan *p, const char *step, int err) __attribute__((noreturn));

/* spawn_child_text.c: `v` in decimal into buf (12 bytes), NUL-terminated; its length. */
size_t child_text_int(char *buf, int v);
/* a + b into buf; false when it does not fit in `size`. */
bool child_text_join(char *buf, size_t size, const char *a, const char *b);

/* --- spawn_clone.c: otpd side ------------------------------------------ */

/* Must c's worker be started by a copy of otpd (NSS, file: outputs)? */
bool spawn_fork_only(const struct cfg_worker *c);
/*
 * Start child_run(p) sharing otpd's memory; otpd waits until it has
 * exec'd or exited.  The pid, with *ret_pidfd; -ENOSYS when the kernel,
 * a seccomp filter or this architecture does not allow it (start the
 * worker with spawn_clone_fork() then), or -errno.
 */
pid_t spawn_clone_vm(struct child_plan *p, int *ret_pidfd);
/*
 * A copy of otpd (clone3, or fork + pidfd_open where clone3 is refused):
 * 0 in the child, the pid in otpd, or -1 with errno.
 */
pid_t spawn_clone_fork(int cg_fd, int *ret_pidfd, bool *ret_join);

#endif
