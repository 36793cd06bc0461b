/*
 * otpctl_mailbox.c: `otpctl call` and `otpctl cast`.
 *
 * These talk to the worker's mailbox directly (otp_mailbox.h), not
 * through otpd: a call costs one connection to the worker and nothing
 * else.  The mailbox directory is $OTP_MAILBOX_DIR, else "mailbox" next
 * to the control socket (<run_dir>/mailbox with the default socket).
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/util.h"
#include "ipc.h"
#include "otp_mailbox.h"
#include "otpctl.h"

#define CALL_DEFAULT_MS 5000    /* gen_server:call's default */

static int mb_path(const char *socket_path, const char *name, char *buf, size_t len)
{
	const char *dir = getenv("OTP_MAILBOX_DIR");
	char sock[4096];
	int n;

	if (strchr(name, '/'))
		return -EINVAL;
	if (dir && dir[0]) {
		n = snprintf(buf, len, "%s/%s", dir, name);
	} else {
		snprintf(sock, sizeof(sock), "%s", socket_path);
		n = snprintf(buf, len, "%s/mailbox/%s", dirname(sock), name);
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* MSG, or stdin for "-" (binary-safe).  Length, or -EMSGSIZE / -errno. */
static ssize_t mb_message(const char *arg, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	if (strcmp(arg, "-") != 0) {
		len = strlen(arg);
		if (len > cap)
			return -EMSGSIZE;
		memcpy(buf, arg, len);
		return (ssize_t)len;
	}
	while ((n = read(0, buf + len, cap + 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		len += (size_t)n;
		if (len > cap)
			return -EMSGSIZE;
	}
	return (ssize_t)len;
}

static int mb_write_all(const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(1, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Map a library error to otpctl's message and exit code. */
static int mb_fail(const char *name, ssize_t r)
{
	switch (-r) {
	case ETIMEDOUT:
		fprintf(stderr, "otpctl: %s: timeout\n", name);
		return IPC_EXIT_TIMEOUT;
	case ECONNRESET:
	case EPIPE:
		fprintf(stderr, "otpctl: %s: the callee died before replying\n", name);
		return IPC_EXIT_TIMEOUT;
	case ENOENT:
	case ECONNREFUSED:
		fprintf(stderr, "otpctl: %s: noproc\n", name);
		return IPC_EXIT_TIMEOUT;
	case EMSGSIZE:
		fprintf(stderr, "otpctl: %s: message too large (at most %d bytes)\n", name,
			OTP_MB_MSG_MAX);
		return IPC_EXIT_REFUSED;
	case EACCES:
		fprintf(stderr, "otpctl: %s: permission denied\n", name);
		return IPC_EXIT_REFUSED;
	default:
		fprintf(stderr, "otpctl: %s: %s\n", name, strerror((int)-r));
		return IPC_EXIT_REFUSED;
	}
}

/* argv: the verb's arguments as checked by otpctl: NAME MSG [--timeout D] [--json]. */
int ctl_mailbox(const char *socket_path, bool call, int argc, char **argv)
{
	const char *pos[2] = { NULL, NULL };
	int64_t ms = CALL_DEFAULT_MS;
	static char req[OTP_MB_MSG_MAX + 1], reply[OTP_MB_MSG_MAX];
	char path[4096];
	ssize_t len, r;
	int np = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			(void)util_parse_duration(argv[++i], &ms);
		else if (strcmp(argv[i], "--json") != 0 && np < 2)
			pos[np++] = argv[i];
	}
	if (np != 2)
		return IPC_EXIT_USAGE;
	if ((r = mb_path(socket_path, pos[0], path, sizeof(path))) < 0)
		return mb_fail(pos[0], r);
	if ((len = mb_message(pos[1], req, OTP_MB_MSG_MAX)) < 0)
		return mb_fail(pos[0], len);
	if (!call)
		return (r = otp_cast_path(path, req, (size_t)len)) < 0 ? mb_fail(pos[0], r) : 0;
	r = otp_call_path(path, req, (size_t)len, reply, sizeof(reply),
			  ms > 0x7fffffff ? 0x7fffffff : (int)ms);
	if (r < 0)
		return mb_fail(pos[0], r);
	return mb_write_all(reply, (size_t)r) < 0 ? IPC_EXIT_REFUSED : 0;
}
