/*
 * tcount: a worker that prints numbered lines, for the soak tier.
 *
 *   tcount [--every MS] [--exit-after MS CODE]
 *
 * Prints "tcount PID N" for N = 1, 2, ... every MS milliseconds (default
 * 20), one write(2) per line, so every line either reaches otpd whole or
 * was never written.  On SIGTERM or SIGINT it prints "tcount PID N end"
 * (N: the lines before it) and exits 0; with --exit-after it prints
 * "tcount PID N exit CODE" after MS and exits with CODE.  A reader can
 * then tell, for every pid, that no line was lost and how it ended.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

static void say(const char *fmt, long n, const char *tail)
{
	char buf[96];
	int len = snprintf(buf, sizeof(buf), fmt, (int)getpid(), n, tail);

	while (len > 0 && write(1, buf, (size_t)len) < 0)
		if (errno != EINTR)
			_exit(3);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	long every = 20, exit_after = -1, n = 0, start = now_ms();
	int code = 0;
	struct sigaction sa = { .sa_handler = on_term };

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--every") && i + 1 < argc) {
			every = atol(argv[++i]);
		} else if (!strcmp(argv[i], "--exit-after") && i + 2 < argc) {
			exit_after = atol(argv[++i]);
			code = atoi(argv[++i]);
		}
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop) {
		if (exit_after >= 0 && now_ms() - start >= exit_after) {
			char tail[32];

			snprintf(tail, sizeof(tail), " exit %d", code);
			say("tcount %d %ld%s\n", n, tail);
			return code;
		}
		say("tcount %d %ld%s\n", ++n, "");
		struct timespec ts = { every / 1000, (every % 1000) * 1000000 };

		nanosleep(&ts, NULL);   /* a signal cuts it short */
	}
	say("tcount %d %ld%s\n", n, " end");
	return 0;
}
