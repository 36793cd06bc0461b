/*
 * spawn.c: starting a worker's process.
 *
 * clone3(CLONE_PIDFD) gives us a pidfd from birth (fork + pidfd_open where
 * clone3 is missing), so no signal ever reaches a recycled pid.  The child
 * reports a failed setup step or execve through a close-on-exec pipe:
 * EOF with no bytes means execve succeeded.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "spawn_child.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/*
 * With a cgroup, the child is born in it (CLONE_INTO_CGROUP, 5.7+); where
 * that is refused, *ret_join tells the child to move itself in before it
 * does anything else, so it never runs a line of the worker outside.
 */
static pid_t clone_pidfd(int cg_fd, int *ret_pidfd, bool *ret_join)
{
	struct clone_args args = { 0 };
	int pidfd = -1;
	pid_t pid;

	*ret_join = false;
	args.flags = CLONE_PIDFD;
	args.pidfd = (uint64_t)(uintptr_t)&pidfd;
	args.exit_signal = SIGCHLD;
	if (cg_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cg_fd;
	}
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0 && cg_fd >= 0 && (errno == EINVAL || errno == E2BIG)) {
		args.flags &= ~CLONE_INTO_CGROUP;
		args.cgroup = 0;
		*ret_join = true;
		pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	}
	if (pid >= 0 || (errno != ENOSYS && errno != EINVAL && errno != EPERM)) {
		*ret_pidfd = pidfd;
		return pid;
	}
	/* Older kernel, or a seccomp filter refusing clone3: fork, then pin. */
	*ret_join = cg_fd >= 0;
	pid = fork();
	if (pid > 0) {
		*ret_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (*ret_pidfd >= 0)
			(void)fcntl(*ret_pidfd, F_SETFD, FD_CLOEXEC);
	}
	return pid;
}

static int ensure_pipes(struct ws *w)
{
	const struct cfg_worker *c = &w->cfg->w;

	if (!w->out && c->out.mode == CFG_OUT_LOG &&
	    !(w->out = out_pipe_new(sup_node_name(w->node), w->ring)))
		return -ENOMEM;
	/* Both to the log: one pipe carries both (half the fds per worker). */
	if (!w->err && c->err.mode == CFG_OUT_LOG && c->out.mode != CFG_OUT_LOG &&
	    !(w->err = out_pipe_new(sup_node_name(w->node), w->ring)))
		return -ENOMEM;
	return 0;
}

static void fill_plan(struct ws *w, struct child_plan *p, int exec_wfd, int ready_wfd)
{
	const struct cfg_worker *c = &w->cfg->w;

	memset(p, 0, sizeof(*p));
	p->cfg = c;
	p->exec_fd = exec_wfd;
	p->out_fd = w->out ? out_pipe_wfd(w->out) : -1;
	p->err_fd = w->err ? out_pipe_wfd(w->err) : -1;
	p->ready_fd = ready_wfd;
	p->nofile.rlim_cur = otpd.nofile_soft;
	p->nofile.rlim_max = otpd.nofile_hard;
	p->sig_reset = signals_not_default();
	p->mb_fd = w->mb_fd;
	p->cg_fd = w->cg_fd;
	p->oom_back = otpd.oom_score_adj[0] ? atoi(otpd.oom_score_adj) : 0;
}

static int build_argv(struct ws *w, char ***ret_argv)
{
	const struct cfg_worker *c = &w->cfg->w;
	int extra = 0;
	char *const *args = sup_node_args(w->node, &extra);
	char **v = calloc((size_t)c->argc + (size_t)extra + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (int i = 0; i < c->argc; i++)
		v[i] = c->argv[i];
	for (int i = 0; i < extra; i++)
		v[c->argc + i] = args[i];
	*ret_argv = v;
	return 0;
}

static void watch_exec(struct ws *w, int rfd)
{
	w->exec_fd = rfd;
	w->exec_src = (struct ev_source){ .fd = rfd, .events = EPOLLIN, .fn = reap_exec_result,
					  .data = w };
	(void)ev_add(&w->exec_src);
}

int spawn_worker(struct ws *w, const char **ret_why)
{
	int ep[2] = { -1, -1 }, rp[2] = { -1, -1 }, pidfd = -1, r;
	struct child_plan plan;
	char **env = NULL, **argv = NULL;
	pid_t pid;

	*ret_why = NULL;
	if ((r = mailbox_open(w)) < 0) {
		*ret_why = "mailbox";
		goto out;
	}
	if ((r = cgroup_worker_prepare(w, ret_why)) < 0)
		goto out;
	if ((r = ensure_pipes(w)) < 0 || (r = spawn_env_build(w, &env, ret_why)) < 0 ||
	    (r = build_argv(w, &argv)) < 0)
		goto out;
	if (pipe2(ep, O_CLOEXEC | O_NONBLOCK) < 0 ||
	    (w->cfg->w.ready == CFG_READY_FD && pipe2(rp, O_CLOEXEC | O_NONBLOCK) < 0)) {
		r = -errno;
		goto out;
	}
	fill_plan(w, &plan, ep[1], rp[1]);
	if ((r = sandbox_prepare(w, &plan, ret_why)) < 0)
		goto out;
	plan.argv = argv;
	plan.envp = env;
	for (char **e = env; *e; e++)
		if (strncmp(*e, "LISTEN_PID=", 11) == 0)
			plan.listen_pid = *e;
	pid = clone_pidfd(w->cg_fd, &pidfd, &plan.cg_join);
	if (pid == 0)
		child_run(&plan);       /* never returns */
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	w->pid = pid;
	w->pidfd = pidfd;
	w->exec_ok = false;
	(void)ws_index_pid(w);
	if (w->out)
		out_pipe_set_pid(w->out, pid);
	if (w->err)
		out_pipe_set_pid(w->err, pid);
	watch_exec(w, ep[0]);
	ep[0] = -1;
	if (rp[0] >= 0) {
		w->ready_fd = rp[0];
		w->ready_src = (struct ev_source){ .fd = rp[0], .events = EPOLLIN,
						   .fn = reap_ready_fd, .data = w };
		(void)ev_add(&w->ready_src);
		rp[0] = -1;
	}
	r = 0;
out:
	if (r < 0 && !*ret_why)
		*ret_why = "spawn";
	for (int i = 0; i < 2; i++) {
		if (ep[i] >= 0)
			close(ep[i]);
		if (rp[i] >= 0)
			close(rp[i]);
	}
	free(argv);
	spawn_env_free(env);
	return r;
}

int spawn_signal(struct ws *w, int sig)
{
	if (w->pidfd < 0)
		return -ESRCH;
	if (syscall(SYS_pidfd_send_signal, w->pidfd, sig, NULL, 0) < 0)
		return -errno;
	return 0;
}
