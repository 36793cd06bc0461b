/*
 * otpctl_mailbox.c: `otpctl call` and `otpctl cast`.
 *
 * These talk to the worker's mailbox directly (otp_mailbox.h), not
 * through otpd: a call costs one connection to the worker and nothing
 * else.  With --batch, one kept connection carries a message per line of
 * stdin (and, for call, prints a reply per line), stopping at the first
 * failure.  The mailbox directory is $OTP_MAILBOX_DIR, else "mailbox"
 * next to the control socket (<run_dir>/mailbox with the default socket).
 *
 * With --json a call prints {"ok":true,"reply":"..."} (the reply as a
 * JSON string: bytes that are not UTF-8 become U+FFFD), a cast
 * {"ok":true}, a failure {"ok":false,"error":...}; --batch prints one such
 * object a line.
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

/* Map a library error to otpctl's message and exit code (name may say more). */
static int mb_fail(const char *name, ssize_t r)
{
	switch (-r) {
	case ETIMEDOUT:
		ipc_say("timeout", "%s: timeout", name);
		return IPC_EXIT_TIMEOUT;
	case ECONNRESET:
	case EPIPE:
		ipc_say("callee_died", "%s: the callee died before replying", name);
		return IPC_EXIT_TIMEOUT;
	case ENOENT:
	case ECONNREFUSED:
		ipc_say("noproc", "%s: noproc", name);
		return IPC_EXIT_TIMEOUT;
	case EMSGSIZE:
		ipc_say("too_large", "%s: message too large (at most %d bytes)", name,
			OTP_MB_MSG_MAX);
		return IPC_EXIT_REFUSED;
	case EACCES:
		ipc_say("permission_denied", "%s: permission denied", name);
		return IPC_EXIT_REFUSED;
	default:
		ipc_say("failed", "%s: %s", name, strerror((int)-r));
		return IPC_EXIT_REFUSED;
	}
}

/* The arguments of call/cast as otpctl checked them. */
struct mb_args {
	const char *name;
	const char *msg;        /* NULL with --batch */
	bool batch;
	int timeout_ms;
};

/* argv: NAME MSG | NAME --batch, [--timeout D], [--json]; exit 2 when they do not fit. */
static int mb_args_parse(bool call, int argc, char **argv, struct mb_args *ret)
{
	const char *pos[2] = { NULL, NULL };
	int64_t ms = CALL_DEFAULT_MS;
	bool batch = false;
	int np = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			(void)util_parse_duration(argv[++i], &ms);
		else if (strcmp(argv[i], "--batch") == 0)
			batch = true;
		else if (strcmp(argv[i], "--json") != 0 && np < 2)
			pos[np++] = argv[i];
	}
	if (np != (batch ? 1 : 2)) {
		ipc_say("usage", "%s: %s\nusage: otpctl %s NAME MSG|--batch%s", call ? "call" : "cast",
			batch ? "--batch takes no MSG" : "missing MSG", call ? "call" : "cast",
			call ? " [--timeout D]" : "");
		return IPC_EXIT_USAGE;
	}
	*ret = (struct mb_args){ .name = pos[0], .msg = pos[1], .batch = batch,
				 .timeout_ms = ms > 0x7fffffff ? 0x7fffffff : (int)ms };
	return 0;
}

/* --json: {"ok":true} with the reply, if any, as "reply". */
static int mb_json_ok(const char *reply, size_t len)
{
	fputs("{\"ok\":true", stdout);
	if (reply) {
		fputs(",\"reply\":", stdout);
		ipc_json_string(stdout, reply, len);
	}
	fputs("}\n", stdout);
	return fflush(stdout) == 0 ? 0 : IPC_EXIT_REFUSED;
}

/* One call or cast of MSG on its own connection. */
static int mb_once(const struct mb_args *a, bool call, const char *path)
{
	static char req[OTP_MB_MSG_MAX + 1], reply[OTP_MB_MSG_MAX];
	ssize_t len, r;

	if ((len = mb_message(a->msg, req, OTP_MB_MSG_MAX)) < 0)
		return mb_fail(a->name, len);
	if (!call) {
		if ((r = otp_cast_path(path, req, (size_t)len)) < 0)
			return mb_fail(a->name, r);
		return ipc_json() ? mb_json_ok(NULL, 0) : 0;
	}
	r = otp_call_path(path, req, (size_t)len, reply, sizeof(reply), a->timeout_ms);
	if (r < 0)
		return mb_fail(a->name, r);
	if (ipc_json())
		return mb_json_ok(reply, (size_t)r);
	return mb_write_all(reply, (size_t)r) < 0 ? IPC_EXIT_REFUSED : 0;
}

/* Line n of the batch, less its newline, over c: a reply line for a call. */
static int mb_batch_line(const struct mb_args *a, bool call, struct otp_conn *c, char *line,
			 size_t len, long n)
{
	static char reply[OTP_MB_MSG_MAX + 1];
	char what[300];
	ssize_t r;

	r = call ? otp_conn_call(c, line, len, reply, OTP_MB_MSG_MAX, a->timeout_ms)
		 : otp_conn_cast(c, line, len);
	if (r < 0) {
		snprintf(what, sizeof(what), "%s: line %ld", a->name, n);
		return mb_fail(what, r);
	}
	if (ipc_json())
		return mb_json_ok(call ? reply : NULL, (size_t)r);
	if (!call)
		return 0;
	reply[r] = '\n';
	return mb_write_all(reply, (size_t)r + 1) < 0 ? IPC_EXIT_REFUSED : 0;
}

/*
 * --batch: one kept connection, a message per line of stdin (the newline
 * is not sent), a reply per line of stdout, written as it comes.  Stops
 * at the first line that fails, with that line's exit code: the replies
 * printed are those of the lines before it.
 */
static int mb_batch(const struct mb_args *a, bool call, const char *path)
{
	struct otp_conn *c;
	char *line = NULL;
	size_t size = 0;
	ssize_t len;
	long n = 0;
	int rc = 0;

	rc = otp_conn_open_path(path, &c);
	if (rc < 0)
		return mb_fail(a->name, rc);
	while (rc == 0 && (len = getline(&line, &size, stdin)) >= 0) {
		if (len > 0 && line[len - 1] == '\n')
			len--;
		rc = mb_batch_line(a, call, c, line, (size_t)len, ++n);
	}
	if (rc == 0 && ferror(stdin))
		rc = mb_fail(a->name, -EIO);
	free(line);
	otp_conn_close(c);
	return rc;
}

/* argv: the verb's arguments as checked by otpctl. */
int ctl_mailbox(const char *socket_path, bool call, int argc, char **argv)
{
	struct mb_args a;
	char path[4096];
	int r;

	r = mb_args_parse(call, argc, argv, &a);
	if (r != 0)
		return r;
	r = mb_path(socket_path, a.name, path, sizeof(path));
	if (r < 0)
		return mb_fail(a.name, r);
	return a.batch ? mb_batch(&a, call, path) : mb_once(&a, call, path);
}
