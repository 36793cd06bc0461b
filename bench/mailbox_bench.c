/*
 * mailbox_bench: gen_server call round trips through an otpd mailbox,
 * next to the raw floor of a socketpair round trip, in the same run.
 *
 *   mailbox_bench PATH      PATH: the mailbox of an echo worker under otpd
 *
 * Prints a table and "metric NAME SYSTEM VALUE UNIT" lines.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../ipc/otp_mailbox.h"

#define N_SEQ 5000
#define N_PAR 8
#define N_EACH 1000

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One round trip of the kind under test; 0 on success. */
typedef int (*trip_fn)(void *ctx);

static int trip_mailbox(void *ctx)
{
	char reply[64];

	return otp_call_path(ctx, "ping", 4, reply, sizeof(reply), 5000) == 4 ? 0 : -1;
}

static int trip_pair(void *ctx)
{
	int fd = *(int *)ctx;
	char buf[64];

	if (send(fd, "cping", 5, 0) != 5)
		return -1;
	return recv(fd, buf, sizeof(buf), 0) == 5 ? 0 : -1;
}

/* A child echoing every datagram of its end of a socketpair; returns our end. */
static int pair_echo(pid_t *ret_pid)
{
	int sv[2];
	char buf[64];
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		exit(1);
	*ret_pid = fork();
	if (*ret_pid == 0) {
		close(sv[0]);
		while ((n = recv(sv[1], buf, sizeof(buf), 0)) > 0)
			buf[0] = 'r', (void)!send(sv[1], buf, (size_t)n, 0);
		_exit(0);
	}
	close(sv[1]);
	return sv[0];
}

static void latency(const char *sys, trip_fn fn, void *ctx)
{
	static double v[N_SEQ];
	double t0 = now_us();

	for (int i = 0; i < N_SEQ; i++) {
		double a = now_us();

		if (fn(ctx) < 0) {
			fprintf(stderr, "%s: round trip %d failed\n", sys, i);
			exit(1);
		}
		v[i] = now_us() - a;
	}
	double total = now_us() - t0;

	qsort(v, N_SEQ, sizeof(v[0]), cmp);
	printf("%-8s 1 caller   p50 %7.1f us  p99 %7.1f us  %8.0f calls/s\n", sys, v[N_SEQ / 2],
	       v[N_SEQ * 99 / 100], N_SEQ / total * 1e6);
	printf("metric mailbox_rtt_p50 %s %.1f us\nmetric mailbox_rtt_p99 %s %.1f us\n", sys,
	       v[N_SEQ / 2], sys, v[N_SEQ * 99 / 100]);
	printf("metric mailbox_calls_1 %s %.0f calls/s\n", sys, N_SEQ / total * 1e6);
}

/* N_PAR processes, each doing N_EACH round trips. */
static void throughput(const char *sys, const char *path)
{
	pid_t pids[N_PAR];
	double t0 = now_us();

	for (int k = 0; k < N_PAR; k++) {
		if ((pids[k] = fork()) == 0) {
			pid_t echo = 0;
			int fd = path ? -1 : pair_echo(&echo);

			for (int i = 0; i < N_EACH; i++)
				if ((path ? trip_mailbox((void *)path) : trip_pair(&fd)) < 0)
					_exit(1);
			if (echo) {
				close(fd);
				waitpid(echo, NULL, 0);
			}
			_exit(0);
		}
	}
	int bad = 0, st;

	for (int k = 0; k < N_PAR; k++)
		if (waitpid(pids[k], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	double rate = N_PAR * N_EACH / (now_us() - t0) * 1e6;

	printf("%-8s %d callers  %8.0f calls/s%s\n", sys, N_PAR, rate, bad ? "  (FAILURES)" : "");
	printf("metric mailbox_calls_8 %s %.0f calls/s\n", sys, rate);
}

int main(int argc, char **argv)
{
	pid_t echo;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: mailbox_bench MAILBOX_PATH\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	fd = pair_echo(&echo);
	latency("floor", trip_pair, &fd);
	close(fd);
	waitpid(echo, NULL, 0);
	latency("otpd", trip_mailbox, argv[1]);
	throughput("floor", NULL);
	throughput("otpd", argv[1]);
	return 0;
}
