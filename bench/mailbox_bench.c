/*
 * mailbox_bench: gen_server call round trips through an otpd mailbox,
 * next to floors that do the same work without the mailbox library, in
 * the same run.
 *
 *   mailbox_bench MAILBOX_PATH FLOOR_PATH
 *
 * MAILBOX_PATH is the mailbox of an echo worker under otpd; FLOOR_PATH is
 * where the floor's server listens.  Three systems, each call one
 * "cping" -> "rping" exchange:
 *
 *   otpd        otp_call_path() to the worker (otp_mb_serve), one
 *               connection per call;
 *   floor       the same pattern without the library: a blocking
 *               socket/connect/send/recv/close per call, to one plain
 *               server process doing accept/recv/send/close on a
 *               SOCK_SEQPACKET socket of the same backlog as otpd's;
 *   socketpair  one connected socketpair per caller, each with an echo
 *               process of its own: no connect and no accept, and (with 8
 *               callers) 8 servers instead of one.  The raw IPC cost, not
 *               comparable with one connection per call.
 *
 * The systems run interleaved in ROUNDS rounds (A B C A B C), so a burst
 * of load from elsewhere on a shared machine hits them alike.  Prints a
 * table and "metric NAME SYSTEM VALUE UNIT" lines: latency percentiles
 * over all calls, calls/s once per round.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../ipc/otp_mailbox.h"

#define ROUNDS 10
#define N_SEQ 5000              /* 1 caller: calls per system, over all rounds */
#define N_PAR 8                 /* callers at once */
#define N_EACH 1000             /* calls per caller and system, over all rounds */
#define BACKLOG 128             /* otpd's default mailbox_backlog */

enum { SYS_PAIR, SYS_FLOOR, SYS_OTPD, N_SYS };
static const char *const sys_name[N_SYS] = { "socketpair", "floor", "otpd" };

/* What one caller talks to: a connected socketpair, or a path. */
struct target {
	int sys;
	int fd;                 /* SYS_PAIR */
	const char *path;       /* SYS_FLOOR, SYS_OTPD */
};

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

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* A forked helper must not outlive the bench, whatever happens to it. */
static pid_t fork_tied(void)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0 && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		_exit(1);
	return pid;
}

/* Answer one datagram in place (the kind byte becomes 'r'); recv's result. */
static ssize_t echo_one(int fd)
{
	char buf[64];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);

	if (n > 0) {
		buf[0] = 'r';
		(void)!send(fd, buf, (size_t)n, MSG_NOSIGNAL);
	}
	return n;
}

/* A child echoing every datagram of its end of a socketpair; returns our end. */
static int pair_echo(pid_t *ret_pid)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		die("socketpair");
	*ret_pid = fork_tied();
	if (*ret_pid == 0) {
		close(sv[0]);
		while (echo_one(sv[1]) > 0)
			;       /* until the caller closes its end */
		_exit(0);
	}
	close(sv[1]);
	return sv[0];
}

static void pair_close(int fd, pid_t echo)
{
	close(fd);
	waitpid(echo, NULL, 0);
}

static socklen_t path_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		fprintf(stderr, "%s: path too long\n", path);
		exit(1);
	}
	strcpy(sa->sun_path, path);
	return sizeof(*sa);
}

/* The floor's server: the plainest accept/recv/send/close loop. */
static pid_t floor_server(const char *path)
{
	struct sockaddr_un sa;
	socklen_t len = path_addr(path, &sa);
	int l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	pid_t pid;

	if (l < 0)
		die("socket");
	unlink(path);
	if (bind(l, (struct sockaddr *)&sa, len) < 0 || listen(l, BACKLOG) < 0)
		die(path);
	pid = fork_tied();
	if (pid == 0) {
		for (;;) {
			int c = accept(l, NULL, NULL);

			if (c < 0)
				continue;
			echo_one(c);
			close(c);
		}
	}
	close(l);
	return pid;
}

static int trip_floor(const char *path)
{
	struct sockaddr_un sa;
	socklen_t len = path_addr(path, &sa);
	char buf[64];
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), r = -1;

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, len) == 0 &&
	    send(fd, "cping", 5, MSG_NOSIGNAL) == 5 && recv(fd, buf, sizeof(buf), 0) == 5)
		r = 0;
	close(fd);
	return r;
}

static int trip_pair(int fd)
{
	char buf[64];

	if (send(fd, "cping", 5, MSG_NOSIGNAL) != 5)
		return -1;
	return recv(fd, buf, sizeof(buf), 0) == 5 ? 0 : -1;
}

