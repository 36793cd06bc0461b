/*
 * child.c: the child side of a spawn (spawn_child.h: it may share
 * otpd's memory, so only async-signal-safe calls here).  Each step that
 * fails is reported with child_fail and the child exits 127; the parent
 * turns it into start_failed:STEP:<errno text>.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../cgroups/cgroups.h"
#include "child.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Mark [lo, hi] close-on-exec (kernel >= 5.11), else close them one by one. */
static int syscall_close_range(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return 0;
	if (syscall(SYS_close_range, lo, hi, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	for (unsigned fd = lo; fd < 4096 && fd <= hi; fd++)
		(void)fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	return 0;
}

/*
 * _exit(2) as a bare system call: a build with sanitizers hooks _exit to
 * check for leaks, which must not run in a child sharing otpd's memory.
 */
static void child_exit(int code) __attribute__((noreturn));
static void child_exit(int code)
{
	for (;;)
		(void)syscall(SYS_exit_group, code);
}

void child_fail(struct child_plan *p, const char *step, int err)
{
	char buf[96];
	size_t n, len;

	if (p->exec_fd < 0) {
		p->fail_err = err;
		p->fail_step = step;    /* otpd reads the plan once we are gone */
		child_exit(127);
	}
	n = child_text_int(buf, err);
	buf[n++] = ':';
	len = strlen(step);
	if (len > sizeof(buf) - n)
		len = sizeof(buf) - n;
	memcpy(buf + n, step, len);
	(void)!write(p->exec_fd, buf, n + len);
	child_exit(127);
}

/*
 * Default dispositions and an empty mask.  execve resets caught signals
 * itself; ignored ones it keeps, so those otpd ignores (SIGPIPE, and what it
 * was started with ignored) are set back: one call each, not one per signal.
 */
static void reset_signals(const struct child_plan *p)
{
	sigset_t none;

	for (int s = 1; s < NSIG; s++)
		if (sigismember(p->sig_reset, s) == 1)
			(void)signal(s, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * log and file: are otpd's pipe (otpd writes the file), worker: the pipe
 * into the logger; stdout: fd 1.
 */
static int open_output(const struct cfg_output_spec *o, int log_fd, int target)
{
	int fd;

	switch (o->mode) {
	case CFG_OUT_INHERIT:
		return 0;
	case CFG_OUT_LOG:
	case CFG_OUT_FILE:
	case CFG_OUT_WORKER:
		fd = log_fd;
		break;
	case CFG_OUT_NULL:
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		break;
	case CFG_OUT_STDOUT:
		fd = 1;
		break;
	default:
		return -EINVAL;
	}
	if (fd < 0 || dup2(fd, target) < 0)
		return -errno;
	return 0;
}

/*
 * Move a descriptor above every target fd (3 and N), so that placing one
 * never clobbers another, and the exec-result pipe survives until execve.
 */
static int lift(struct child_plan *p, int fd)
{
	int floor = p->cfg->ready == CFG_READY_FD ? p->cfg->ready_fd + 1 : 4;

	/* Above the handover channel's number too (4 or 5). */
	if (p->ho_fd >= 0 && floor < 6)
		floor = 6;
	int nfd;

	if (fd < 0 || fd >= floor)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, floor);
	if (nfd < 0)
		child_exit(127);        /* cannot even report it */
	return nfd;
}

/* `src` becomes `target`, open across execve. */
static void place(struct child_plan *p, int src, int target, const char *step)
{
	if (dup2(src, target) < 0)
		child_fail(p, step, errno);
}

static void setup_fds(struct child_plan *p)
{
	const struct cfg_worker *c = p->cfg;
	int in = p->in_fd >= 0 ? p->in_fd : open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (in < 0 || dup2(in, 0) < 0)
		child_fail(p, "stdin", errno);
	if (open_output(&c->out, p->out_fd, 1) < 0)
		child_fail(p, "stdout", errno);
	if (open_output(&c->err, p->err_fd, 2) < 0)
		child_fail(p, "stderr", errno);
	p->exec_fd = lift(p, p->exec_fd);
	p->mb_fd = lift(p, p->mb_fd);
	p->ready_fd = lift(p, p->ready_fd);
	p->ho_fd = lift(p, p->ho_fd);
	if (p->mb_fd >= 0)
		place(p, p->mb_fd, 3, "mailbox");
	if (p->ready_fd >= 0)
		place(p, p->ready_fd, c->ready_fd, "ready_fd");
	if (p->ho_fd >= 0)
		place(p, p->ho_fd, CHILD_HANDOVER_FD(c), "handover");
	/* Only 0-2, the mailbox (3), fd:N and a handover channel survive
	 * execve, whatever otpd holds. */
	(void)syscall_close_range(p->mb_fd >= 0 ? 4 : 3, ~0U);
	if (p->ready_fd >= 0)
		(void)fcntl(c->ready_fd, F_SETFD, 0);
	if (p->ho_fd >= 0)
		(void)fcntl(CHILD_HANDOVER_FD(c), F_SETFD, 0);
}

void child_run(struct child_plan *p)
{
	/* Before anything touches a descriptor: a table of its own. */
	if (p->lend_end > 0 &&
	    syscall(SYS_close_range, (unsigned)p->lend_end, ~0U, CLOSE_RANGE_UNSHARE) < 0)
		child_fail(p, "close_range", errno);
	/* First of all: nothing of the worker may run outside its cgroup. */
	if (p->cg_join && cg_move_self(p->cg_fd) < 0)
		child_fail(p, "cgroup", errno);
	reset_signals(p);
	/* otpd raised its own soft RLIMIT_NOFILE; workers get the usual one. */
	if (p->nofile.rlim_cur > 0)
		(void)setrlimit(RLIMIT_NOFILE, &p->nofile);
	if (setsid() < 0)
		child_fail(p, "setsid", errno);
	setup_fds(p);
	if (p->listen_pid)
		(void)child_text_int(p->listen_pid + 11, (int)getpid());
	/* namespaces ... seccomp, in the order sandbox.h documents */
	sandbox_apply(p);
	execve(p->exec_path, p->argv, p->envp);
	child_fail(p, "exec", errno);
}
