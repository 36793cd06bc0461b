/*
 * reaper: the bare PID 1 floor, a waitpid loop and nothing else.
 *   reaper CMD [ARGS...]   run CMD, reap every child until none is left
 * SIGTERM is passed on to CMD (the forwarding floor of a real init).
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = forward };
	int st = 0, main_st = 0;
	pid_t pid;

	if (argc < 2)
		return 2;
	sigaction(SIGTERM, &sa, NULL);
	child = fork();
	if (child == 0) {
		signal(SIGTERM, SIG_DFL);
		execv(argv[1], argv + 1);
		_exit(127);
	}
	while ((pid = waitpid(-1, &st, 0)) > 0 || errno == EINTR)
		if (pid == child)
			main_st = st;
	return WIFEXITED(main_st) ? WEXITSTATUS(main_st) : 128 + WTERMSIG(main_st);
}
