/*
 * floor: the bare fork/exec/waitpid restart loop otpd is compared with.
 *   floor N STAMP FILE   run "STAMP FILE exit" N times back to back
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int n = argc > 3 ? atoi(argv[1]) : 0;

	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			execl(argv[2], argv[2], argv[3], "exit", (char *)NULL);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, NULL, 0) < 0)
			return 1;
	}
	return 0;
}
