/*
 * test_notify.c: the $NOTIFY_SOCKET receiver, with a real socket, the
 * real loop, the real pid index (ws.c) and the real core: the test
 * process itself plays the worker's main process.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tutil.h"

static char dir[64];
static char run_dir[96];
static struct cfg_node wcfg;
static struct sup_node *node;
static struct ws *w;
static int fds_before;


/* A tree root -> "svc" (ready=notify), booted: svc is starting. */
static void tree_make(void)
{
	struct sup_spec root, spec;
	enum sup_result err;

	sup_spec_init(&root, SUP_SUPERVISOR, "root");
	tree_use(sup_tree_new(&root));
	cr_assert(ttree != NULL);
	sup_spec_init(&spec, SUP_WORKER, "svc");
	spec.user = &wcfg;
	spec.watchdog_ms = 10000;
	wcfg.w.ready = CFG_READY_NOTIFY;
	node = sup_tree_add(ttree, sup_tree_root(ttree), &spec, &err);
	cr_assert(node != NULL);
	sup_boot(ttree, ev_now());
	sup_actions_clear(ttree);           /* nothing is spawned for real */
	cr_assert(eq(int, sup_node_state(node), SUP_STARTING));
}

static void setup(void)
{
	cr_assert(eq(int, ev_init(), 0));
	tree_make();
	w = ws_of(node);
	cr_assert(w != NULL);
	w->pid = getpid();
	cr_assert(eq(int, ws_index_pid(w), 0));
	log_debug("opens otpd's stderr now, before the fd count");
	strcpy(dir, "/tmp/otpd-notify-XXXXXX");
	cr_assert(mkdtemp(dir) != NULL);
	snprintf(run_dir, sizeof(run_dir), "%s/run/otp", dir);
	cr_assert(eq(int, mkdir_parents(run_dir), 0));
	cr_assert(eq(int, mkdir(run_dir, 0755), 0));
	cr_assert(eq(int, notify_init(run_dir), 0));
	fds_before = fd_count();
}

static void teardown(void)
{
	char p[160];

	cr_expect(eq(int, fd_count(), fds_before), "fd leak");
	ws_free(w);
	ws_collect();
	sup_tree_free(ttree);
	tree_use(NULL);
	ev_fini();
	snprintf(p, sizeof(p), "%s/notify", run_dir);
	unlink(p);
	rmdir(run_dir);
	snprintf(p, sizeof(p), "%s/run", dir);
	rmdir(p);
	rmdir(dir);
}

TestSuite(notify, .init = setup, .fini = teardown, .timeout = 10);

/* sd_notify(3) as a child would do it, optionally passing an fd. */
static void send_msg(const void *msg, size_t len, int pass_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof(sa),
			     .msg_iov = &iov, .msg_iovlen = 1 };
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert(ge(int, s, 0));
	cr_assert(notify_path() != NULL);
	strcpy(sa.sun_path, notify_path());
	if (pass_fd >= 0) {
		mh.msg_control = &ctl;
		mh.msg_controllen = sizeof(ctl);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	cr_assert(eq(int, (int)sendmsg(s, &mh, 0), (int)len));
	close(s);
}

static void send_str(const char *msg)
{
	send_msg(msg, strlen(msg), -1);
}

static void pump(void)
{
	cr_assert(eq(int, ev_run_once(), 0));
}

Test(notify, socket_is_made_in_run_dir_nonblocking_and_world_writable)
{
	struct stat st;
	char want[160];

	snprintf(want, sizeof(want), "%s/notify", run_dir);
	cr_expect(eq(str, (char *)notify_path(), want));
	cr_assert(eq(int, stat(notify_path(), &st), 0));
	cr_expect(eq(int, st.st_mode & S_IFMT, S_IFSOCK));
	cr_expect(eq(int, st.st_mode & 0777, 0666));
	cr_assert(eq(int, stat(run_dir, &st), 0));
	cr_expect(eq(int, st.st_mode & 0777, 0755));
}

Test(notify, ready_from_the_main_process_makes_the_worker_running)
{
	send_str("READY=1\nSTATUS=serving 3 clients\n");
	pump();
	cr_expect(eq(int, sup_node_state(node), SUP_RUNNING));
	cr_expect(eq(str, w->status, "serving 3 clients"));
}

Test(notify, unknown_sender_is_ignored)
{
	ws_unindex_pid(w);
	send_str("READY=1\nSTATUS=spoofed");
	pump();
	cr_expect(eq(int, sup_node_state(node), SUP_STARTING));
	cr_expect(w->status == NULL, "kept a spoofed STATUS=: %s", w->status);
	cr_assert(eq(int, ws_index_pid(w), 0));
}

Test(notify, ready_is_ignored_unless_ready_is_notify)
{
	wcfg.w.ready = CFG_READY_EXEC;
	send_str("STATUS=starting up\nREADY=1");
	pump();
	cr_expect(eq(int, sup_node_state(node), SUP_STARTING));
	cr_expect(eq(str, w->status, "starting up"));
}

Test(notify, oversized_datagram_is_ignored)
{
	size_t n = 5000;
	char *big = malloc(n);

	memset(big, 'x', n);
	memcpy(big, "READY=1\nX=", 10);
	send_msg(big, n, -1);
	free(big);
	pump();
	cr_expect(eq(int, sup_node_state(node), SUP_STARTING));
	/* The next, normal one is still heard. */
	send_str("READY=1");
	pump();
	cr_expect(eq(int, sup_node_state(node), SUP_RUNNING));
}

Test(notify, passed_fds_are_closed)
{
	int p[2];

	cr_assert(eq(int, pipe2(p, O_CLOEXEC), 0));
	send_msg("FDSTORE=1\nREADY=1", 17, p[0]);
	close(p[0]);
	pump();
	cr_expect(eq(int, sup_node_state(node), SUP_RUNNING));
	close(p[1]);
	cr_expect(eq(int, fd_count(), fds_before), "the received copy must be closed");
}

Test(notify, status_is_truncated_and_control_bytes_blanked)
{
	char msg[400] = "STATUS=a\tb";

	memset(msg + 10, 'y', 300);
	msg[310] = '\0';
	send_str(msg);
	pump();
	cr_expect(eq(sz, strlen(w->status), WS_STATUS_MAX - 1));
	cr_expect(eq(int, strncmp(w->status, "a b", 3), 0));
}

Test(notify, watchdog_pushes_the_deadline)
{
	struct timespec ts = { .tv_nsec = 30 * 1000000 };

	send_str("READY=1");
	pump();
	cr_assert(eq(int, sup_node_state(node), SUP_RUNNING));
	int64_t d1 = sup_next_deadline(ttree);

	nanosleep(&ts, NULL);
	send_str("WATCHDOG=1");
	pump();
	cr_expect(gt(i64, sup_next_deadline(ttree), d1));
}

Test(notify, several_datagrams_in_one_wake_up)
{
	send_str("STATUS=one");
	send_str("STATUS=two");
	send_str("garbage without equals\nSTOPPING=1\nUNKNOWN=1");
	pump();
	cr_expect(eq(str, w->status, "two"));
}

Test(notify, stale_socket_is_replaced_and_long_path_refused)
{
	char longdir[200];

	/* notify_init again on the same run_dir: the old file is stale. */
	cr_assert(eq(int, notify_init(run_dir), 0));
	send_str("READY=1");
	pump();
	cr_expect(eq(int, sup_node_state(node), SUP_RUNNING));
	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[sizeof(longdir) - 1] = '\0';
	cr_expect(eq(int, notify_init(longdir), -ENAMETOOLONG));
}
