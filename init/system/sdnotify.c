/*
 * sdnotify.c: telling our own supervisor (systemd, Type=notify) how we are.
 *
 * The sd_notify(3) protocol, written here rather than linked from
 * libsystemd (which, with the six libraries it loads, was ~140 KiB of
 * otpd's private memory for four datagrams in a lifetime).  The protocol
 * is documented and stable (systemd's "NOTIFY_SOCKET" interface,
 * sd_notify(3)): $NOTIFY_SOCKET names an AF_UNIX datagram socket, a path
 * ("/...") or an abstract name ("@...", the '@' standing for the leading
 * NUL); one message is one datagram of newline-separated KEY=VALUE lines.
 * The receiver learns our pid from the kernel (SO_PASSCRED), so nothing
 * else is sent.  Other address families (vsock:) are not spoken: ignored.
 *
 * Only when $NOTIFY_SOCKET was set for otpd; workers never inherit it
 * (spawn_env.c drops it and gives notify workers otpd's own socket).
 *
 * The send never blocks the loop (MSG_DONTWAIT): if our parent's queue is
 * full the datagram is dropped, as dinit drops log lines rather than wait.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "system.h"

/* $NOTIFY_SOCKET as a sockaddr: 0 and *ret_len, or -errno. */
static int sd_addr(const char *name, struct sockaddr_un *ret_sa, socklen_t *ret_len)
{
	size_t n = strlen(name);

	if (name[0] != '/' && name[0] != '@')
		return -EAFNOSUPPORT;
	if (n < 2 || n > sizeof(ret_sa->sun_path))
		return -EINVAL;
	memset(ret_sa, 0, sizeof(*ret_sa));
	ret_sa->sun_family = AF_UNIX;
	memcpy(ret_sa->sun_path, name, n);
	if (name[0] == '@')
		ret_sa->sun_path[0] = '\0';     /* abstract: the length says where it ends */
	*ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	return 0;
}

/* One datagram to $NOTIFY_SOCKET: 0 (also when it is unset), or -errno. */
static int sd_send(const char *msg, size_t len)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t sa_len;
	int fd, r;

	if (!name || !*name)
		return 0;
	if ((r = sd_addr(name, &sa, &sa_len)) < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = sendto(fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa, sa_len) < 0 ?
		-errno : 0;
	close(fd);
	return r;
}

void sd_report(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n, e = errno;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= 0)
		(void)sd_send(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	errno = e;
}
