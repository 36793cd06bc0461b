/*
 * startfloor: the floor of "start N children to running".
 *   startfloor seq|par N CMD [ARGS...]
 *   startfloor seqcg N DIR CMD [ARGS...]
 * seq: fork and exec N copies of CMD one after the other, each confirmed
 * started (execve succeeded: its close-on-exec pipe reads EOF) before the
 * next, which is the least an OTP-style sequential start has to do; par:
 * fork all N without waiting; seqcg: as seq, each child in a cgroup of
 * its own made for it below DIR (mkdir, then clone3 with
 * CLONE_INTO_CGROUP): the least a start with per-worker cgroups has to do.
 * Then sleeps until killed, holding them.
 */
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* fork(), or with cgfd >= 0 a fork born in that cgroup. */
static pid_t fork_into(int cgfd)
{
	struct clone_args a = { .exit_signal = SIGCHLD };

	if (cgfd < 0)
		return fork();
	a.flags = CLONE_INTO_CGROUP;
	a.cgroup = (uint64_t)cgfd;
	return (pid_t)syscall(SYS_clone3, &a, sizeof(a));
}

/* Child i's cgroup below dirfd, open; -1 without dirfd. */
static int make_cgroup(int dirfd, int i)
{
	char name[32];
	int fd;

	if (dirfd < 0)
		return -1;
	snprintf(name, sizeof(name), "c%d", i);
	if (mkdirat(dirfd, name, 0755) < 0 ||
	    (fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		_exit(1);
	return fd;
}

static void start_one(char **argv, int wait_exec, int dirfd, int i)
{
	int p[2], cgfd = make_cgroup(dirfd, i);
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		_exit(1);
	pid_t pid = fork_into(cgfd);

	if (pid < 0)
		_exit(1);
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	if (wait_exec)
		(void)!read(p[0], &c, 1);       /* EOF: execve succeeded */
	close(p[0]);
	if (cgfd >= 0)
		close(cgfd);
}

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	int cg = strcmp(argv[1], "seqcg") == 0, seq = cg || strcmp(argv[1], "seq") == 0;
	int n = atoi(argv[2]), dirfd = -1;

	if (cg) {
		if (argc < 5 || (dirfd = open(argv[3], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			return 2;
		argv++;
	}
	for (int i = 0; i < n; i++)
		start_one(argv + 3, seq, dirfd, i);
	for (;;)
		pause();
}
