/*
 * namespaces.c: step 1, namespaces.
 *
 * The mount keys share one new mount namespace whose mounts are slaves of
 * the host's: nothing done here shows outside, mounts made on the host
 * still show inside.  Within it, in this order (later mounts lie on top of
 * earlier ones, so `read_only_paths = /` with `private_tmp` leaves a
 * writable /tmp):
 *
 *   inaccessible_paths  an empty node of mode 0000 is mounted over each
 *   read_only_paths     bind-mounted onto itself, then read-only with
 *                       everything mounted below (mount_setattr, Linux 5.12)
 *   private_devices     a fresh /dev with null, zero, full, random,
 *                       urandom, tty, a new devpts instance and /dev/shm
 *   private_tmp         a fresh tmpfs on /tmp and /var/tmp
 *
 * private_network then gives the worker a network namespace of its own
 * whose only interface, lo, is brought up.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"

/* Where the inaccessible nodes are made: otpd's run_dir, which always exists. */
#define SB_NODE_REG "/.otpd-inaccessible-reg"
#define SB_NODE_DIR "/.otpd-inaccessible-dir"

/* "-/path": skipped when missing.  The path, and whether it is optional. */
static const char *path_of(const char *word, bool *ret_optional)
{
	*ret_optional = word[0] == '-';
	return word + *ret_optional;
}

size_t sb_strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* Slots of the plan's node_fds before the clones are made. */
#define SB_SKIP (-1)            /* optional and missing */
#define SB_REG (-2)             /* to be covered by the empty file */
#define SB_DIR (-3)             /* to be covered by the empty directory */

/* `base``name` into path[4096]: 0 or -ENAMETOOLONG. */
static int node_path(char *path, const char *base, const char *name)
{
	return child_text_join(path, 4096, base, name) ? 0 : -ENAMETOOLONG;
}

/* A detached copy of the node at `base``name`, to be moved onto a target. */
static int node_clone(const char *base, const char *name)
{
	char path[4096];
	int fd;

	if (node_path(path, base, name) < 0)
		return -ENAMETOOLONG;
	fd = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The two empty nodes, in the fresh tmpfs at `base`. */
static int nodes_make(const char *base)
{
	char path[4096];
	int fd, r;

	if ((r = node_path(path, base, SB_NODE_DIR)) < 0)
		return r;
	if (mkdir(path, 0) < 0)
		return -errno;
	if ((r = node_path(path, base, SB_NODE_REG)) < 0)
		return r;
	if ((fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0)) < 0)
		return -errno;
	close(fd);
	return 0;
}

/*
 * Make the two inaccessible nodes on a read-only tmpfs mounted over `base`
 * for a moment, and clone one per target; the clones outlive the tmpfs,
 * which is gone again when this returns.  Slots of fds[] that are SB_REG
 * or SB_DIR get a clone of that node.
 */
static int nodes_clone(const char *base, int *fds, size_t n)
{
	int r;

	if (mount("tmpfs", base, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=4k") < 0)
		return -errno;
	r = nodes_make(base);
	if (r == 0 && mount(NULL, base, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			    NULL) < 0)
		r = -errno;
	for (size_t i = 0; r == 0 && i < n; i++)
		if (fds[i] <= SB_REG &&
		    (fds[i] = node_clone(base, fds[i] == SB_DIR ? SB_NODE_DIR : SB_NODE_REG)) < 0)
			r = fds[i];
	if (umount2(base, MNT_DETACH) < 0 && r == 0)
		r = -errno;
	return r;
}

/* The plan's node_fds has a slot per path (otpd allocated it: no VLA on
 * the child's stack, whatever the number of paths). */
static void inaccessible(struct child_plan *p)
{
	char *const *v = cfg_worker_sandbox(p->cfg)->inaccessible_paths;
	size_t n = sb_strv_len(v);
	int *fds = p->node_fds, r;
	struct stat st;
	bool opt;

	if (n == 0)
		return;
	/* Look at every target first: the staging mount may hide some. */
	for (size_t i = 0; i < n; i++) {
		const char *path = path_of(v[i], &opt);

		fds[i] = SB_SKIP;
		if (stat(path, &st) == 0)
			fds[i] = S_ISDIR(st.st_mode) ? SB_DIR : SB_REG;
		else if (!(errno == ENOENT && opt))
			child_fail(p, "inaccessible_paths", errno);
	}
	if ((r = nodes_clone(p->run_dir, fds, n)) < 0)
		child_fail(p, "inaccessible_paths", -r);
	for (size_t i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		if (move_mount(fds[i], "", AT_FDCWD, path_of(v[i], &opt), MOVE_MOUNT_F_EMPTY_PATH) < 0)
			child_fail(p, "inaccessible_paths", errno);
		close(fds[i]);
	}
}

static int make_read_only(const char *path)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

	/* "/" is a mount point already; anything else becomes one. */
	if (strcmp(path, "/") != 0 && mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	if (mount_setattr(AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return -errno;
	return 0;
}

static void read_only(struct child_plan *p)
{
	char *const *v = cfg_worker_sandbox(p->cfg)->read_only_paths;
	struct stat st;
	bool opt;
	int r;

	for (size_t i = 0; v && v[i]; i++) {
		const char *path = path_of(v[i], &opt);

		if (stat(path, &st) < 0) {
			if (errno == ENOENT && opt)
				continue;
			child_fail(p, "read_only_paths", errno);
		}
		if ((r = make_read_only(path)) < 0)
			child_fail(p, "read_only_paths", -r);
	}
}

static int mount_tmp(const char *dir)
{
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		return -errno;
	return 0;
}

/* /tmp must exist; a missing /var/tmp (minimal images) is left alone. */
static void private_tmp(struct child_plan *p)
{
	struct stat st;
	int r;

	if ((r = mount_tmp("/tmp")) < 0)
		child_fail(p, "private_tmp", -r);
	if (stat("/var/tmp", &st) == 0 && S_ISDIR(st.st_mode) && (r = mount_tmp("/var/tmp")) < 0)
		child_fail(p, "private_tmp", -r);
}

/* A network namespace of its own: only lo, and up. */
static void private_network(struct child_plan *p)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s;

	if (unshare(CLONE_NEWNET) < 0)
		child_fail(p, "private_network", errno);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		child_fail(p, "private_network", errno);
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		child_fail(p, "private_network", errno);
	close(s);
}

void sb_namespaces(struct child_plan *p)
{
	const struct cfg_sandbox *sb = cfg_worker_sandbox(p->cfg);
	bool mnt = sb->private_tmp || sb->private_devices || sb->read_only_paths ||
		   sb->inaccessible_paths;

	if (mnt && unshare(CLONE_NEWNS) < 0)
		child_fail(p, "mount_namespace", errno);
	if (mnt && mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		child_fail(p, "mount_namespace", errno);
	inaccessible(p);
	read_only(p);
	if (sb->private_devices)
		sb_private_devices(p);
	if (sb->private_tmp)
		private_tmp(p);
	if (sb->private_network)
		private_network(p);
}
