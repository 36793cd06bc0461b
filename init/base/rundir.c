/*
 * rundir.c: otpd's run directory (run_dir), where its sockets live.
 *
 * Sockets are bound by path, so whoever may change the directory could
 * redirect them: run_dir (and mailbox/ in it) must be a real directory,
 * not a symbolic link, owned by otpd's user and writable by nobody else,
 * as systemd requires of a RuntimeDirectory.  A missing one is made (with
 * its parents, 0755); one of ours with a looser mode is tightened; one
 * owned by someone else is refused, and otpd touches nothing.
 *
 * The directory is locked for this otpd's life: otpd.pid in it holds our
 * pid and an flock(2).  A second otpd given the same run_dir finds the lock
 * and leaves before it replaces any socket of the first.  At exit the pid
 * file goes, and the directory too when otpd made it and it is empty.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"

#define RUNDIR_PIDFILE "otpd.pid"

static struct {
	int fd;                 /* run_dir, open */
	int pid_fd;             /* otpd.pid, locked */
	char *path;
	bool made;              /* otpd made run_dir: removed at exit if empty */
	const char *subdirs[4]; /* ... and these in it */
	size_t n_subdirs;
} rd = { .fd = -1, .pid_fd = -1 };

/*
 * dirfd is a directory otpd may keep sockets in?  0, or -EPERM with *why.
 * A looser mode on a directory of ours is tightened.
 */
static int dir_check(int dirfd, const char **why)
{
	struct stat st;

	if (fstat(dirfd, &st) < 0)
		return -errno;
	if (st.st_uid != geteuid()) {
		*why = "owned by another user (who could redirect otpd's sockets)";
		return -EPERM;
	}
	if ((st.st_mode & 022) && fchmod(dirfd, st.st_mode & 07755) < 0) {
		*why = "writable by others, and its mode cannot be changed";
		return -errno;
	}
	return 0;
}

/* Open `name` below `at` (a directory, never a symbolic link), making it if missing. */
static int dir_open(int at, const char *name, bool *ret_made, const char **why)
{
	int fd;

	*ret_made = mkdirat(at, name, 0755) == 0;
	if (!*ret_made && errno != EEXIST) {
		*why = "cannot be made";
		return -errno;
	}
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		*why = errno == ENOTDIR || errno == ELOOP ? "not a directory (or a symbolic link)"
							 : "cannot be opened";
		return -errno;
	}
	return fd;
}

/* Lock otpd.pid and write our pid in it.  -EBUSY: another otpd holds it. */
static int pid_lock(const char **why)
{
	char buf[24];
	int fd = openat(rd.fd, RUNDIR_PIDFILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	int n;

	if (fd < 0) {
		*why = "cannot open otpd.pid in it";
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		static char busy[64];
		int r = errno == EWOULDBLOCK ? -EBUSY : -errno;

		n = (int)read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? strcspn(buf, "\n") : 0] = '\0';
		close(fd);
		snprintf(busy, sizeof(busy), "in use by another otpd (pid %s)", buf[0] ? buf : "?");
		*why = busy;
		return r;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
		*why = "cannot write otpd.pid in it";
		close(fd);
		return -errno;
	}
	rd.pid_fd = fd;
	return 0;
}

int rundir_open(const char *path, const char **ret_why)
{
	const char *name;
	char *parent;
	int at, r;

	*ret_why = "not an absolute path";
	if (!path || path[0] != '/')
		return -EINVAL;
	/* The parents are made as they would be by mkdir -p; the last
	 * component is made, opened and checked without following links. */
	if ((r = mkdir_parents(path)) < 0) {
		*ret_why = "its parent directories cannot be made";
		return r;
	}
	name = strrchr(path, '/') + 1;
	if (!*name) {
		*ret_why = "must name a directory";
		return -EINVAL;
	}
	/* "/x" has the parent "/" */
	parent = strndup(path, name - path > 1 ? (size_t)(name - path - 1) : 1);
	at = parent ? open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	free(parent);
	if (at < 0) {
		*ret_why = "its parent directory cannot be opened";
		return -errno;
	}
	rd.fd = dir_open(at, name, &rd.made, ret_why);
	close(at);
	if (rd.fd < 0)
		return rd.fd;
	if ((r = dir_check(rd.fd, ret_why)) < 0 || (r = pid_lock(ret_why)) < 0 ||
	    !(rd.path = strdup(path))) {
		rundir_close();
		return r < 0 ? r : -ENOMEM;
	}
	return 0;
}

