/*
 * lines.c: a worker that writes lines at a steady rate, for the logs
 * scenario (bench/scenarios/logs.py).
 *
 *   lines RATE SECONDS [DONE]
 *
 * writes RATE lines a second of 80 bytes ("NAME NNNNNNNN ...x\n") on
 * stdout for SECONDS seconds, in batches every 10 ms, then appends
 * "done PID" to the file DONE (when given) and sleeps until killed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE 80

static void put_all(const char *b, size_t n)
{
	while (n > 0) {
		ssize_t r = write(1, b, n);

		if (r <= 0)
			exit(1);
		b += r;
		n -= (size_t)r;
	}
}

static void mark_done(const char *path)
{
	char b[64];
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	int n = snprintf(b, sizeof(b), "done %d\n", (int)getpid());

	if (fd >= 0) {
		if (write(fd, b, (size_t)n) < 0)
			exit(1);
		close(fd);
	}
}

int main(int argc, char **argv)
{
	long rate = argc > 2 ? atol(argv[1]) : 0, secs = argc > 2 ? atol(argv[2]) : 0;
	long per_tick = rate / 100, seq = 0;
	static char buf[1 << 20];
	struct timespec next;

	if (rate <= 0 || secs <= 0 || per_tick * LINE > (long)sizeof(buf)) {
		fprintf(stderr, "usage: lines RATE SECONDS [DONE]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (long tick = 0; tick < secs * 100; tick++) {
		size_t n = 0;

		for (long i = 0; i < per_tick; i++, seq++) {
			char head[32];
			int h = snprintf(head, sizeof(head), "line %08ld ", seq % 100000000);

			memcpy(buf + n, head, (size_t)h);
			memset(buf + n + h, 'x', (size_t)(LINE - 1 - h));
			buf[n + LINE - 1] = '\n';
			n += LINE;
		}
		put_all(buf, n);
		next.tv_nsec += 10000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	if (argc > 3)
		mark_done(argv[3]);
	for (;;)
		pause();
}
