/*
 * listen.c: the control socket.
 *
 * A socket file left behind by a dead otpd is replaced; one that somebody
 * still listens on is not (two daemons on one socket would steal each
 * other's clients).  Liveness is probed with a non-blocking connect, so the
 * check itself can never hang.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"

static int ipc_addr_set(struct sockaddr_un *sa, const char *path)
{
	size_t n = strlen(path);

	if (n == 0)
		return -EINVAL;
	if (n >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n);
	return 0;
}

/*
 * Is a server accepting on `sa`?  0 if not (nothing there, or a stale
 * socket), -EADDRINUSE if yes, another -errno if we cannot tell.
 */
static int ipc_addr_probe(const struct sockaddr_un *sa)
{
	int fd, r = 0;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		r = -EADDRINUSE;
	else if (errno == EAGAIN || errno == EINPROGRESS)
		r = -EADDRINUSE;        /* a listener with a full backlog */
	else if (errno != ECONNREFUSED && errno != ENOENT)
		r = -errno;
	(void)close(fd);
	return r;
}

/* Remove a stale socket file at `sa`; leave anything else alone. */
static int ipc_addr_clear(const struct sockaddr_un *sa)
{
	struct stat st;
	int r;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	r = ipc_addr_probe(sa);
	if (r < 0)
		return r;
	if (unlink(sa->sun_path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/*
 * Bind and listen under `at`, then give the socket its name: a client that
 * sees the file finds a listener (bound under its own name, there would be
 * a moment in which connect(2) is refused).  A name too long for the
 * ".new" of the temporary one is bound directly.
 */
static int ipc_listen_fd(int fd, const struct sockaddr_un *sa, int backlog)
{
	struct sockaddr_un at = *sa;
	bool renamed = (size_t)snprintf(at.sun_path, sizeof(at.sun_path), "%s.new",
					sa->sun_path) < sizeof(at.sun_path);
	int r = 0;

	if (!renamed)
		at = *sa;
	else
		(void)unlink(at.sun_path);
	/* Linux applies the socket inode's mode at bind: no window at 0777. */
	(void)fchmod(fd, 0660);
	if (bind(fd, (const struct sockaddr *)&at, sizeof(at)) < 0)
		return -errno;
	/* bind() honours the umask; the mode must be exactly 0660. */
	if (chmod(at.sun_path, 0660) < 0 || listen(fd, backlog) < 0 ||
	    (renamed && rename(at.sun_path, sa->sun_path) < 0)) {
		r = -errno;
		(void)unlink(at.sun_path);
	}
	return r;
}

int ipc_listen(const char *path, int backlog)
{
	struct sockaddr_un sa;
	int fd, r;

	r = ipc_addr_set(&sa, path);
	if (r < 0)
		return r;
	r = ipc_addr_clear(&sa);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	r = ipc_listen_fd(fd, &sa, backlog);
	if (r < 0) {
		(void)close(fd);
		return r;
	}
	return fd;
}
