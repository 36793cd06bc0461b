/*
 * mailbox_bench: gen_server call round trips through an otpd mailbox,
 * next to floors that do the same work without the mailbox library, in
 * the same run.
 *
 *   mailbox_bench MAILBOX_PATH FLOOR_PATH
 *
 * MAILBOX_PATH is the mailbox of an echo worker under otpd; FLOOR_PATH is
 * where the one-connection-per-call floor's server listens.  Four
 * systems, each call one "cping" -> "rping" exchange, in two pairs:
 *
 * one connection per call (metrics mailbox_rtt_*, mailbox_calls_*):
 *   otpd        otp_call_path() to the worker (otp_mb_serve);
 *   floor       the same pattern without the library: a blocking
 *               socket/connect/send/recv/close per call, to one plain
 *               server process doing accept/recv/send/close on a
 *               SOCK_SEQPACKET socket of the same backlog as otpd's;
 *
 * a connection kept across calls (metrics mailbox_keep_*):
 *   otpd        otp_conn_open_path() once per caller, then otp_conn_call()
 *               to the same worker (one process serving every caller);
 *   floor       the socketpair floor: a connected SOCK_SEQPACKET
 *               socketpair per caller, to one plain echo process, as
 *               otpd's worker is one: with 1 caller a blocking recv/send
 *               loop, with 8 a poll() over the 8 sockets, then recv/send
 *               on each ready one (no library);
 *   socketpair  (8 callers only) a socketpair per caller with an echo
 *               process each: 8 servers where otpd has one, shown for
 *               scale, not comparable (on a loaded machine 8 processes
 *               get 8 shares of the CPU).
 *
 * Every server process, the floors' too, runs in a session of its own
 * (setsid), as a worker otpd starts does: with sched_autogroup a server in
 * the callers' session would be woken ~2-3 us faster per round trip on
 * this kernel, a head start otpd's worker never has.
 *
 * The systems run interleaved in ROUNDS rounds (A B C D A B C D), so a
 * burst of load from elsewhere on a shared machine hits them alike.
 * Prints a table and "metric NAME SYSTEM VALUE UNIT" lines: latency
 * percentiles over all calls, calls/s once per round.
 */
#include <poll.h>
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
#define N_PAR 8                 /* callers at once */
#define BACKLOG 128             /* otpd's default mailbox_backlog */

enum { SYS_FLOOR, SYS_OTPD, SYS_PAIR, SYS_KEEP, SYS_SPLIT, N_SYS };

/* How each system is reported, and how many calls it makes (over all rounds). */
static const struct sysdef {
	const char *label;      /* in the table */
	const char *metric;     /* metric name prefix */
	const char *name;       /* system in the metric lines */
	int n_seq;              /* 1 caller */
	int n_each;             /* per caller of N_PAR */
} sys_def[N_SYS] = {
	[SYS_FLOOR] = { "floor", "mailbox", "floor", 5000, 1000 },
	[SYS_OTPD] = { "otpd", "mailbox", "otpd", 5000, 1000 },
	[SYS_PAIR] = { "pair-kept", "mailbox_keep", "floor", 20000, 4000 },
	[SYS_KEEP] = { "otpd-kept", "mailbox_keep", "otpd", 20000, 4000 },
	[SYS_SPLIT] = { "pair-each", "mailbox_keep", "socketpair", 0, 4000 },
};

