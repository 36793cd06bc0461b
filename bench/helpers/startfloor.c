/*
 * startfloor: the floor of "start N children to running".
 *   startfloor seq|par N CMD [ARGS...]
 * seq: fork and exec N copies of CMD one after the other, each confirmed
 * started (execve succeeded: its close-on-exec pipe reads EOF) before the
 * next, which is the least an OTP-style sequential start has to do; par:
 * fork all N without waiting.  Then sleeps until killed, holding them.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void start_one(char **argv, int wait_exec)
{
	int p[2];
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		_exit(1);
	if (fork() == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	if (wait_exec)
		(void)!read(p[0], &c, 1);       /* EOF: execve succeeded */
	close(p[0]);
}

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	int seq = strcmp(argv[1], "seq") == 0, n = atoi(argv[2]);

	for (int i = 0; i < n; i++)
		start_one(argv + 3, seq);
	for (;;)
		pause();
}
