/*
 * sigrec: a worker that records the signals it gets, for otpd's tests
 * (integration, and statically linked in the container tier's image).
 *
 *   sigrec FILE [CODE]
 *
 * Blocks every signal that can be blocked, appends "ready PID" to FILE,
 * then one line per signal received, its name without "SIG" as kill(1)
 * and podman kill -s spell it ("USR1", "IO", "RTMIN+1", "RTMAX").  SIGTERM is recorded too and ends it with exit status CODE
 * (default 0).  Each line is one write(2) to a file opened O_APPEND, so
 * several sigrecs may share FILE.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* sigabbrev_np */
#endif
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *file;

static void note(const char *line)
{
	int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return;
	(void)!write(fd, line, strlen(line));
	close(fd);
}

static void name_of(int sig, char *buf, size_t len)
{
	const char *n = sig == SIGIO ? "IO" : sig < SIGRTMIN ? sigabbrev_np(sig) : NULL;

	if (n)
		snprintf(buf, len, "%s\n", n);
	else if (sig == SIGRTMAX)
		snprintf(buf, len, "RTMAX\n");
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, len, "RTMIN+%d\n", sig - SIGRTMIN);
	else
		snprintf(buf, len, "%d\n", sig);
}

int main(int argc, char **argv)
{
	char line[64];
	sigset_t all;
	int code = argc > 2 ? atoi(argv[2]) : 0;

	if (argc < 2) {
		fprintf(stderr, "usage: sigrec FILE [CODE]\n");
		return 2;
	}
	file = argv[1];
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	snprintf(line, sizeof(line), "ready %d\n", (int)getpid());
	note(line);
	for (;;) {
		int sig = sigwaitinfo(&all, NULL);

		if (sig < 0)
			continue;
		name_of(sig, line, sizeof(line));
		note(line);
		if (sig == SIGTERM)
			return code;
	}
}
