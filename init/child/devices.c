/*
 * devices.c: private_devices, a /dev of the pseudo devices only.
 *
 * The device nodes are taken from the host's /dev as detached bind mounts
 * (open_tree) before a fresh tmpfs covers /dev, then moved onto empty files
 * in it: no mknod, so this works where creating device nodes is refused
 * (containers).  /dev/pts is a new devpts instance (only the worker's own
 * terminals), /dev/shm a fresh tmpfs; the rest of /dev is read-only.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"

struct sb_dev {
	const char *name;
	bool optional;          /* some containers have no /dev/tty */
};

static const struct sb_dev sb_devs[] = {
	{ "null", false }, { "zero", false }, { "full", false },
	{ "random", false }, { "urandom", false }, { "tty", true },
};

#define SB_N_DEVS (sizeof(sb_devs) / sizeof(sb_devs[0]))

static const char *const sb_links[][2] = {
	{ "/proc/self/fd", "/dev/fd" }, { "/proc/self/fd/0", "/dev/stdin" },
	{ "/proc/self/fd/1", "/dev/stdout" }, { "/proc/self/fd/2", "/dev/stderr" },
	{ "pts/ptmx", "/dev/ptmx" },
};

/* Detached copies of the host's device nodes; -1 for a missing optional one. */
static int devs_clone(int *fds)
{
	char path[64];

	for (size_t i = 0; i < SB_N_DEVS; i++) {
		(void)child_text_join(path, sizeof(path), "/dev/", sb_devs[i].name);
		fds[i] = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (fds[i] < 0 && !(errno == ENOENT && sb_devs[i].optional))
			return -errno;
	}
	return 0;
}

/* Each clone onto an empty file of the new /dev. */
static int devs_place(const int *fds)
{
	char path[64];
	int fd;

	for (size_t i = 0; i < SB_N_DEVS; i++) {
		if (fds[i] < 0)
			continue;
		(void)child_text_join(path, sizeof(path), "/dev/", sb_devs[i].name);
		fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
		if (fd < 0)
			return -errno;
		close(fd);
		if (move_mount(fds[i], "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return -errno;
		close(fds[i]);
	}
	return 0;
}

static int dev_extras(void)
{
	if (mkdir("/dev/pts", 0755) < 0 || mkdir("/dev/shm", 01777) < 0)
		return -errno;
	if (mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		  "newinstance,ptmxmode=0666,mode=0620") < 0)
		return -errno;
	if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		return -errno;
	for (size_t i = 0; i < sizeof(sb_links) / sizeof(sb_links[0]); i++)
		if (symlink(sb_links[i][0], sb_links[i][1]) < 0)
			return -errno;
	return 0;
}

static int devices(void)
{
	int fds[SB_N_DEVS], r;

	if ((r = devs_clone(fds)) < 0)
		return r;
	if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k") < 0)
		return -errno;
	if ((r = devs_place(fds)) < 0 || (r = dev_extras()) < 0)
		return r;
	if (mount(NULL, "/dev", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL) < 0)
		return -errno;
	return 0;
}

void sb_private_devices(struct child_plan *p)
{
	int r = devices();

	if (r < 0)
		child_fail(p, "private_devices", -r);
}
