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
#include <sys/syscall.h>
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

/* The pids listed in dirfd's cgroup.procs, into *ret (malloc'd): the
 * count, or -errno. */
static int read_procs(int dirfd, pid_t **ret)
{
	int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC), n = 0, cap = 0;
	pid_t *v = NULL, *nv;
	FILE *f;
	long pid;

	if (fd < 0)
		return -errno;
	if (!(f = fdopen(fd, "r"))) {
		close(fd);
		return -errno;
	}
	while (fscanf(f, "%ld", &pid) == 1) {
		if (pid <= 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if (!(nv = realloc(v, (size_t)cap * sizeof(*v)))) {
				free(v);
				fclose(f);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n++] = (pid_t)pid;
	}
	fclose(f);
	*ret = v;
	return n;
}

static bool listed(const pid_t *v, int n, pid_t pid)
{
	for (int i = 0; i < n; i++)
		if (v[i] == pid)
			return true;
	return false;
}

/*
 * A pid read from cgroup.procs may die and be reused before it is
 * signalled.  Each is pinned with a pidfd first, then the list is read
 * again: a pinned process still listed is in this cgroup, whoever it is,
 * and the signal goes through the pidfd.  (Without pidfd_open, before
 * Linux 5.3: kill(2) on the second list.)
 */
int cg_signal(int dirfd, int sig)
{
	pid_t *first = NULL, *again = NULL;
	int n = read_procs(dirfd, &first), m, sent = 0, *fds;
	bool no_pidfd = false;

	if (n <= 0)
		return n;
	if (!(fds = malloc((size_t)n * sizeof(*fds)))) {
		free(first);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		fds[i] = (int)syscall(SYS_pidfd_open, first[i], 0);
		no_pidfd |= fds[i] < 0 && errno == ENOSYS;
	}
	m = read_procs(dirfd, &again);
	for (int i = 0; i < n; i++) {
		if (m > 0 && listed(again, m, first[i]) &&
		    (fds[i] >= 0 ? syscall(SYS_pidfd_send_signal, fds[i], sig, NULL, 0)
				 : (no_pidfd ? kill(first[i], sig) : -1)) == 0)
			sent++;
		if (fds[i] >= 0)
			close(fds[i]);
	}
	free(fds);
	free(first);
	free(again);
	return m < 0 ? m : sent;
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
