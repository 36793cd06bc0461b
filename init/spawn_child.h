/*
 * spawn_child.h: what the forked child does between clone and execve.
 * Only async-signal-safe work happens there (no stdio, no allocation but
 * in the identity step), with everything prepared by the parent in a
 * struct child_plan.
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
	int exec_fd;            /* write end of the exec-result pipe (cloexec) */
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

/* Set up the child and execve; never returns. */
void child_run(const struct child_plan *p) __attribute__((noreturn));
/* Report "ERRNO:STEP" on the exec-result pipe and exit 127. */
void child_fail(const struct child_plan *p, const char *step, int err)
	__attribute__((noreturn));

/* spawn_child_text.c: `v` in decimal into buf (12 bytes), NUL-terminated; its length. */
size_t child_text_int(char *buf, int v);
/* a + b into buf; false when it does not fit in `size`. */
bool child_text_join(char *buf, size_t size, const char *a, const char *b);

#endif
