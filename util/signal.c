/*
 * signal.c: signal names and numbers, real-time signals included.
 */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/*
 * The first entry for a number is its canonical name; aliases follow.
 * No pointers: stays in .rodata, not relocated at start (issue 19,
 * bench/PROFILE.md); the longest name is 9 characters.
 */
static const struct { char name[12]; int num; } signals[] = {
	{ "SIGHUP", SIGHUP }, { "SIGINT", SIGINT }, { "SIGQUIT", SIGQUIT },
	{ "SIGILL", SIGILL }, { "SIGTRAP", SIGTRAP }, { "SIGABRT", SIGABRT },
	{ "SIGBUS", SIGBUS }, { "SIGFPE", SIGFPE }, { "SIGKILL", SIGKILL },
	{ "SIGUSR1", SIGUSR1 }, { "SIGSEGV", SIGSEGV }, { "SIGUSR2", SIGUSR2 },
	{ "SIGPIPE", SIGPIPE }, { "SIGALRM", SIGALRM }, { "SIGTERM", SIGTERM },
	{ "SIGSTKFLT", SIGSTKFLT }, { "SIGCHLD", SIGCHLD }, { "SIGCONT", SIGCONT },
	{ "SIGSTOP", SIGSTOP }, { "SIGTSTP", SIGTSTP }, { "SIGTTIN", SIGTTIN },
	{ "SIGTTOU", SIGTTOU }, { "SIGURG", SIGURG }, { "SIGXCPU", SIGXCPU },
	{ "SIGXFSZ", SIGXFSZ }, { "SIGVTALRM", SIGVTALRM }, { "SIGPROF", SIGPROF },
	{ "SIGWINCH", SIGWINCH }, { "SIGIO", SIGIO }, { "SIGPWR", SIGPWR },
	{ "SIGSYS", SIGSYS },
	{ "SIGIOT", SIGIOT }, { "SIGPOLL", SIGPOLL }, { "SIGCLD", SIGCHLD },
};
#define N_SIGNALS (sizeof(signals) / sizeof(signals[0]))

/* SIGRTMIN+k; glibc has 31 real-time signals (34..64) on Linux.  No pointers (above). */
static const char rt_names[][12] = {
	"SIGRTMIN", "SIGRTMIN+1", "SIGRTMIN+2", "SIGRTMIN+3", "SIGRTMIN+4", "SIGRTMIN+5",
	"SIGRTMIN+6", "SIGRTMIN+7", "SIGRTMIN+8", "SIGRTMIN+9", "SIGRTMIN+10",
	"SIGRTMIN+11", "SIGRTMIN+12", "SIGRTMIN+13", "SIGRTMIN+14", "SIGRTMIN+15",
	"SIGRTMIN+16", "SIGRTMIN+17", "SIGRTMIN+18", "SIGRTMIN+19", "SIGRTMIN+20",
	"SIGRTMIN+21", "SIGRTMIN+22", "SIGRTMIN+23", "SIGRTMIN+24", "SIGRTMIN+25",
	"SIGRTMIN+26", "SIGRTMIN+27", "SIGRTMIN+28", "SIGRTMIN+29", "SIGRTMIN+30",
};

/* "RTMIN", "RTMIN+N", "RTMAX", "RTMAX-N" (after any "SIG"). */
static int rt_parse(const char *s, int *ret_signo)
{
	bool up = strncasecmp(s, "RTMIN", 5) == 0;
	uint64_t k = 0;

	if (!up && strncasecmp(s, "RTMAX", 5) != 0)
		return -EINVAL;
	s += 5;
	if (*s && (*s != (up ? '+' : '-') || util_parse_uint(s + 1, &k) < 0))
		return -EINVAL;
	if (k > (uint64_t)(SIGRTMAX - SIGRTMIN))
		return -EINVAL;
	*ret_signo = up ? SIGRTMIN + (int)k : SIGRTMAX - (int)k;
	return 0;
}

int util_parse_signal(const char *s, int *ret_signo)
{
	uint64_t v;

	if (!s || !*s)
		return -EINVAL;
	if (util_parse_uint(s, &v) == 0) {
		if (v < 1 || v >= (uint64_t)_NSIG)
			return -EINVAL;
		*ret_signo = (int)v;
		return 0;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < N_SIGNALS; i++) {
		if (strcasecmp(s, signals[i].name + 3) == 0) {
			*ret_signo = signals[i].num;
			return 0;
		}
	}
	return rt_parse(s, ret_signo);
}

const char *util_signal_name(int signo)
{
	for (size_t i = 0; i < N_SIGNALS; i++)
		if (signals[i].num == signo)
			return signals[i].name;
	if (signo == SIGRTMAX)
		return "SIGRTMAX";
	if (signo >= SIGRTMIN && signo < SIGRTMAX &&
	    (size_t)(signo - SIGRTMIN) < sizeof(rt_names) / sizeof(rt_names[0]))
		return rt_names[signo - SIGRTMIN];
	return NULL;
}
