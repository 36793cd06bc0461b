/*
 * spawn.c: starting a worker's process.
 *
 * Most workers are started by a child sharing otpd's memory (spawn_clone.c);
 * otpd waits for its execve or exit and finds a failed step in the plan:
 * the start is settled before spawn_worker returns.  A worker that needs
 * a copy of otpd (spawn_fork_only) reports a failed step or execve through
 * a close-on-exec pipe instead: EOF with no bytes means execve succeeded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../core.h"
#include "spawn.h"

static struct worker_setup setup;

void worker_setup(const struct worker_setup *s)
{
	setup = *s;
	wsys_init();
}

const struct worker_setup *worker_setup_get(void)
{
	return &setup;
}

static enum out_dest out_dest_of(enum cfg_output mode)
{
	return mode == CFG_OUT_LOG ? OUT_TO_LOG : mode == CFG_OUT_FILE ? OUT_TO_FILE : OUT_TO_NONE;
}

static enum out_log_target log_target_of(enum cfg_log_target t)
{
	return t == CFG_LOG_JOURNAL ? OUT_TARGET_JOURNAL
	       : t == CFG_LOG_STDOUT ? OUT_TARGET_STDOUT : OUT_TARGET_AUTO;
}

/* Where this start's lines go: the sink follows the configuration in force. */
static int sink_target(struct ws *w)
{
	const struct cfg_worker *c = &w->cfg->w;
	struct sup_node *parent = sup_node_parent(w->node);
	struct out_targets t = {
		.dest = { OUT_TO_NONE, out_dest_of(c->out.mode), out_dest_of(c->err.mode) },
		.path = { NULL, c->out.path, c->err.path },
		.max_size = c->log_max_size,
		.keep = (unsigned)c->log_keep,
		.log_target = log_target_of(core_config()->otpd.log_target),
	};
	int r;

	if (!w->sink && !(w->sink = out_sink_new(sup_node_name(w->node), core_config()->otpd.log_lines)))
		return -ENOMEM;
	r = out_sink_target(w->sink, parent ? sup_node_name(parent) : "", &t);
	if (r < 0)
		log_warn("%s: output files: %s, ignoring", sup_node_name(w->node), strerror(-r));
	return 0;
}

/*
 * Fresh pipes for the process about to start: stdout and stderr apart
 * (stderr = stdout: the child shares one), the write ends in wfd[] for
 * the child; otpd closes them right after the spawn.
 */
static int open_pipes(struct ws *w, int wfd[3])
{
	const struct cfg_worker *c = &w->cfg->w;
	int r;

	/* Never two processes at once; should a pipe be left, let it go. */
	out_pipe_detach(w->out);
	out_pipe_detach(w->err);
	w->out = w->err = NULL;
	if ((r = sink_target(w)) < 0)
		return r;
	if (out_dest_of(c->out.mode) != OUT_TO_NONE &&
	    !(w->out = out_pipe_open(w->sink, OUT_STDOUT, &wfd[1])))
		return -errno;
	if (out_dest_of(c->err.mode) != OUT_TO_NONE &&
	    !(w->err = out_pipe_open(w->sink, OUT_STDERR, &wfd[2])))
		return -errno;
	return 0;
}

static void fill_plan(struct ws *w, struct child_plan *p, const int wfd[3], int ready_wfd,
		      int cg_fd)
{
	const struct cfg_worker *c = &w->cfg->w;

	memset(p, 0, sizeof(*p));
	p->cfg = c;
	p->exec_fd = -1;
	p->out_fd = wfd[1];
	p->err_fd = wfd[2];
	p->in_fd = -1;
	p->ready_fd = ready_wfd;
	p->nofile.rlim_cur = setup.nofile_soft;
	p->nofile.rlim_max = setup.nofile_hard;
	p->sig_reset = setup.sig_reset;
	p->mb_fd = w->mb_fd;
	p->ho_fd = w->ho_fd;
	p->cg_fd = cg_fd;
	p->oom_back = setup.oom_back;
	p->pid1 = core_pid1();
	p->run_dir = core_config()->otpd.run_dir;
}

/*
 * stdout/stderr = worker:NAME, and a logger's own stdin: the pipes otpd
 * holds for loggers (logger.c), never closed after a spawn.
 */
