/*
 * base.c: finding otpd's cgroup base and making the tree's cgroups.
 *
 * The tree mirrors the supervision tree: <base>/root/<sup>/.../<worker>.
 * Which base (otp.conf(5) cgroup_base):
 *   - configured: that directory (created if missing);
 *   - PID 1: the cgroup otpd is in (the hierarchy's root in a VM, the
 *     namespace's root in a container);
 *   - otherwise otpd's own cgroup, when otpd is alone in it (a systemd unit
 *     with Delegate=yes); when it shares it (started from a shell) a private
 *     <own>/otpd.<pid>, removed at exit, so two instances never meet.
 * When otpd sits in its base it moves itself into <base>/otpd first: a
 * cgroup with processes cannot hand controllers to its children.
 * Controllers are enabled only along the paths whose limits need them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "../../cgroups/cgroups.h"
#include "../core.h"
#include "cgroup.h"

/* Zero-initialised (.bss, no page of it dirty until used); cgroup_init()
 * sets its descriptors to -1 first. */
struct cg_shell cgs;

static int open_text(const char *path, FILE **ret)
{
	*ret = fopen(path, "re");
	return *ret ? 0 : -errno;
}

/* The cgroup2 mount point (as PID 1, pid1_setup mounted it if absent). */
static int find_mount(char *buf, size_t len)
{
	FILE *f;
	int r;

	if ((r = open_text("/proc/self/mountinfo", &f)) < 0)
		return r;
	r = cg_find_mount(f, buf, len);
	fclose(f);
	return r;
}

