/*
 * stamp: the benchmark worker.  Records CLOCK_MONOTONIC (ns) at the top of
 * main() and at its other moments, one line per event, into FILE:
 *
 *   stamp FILE exit        "s NS", "e NS", exit 1 (a crash, at once)
 *   stamp FILE stay        "s NS", then sleep until killed
 *   stamp FILE live MS     "s NS", sleep MS, "e NS", then die by SIGKILL
 *   stamp FILE term MS     "s NS"; on SIGTERM "t NS", MS ms of cleanup,
 *                          "e NS", exit 0
 *   stamp [NAME]           run as ./run by s6 (which passes the service name)
 *                          or runit (no argument): the arguments are read
 *                          from ./stamp.args, one line; when the service
 *                          directory has a notification-fd file (s6), the
 *                          child also reports itself ready there at once
 *
 * Lines carry the pid ("s NS PID") so a reader can tell processes apart.
 * One write(2) per line with O_APPEND, so concurrent workers never mix.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int out = -1;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void put(char tag, long long ns)
{
	char buf[80];
	int n = snprintf(buf, sizeof(buf), "%c %lld %d\n", tag, ns, (int)getpid());

	(void)!write(out, buf, (size_t)n);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

static volatile sig_atomic_t got_term;

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

/* s6 readiness: a newline on the fd named in ./notification-fd. */
static void s6_ready(void)
{
	char buf[16] = { 0 };
	int fd = open("notification-fd", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	(void)!read(fd, buf, sizeof(buf) - 1);
	close(fd);
	(void)!write(atoi(buf), "\n", 1);
}

/* Split ./stamp.args into at most 4 words (argv[1..]); returns argc. */
static int args_from_file(char **argv, char *buf, size_t size)
{
	int fd = open("stamp.args", O_RDONLY | O_CLOEXEC), argc = 1;
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (char *w = strtok(buf, " \t\n"); w && argc < 5; w = strtok(NULL, " \t\n"))
		argv[argc++] = w;
	argv[argc] = NULL;
	return argc;
}

static void term_mode(long ms)
{
	sigset_t block, old;
	struct sigaction sa = { .sa_handler = on_term };

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGTERM, &sa, NULL);
	while (!got_term)
		sigsuspend(&old);
	put('t', now_ns());
	sleep_ms(ms);
	put('e', now_ns());
	_exit(0);
}

int main(int argc, char **argv)
{
	long long t0 = now_ns();
	char buf[512], *fargv[6];

	if (argc < 3) {
		fargv[0] = argv[0];
		argc = args_from_file(fargv, buf, sizeof(buf));
		argv = fargv;
	}
	if (argc < 3)
		return 2;
	out = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (out < 0)
		return 2;
	put('s', t0);
	if (argv == fargv)
		s6_ready();
	if (strcmp(argv[2], "exit") == 0) {
		put('e', now_ns());
		return 1;
	}
	if (strcmp(argv[2], "live") == 0) {
		sleep_ms(argc > 3 ? atol(argv[3]) : 1000);
		put('e', now_ns());
		kill(getpid(), SIGKILL);
	}
	if (strcmp(argv[2], "term") == 0)
		term_mode(argc > 3 ? atol(argv[3]) : 0);
	for (;;)
		pause();
}