static int logger_fds(struct ws *w, struct child_plan *p)
{
	const struct cfg_worker *c = &w->cfg->w;
	int r = 0;

	if (c->out.mode == CFG_OUT_WORKER)
		r = out_logger_pipe(c->out.path, NULL, &p->out_fd);
	if (r == 0 && c->err.mode == CFG_OUT_WORKER)
		r = out_logger_pipe(c->err.path, NULL, &p->err_fd);
	if (r == 0 && c->is_logger)
		r = out_logger_pipe(sup_node_name(w->node), &p->in_fd, NULL);
	return r;
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

/*
 * The shared-memory child has exec'd or exited: did it report a failed
 * step?  Either way the start is settled now (reap.c).
 */
static void settle_vm(struct ws *w, const struct child_plan *p)
{
	if (p->fail_step)
		reap_exec_failed(w, p->fail_step, p->fail_err);
	else
		w->exec_ok = true;
}

/*
 * A copy of otpd: the exec-result pipe, its write end in the child only.
 * The pid, or -errno.
 */
static pid_t spawn_copy(struct ws *w, struct child_plan *p, int *ret_pidfd, int *ret_rfd)
{
	int ep[2];
	pid_t pid;

	if (pipe2(ep, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	p->exec_fd = ep[1];
	pid = spawn_clone_fork(p->cg_fd, ret_pidfd, &p->cg_join);
	if (pid == 0)
		child_run(p);           /* never returns */
	if (pid < 0)
		pid = -errno;
	close(ep[1]);
	if (pid < 0)
		close(ep[0]);
	else
		*ret_rfd = ep[0];
	return pid;
}

/*
 * Start the process of the prepared plan; -1 in *ret_rfd: settled already.
 * A child born into a frozen cgroup is frozen before its execve: sharing
 * otpd's memory, otpd would wait for it until someone thaws the cgroup.
 * Such a child is a copy of otpd, whose start settles later.
 */
static pid_t spawn_process(struct ws *w, struct child_plan *p, int *ret_pidfd, int *ret_rfd)
{
	pid_t pid = -ENOSYS;

	*ret_rfd = -1;
	if (!spawn_fork_only(p->cfg) && !cgroup_worker_frozen(&w->cg, p->cg_fd))
		pid = spawn_clone_vm(p, ret_pidfd);
	if (pid > 0)
		settle_vm(w, p);
	if (pid != -ENOSYS)
		return pid;
	w->exec_ok = false;
	return spawn_copy(w, p, ret_pidfd, ret_rfd);
}

static void watch_ready(struct ws *w, int rfd)
{
	w->ready_fd = rfd;
	w->ready_src = (struct ev_source){ .fd = rfd, .events = EPOLLIN, .fn = reap_ready_fd,
					   .data = w };
	(void)ev_add(&w->ready_src);
}

int spawn_worker(struct ws *w, const char **ret_why)
{
	int rp[2] = { -1, -1 }, wfd[3] = { -1, -1, -1 }, pidfd = -1, exec_rfd = -1, cg_fd = -1, r;
	struct child_plan plan;
	char **env = NULL, **argv = NULL;
	pid_t pid;

	*ret_why = NULL;
	if ((r = mailbox_open(w)) < 0) {
		*ret_why = "mailbox";
		goto out;
	}
	if ((r = cgroup_worker_prepare(&w->cg, &cg_fd, ret_why)) < 0)
		goto out;
	if ((r = open_pipes(w, wfd)) < 0 || (r = spawn_env_build(w, &env, ret_why)) < 0 ||
	    (r = build_argv(w, &argv)) < 0)
		goto out;
	if (w->cfg->w.ready == CFG_READY_FD && pipe2(rp, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = -errno;
		goto out;
	}
	fill_plan(w, &plan, wfd, rp[1], cg_fd);
	if (!strchr(argv[0], '/') && !(plan.exec_buf = child_exec_buf())) {
		r = -ENOMEM;
		*ret_why = "exec";
		goto out;
	}
	if ((r = logger_fds(w, &plan)) < 0) {
		*ret_why = "logger";
		goto out;
	}
	if ((r = sandbox_prepare(w, &plan, ret_why)) < 0)
		goto out;
	plan.argv = argv;
	plan.envp = env;
	for (char **e = env; *e; e++)
		if (strncmp(*e, "LISTEN_PID=", 11) == 0)
			plan.listen_pid = *e;
	if ((pid = spawn_process(w, &plan, &pidfd, &exec_rfd)) < 0) {
		r = pid;
		goto out;
	}
	w->pid = pid;
	(void)ws_index_pid(w);
	out_pipe_set_pid(w->out, pid);
	out_pipe_set_pid(w->err, pid);
	out_sink_started(w->sink, pid);
	if (exec_rfd >= 0)
		watch_exec(w, exec_rfd);
	if (rp[0] >= 0) {
		watch_ready(w, rp[0]);
		rp[0] = -1;
	}
	r = 0;
out:
	if (r < 0 && !*ret_why)
		*ret_why = "spawn";
	for (int i = 0; i < 2; i++)
		if (rp[i] >= 0)
			close(rp[i]);
	/* Not kept: a pidfd is opened when a signal is sent (spawn_signal). */
	if (pidfd >= 0)
		close(pidfd);
	if (cg_fd >= 0)
		close(cg_fd);
	/* otpd keeps the read ends only: EOF comes when the process is gone. */
	for (int i = 1; i < 3; i++)
		if (wfd[i] >= 0)
			close(wfd[i]);
	if (r < 0) {
		out_pipe_detach(w->out);
		out_pipe_detach(w->err);
		w->out = w->err = NULL;
	}
	free(argv);
	spawn_env_free(env);
	return r;
}

/*
 * Through a pidfd opened now: w->pid is set only until otpd reaps the
 * process, and a pid that is not reaped cannot be reused, so this pidfd
 * names w's process and no other.  None is kept between signals: with
 * thousands of workers, one fd each would cost a third of otpd's limit.
 */
int spawn_signal(struct ws *w, int sig)
{
	int fd, r = 0;

	if (w->pid <= 0)
		return -ESRCH;
	fd = (int)syscall(SYS_pidfd_open, w->pid, 0);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) < 0)
		r = -errno;
	close(fd);
	return r;
}
