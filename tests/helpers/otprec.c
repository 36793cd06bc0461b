/*
 * otprec: the recording worker of the OTP differential tier (tests/otp/).
 *
 *   otprec SOCKET
 *
 * Connects (SOCK_SEQPACKET) to the driver at SOCKET and says who it is:
 * "hello NAME PID NS" (NAME from $OTP_NAME, NS its CLOCK_MONOTONIC start in
 * nanoseconds).  The driver answers how this start attempt behaves,
 * "START STOP":
 *
 *   START  now | delay:MS | hold | fail
 *   STOP   quick | slow:MS | ignore | hold
 *
 * fail: says "fail NS" and exits 1 before it is ready (a failed start).
 * delay and hold (until the driver sends "go"): says "ready NS" when done.
 * Then READY=1 to $NOTIFY_SOCKET (the tier runs every worker with
 * ready = notify, so that start order is exact).
 *
 * quick dies of the stop signal at once; slow and hold say "term NS" and
 * then die of SIGTERM after MS (slow) or after the driver's "go" (hold);
 * ignore says nothing (it may not even run before its kill: a loaded
 * machine must not change the trace) and only SIGKILL ends it.
 *
 * Commands from the driver at any time: "exit N" (exits with code N),
 * "term" (dies of SIGTERM whatever STOP says), "kill" (SIGKILL).
 * The driver going away ends it.
 */
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

enum start_mode { START_NOW, START_DELAY, START_HOLD, START_FAIL };
enum stop_mode { STOP_QUICK, STOP_SLOW, STOP_IGNORE, STOP_HOLD };

struct rec {
	int sock;
	int sigfd;
	enum start_mode start;
	long start_ms;
	enum stop_mode stop;
	long stop_ms;
	bool starting;          /* not ready yet */
	bool terminating;       /* got the stop signal (not quick) */
	long long start_deadline;
	long long death_deadline;
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void say(struct rec *r, const char *what)
{
	char buf[128];
	int n = snprintf(buf, sizeof(buf), "%s %lld", what, now_ns());

	(void)!send(r->sock, buf, n, MSG_NOSIGNAL);
}

static void die_of(int sig)
{
	signal(sig, SIG_DFL);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	raise(sig);
	_exit(128 + sig);
}

static int connect_driver(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(a.sun_path))
		return -1;
	strcpy(a.sun_path, path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	return fd;
}

static void parse_mode(struct rec *r, const char *m)
{
	char start[32] = "", stop[32] = "";

	sscanf(m, "%31s %31s", start, stop);
	if (!strcmp(start, "hold"))
		r->start = START_HOLD;
	else if (!strcmp(start, "fail"))
		r->start = START_FAIL;
	else if (!strncmp(start, "delay:", 6)) {
		r->start = START_DELAY;
		r->start_ms = atol(start + 6);
	}
	if (!strcmp(stop, "ignore"))
		r->stop = STOP_IGNORE;
	else if (!strcmp(stop, "hold"))
		r->stop = STOP_HOLD;
	else if (!strncmp(stop, "slow:", 5)) {
		r->stop = STOP_SLOW;
		r->stop_ms = atol(stop + 5);
	}
}

/* The stop signal is handled in the loop (signalfd) unless STOP is quick. */
static int setup_signals(struct rec *r)
{
	sigset_t s;

	if (r->stop == STOP_QUICK) {
		signal(SIGTERM, SIG_DFL);
		return 0;
	}
	sigemptyset(&s);
	sigaddset(&s, SIGTERM);
	sigprocmask(SIG_BLOCK, &s, NULL);
	r->sigfd = signalfd(-1, &s, SFD_CLOEXEC | SFD_NONBLOCK);
	return r->sigfd < 0 ? -1 : 0;
}

static void became_ready(struct rec *r)
{
	r->starting = false;
	if (r->start != START_NOW)
		say(r, "ready");
	sd_notify(0, "READY=1");
}

static void on_term(struct rec *r)
{
	struct signalfd_siginfo si;

	while (read(r->sigfd, &si, sizeof(si)) == sizeof(si))
		;
	if (r->terminating)
		return;
	r->terminating = true;
	if (r->stop != STOP_IGNORE)
		say(r, "term");
	if (r->stop == STOP_SLOW)
		r->death_deadline = now_ns() + r->stop_ms * 1000000LL;
}

static void on_go(struct rec *r)
{
	if (r->starting && r->start == START_HOLD)
		became_ready(r);
	else if (r->terminating && r->stop == STOP_HOLD)
		die_of(SIGTERM);
}

static void on_command(struct rec *r)
{
	char buf[128];
	ssize_t n = recv(r->sock, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		_exit(0);               /* the driver is gone */
	buf[n] = 0;
	if (!strncmp(buf, "exit ", 5))
		_exit(atoi(buf + 5));
	if (!strcmp(buf, "term"))
		die_of(SIGTERM);
	if (!strcmp(buf, "kill"))
		die_of(SIGKILL);
	if (!strcmp(buf, "go"))
		on_go(r);
}

static int next_timeout_ms(struct rec *r)
{
	long long t = -1, now = now_ns();

	if (r->starting && r->start == START_DELAY)
		t = r->start_deadline;
	if (r->terminating && r->stop == STOP_SLOW &&
	    (t < 0 || r->death_deadline < t))
		t = r->death_deadline;
	if (t < 0)
		return -1;
	return t <= now ? 0 : (int)((t - now + 999999) / 1000000);
}

static void on_timeout(struct rec *r)
{
	long long now = now_ns();

	if (r->terminating && r->stop == STOP_SLOW && now >= r->death_deadline)
		die_of(SIGTERM);
	if (r->starting && r->start == START_DELAY && now >= r->start_deadline)
		became_ready(r);
}

static void run(struct rec *r)
{
	for (;;) {
		struct pollfd p[2] = { { r->sock, POLLIN, 0 }, { r->sigfd, POLLIN, 0 } };
		int n = poll(p, r->sigfd >= 0 ? 2 : 1, next_timeout_ms(r));

		if (n == 0)
			on_timeout(r);
		if (n <= 0)
			continue;
		if (p[0].revents)
			on_command(r);
		if (r->sigfd >= 0 && p[1].revents)
			on_term(r);
	}
}

int main(int argc, char **argv)
{
	struct rec r = { .sigfd = -1, .starting = true };
	const char *name = getenv("OTP_NAME");
	char buf[256];
	ssize_t n;

	if (argc < 2 || !name)
		return 2;
	r.sock = connect_driver(argv[1]);
	if (r.sock < 0)
		return 2;
	n = snprintf(buf, sizeof(buf), "hello %s %d %lld", name, (int)getpid(), now_ns());
	if (send(r.sock, buf, n, MSG_NOSIGNAL) != n)
		return 2;
	n = recv(r.sock, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 2;
	buf[n] = 0;
	parse_mode(&r, buf);
	if (r.start == START_FAIL) {
		say(&r, "fail");
		return 1;
	}
	if (setup_signals(&r) < 0)
		return 2;
	if (r.start == START_NOW)
		became_ready(&r);
	else if (r.start == START_DELAY)
		r.start_deadline = now_ns() + r.start_ms * 1000000LL;
	run(&r);
}