static int own_cgroup(const char *mount, char *buf, size_t len)
{
	char rel[PATH_MAX];
	FILE *f;
	int r;

	if ((r = open_text("/proc/self/cgroup", &f)) < 0)
		return r;
	r = cg_own_path(f, rel, sizeof(rel));
	fclose(f);
	if (r < 0)
		return r;
	if ((size_t)snprintf(buf, len, "%s%s", mount, strcmp(rel, "/") ? rel : "") >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* mkdir -p below the mount point. */
static int mkdir_p(const char *path)
{
	int r = mkdir_parents(path);

	if (r == 0 && mkdir(path, 0755) < 0 && errno != EEXIST)
		r = -errno;
	return r;
}

/* Is otpd the only process in dirfd's cgroup (and in its otpd leaf)? */
static bool alone_in(int dirfd)
{
	char buf[256];
	ssize_t n = cg_read(dirfd, "cgroup.procs", buf, sizeof(buf));
	int leaf;

	if (n < 0 || atol(buf) != (long)getpid() || strchr(buf, '\n') != buf + n - 1)
		return false;
	leaf = openat(dirfd, "otpd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (leaf < 0)
		return true;
	n = cg_read(leaf, "cgroup.procs", buf, sizeof(buf));
	close(leaf);
	return n == 0;
}

static int move_into_leaf(void)
{
	int leaf = cg_open_child(cgs.base_fd, "otpd", true, NULL), r;

	if (leaf < 0)
		return leaf;
	r = cg_move_self(leaf);
	close(leaf);
	if (r == 0)
		cgs.moved = true;
	return r;
}

/*
 * Open the base and lock it for this otpd's lifetime: a second otpd given
 * the same base must not take it for stale leftovers and kill our tree.
 */
static int open_base(const char *path)
{
	struct statfs fs;

	char *copy;

	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	if (!(copy = strdup(path)))
		return -ENOMEM;
	free(cgs.base);
	cgs.base = copy;
	cgs.base_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgs.base_fd < 0)
		return -errno;
	/* Whatever the path said, the directory must be a cgroup2 one. */
	if (fstatfs(cgs.base_fd, &fs) < 0 || fs.f_type != CGROUP2_SUPER_MAGIC) {
		close(cgs.base_fd);
		cgs.base_fd = -1;
		return -ENOTDIR;
	}
	if (flock(cgs.base_fd, LOCK_EX | LOCK_NB) < 0) {
		int r = errno == EWOULDBLOCK ? -EBUSY : -errno;

		close(cgs.base_fd);
		cgs.base_fd = -1;
		return r;
	}
	return 0;
}

/* Does `path` end in "/." or "/.."?  (Such a base would leave the mount.) */
static bool ends_with_dots(const char *path)
{
	const char *last = strrchr(path, '/');

	return last && (strcmp(last, "/.") == 0 || strcmp(last, "/..") == 0);
}

static int base_decide(const char *mount, const char *conf, char *own, char *mine,
		       const char **why);

/* Decide and open the base; *why names what failed. */
static int choose_base(const char *mount, const char **why)
{
	const char *conf = core_config()->otpd.cgroup_base;
	/* On the heap: PATH_MAX buffers here would make otpd's stack high-water
	 * mark for its whole life. */
	char *own = malloc(PATH_MAX), *mine = malloc(PATH_MAX);
	int r = own && mine ? 0 : -ENOMEM;

	*why = "out of memory";
	if (r == 0)
		r = base_decide(mount, conf, own, mine, why);
	free(own);
	free(mine);
	return r;
}

static int base_decide(const char *mount, const char *conf, char *own, char *mine,
		       const char **why)
{
	int r;

	*why = "cannot read /proc/self/cgroup";
	if ((r = own_cgroup(mount, own, PATH_MAX)) < 0)
		return r;
	if (conf) {
		*why = "cgroup_base must be a directory under the cgroup2 mount";
		if (strncmp(conf, mount, strlen(mount)) != 0 || conf[strlen(mount)] != '/' ||
		    strstr(conf, "/../") || strstr(conf, "/./") || ends_with_dots(conf))
			return -EINVAL;
		*why = "cannot create cgroup_base";
		if ((r = mkdir_p(conf)) < 0)
			return r;
		*why = "cannot use cgroup_base (EBUSY: another otpd has it)";
		if ((r = open_base(conf)) < 0)
			return r;
		*why = "cannot move otpd into <cgroup_base>/otpd";
		return strcmp(own, conf) == 0 ? move_into_leaf() : 0;
	}
	*why = "cannot use otpd's own cgroup (EBUSY: another otpd has it)";
	if ((r = open_base(own)) < 0)
		return r;
	if (core_pid1() || alone_in(cgs.base_fd)) {
		*why = "cannot move otpd into a leaf of its own cgroup";
		return move_into_leaf();
	}
	/* Shared with its starter: a private base of its own. */
	close(cgs.base_fd);
	cgs.base_fd = -1;
	*why = "cannot create a cgroup of otpd's own";
	if ((size_t)snprintf(mine, PATH_MAX, "%s/otpd.%d", own, (int)getpid()) >= PATH_MAX)
		return -ENAMETOOLONG;
	if ((r = mkdir_p(mine)) < 0 || (r = open_base(mine)) < 0)
		return r;
	cgs.private_base = true;
	return 0;
}

static size_t cfg_index(const struct sup_node *n)
{
	const struct cfg_node *c = sup_node_spec(n)->user;

	return (size_t)(c - core_config()->nodes);
}

/* own[i]: controllers node i's limits need; kids[i]: those its children's
 * subtrees need (what its cgroup.subtree_control must hold). */
static int masks_build(void)
{
	const struct otp_config *c = core_config();

	cgs.own = calloc(c->n_nodes, sizeof(*cgs.own));
	cgs.kids = calloc(c->n_nodes, sizeof(*cgs.kids));
	if (!cgs.own || !cgs.kids)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_nodes; i++) {
		unsigned m = cg_limits_need(cfg_node_limits(&c->nodes[i]));

		cgs.own[i] = m;
		if (!m)
			continue;
		cgs.needed |= m;
		for (const struct cfg_node *p = cfg_find(c, c->nodes[i].parent); p;
		     p = p->parent[0] ? cfg_find(c, p->parent) : NULL)
			cgs.kids[p - c->nodes] |= m;
	}
	return 0;
}

/* Say once, per node, which configured limits are not enforced. */
static void warn_missing(unsigned missing, const char *reason)
{
	char keys[256];

	for (size_t i = 0; i < core_config()->n_nodes; i++) {
		const struct cfg_node *n = &core_config()->nodes[i];

		cg_limits_keys(cfg_node_limits(n), missing, keys, sizeof(keys));
		if (keys[0])
			log_warn("%s: %s NOT enforced: %s", n->spec.name, keys, reason);
	}
}

/* Processes of an earlier otpd run in dirfd/name: kill them, wait (bounded)
 * for the cgroup to empty, remove it. */
static void stale_remove(int dirfd, const char *name)
{
	int fd = cg_open_child(dirfd, name, false, NULL);

	if (fd < 0)
		return;
	if (cg_populated(fd) > 0) {
		log_warn("killing processes left in %s/%s by an earlier otpd", cgs.base, name);
		(void)cg_kill(fd);
		(void)cgroup_wait_empty(fd, 5000);
	}
	close(fd);
	if (cg_remove(dirfd, name) < 0)
		log_warn("cannot remove stale cgroup %s/%s: %s", cgs.base, name, strerror(errno));
}

/* Private bases (<own>/otpd.PID) whose otpd is gone. */
static void stale_private_siblings(void)
{
	char parent[PATH_MAX];
	DIR *d;
	struct dirent *e;
	int pfd;

	if ((size_t)snprintf(parent, sizeof(parent), "%s/..", cgs.base) >= sizeof(parent) ||
	    (pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	int dfd = fcntl(pfd, F_DUPFD_CLOEXEC, 3);

	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		close(pfd);
		return;
	}
	while ((e = readdir(d))) {
		int fd;
		bool stale;

		if (strncmp(e->d_name, "otpd.", 5) != 0 || e->d_type != DT_DIR)
			continue;
		/* Its otpd holds a lock on it while it lives. */
		if ((fd = openat(pfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			continue;
		stale = flock(fd, LOCK_EX | LOCK_NB) == 0;
		close(fd);
		if (stale)
			stale_remove(pfd, e->d_name);
	}
	closedir(d);
	close(pfd);
}

/* Controllers: what is available in the base, enabled for the tree. */
static void controllers_setup(void)
{
	char buf[256], names[64];
	unsigned avail = 0, missing;
	int r;

	if (cg_read(cgs.base_fd, "cgroup.controllers", buf, sizeof(buf)) >= 0)
		avail = cg_controllers_parse(buf);
	missing = cgs.needed & ~avail;
	cgs.usable = cgs.needed & avail;
	if (missing) {
		cg_controllers_format(missing, names, sizeof(names));
		snprintf(buf, sizeof(buf), "controller(s) %s not available in %.160s", names,
			 cgs.base);
		warn_missing(missing, buf);
	}
	if (cgs.usable && (r = cg_enable(cgs.base_fd, cgs.usable)) < 0) {
		snprintf(buf, sizeof(buf), "cannot enable controllers in %.120s/cgroup.subtree_control: %s",
			 cgs.base, strerror(-r));
		warn_missing(cgs.usable, buf);
		missing |= cgs.usable;
		cgs.usable = 0;
	}
	cgs.missing = missing;
}

static int cgroup_refuse(const char *what, int err)
{
	if (core_config()->otpd.cgroup == CFG_CGROUP_REQUIRED) {
		log_err("cgroup = required: %s: %s", what, strerror(-err));
		return -ENOTSUP;
	}
	log_warn("workers run without cgroups (no kill of escapees, no limits, no freeze): "
		 "%s: %s", what, strerror(-err));
	if (cgs.needed)
		warn_missing(cgs.needed, "no cgroups");
	if (cgs.base_fd >= 0)
		close(cgs.base_fd);
	cgs.base_fd = -1;
	return 0;
}

int cgroup_init(void)
{
	const char *why = "no cgroup2 hierarchy is mounted";
	char *mount;
	int r;

	cgs.base_fd = cgs.ino_fd = -1;
	if (core_config()->otpd.cgroup == CFG_CGROUP_OFF)
		return 0;
	if ((r = masks_build()) < 0)
		return r;
	if (!(mount = malloc(PATH_MAX)))
		return cgroup_refuse("out of memory", -ENOMEM);
	if ((r = find_mount(mount, PATH_MAX)) == 0)
		r = choose_base(mount, &why);
	cgs.mount_len = r == 0 && strcmp(mount, "/") ? strlen(mount) : 0;
	free(mount);
	if (r < 0)
		return cgroup_refuse(why, r);
	if ((r = cgroup_watch_init()) < 0)
		return cgroup_refuse("inotify", r);
	if (cgs.private_base)
		stale_private_siblings();
	stale_remove(cgs.base_fd, "root");
	controllers_setup();
	if (cgs.missing && core_config()->otpd.cgroup == CFG_CGROUP_REQUIRED) {
		log_err("cgroup = required, and configured limits cannot be enforced");
		return -ENOTSUP;
	}
	cgs.on = true;
	log_debug("cgroups: base %s", cgs.base);
	return 0;
}

/* Re-execution (state.c): the base is kept as it was; its masks come
 * from the configuration again. */
int cgroup_masks_setup(void)
{
	int r = masks_build();

	if (r == 0)
		controllers_setup();
	return r;
}

/* otpd is leaving, every worker is gone: remove the tree's cgroups. */
void cgroup_fini(void)
{
	int r;

	if (!cgs.on)
		return;
	if ((r = cg_remove(cgs.base_fd, "root")) < 0)
		log_warn("cannot remove %s/root: %s", cgs.base, strerror(-r));
	close(cgs.base_fd);
	cgs.base_fd = -1;
	if (cgs.private_base && rmdir(cgs.base) < 0)
		log_warn("cannot remove %s: %s", cgs.base, strerror(errno));
	cgs.on = false;
}

/* n and its ancestors, root first, into chain[]; the depth or -ELOOP. */
static int node_chain(const struct sup_node *n, const struct sup_node **chain, size_t max)
{
	size_t depth = 0;

	for (const struct sup_node *p = n; p; p = sup_node_parent(p))
		if (depth++ == max)
			return -ELOOP;
	for (size_t i = depth; n; n = sup_node_parent(n))
		chain[--i] = n;
	return (int)depth;
}

/* Controllers enabled for n's cgroup: its parent's subtree_control. */
unsigned cgroup_node_controllers(const struct sup_node *n)
{
	const struct sup_node *p = sup_node_parent(n);

	if (!cgs.on)
		return 0;
	return p ? cgs.kids[cfg_index(p)] & cgs.usable : cgs.usable;
}

/* "root/backend/db": n's cgroup relative to the base.  0 or -errno. */
int cgroup_relpath(const struct sup_node *n, char *buf, size_t len)
{
	const struct sup_node *chain[CG_DEPTH_MAX];
	int depth = node_chain(n, chain, CG_DEPTH_MAX);
	size_t at = 0;

	if (depth < 0)
		return depth;
	/* memcpy, not snprintf per level: status formats one per node. */
	for (int i = 0; i < depth; i++) {
		const char *name = sup_node_name(chain[i]);
		size_t l = strlen(name);

		if (at + (i > 0) + l >= len)
			return -ENAMETOOLONG;
		if (i > 0)
			buf[at++] = '/';
		memcpy(buf + at, name, l);
		at += l;
	}
	buf[at] = '\0';
	return 0;
}

char *cgroup_relpath_dup(const struct sup_node *n)
{
	char *buf = malloc(PATH_MAX);
	int r;

	if (buf && (r = cgroup_relpath(n, buf, PATH_MAX)) < 0) {
		free(buf);
		errno = -r;
		return NULL;
	}
	return buf;
}

/* A new cgroup for node n: controllers for its children, its own limits. */
static int node_init_dir(const struct sup_node *n, int fd, const char **why)
{
	size_t i = cfg_index(n);
	unsigned kids = cgs.kids[i] & cgs.usable;
	int r;

	if (kids && (r = cg_enable(fd, kids)) < 0) {
		*why = "cgroup.subtree_control";
		return r;
	}
	return cg_limits_apply(fd, cfg_node_limits(&core_config()->nodes[i]), cgs.usable, why);
}

/*
 * Make and open n's cgroup when its parent's exists, the common case of a
 * start (a supervisor's is made before its children start): one mkdirat
 * and one openat by its path from the base, where the walk below makes,
 * opens and closes every level (issue 19: start of 1,000 workers in
 * cgroups).  -ENOENT: a level above is missing.
 */
static int leaf_make(const struct sup_node *n, const char **why)
{
	char *rel = cgroup_relpath_dup(n);
	bool made;
	int fd, r;

	if (!rel)
		return -errno;
	made = mkdirat(cgs.base_fd, rel, 0755) == 0;
	fd = made || errno == EEXIST ? openat(cgs.base_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	r = fd < 0 ? -errno : 0;
	free(rel);
	if (r < 0)
		return r;
	if (made && (r = node_init_dir(n, fd, why)) < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/*
 * Open n's cgroup (a directory fd), creating it and its ancestors when
 * `create`; new ones are set up with their limits.  -errno with *why.
 */
int cgroup_node_open(const struct sup_node *n, bool create, const char **why)
{
	const struct sup_node *chain[CG_DEPTH_MAX];
	int depth = node_chain(n, chain, CG_DEPTH_MAX), fd = cgs.base_fd, r;

	*why = "cgroup";
	if (depth < 0)
		return depth;
	if (create && (r = leaf_make(n, why)) != -ENOENT)
		return r;
	for (int i = 0; i < depth; i++) {
		bool created;
		int nfd = cg_open_child(fd, sup_node_name(chain[i]), create, &created);

		if (fd != cgs.base_fd)
			close(fd);
		if (nfd < 0)
			return nfd;
		fd = nfd;
		if (created && (r = node_init_dir(chain[i], fd, why)) < 0) {
			close(fd);
			return r;
		}
	}
	return fd;
}

/* One existing cgroup after a reload: controllers for its children, limits. */
static void node_reload(struct sup_node *n, const struct otp_config *old)
{
	const struct cfg_node *now = sup_node_spec(n)->user;
	const struct cfg_node *was = cfg_find(old, now->spec.name);
	unsigned kids = cgs.kids[cfg_index(n)] & cgs.usable;
	const char *why = "cgroup";
	int fd = cgroup_node_open(n, false, &why), r = 0;

	if (fd < 0)
		return;         /* not created yet: it gets the new limits then */
	/* A dynamic child's config node is its template's, found by that name. */
	if (kids && (r = cg_enable(fd, kids)) < 0)
		why = "cgroup.subtree_control";
	else
		r = cg_limits_update(fd, was ? cfg_node_limits(was) : &cg_limits_none, cfg_node_limits(now),
				     cgs.usable, &why);
	if (r < 0)
		log_warn("%s: reload: cannot write %s: %s", sup_node_name(n), why, strerror(-r));
	close(fd);
}

void cgroup_reload(const struct otp_config *old)
{
	if (!cgs.on)
		return;
	free(cgs.own);
	free(cgs.kids);
	cgs.own = cgs.kids = NULL;
	cgs.needed = 0;
	if (masks_build() < 0) {
		log_err("reload: out of memory for the cgroup masks");
		return;
	}
	controllers_setup();
	/* Parents first: a controller must be enabled above before below. */
	for (struct sup_node *n = core_root(); n; n = sup_walk_next(core_root(), n))
		if (!sup_node_removed(n))
			node_reload(n, old);
}