int rundir_subdir(const char *name, const char **ret_why)
{
	bool made;
	int fd, r;

	if (rd.fd < 0) {
		*ret_why = "run_dir is not open";
		return -EBADF;
	}
	if ((fd = dir_open(rd.fd, name, &made, ret_why)) < 0)
		return fd;
	r = dir_check(fd, ret_why);
	close(fd);
	if (made && rd.n_subdirs < sizeof(rd.subdirs) / sizeof(rd.subdirs[0]))
		rd.subdirs[rd.n_subdirs++] = name;
	return r;
}

void rundir_close(void)
{
	if (rd.pid_fd >= 0) {
		(void)unlinkat(rd.fd, RUNDIR_PIDFILE, 0);
		close(rd.pid_fd);
		rd.pid_fd = -1;
	}
	/* Only when empty: what others put there stays. */
	for (size_t i = 0; i < rd.n_subdirs; i++)
		(void)unlinkat(rd.fd, rd.subdirs[i], AT_REMOVEDIR);
	rd.n_subdirs = 0;
	if (rd.fd >= 0)
		close(rd.fd);
	rd.fd = -1;
	if (rd.made && rd.path)
		(void)rmdir(rd.path);
	rd.made = false;
	free(rd.path);
	rd.path = NULL;
}

/* --- re-execution ---------------------------------------------------------- */

enum { RD_FD = 1, RD_PID_FD, RD_PATH, RD_MADE, RD_SUBDIR };

void rundir_save(struct st_buf *b)
{
	st_put_fd(b, RD_FD, rd.fd);
	st_put_fd(b, RD_PID_FD, rd.pid_fd);
	st_put_str(b, RD_PATH, rd.path);
	st_put_u64(b, RD_MADE, rd.made);
	for (size_t i = 0; i < rd.n_subdirs; i++)
		st_put_str(b, RD_SUBDIR, rd.subdirs[i]);
}

/* Names of subdirectories made by the image that saved them. */
static char rd_names[sizeof(rd.subdirs) / sizeof(rd.subdirs[0])][32];

int rundir_restore(const struct st_rd *r, bool dry, const char **ret_why)
{
	struct st_rd it = *r, v;
	unsigned tag;
	int fd, pid_fd;
	char *path;

	*ret_why = "run_dir: no directory or no lock";
	if (!st_fd(r, RD_FD, &fd) || !st_fd(r, RD_PID_FD, &pid_fd) || fd < 0 || pid_fd < 0 ||
	    !(path = st_strdup(r, RD_PATH)))
		return -EBADMSG;
	if (dry) {
		free(path);
		return 0;
	}
	rd.fd = fd;
	rd.pid_fd = pid_fd;     /* its flock(2) went through the exec with it */
	rd.path = path;
	rd.made = st_flag(r, RD_MADE);
	rd.n_subdirs = 0;
	while (st_next(&it, &tag, &v) == 1) {
		char *name = rd_names[rd.n_subdirs];

		if (tag != RD_SUBDIR || rd.n_subdirs == sizeof(rd_names) / sizeof(rd_names[0]) ||
		    v.n >= sizeof(rd_names[0]) || memchr(v.p, '\0', v.n))
			continue;
		memcpy(name, v.p, v.n);
		name[v.n] = '\0';
		rd.subdirs[rd.n_subdirs++] = name;
	}
	return 0;
}
