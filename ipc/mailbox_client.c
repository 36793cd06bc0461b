/*
 * mailbox_client.c: the client calls of otp_mailbox.h: one-shot calls
 * and casts (a connection each), kept connections, and mailbox names.
 * The connection itself is mailbox_conn.c.  Only libc is used.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "mailbox_internal.h"

/* The name's mailbox, $OTP_MAILBOX_DIR/name, into buf: a plain file name only. */
static int mb_path_build(const char *name, char *buf, size_t size)
{
	const char *dir = getenv("OTP_MAILBOX_DIR");
	int n;

	if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	if (!dir || !*dir)
		dir = OTP_MB_DEFAULT_DIR;
	n = snprintf(buf, size, "%s/%s", dir, name);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

ssize_t otp_call_path(const char *path, const void *req, size_t len, void *reply, size_t cap,
		      int timeout_ms)
{
	struct otp_conn c;
	ssize_t r;

	if (!path || (len > 0 && !req) || (cap > 0 && !reply))
		return -EINVAL;
	if (len > OTP_MB_MSG_MAX)
		return -EMSGSIZE;
	r = otp_mbi_conn_init(&c, path, false);
	if (r < 0)
		return r;
	r = otp_mbi_conn_call(&c, req, len, reply, cap, timeout_ms);
	otp_mbi_conn_drop(&c);
	return r;
}

int otp_cast_path(const char *path, const void *msg, size_t len)
{
	struct otp_conn c;
	int r;

	if (!path || (len > 0 && !msg))
		return -EINVAL;
	if (len > OTP_MB_MSG_MAX)
		return -EMSGSIZE;
	r = otp_mbi_conn_init(&c, path, false);
	if (r < 0)
		return r;
	r = otp_mbi_conn_cast(&c, msg, len);
	otp_mbi_conn_drop(&c);
	return r;
}

ssize_t otp_call(const char *name, const void *req, size_t len, void *reply, size_t cap,
		 int timeout_ms)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int r = mb_path_build(name, path, sizeof(path));

	if (r < 0)
		return r;
	return otp_call_path(path, req, len, reply, cap, timeout_ms);
}

int otp_cast(const char *name, const void *msg, size_t len)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int r = mb_path_build(name, path, sizeof(path));

	if (r < 0)
		return r;
	return otp_cast_path(path, msg, len);
}

/* --- kept connections ------------------------------------------------------ */

int otp_conn_open_path(const char *path, struct otp_conn **ret_conn)
{
	struct otp_conn *c;
	int r;

	if (!ret_conn)
		return -EINVAL;
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	r = otp_mbi_conn_init(c, path, true);
	/* Only a full backlog waits for the first call (it has a timeout). */
	if (r == 0 && (r = otp_mbi_conn_connect(c, 0)) == -ETIMEDOUT)
		r = 0;
	if (r < 0) {
		free(c);
		return r;
	}
	*ret_conn = c;
	return 0;
}

int otp_conn_open(const char *name, struct otp_conn **ret_conn)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int r = mb_path_build(name, path, sizeof(path));

	if (r < 0)
		return r;
	return otp_conn_open_path(path, ret_conn);
}

ssize_t otp_conn_call(struct otp_conn *c, const void *req, size_t len, void *reply, size_t cap,
		      int timeout_ms)
{
	if (!c)
		return -EINVAL;
	return otp_mbi_conn_call(c, req, len, reply, cap, timeout_ms);
}

int otp_conn_cast(struct otp_conn *c, const void *msg, size_t len)
{
	if (!c)
		return -EINVAL;
	return otp_mbi_conn_cast(c, msg, len);
}

void otp_conn_close(struct otp_conn *c)
{
	if (!c)
		return;
	otp_mbi_conn_drop(c);
	free(c);
}
