/*
 * test_listen.c: the control socket: creation, mode, stale and live files.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "helpers.h"

TestSuite(ipc_listen, .init = th_setup, .fini = th_teardown);

static int try_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	cr_assert(fd >= 0);
	strcpy(sa.sun_path, path);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : -errno;
	close(fd);
	return r;
}

static void assert_mode_0660(const char *path)
{
	struct stat st;

	cr_assert(eq(int, lstat(path, &st), 0));
	bool is_sock = S_ISSOCK(st.st_mode);

	cr_assert(is_sock);
	cr_assert(eq(u32, st.st_mode & 07777, 0660));
}

Test(ipc_listen, creates_a_nonblocking_cloexec_socket_with_mode_0660)
{
	const char *path = th_path("otpd.sock");
	mode_t old = umask(0);
	int fd = ipc_listen(path, 8);

	umask(old);
	cr_assert(fd >= 0, "ipc_listen: %s", strerror(-fd));
	assert_mode_0660(path);
	int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);

	cr_assert(eq(int, fl & O_NONBLOCK, O_NONBLOCK), "flags %#x", fl);
	cr_assert(eq(int, fdfl & FD_CLOEXEC, FD_CLOEXEC));
	cr_assert(eq(int, try_connect(path), 0));
	/* Non-blocking: one accept works, the next would block. */
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

	cr_assert(c >= 0);
	close(c);
	cr_assert(eq(int, accept4(fd, NULL, NULL, SOCK_CLOEXEC), -1));
	cr_assert(eq(int, errno, EAGAIN));
	close(fd);
}

Test(ipc_listen, mode_ignores_a_strict_umask)
{
	const char *path = th_path("otpd.sock");
	mode_t old = umask(077);
	int fd = ipc_listen(path, 8);

	umask(old);
	cr_assert(fd >= 0);
	assert_mode_0660(path);
	close(fd);
}

Test(ipc_listen, replaces_a_stale_socket_file)
{
	const char *path = th_path("otpd.sock");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int old = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), fd;

	/* A socket file nobody listens on, as a crashed otpd leaves it. */
	strcpy(sa.sun_path, path);
	cr_assert(bind(old, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	close(old);
	cr_assert(eq(int, try_connect(path), -ECONNREFUSED));
	fd = ipc_listen(path, 8);
	cr_assert(fd >= 0, "ipc_listen: %s", strerror(-fd));
	cr_assert(eq(int, try_connect(path), 0));
	close(fd);
}

Test(ipc_listen, refuses_to_steal_a_live_socket)
{
	const char *path = th_path("otpd.sock");
	int fd = ipc_listen(path, 8), c;

	cr_assert(fd >= 0);
	cr_assert(eq(int, ipc_listen(path, 8), -EADDRINUSE));
	/* The first listener still owns the path. */
	cr_assert(eq(int, try_connect(path), 0));
	c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	cr_assert(c >= 0);
	close(c);
	close(fd);
}

Test(ipc_listen, leaves_a_regular_file_alone)
{
	const char *path = th_path("otpd.sock");
	int f = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	struct stat st;

	cr_assert(f >= 0);
	close(f);
	cr_assert(eq(int, ipc_listen(path, 8), -EEXIST));
	cr_assert(eq(int, stat(path, &st), 0));
	bool is_reg = S_ISREG(st.st_mode);

	cr_assert(is_reg);
}

Test(ipc_listen, refuses_bad_paths)
{
	char longp[200];

	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	cr_assert(eq(int, ipc_listen(longp, 8), -ENAMETOOLONG));
	cr_assert(eq(int, ipc_listen("", 8), -EINVAL));
	cr_assert(eq(int, ipc_listen(th_path("no/such/dir/sock"), 8), -ENOENT));
}
