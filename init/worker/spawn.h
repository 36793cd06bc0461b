/*
 * spawn.h: the parts of a start that the files of init/worker/ share
 * (spawn.c puts them together).
 */
#ifndef OTPD_INIT_WORKER_SPAWN_H
#define OTPD_INIT_WORKER_SPAWN_H

#include "worker.h"

/* env.c: room for a pid in LISTEN_PID=, filled by the child itself. */
#define SPAWN_PID_ROOM "                    "
int spawn_env_build(struct ws *w, char ***ret_env, const char **ret_why);
void spawn_env_free(char **v);

/* sandbox.c: make w's sandbox ready for a start and point the plan at it:
 * 0, or -errno with *ret_why naming the step ("seccomp"). */
int sandbox_prepare(struct ws *w, struct child_plan *p, const char **ret_why);

/* seccomp.c: build `c`'s filter.  0 or -errno (-E2BIG: too long). */
int sb_seccomp_build(const struct cfg_worker *c, struct sb_filter *ret);
void sb_filter_release(struct sb_filter *f);

/* mailbox.c: create w's mailbox socket if it needs one and has none.  0 or -errno. */
int mailbox_open(struct ws *w);

/* reap.c: the exec-result and fd:N readiness pipes of a start. */
void reap_exec_result(struct ev_source *s, uint32_t revents);
/* w's child failed `step` with `err`: start_failed:STEP:<errno text> once reaped. */
void reap_exec_failed(struct ws *w, const char *step, int err);
void reap_ready_fd(struct ev_source *s, uint32_t revents);

/* state.c */
int ws_index_pid(struct ws *w);
void ws_unindex_pid(struct ws *w);
void ws_park(struct ws *w);

/*
 * clone.c.  Must c's worker be started by a copy of otpd (NSS, file:
 * outputs)?
 */
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
