/*
 * clone.c: the two ways otpd makes a worker's process.
 *
 * Most workers: clone3(CLONE_VM | CLONE_VFORK | CLONE_PIDFD) into the
 * worker's cgroup, posix_spawn's technique.  The child shares otpd's
 * memory and runs on a stack of its own while otpd waits for its execve
 * (or exit).  Nothing of otpd is copied: no page tables at the clone, no
 * copy-on-write faults (with their TLB flushes) in otpd afterwards, and
 * no copy to tear down at the execve; in the profile of bench/PROFILE.md
 * that was about 40 % of a start, growing with otpd's size.  otpd waits
 * for the child's set-up, which a sequential start waits for anyway, but
 * a set-up step that blocks would block otpd with it.
 *
 * Some workers get a copy of otpd instead (spawn_fork_only), clone3
 * without CLONE_VM (fork where clone3 is refused), as do all workers where
 * the kernel, a seccomp filter or the architecture refuses the shared
 * clone.  Both get a pidfd from birth, so no signal ever reaches a
 * recycled pid.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spawn.h"
#include "vm_arch.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/*
 * The child's stack, made once and reused (otpd is single-threaded and
 * waits while a child runs on it).  A child's set-up needs a few KiB
 * (paths of up to 4 KiB on the stack at most twice); only the pages it
 * touches cost memory.  The guard below it turns an overflow into the
 * child's SIGSEGV, never a write into otpd.
 */
#define CHILD_STACK_SIZE (64 * 1024)
#define CHILD_STACK_GUARD (64 * 1024)

static void *child_stack;
static bool vm_refused;         /* once refused, always: don't ask again */

