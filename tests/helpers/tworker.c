/*
 * tworker: a worker that misbehaves on request, for otpd's tests.
 *
 *   tworker [--notify-ready MS] [--ready-fd N] [--ignore-term] [--exit-after MS CODE]
 *           [--lines N] [--hygiene] [--stamp FILE] [--term-exit MS]
 *           [--term-wait N] [--watchdog-ping MS]
 *
 * --hygiene prints what a child should see (blocked signals, ignored
 * signals, open fds, cwd, session) as "hygiene: KEY=VALUE" lines.
 * --stamp appends "start PID" to FILE at start and "term PID" on SIGTERM.
 * --term-exit MS: on SIGTERM, take MS ms to exit.  --term-wait N: on
 * SIGTERM, first wait until FILE holds N "term" lines (N workers were
 * told to stop while none had gone yet).  With either, "exit PID" is
 * appended just before the exit.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

static const char *stamp;
static int term_exit_ms = -1;
static int term_wait = 0;

static void stamp_line(const char *what)
{
	FILE *f;

	if (!stamp || !(f = fopen(stamp, "a")))
		return;
	fprintf(f, "%s %d\n", what, (int)getpid());
	fclose(f);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0)
		;
}

static int stamps_of(const char *what)
{
	char line[64];
	int n = 0;
	FILE *f = fopen(stamp, "r");

	while (f && fgets(line, sizeof(line), f))
		n += strncmp(line, what, strlen(what)) == 0;
	if (f)
		fclose(f);
	return n;
}

static void on_term(int sig)
{
	stamp_line("term");
	while (stamp && term_wait > 0 && stamps_of("term ") < term_wait)
		sleep_ms(5);
	if (term_exit_ms > 0)
		sleep_ms(term_exit_ms);
	if (term_exit_ms > 0 || term_wait > 0)
		stamp_line("exit");
	_exit(0);
}

static void on_other(int sig)
{
	stamp_line(sig == SIGHUP ? "hup" : "usr1");
}

static void hygiene(void)
{
	sigset_t cur;
	struct sigaction sa;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char cwd[256];
	int blocked = 0, ignored = 0;

	sigprocmask(SIG_SETMASK, NULL, &cur);
	for (int s = 1; s < NSIG; s++) {
		blocked += sigismember(&cur, s) == 1;
		if (sigaction(s, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
			ignored++;
	}
	printf("hygiene: blocked=%d\nhygiene: ignored=%d\n", blocked, ignored);
	printf("hygiene: fds=");
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			printf("%s,", e->d_name);
	printf("\n");
	if (d)
		closedir(d);
	printf("hygiene: cwd=%s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "?");
	printf("hygiene: sid_is_self=%d\n", getsid(0) == getpid());
	printf("hygiene: stdin=%s\n", isatty(0) ? "tty" : "notty");
	{
		struct rlimit rl;

		getrlimit(RLIMIT_NOFILE, &rl);
		printf("hygiene: nofile=%llu\n", (unsigned long long)rl.rlim_cur);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	long exit_after = -1, notify_ms = -1, ping_ms = -1;
	int exit_code = 0, ready_fd = -1, lines = 0;
	bool ignore_term = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--notify-ready") && i + 1 < argc)
			notify_ms = atol(argv[++i]);
		else if (!strcmp(argv[i], "--watchdog-ping") && i + 1 < argc)
			ping_ms = atol(argv[++i]);
		else if (!strcmp(argv[i], "--ready-fd") && i + 1 < argc)
			ready_fd = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--ignore-term"))
			ignore_term = true;
		else if (!strcmp(argv[i], "--exit-after") && i + 2 < argc) {
			exit_after = atol(argv[++i]);
			exit_code = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--lines") && i + 1 < argc)
			lines = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--hygiene"))
			hygiene();
		else if (!strcmp(argv[i], "--stamp") && i + 1 < argc)
			stamp = argv[++i];
		else if (!strcmp(argv[i], "--term-exit") && i + 1 < argc)
			term_exit_ms = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--term-wait") && i + 1 < argc)
			term_wait = atoi(argv[++i]);
	}
	/* The handler first: a "start" stamp promises TERM will be stamped. */
	signal(SIGTERM, ignore_term ? SIG_IGN : on_term);
	signal(SIGHUP, on_other);
	signal(SIGUSR1, on_other);
	stamp_line("start");
	for (int i = 0; i < lines; i++)
		printf("line %d of %d\n", i + 1, lines);
	fflush(stdout);
	if (notify_ms >= 0) {
		sleep_ms(notify_ms);
		stamp_line("ready");
		sd_notify(0, "READY=1\nSTATUS=serving");
	}
	if (ready_fd >= 0)
		(void)!write(ready_fd, "\n", 1);
	while (ping_ms > 0) {
		sd_notify(0, "WATCHDOG=1");
		sleep_ms(ping_ms);
	}
	if (exit_after >= 0) {
		sleep_ms(exit_after);
		return exit_code;
	}
	for (;;)
		pause();
}
