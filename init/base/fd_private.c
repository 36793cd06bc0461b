/*
 * fd_private.c: writing fd 1 or 2 without ever blocking otpd.
 *
 * O_NONBLOCK on fd 1 or 2 itself would change the open file description
 * we share with our parent (a shell's terminal, a container runtime's
 * pipe), so a pipe, FIFO or terminal is reopened through /proc/self/fd/N
 * as a private non-blocking description.  A socket keeps its fd and is
 * written with MSG_DONTWAIT.  A regular file is written directly (it does
 * not stall).  Without /proc, or for a FIFO without reader, fd N itself is
 * used.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"

int fd_private_nonblock(int fd, const struct stat *st, bool *ret_socket)
{
	char path[32];
	int nfd;

	*ret_socket = S_ISSOCK(st->st_mode);
	if (!S_ISFIFO(st->st_mode) && !(S_ISCHR(st->st_mode) && isatty(fd)))
		return fd;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	return nfd >= 0 ? nfd : fd;
}
