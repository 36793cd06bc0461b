/*
 * overlap_bench: 8 callers calling an echo worker under otpd (one
 * connection per call) without a pause, first with no restart, then
 * during ROUNDS overlapping restarts (otpctl restart --overlap), then
 * during ROUNDS plain restarts.  Prints, per phase, "metric NAME SYSTEM
 * VALUE UNIT" lines for bench/scenarios/overlap.py:
 *   upgrade_calls_8  calls answered per second
 *   upgrade_p99      p99 of the answered calls' round trips (ms)
 *   upgrade_failed   calls that failed (timeout 5 s)
 * SYSTEM: otpd-steady, otpd (overlap), otpd-restart.
 *
 *   overlap_bench MAILBOX_PATH OTPCTL SOCKET NAME ROUNDS
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../ipc/otp_mailbox.h"

#define CALLERS 8

struct caller {
	pthread_t t;
	double *lat;
	size_t n, cap;
	long failed;
};

static const char *path;
static atomic_int stop;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *call_loop(void *arg)
{
	struct caller *c = arg;
	char reply[16];

	while (!atomic_load(&stop)) {
		double t0 = now_ms();
		ssize_t r = otp_call_path(path, "x", 1, reply, sizeof(reply), 5000);

		if (r != 1) {
			c->failed++;
			continue;
		}
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 65536;
			c->lat = realloc(c->lat, c->cap * sizeof(double));
			if (!c->lat)
				abort();
		}
		c->lat[c->n++] = now_ms() - t0;
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int run(char *const argv[])
{
	pid_t p = fork();
	int st;

	if (p == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	if (p < 0 || waitpid(p, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* One phase: callers for `rounds` restarts (`mode`: "--overlap" or NULL),
 * or for 2 s without a restart (rounds 0). */
static void phase(const char *system, char *otpctl, char *sock, char *name, const char *mode,
		  int rounds)
{
	struct caller c[CALLERS] = { 0 };
	char *argv[] = { otpctl, "-s", sock, "restart", name, (char *)mode, NULL };
	double t0, t1, *all;
	size_t total = 0, k = 0;
	long failed = 0;
	int bad = 0;

	atomic_store(&stop, 0);
	for (int i = 0; i < CALLERS; i++)
		pthread_create(&c[i].t, NULL, call_loop, &c[i]);
	usleep(200000);
	t0 = now_ms();
	if (rounds == 0) {
		usleep(2000000);
	} else {
		for (int i = 0; i < rounds; i++)
			if (run(argv) != 0)
				bad++;
	}
	t1 = now_ms();
	atomic_store(&stop, 1);
	for (int i = 0; i < CALLERS; i++) {
		pthread_join(c[i].t, NULL);
		total += c[i].n;
		failed += c[i].failed;
	}
	all = malloc((total ? total : 1) * sizeof(double));
	for (int i = 0; i < CALLERS; i++) {
		memcpy(all + k, c[i].lat, c[i].n * sizeof(double));
		k += c[i].n;
		free(c[i].lat);
	}
	qsort(all, total, sizeof(double), cmp);
	if (bad)
		fprintf(stderr, "overlap_bench: %s: %d restarts failed\n", system, bad);
	/* Calls counted over the whole phase, from the first restart to the last. */
	printf("metric upgrade_calls_8 %s %.0f calls/s\n", system, total * 1000.0 / (t1 - t0 + 200));
	(void)t1;
	printf("metric upgrade_p99 %s %.3f ms\n", system, total ? all[(size_t)(total * 0.99)] : -1.0);
	printf("metric upgrade_failed %s %ld calls\n", system, failed);
	fflush(stdout);
	free(all);
}

int main(int argc, char **argv)
{
	int rounds;

	if (argc != 6) {
		fprintf(stderr, "usage: overlap_bench MAILBOX_PATH OTPCTL SOCKET NAME ROUNDS\n");
		return 2;
	}
	path = argv[1];
	rounds = atoi(argv[5]);
	phase("otpd-steady", argv[2], argv[3], argv[4], NULL, 0);
	phase("otpd", argv[2], argv[3], argv[4], "--overlap", rounds);
	phase("otpd-restart", argv[2], argv[3], argv[4], NULL, rounds);
	return 0;
}
