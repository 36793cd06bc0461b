/*
 * mailbox.c: the gen_server mailboxes otpd holds for its workers.
 *
 * For a worker with `mailbox = true`, otpd binds and listens on a
 * SOCK_SEQPACKET socket at <run_dir>/mailbox/<name> before its first start
 * and keeps it across restarts, so callers queue in the kernel while the
 * worker restarts.  otpd never accepts on it: the worker gets it as fd 3.
 * When the worker leaves the tree the socket goes away, and callers get
 * noproc (ENOENT).  otpd's own messages to a worker (the events hook,
 * system messages: sys.c) go through mailbox_connect and mailbox_send:
 * a connection to the socket otpd holds, and sends that never block.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../core.h"
#include "spawn.h"

static int mb_path(const struct ws *w, struct sockaddr_un *sa)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/mailbox/%s", core_config()->otpd.run_dir,
		     sup_node_name(w->node));
	return n < 0 || (size_t)n >= sizeof(sa->sun_path) ? -ENAMETOOLONG : 0;
}

/* Owner root (or otpd's user), group mailbox_group or control_group. */
static int mb_perms(const struct cfg_worker *c, const char *path)
{
	const char *group = c->mailbox_group ? c->mailbox_group : core_config()->otpd.control_group;
	gid_t gid;
	int r;

	if (chmod(path, c->mailbox_mode) < 0)
		return -errno;
	if (!group)
		return 0;
	if ((r = group_resolve(group, &gid)) < 0)
		return r;
	return chown(path, (uid_t)-1, gid) < 0 ? -errno : 0;
}

static int mb_bind(const struct cfg_worker *c, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, r;

	/* A socket left by an earlier otpd of this run_dir is ours to replace. */
	if (lstat(sa->sun_path, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)unlink(sa->sun_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ||
	    listen(fd, c->mailbox_backlog) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if ((r = mb_perms(c, sa->sun_path)) < 0) {
		close(fd);
		(void)unlink(sa->sun_path);
		return r;
	}
	return fd;
}

/*
 * The socket is one open file description shared with the worker, and
 * libotp_mailbox makes it non-blocking while it drains its backlog: a
 * worker that died then would hand the next one a non-blocking socket.
 * Every start gets it blocking, as socket activation promises.
 */
static int mb_blocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || ((fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0))
		return -errno;
	return 0;
}

/* Create w's mailbox if it needs one and has none (before each start).  0 or -errno. */
int mailbox_open(struct ws *w)
{
	struct sockaddr_un sa;
	const char *why;
	int fd, r;

	/* The second process of an overlap: the first one serves the socket
	 * now, as it is (worker/overlap.c). */
	if (w->mb_fd >= 0)
		return w->is_twin ? 0 : mb_blocking(w->mb_fd);
	if (!w->cfg->w.mailbox)
		return 0;
	if ((r = mb_path(w, &sa)) < 0)
		return r;
	if ((r = rundir_subdir("mailbox", &why)) < 0) {
		log_warn("%s/mailbox: %s", core_config()->otpd.run_dir, why);
		return r;
	}
	fd = mb_bind(&w->cfg->w, &sa);
	if (fd < 0)
		return fd;
	w->mb_fd = fd;
	return 0;
}

/* The worker left the tree: its callers get noproc from now on. */
void mailbox_close(struct ws *w)
{
	struct sockaddr_un sa;

	wsys_drop(w);
	if (w->mb_fd < 0)
		return;
	close(w->mb_fd);
	w->mb_fd = -1;
	if (mb_path(w, &sa) == 0)
		(void)unlink(sa.sun_path);
}

/*
 * A reload changed w's config: queued callers are kept.  A mailbox no
 * longer wanted goes (callers get noproc); mode, group and backlog are
 * applied to the socket in place (listen(2) again sets a new backlog).
 */
int mailbox_update(struct ws *w)
{
	struct sockaddr_un sa;
	int r;

	if ((r = wsys_follow(w)) < 0)
		return r;
	if (w->mb_fd < 0)
		return 0;
	if (!w->cfg->w.mailbox) {
		mailbox_close(w);
		return 0;
	}
	if ((r = mb_path(w, &sa)) < 0)
		return r;
	if (listen(w->mb_fd, w->cfg->w.mailbox_backlog) < 0)
		return -errno;
	return mb_perms(&w->cfg->w, sa.sun_path);
}

int mailbox_connect(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/mailbox/%s",
			     core_config()->otpd.run_dir, name) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A Unix socket connects at once, or fails: EAGAIN when the backlog is full. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r == -EWOULDBLOCK ? -EAGAIN : r;
	}
	return fd;
}

int mailbox_send(int fd, const void *msg, size_t len)
{
	if (send(fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
		return 0;
	return errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

int mailbox_send_fd(int fd, const void *msg, size_t len, int pass)
{
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl,
			     .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	memset(&ctl, 0, sizeof(ctl));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &pass, sizeof(int));
	if (sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}