static void *stack_get(void)
{
	void *m;

	if (child_stack)
		return child_stack;
	m = mmap(NULL, CHILD_STACK_GUARD + CHILD_STACK_SIZE, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	if (mprotect((char *)m + CHILD_STACK_GUARD, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE) < 0) {
		(void)munmap(m, CHILD_STACK_GUARD + CHILD_STACK_SIZE);
		return NULL;
	}
	child_stack = (char *)m + CHILD_STACK_GUARD;
	return child_stack;
}

/*
 * A copy of otpd for a worker
 * that resolves user or group names: NSS allocates, opens files and
 * sockets and may load modules, in otpd's memory if it were shared.
 * (What waits only on a hung file system, a workdir or the program
 * itself, is left to the shared child.  A `file:` output is otpd's to
 * open, never the child's.)
 */
bool spawn_fork_only(const struct cfg_worker *c)
{
	return c->user || c->group || cfg_worker_sandbox(c)->groups_set;
}

/*
 * Lending.  A child made without CLONE_FILES gets a copy of otpd's whole
 * descriptor table, and its execve then closes every one of them: otpd
 * holds two pipes per running worker, so each start cost more the more
 * workers ran (1,000 workers: a start ~15-25 % slower than with none;
 * bench/PROFILE.md, "Start of 1,000").  Instead the few descriptors a
 * child needs are lent to it in a block of slots at low numbers, reserved
 * at the first start (placeholders on /dev/null); the child shares the
 * table at the clone (CLONE_FILES, while otpd waits: CLONE_VFORK) and
 * makes it its own keeping only what lies below the block's end
 * (close_range CLOSE_RANGE_UNSHARE, Linux 5.9), never copying the rest.
 * Each slot goes back to the placeholder once the clone returns, so otpd
 * holds no reference to a child's end of a pipe.  Where the kernel lacks
 * it, or no block can be had, children copy the table as before.
 */
#define LEND_SLOTS WORKER_LEND_SLOTS

static struct {
	int fill;                       /* /dev/null: a slot not lent */
	int base;                       /* the block's first slot; -1: no lending */
	bool tried;
} lend = { -1, -1, false };

/* LEND_SLOTS free numbers in a row, claimed with placeholders; -1: none. */
static int claim_block(void)
{
	int start = 3;

	for (int tries = 0; tries < 64; tries++) {
		int i, fd = -1;

		for (i = 0; i < LEND_SLOTS; i++)
			if ((fd = fcntl(lend.fill, F_DUPFD_CLOEXEC, start + i)) != start + i)
				break;
		if (i == LEND_SLOTS)
			return start;
		/* start + i is taken: give back what was claimed, go past it. */
		for (int j = 0; j < i; j++)
			close(start + j);
		if (fd < 0)
			return -1;
		close(fd);
		start += i + 1;
	}
	return -1;
}

static bool lend_ready(void)
{
	if (lend.tried)
		return lend.base >= 0;
	lend.tried = true;
	/* Is CLOSE_RANGE_UNSHARE known?  (fd INT_MAX is never open.) */
	if (syscall(SYS_close_range, INT_MAX, INT_MAX, CLOSE_RANGE_UNSHARE) < 0)
		return false;
	if ((lend.fill = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	if ((lend.base = claim_block()) < 0) {
		close(lend.fill);
		lend.fill = -1;
	}
	return lend.base >= 0;
}

/* The plan's descriptors a child may use, in slot order. */
#define PLAN_FDS(p) { &(p)->in_fd, &(p)->out_fd, &(p)->err_fd, &(p)->ready_fd, \
		      &(p)->exec_fd, &(p)->mb_fd, &(p)->ho_fd, &(p)->cg_fd }

/* Placeholders back in the first n slots of those lent (saved[i] >= 0). */
static void slots_refill(const int saved[LEND_SLOTS], int n)
{
	for (int i = 0; i < n; i++)
		if (saved[i] >= 0)
			(void)dup3(lend.fill, lend.base + i, O_CLOEXEC);
}

/* Lend p's descriptors (saved[] keeps its own numbers); false: not now. */
static bool lend_out(struct child_plan *p, int saved[LEND_SLOTS])
{
	int *v[LEND_SLOTS] = PLAN_FDS(p);

	if (!lend_ready())
		return false;
	for (int i = 0; i < LEND_SLOTS; i++) {
		saved[i] = *v[i];
		if (saved[i] >= 0 && dup3(saved[i], lend.base + i, O_CLOEXEC) < 0) {
			slots_refill(saved, i);
			return false;
		}
	}
	for (int i = 0; i < LEND_SLOTS; i++)
		if (saved[i] >= 0)
			*v[i] = lend.base + i;
	p->lend_end = lend.base + LEND_SLOTS;
	return true;
}

/* The clone returned: the slots hold placeholders again, p its own numbers. */
static void lend_back(struct child_plan *p, const int saved[LEND_SLOTS])
{
	int *v[LEND_SLOTS] = PLAN_FDS(p);

	slots_refill(saved, LEND_SLOTS);
	for (int i = 0; i < LEND_SLOTS; i++)
		*v[i] = saved[i];
	p->lend_end = 0;
}

static void child_entry(void *plan)
{
	child_run(plan);
}

/* Refused as such (old kernel, seccomp, no CLONE_VM here), not failed. */
static bool clone3_refused(long r)
{
	return r == -ENOSYS || r == -EINVAL || r == -EPERM || r == -E2BIG;
}

/*
 * With a cgroup, the child is born in it (CLONE_INTO_CGROUP, 5.7+); where
 * that is refused, p->cg_join tells the child to move itself in before it
 * does anything else, so it never runs a line of the worker outside.
 */
static pid_t clone_vm(struct child_plan *p, bool lent, int *ret_pidfd)
{
	struct clone_args args = { 0 };
	void *stack = stack_get();
	int pidfd = -1;
	long r;

	spawn_vm_stack_clean(stack, CHILD_STACK_SIZE);
	args.flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD | (lent ? CLONE_FILES : 0);
	args.pidfd = (uint64_t)(uintptr_t)&pidfd;
	args.exit_signal = SIGCHLD;
	args.stack = (uint64_t)(uintptr_t)stack;
	args.stack_size = CHILD_STACK_SIZE;
	p->cg_join = false;
	if (p->cg_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)p->cg_fd;
	}
	r = spawn_vm_clone3(&args, child_entry, p);
	if (r < 0 && p->cg_fd >= 0 && (r == -EINVAL || r == -E2BIG)) {
		args.flags &= ~CLONE_INTO_CGROUP;
		args.cgroup = 0;
		p->cg_join = true;
		r = spawn_vm_clone3(&args, child_entry, p);
	}
	if (r < 0 && clone3_refused(r)) {
		vm_refused = true;
		return -ENOSYS;
	}
	if (r < 0)
		return (pid_t)r;
	*ret_pidfd = pidfd;
	return (pid_t)r;
}

pid_t spawn_clone_vm(struct child_plan *p, int *ret_pidfd)
{
	int saved[LEND_SLOTS];
	bool lent;
	pid_t pid;

	if (vm_refused || !stack_get())
		return -ENOSYS;         /* no stack to share memory on: copy otpd */
	lent = lend_out(p, saved);
	pid = clone_vm(p, lent, ret_pidfd);
	if (lent)
		lend_back(p, saved);
	return pid;
}

pid_t spawn_clone_fork(int cg_fd, int *ret_pidfd, bool *ret_join)
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
	if (pid >= 0 || !clone3_refused(-errno)) {
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