/* What one caller talks to: a connected socketpair, a kept connection, or a path. */
struct target {
	int sys;
	int fd;                 /* SYS_PAIR, SYS_SPLIT */
	struct otp_conn *conn;  /* SYS_KEEP */
	const char *path;       /* SYS_FLOOR, SYS_OTPD, SYS_KEEP */
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

/* A server process: tied to the bench, in a session of its own (see the top). */
static pid_t fork_server(void)
{
	pid_t pid = fork_tied();

	if (pid == 0 && setsid() < 0)
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
	*ret_pid = fork_server();
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

/* The 8-caller floor's server: one process, poll() over every connection. */
static void echo_many(int *fds, int n)
{
	struct pollfd p[N_PAR];
	int open = n;

	for (int k = 0; k < n; k++)
		p[k] = (struct pollfd){ .fd = fds[k], .events = POLLIN };
	while (open > 0) {
		if (poll(p, (nfds_t)n, -1) < 0)
			continue;
		for (int k = 0; k < n; k++) {
			if (p[k].revents && echo_one(p[k].fd) <= 0) {
				p[k].fd = -1;   /* that caller is done */
				open--;
			}
		}
	}
	_exit(0);
}

/* n socketpairs to one echo_many process; our ends into fds[]. */
static pid_t pairs_one_server(int *fds, int n)
{
	int theirs[N_PAR], sv[2];
	pid_t pid;

	for (int k = 0; k < n; k++) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
			die("socketpair");
		fds[k] = sv[0];
		theirs[k] = sv[1];
	}
	pid = fork_server();
	if (pid == 0) {
		for (int k = 0; k < n; k++)
			close(fds[k]);
		echo_many(theirs, n);
	}
	for (int k = 0; k < n; k++)
		close(theirs[k]);
	return pid;
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
	pid = fork_server();
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

static int trip_keep(struct otp_conn *c)
{
	char reply[64];

	return otp_conn_call(c, "ping", 4, reply, sizeof(reply), 5000) == 4 ? 0 : -1;
}

/* One round trip of the kind under test; 0 on success. */
static int trip(const struct target *t)
{
	switch (t->sys) {
	case SYS_PAIR:
	case SYS_SPLIT:
		return trip_pair(t->fd);
	case SYS_FLOOR:
		return trip_floor(t->path);
	case SYS_KEEP:
		return trip_keep(t->conn);
	default:
		return trip_otpd(t->path);
	}
}

/*
 * Set up what a caller keeps for the whole run: a socketpair + echo, a
 * connection.  (With 8 callers, SYS_PAIR's sockets come ready from
 * throughput_round: t->fd is set.)
 */
static void target_open(struct target *t, pid_t *ret_echo)
{
	*ret_echo = 0;
	if ((t->sys == SYS_PAIR && t->fd < 0) || t->sys == SYS_SPLIT)
		t->fd = pair_echo(ret_echo);
	if (t->sys == SYS_KEEP && otp_conn_open_path(t->path, &t->conn) < 0) {
		fprintf(stderr, "otpd-kept: cannot open %s\n", t->path);
		exit(1);
	}
}

static void target_close(struct target *t, pid_t echo)
{
	if (echo > 0)
		pair_close(t->fd, echo);
	else if (t->sys == SYS_PAIR || t->sys == SYS_SPLIT)
		close(t->fd);
	if (t->sys == SYS_KEEP)
		otp_conn_close(t->conn);
}

/* n calls from this process, each timed into v[]. */
static void latency_round(const struct target *t, double *v, int n)
{
	const struct sysdef *d = &sys_def[t->sys];
	double t0 = now_us();

	for (int i = 0; i < n; i++) {
		double a = now_us();

		if (trip(t) < 0) {
			fprintf(stderr, "%s: round trip failed\n", d->label);
			exit(1);
		}
		v[i] = now_us() - a;
	}
	printf("metric %s_calls_1 %s %.0f calls/s\n", d->metric, d->name,
	       n / (now_us() - t0) * 1e6);
}

static void latency_report(int sys, double *v, int n)
{
	const struct sysdef *d = &sys_def[sys];
	const char *m = sys == SYS_PAIR || sys == SYS_KEEP ? "mailbox_keep" : "mailbox_rtt";

	qsort(v, (size_t)n, sizeof(v[0]), cmp);
	printf("%-10s 1 caller   p50 %7.1f us  p99 %7.1f us\n", d->label, v[n / 2],
	       v[n * 99 / 100]);
	printf("metric %s_p50 %s %.1f us\nmetric %s_p99 %s %.1f us\n", m, d->name, v[n / 2], m,
	       d->name, v[n * 99 / 100]);
}

static void latency(const char *paths[N_SYS])
{
	static double v[N_SYS][20000];

	for (int r = 0; r < ROUNDS; r++) {
		for (int s = 0; s < N_SYS; s++) {
			struct target t = { .sys = s, .fd = -1, .path = paths[s] };
			int per = sys_def[s].n_seq / ROUNDS;
			pid_t echo;

			if (per == 0)
				continue;
			target_open(&t, &echo);
			latency_round(&t, v[s] + r * per, per);
			target_close(&t, echo);
		}
	}
	for (int s = 0; s < N_SYS; s++)
		if (sys_def[s].n_seq > 0)
			latency_report(s, v[s], sys_def[s].n_seq);
}

/* A caller: set up, wait for the start (the pipe's EOF), n calls, exit. */
static void caller(const struct target *tmpl, int go, int n)
{
	struct target t = *tmpl;
	pid_t echo;
	char c;
	int bad = 0;

	target_open(&t, &echo);
	(void)!read(go, &c, 1);
	for (int i = 0; i < n && !bad; i++)
		bad = trip(&t) < 0;
	target_close(&t, echo);
	_exit(bad);
}

/*
 * N_PAR callers released at once; their calls/s from release to the last
 * exit.  SYS_PAIR's callers get their sockets to one shared server here.
 */
static double throughput_round(const struct target *t, int n_each)
{
	pid_t pids[N_PAR], server = 0;
	int go[2], fds[N_PAR], bad = 0, st;
	struct target mine = *t;
	double t0;

	/* The server first: it must not hold the start pipe open. */
	if (t->sys == SYS_PAIR)
		server = pairs_one_server(fds, N_PAR);
	if (pipe(go) < 0)
		die("pipe");
	for (int k = 0; k < N_PAR; k++) {
		if ((pids[k] = fork_tied()) == 0) {
			close(go[1]);
			for (int j = 0; server && j < N_PAR; j++)
				if (j != k)
					close(fds[j]);
			mine.fd = server ? fds[k] : -1;
			caller(&mine, go[0], n_each);
		}
	}
	for (int k = 0; server && k < N_PAR; k++)
		close(fds[k]);
	close(go[0]);
	/* Let the callers fork their echo processes or connect first. */
	usleep(20000);
	t0 = now_us();
	close(go[1]);
	for (int k = 0; k < N_PAR; k++)
		if (waitpid(pids[k], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	t0 = N_PAR * n_each / (now_us() - t0) * 1e6;
	if (server)
		waitpid(server, NULL, 0);
	if (bad) {
		fprintf(stderr, "%s: %d of %d callers failed\n", sys_def[t->sys].label, bad, N_PAR);
		exit(1);
	}
	return t0;
}

static void throughput(const char *paths[N_SYS])
{
	for (int r = 0; r < ROUNDS; r++) {
		for (int s = 0; s < N_SYS; s++) {
			const struct sysdef *d = &sys_def[s];
			struct target t = { .sys = s, .fd = -1, .path = paths[s] };
			double rate = throughput_round(&t, d->n_each / ROUNDS);

			printf("%-10s %d callers  %8.0f calls/s\n", d->label, N_PAR, rate);
			printf("metric %s_calls_8 %s %.0f calls/s\n", d->metric, d->name, rate);
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
	paths[SYS_KEEP] = argv[1];
	server = floor_server(argv[2]);
	latency(paths);
	throughput(paths);
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	unlink(argv[2]);
	return 0;
}
