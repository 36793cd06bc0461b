/*
 * orphans: the workload of the PID 1 reaping benchmark.
 *   orphans CGDIR N READY
 * Forks a middle process that moves itself into the cgroup CGDIR, forks N
 * children that sleep, creates the file READY and exits: the N sleepers
 * are orphans, re-parented to PID 1.  The bench then kills them through
 * CGDIR/cgroup.kill while PID 1 is stopped.  This process (PID 1's own
 * child) stays, so that the init keeps running, until SIGTERM.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK 8192

static void join_cgroup(const char *dir)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1)
		_exit(3);
	close(fd);
}

static int sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

/*
 * The sleepers share the middle process's memory (CLONE_VM, not threads:
 * each is a process of its own) so that 10,000 of them are quick to make;
 * what PID 1 does to reap a zombie does not depend on it.
 */
static void middle(const char *dir, int n, const char *ready)
{
	char *stacks = mmap(NULL, (size_t)n * STACK, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	join_cgroup(dir);
	if (stacks == MAP_FAILED)
		_exit(4);
	for (int i = 0; i < n; i++)
		if (clone(sleeper, stacks + (size_t)(i + 1) * STACK, CLONE_VM | SIGCHLD, NULL) < 0)
			_exit(4);
	close(open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	_exit(0);
}

int main(int argc, char **argv)
{
	pid_t mid;

	if (argc != 4)
		return 2;
	signal(SIGTERM, SIG_DFL);
	mid = fork();
	if (mid == 0)
		middle(argv[1], atoi(argv[2]), argv[3]);
	waitpid(mid, NULL, 0);
	for (;;)
		pause();
}