static int trip_otpd(const char *path)
{
	char reply[64];

	return otp_call_path(path, "ping", 4, reply, sizeof(reply), 5000) == 4 ? 0 : -1;
}

/* One round trip of the kind under test; 0 on success. */
static int trip(const struct target *t)
{
	switch (t->sys) {
	case SYS_PAIR:
		return trip_pair(t->fd);
	case SYS_FLOOR:
		return trip_floor(t->path);
	default:
		return trip_otpd(t->path);
	}
}

/* n calls from this process, each timed into v[]. */
static void latency_round(const struct target *t, double *v, int n)
{
	double t0 = now_us();

	for (int i = 0; i < n; i++) {
		double a = now_us();

		if (trip(t) < 0) {
			fprintf(stderr, "%s: round trip failed\n", sys_name[t->sys]);
			exit(1);
		}
		v[i] = now_us() - a;
	}
	printf("metric mailbox_calls_1 %s %.0f calls/s\n", sys_name[t->sys],
	       n / (now_us() - t0) * 1e6);
}

static void latency_report(int sys, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), cmp);
	printf("%-10s 1 caller   p50 %7.1f us  p99 %7.1f us\n", sys_name[sys], v[n / 2],
	       v[n * 99 / 100]);
	printf("metric mailbox_rtt_p50 %s %.1f us\nmetric mailbox_rtt_p99 %s %.1f us\n",
	       sys_name[sys], v[n / 2], sys_name[sys], v[n * 99 / 100]);
}

static void latency(const char *paths[N_SYS])
{
	static double v[N_SYS][N_SEQ];
	const int per = N_SEQ / ROUNDS;

	for (int r = 0; r < ROUNDS; r++) {
		for (int s = 0; s < N_SYS; s++) {
			struct target t = { .sys = s, .path = paths[s] };
			pid_t echo = 0;

			if (s == SYS_PAIR)
				t.fd = pair_echo(&echo);
			latency_round(&t, v[s] + r * per, per);
			if (s == SYS_PAIR)
				pair_close(t.fd, echo);
		}
	}
	for (int s = 0; s < N_SYS; s++)
		latency_report(s, v[s], N_SEQ);
}

/* A caller: set up, wait for the start (the pipe's EOF), n calls, exit. */
static void caller(const struct target *tmpl, int go, int n)
{
	struct target t = *tmpl;
	pid_t echo = 0;
	char c;
	int bad = 0;

	if (t.sys == SYS_PAIR)
		t.fd = pair_echo(&echo);
	(void)!read(go, &c, 1);
	for (int i = 0; i < n && !bad; i++)
		bad = trip(&t) < 0;
	if (t.sys == SYS_PAIR)
		pair_close(t.fd, echo);
	_exit(bad);
}

/* N_PAR callers released at once; their calls/s from release to the last exit. */
static double throughput_round(const struct target *t, int n_each)
{
	pid_t pids[N_PAR];
	int go[2], bad = 0, st;
	double t0;

	if (pipe(go) < 0)
		die("pipe");
	for (int k = 0; k < N_PAR; k++) {
		if ((pids[k] = fork_tied()) == 0) {
			close(go[1]);
			caller(t, go[0], n_each);
		}
	}
	close(go[0]);
	/* Let the socketpair callers fork their echo processes first. */
	usleep(20000);
	t0 = now_us();
	close(go[1]);
	for (int k = 0; k < N_PAR; k++)
		if (waitpid(pids[k], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	if (bad) {
		fprintf(stderr, "%s: %d of %d callers failed\n", sys_name[t->sys], bad, N_PAR);
		exit(1);
	}
	return N_PAR * n_each / (now_us() - t0) * 1e6;
}

static void throughput(const char *paths[N_SYS])
{
	for (int r = 0; r < ROUNDS; r++) {
		for (int s = 0; s < N_SYS; s++) {
			struct target t = { .sys = s, .path = paths[s] };
			double rate = throughput_round(&t, N_EACH / ROUNDS);

			printf("%-10s %d callers  %8.0f calls/s\n", sys_name[s], N_PAR, rate);
			printf("metric mailbox_calls_8 %s %.0f calls/s\n", sys_name[s], rate);
		}
	}
}

int main(int argc, char **argv)
{
	const char *paths[N_SYS];
	pid_t server;

	if (argc != 3) {
		fprintf(stderr, "usage: mailbox_bench MAILBOX_PATH FLOOR_PATH\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	paths[SYS_PAIR] = NULL;
	paths[SYS_FLOOR] = argv[2];
	paths[SYS_OTPD] = argv[1];
	server = floor_server(argv[2]);
	latency(paths);
	throughput(paths);
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	unlink(argv[2]);
	return 0;
}
