/*
 * signals.c: signal and errno names.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

struct cfg_name_num {
	const char *name;
	int num;
};

/* The first entry for a number is its canonical name; aliases follow. */
static const struct cfg_name_num signals[] = {
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
	{ NULL, 0 },
};

int cfg_parse_signal(const char *s, int *ret_signo)
{
	uint64_t v;

	if (!s || !*s)
		return -EINVAL;
	if (cfg_parse_uint(s, &v) == 0) {
		if (v < 1 || v >= (uint64_t)_NSIG)
			return -EINVAL;
		*ret_signo = (int)v;
		return 0;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (const struct cfg_name_num *p = signals; p->name; p++) {
		if (strcasecmp(s, p->name + 3) == 0) {
			*ret_signo = p->num;
			return 0;
		}
	}
	return -EINVAL;
}

const char *cfg_signal_name(int signo)
{
	for (const struct cfg_name_num *p = signals; p->name; p++)
		if (p->num == signo)
			return p->name;
	return NULL;
}

/* The errno names a seccomp rule is likely to return. */
static const struct cfg_name_num errnos[] = {
	{ "EPERM", EPERM }, { "ENOENT", ENOENT }, { "ESRCH", ESRCH }, { "EINTR", EINTR },
	{ "EIO", EIO }, { "ENXIO", ENXIO }, { "E2BIG", E2BIG }, { "ENOEXEC", ENOEXEC },
	{ "EBADF", EBADF }, { "ECHILD", ECHILD }, { "EAGAIN", EAGAIN },
	{ "ENOMEM", ENOMEM }, { "EACCES", EACCES }, { "EFAULT", EFAULT },
	{ "EBUSY", EBUSY }, { "EEXIST", EEXIST }, { "EXDEV", EXDEV }, { "ENODEV", ENODEV },
	{ "ENOTDIR", ENOTDIR }, { "EISDIR", EISDIR }, { "EINVAL", EINVAL },
	{ "ENFILE", ENFILE }, { "EMFILE", EMFILE }, { "ENOTTY", ENOTTY },
	{ "ETXTBSY", ETXTBSY }, { "EFBIG", EFBIG }, { "ENOSPC", ENOSPC },
	{ "ESPIPE", ESPIPE }, { "EROFS", EROFS }, { "EMLINK", EMLINK }, { "EPIPE", EPIPE },
	{ "EDOM", EDOM }, { "ERANGE", ERANGE }, { "ENOSYS", ENOSYS },
	{ "ENOTSUP", ENOTSUP }, { "EOPNOTSUPP", EOPNOTSUPP }, { "EAFNOSUPPORT", EAFNOSUPPORT },
	{ "EADDRINUSE", EADDRINUSE }, { "ECONNREFUSED", ECONNREFUSED },
	{ "ENETUNREACH", ENETUNREACH }, { "ETIMEDOUT", ETIMEDOUT },
	{ "EWOULDBLOCK", EWOULDBLOCK }, { "ENOTCONN", ENOTCONN }, { "ECANCELED", ECANCELED },
	{ NULL, 0 },
};

/* "EPERM" or a number 1..4095 (the range seccomp can return). */
int cfg_parse_errno(const char *s, int *ret_errno)
{
	int64_t v;

	if (cfg_parse_int_range(s, 1, 4095, &v) == 0) {
		*ret_errno = (int)v;
		return 0;
	}
	for (const struct cfg_name_num *p = errnos; p->name; p++) {
		if (strcmp(s, p->name) == 0) {
			*ret_errno = p->num;
			return 0;
		}
	}
	return -EINVAL;
}
