/*
 * ops.c: what otpd does to a cgroup as a whole.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups.h"

static int events_key(int dirfd, const char *key)
{
	char buf[256];
	int64_t v;
	ssize_t n = cg_read(dirfd, "cgroup.events", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	if (cg_kv(buf, key, &v) < 0)
		return -EINVAL;
	return v != 0;
}

int cg_populated(int dirfd)
{
	return events_key(dirfd, "populated");
}

int cg_frozen(int dirfd)
{
	return events_key(dirfd, "frozen");
}

int cg_freeze(int dirfd, bool on)
{
	return cg_write(dirfd, "cgroup.freeze", on ? "1" : "0");
}

/* Call fn(dirfd, name) for each child cgroup of dirfd. */
static int each_child(int dirfd, int (*fn)(int, const char *, void *), void *arg)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;
	DIR *d;
	struct dirent *e;

	if (fd < 0)
		return -errno;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		int c = fn(dirfd, e->d_name, arg);

		if (c < 0 && !r)
			r = c;
	}
	closedir(d);
	return r;
}

int cg_signal(int dirfd, int sig)
{
	int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC), n = 0;
	FILE *f;
	long pid;

	if (fd < 0)
		return -errno;
	if (!(f = fdopen(fd, "r"))) {
		close(fd);
		return -errno;
	}
	while (fscanf(f, "%ld", &pid) == 1)
		if (pid > 0 && kill((pid_t)pid, sig) == 0)
			n++;
	fclose(f);
	return n;
}

static int kill_child(int dirfd, const char *name, void *arg)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	r = cg_kill(fd);
	close(fd);
	return r;
}

int cg_kill(int dirfd)
{
	int r = cg_write(dirfd, "cgroup.kill", "1");

	if (r != -ENOENT)
		return r;
	/* Before 5.14: one by one, each cgroup of the subtree. */
	r = cg_signal(dirfd, SIGKILL);
	if (r < 0)
		return r;
	return each_child(dirfd, kill_child, NULL);
}

static int remove_child(int dirfd, const char *name, void *arg)
{
	return cg_remove(dirfd, name);
}

int cg_remove(int parentfd, const char *name)
{
	int fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	r = each_child(fd, remove_child, NULL);
	close(fd);
	if (unlinkat(parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return -errno;
	return r;
}
