/*
 * floor: the bare fork/exec/waitpid restart loop otpd is compared with.
 *   floor N STAMP FILE MODE [MS]   run "STAMP FILE MODE [MS]" N times back to back
 * SIGTERM ends it (and the current child) at once.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	int n = argc > 4 ? atoi(argv[1]) : 0;
	struct sigaction sa = { .sa_handler = on_term };
	pid_t pid = 0;

	sigaction(SIGTERM, &sa, NULL);
	for (int i = 0; i < n && !stop; i++) {
		pid = fork();
		if (pid == 0) {
			signal(SIGTERM, SIG_DFL);
			execv(argv[2], argv + 2);
			_exit(127);
		}
		while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			if (stop)
				kill(pid, SIGKILL);
	}
	return 0;
}
