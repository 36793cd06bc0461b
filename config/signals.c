/*
 * signals.c: signal and errno names.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* Signal names are util/'s; these names stay for otpd's shell. */
int cfg_parse_signal(const char *s, int *ret_signo)
{
	return util_parse_signal(s, ret_signo);
}

const char *cfg_signal_name(int signo)
{
	return util_signal_name(signo);
}

struct cfg_name_num {
	char name[16];                  /* the longest is 12 characters */
	int num;
};

/*
 * The errno names a seccomp rule is likely to return.  No pointers: stays in
 * .rodata, not relocated at start (issue 19, bench/PROFILE.md).
 */
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
	{ "", 0 },
};

/* "EPERM" or a number 1..4095 (the range seccomp can return). */
int cfg_parse_errno(const char *s, int *ret_errno)
{
	int64_t v;

	if (cfg_parse_int_range(s, 1, 4095, &v) == 0) {
		*ret_errno = (int)v;
		return 0;
	}
	for (const struct cfg_name_num *p = errnos; p->name[0]; p++) {
		if (strcmp(s, p->name) == 0) {
			*ret_errno = p->num;
			return 0;
		}
	}
	return -EINVAL;
}
