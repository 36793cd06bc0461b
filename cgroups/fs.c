/*
 * fs.c: cgroupfs files.  Each control file is written with one write(2)
 * (the kernel parses one write as one value) and read with one read(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups.h"

int cg_write(int dirfd, const char *file, const char *val)
{
	int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(val);
	ssize_t w;
	int r = 0;

	if (fd < 0)
		return -errno;
	w = write(fd, val, n);
	if (w < 0)
		r = -errno;
	else if ((size_t)w != n)
		r = -EIO;
	close(fd);
	return r;
}

ssize_t cg_read(int dirfd, const char *file, char *buf, size_t len)
{
	int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

int cg_kv(const char *text, const char *key, int64_t *ret)
{
	size_t k = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, key, k) == 0 && l[k] == ' ') {
			char *end;
			long long v = strtoll(l + k + 1, &end, 10);

			if (end == l + k + 1)
				return -EINVAL;
			*ret = v;
			return 0;
		}
	}
	return -ENOENT;
}

int cg_open_child(int parentfd, const char *name, bool create, bool *ret_created)
{
	int fd;

	if (ret_created)
		*ret_created = false;
	if (create) {
		if (mkdirat(parentfd, name, 0755) == 0) {
			if (ret_created)
				*ret_created = true;
		} else if (errno != EEXIST) {
			return -errno;
		}
	}
	fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return fd;
}

int cg_enable(int dirfd, unsigned mask)
{
	char names[64], buf[96];
	size_t at = 0;

	cg_controllers_format(mask, names, sizeof(names));
	if (!names[0])
		return 0;
	/* "+cpu +memory": one write enables them all, or none. */
	for (char *s = names, *save = NULL, *t; (t = strtok_r(s, " ", &save)); s = NULL)
		at += (size_t)snprintf(buf + at, sizeof(buf) - at, "%s+%s", at ? " " : "", t);
	return cg_write(dirfd, "cgroup.subtree_control", buf);
}

int cg_move_self(int dirfd)
{
	return cg_write(dirfd, "cgroup.procs", "0");
}
