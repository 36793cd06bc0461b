/*
 * reexec.c: `otpctl reexec [--binary PATH]` (otpd(8), RE-EXECUTION), in
 * the image that goes; part of the doorway's room.
 *
 * The steps, each ordered so that a failure leaves otpd as it was:
 *
 *   1. settle   the tree must be settled: no command waiting for its
 *               reply, no reload, nothing stopping, every supervisor idle
 *               or only waiting for the child it starts to be ready (a
 *               worker waiting for READY=1 is carried).  Re-checked after
 *               every batch; after REEXEC_SETTLE_MS the request is refused
 *               naming what is busy.
 *   2. check    the state is written to a memfd and `PATH --check-state 3`
 *               (a child, bounded by REEXEC_CHECK_MS) reads it all without
 *               acting: it builds the tree from the carried configuration
 *               and restores the core's state on it.  Anything but "ok"
 *               and exit 0 refuses the request with what it said.
 *   3. exec     the state is written again (the tree went on meanwhile) to
 *               a sealed memfd; other control clients are told to retry;
 *               every signal is blocked (pending ones stay pending across
 *               the exec); the descriptors the state names lose
 *               FD_CLOEXEC; execveat(PATH).  If execve fails, all of that
 *               is undone and the asker gets the error: nothing else was
 *               touched.
 *
 * The asker's connection goes through the exec; the new image answers it
 * (reexec_restored).  Children that exit meanwhile stay zombies until the
 * new image reaps them and handles their exits by the usual rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control/control.h"
#include "doorway.h"
#include "reexec.h"
#include "system/system.h"
#include "worker/worker.h"

#define REEXEC_SETTLE_MS 5000   /* how long a busy tree may take to settle */
#define REEXEC_CHECK_MS 10000   /* how long the new binary may take to check */
#define REEXEC_CHECKS_MAX 3     /* checks before giving up on a tree that keeps changing */
#define REEXEC_SAID_MAX 4096    /* what the check may say */

extern char **environ;

enum rx_phase { RX_IDLE, RX_SETTLING, RX_CHECKING };

static struct {
	enum rx_phase phase;
	uint64_t cookie;                /* the asker's (core_request), 0: none */
	char *binary;                   /* as asked, for messages */
	char *note;
	int bin_fd, prev_fd;            /* O_PATH: what is exec'd, what runs now */
	int64_t asked_at, settle_by;
	int checks;
	struct ev_timer timer;
	struct core_watcher watcher;
	bool watching, posted;
	/* the check */
	pid_t pid;
	int state_fd, out_fd;
	struct ev_source out_src;
	char *said;                     /* REEXEC_SAID_MAX, allocated for the first check:
					   static, it took a page of .data (issue 19) */
	size_t said_len;
	bool eof, exited;
	int wstatus;
	/* the new image: what the state carried */
	char *note_in;
	int prev_in;
} rx = { .bin_fd = -1, .prev_fd = -1, .state_fd = -1, .out_fd = -1, .prev_in = -1 };

static void rx_try(void *unused);

const char *core_reexec_note(void)
{
	return rx.note_in;
}

int core_reexec_prev_binary(void)
{
	return rx.prev_in;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Back to idle: what the request held is let go. */
static void rx_end(void)
{
	ev_timer_stop(&rx.timer);
	ev_del(&rx.out_src);
	close_fd(&rx.out_fd);
	close_fd(&rx.state_fd);
	close_fd(&rx.bin_fd);
	close_fd(&rx.prev_fd);
	if (rx.pid > 0 && !rx.exited) {
		(void)kill(rx.pid, SIGKILL);    /* not reaped yet: the pid is still its own */
		reap_claim(0, NULL, NULL);      /* reaped as any other child */
	}
	rx.pid = 0;
	free(rx.binary);
	free(rx.note);
	rx.binary = rx.note = NULL;
	rx.phase = RX_IDLE;
	rx.cookie = 0;
}

static void rx_fail(enum sup_result result, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Refuse: logged, and the asker (if still there) hears why, exit 1. */
static void rx_fail(enum sup_result result, const char *fmt, ...)
{
	struct core_req *r = rx.cookie ? core_pending(rx.cookie) : NULL;
	char line[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_err("reexec: %s", line);
	if (r)
		((struct core_talk *)r)->say((struct core_talk *)r, true, line);
	if (rx.cookie)
		core_answer(rx.cookie, result);
	rx_end();
}

/* --- 1. settle ------------------------------------------------------------ */

/* Why otpd cannot be re-executed now, in `buf`; false: it can. */
static bool busy(char *buf, size_t len)
{
	const struct sup_node *n = NULL;
	const char *why = NULL;

	if (core_stopping()) {
		snprintf(buf, len, "otpd is shutting down");
		return true;
	}
	if (reload_busy()) {
		snprintf(buf, len, "a reload is under way");
		return true;
	}
	if (core_quiet(&n, &why))
		return false;
	snprintf(buf, len, "%s %s %s", n && sup_node_type(n) == SUP_SUPERVISOR ? "supervisor"
									       : "worker",
		 n ? sup_node_name(n) : "?", why ? why : "is busy");
	return true;
}

/* Look again once the current batch is over (at once outside a batch). */
static void rx_post(void)
{
	if (rx.posted)
		return;
	rx.posted = true;       /* first: outside a batch the job runs right now */
	if (core_post(rx_try, NULL) < 0)
		rx.posted = false;      /* out of memory: the timer looks again */
}

/* Anything the core did may have settled the tree. */
static void rx_watch_action(struct core_watcher *w, const struct sup_action *a)
{
	if (rx.phase == RX_SETTLING)
		rx_post();
}

static void rx_watch_note(struct core_watcher *w, const struct core_note_info *note)
{
	rx_watch_action(w, NULL);
}

static void rx_timer(struct ev_timer *t, int64_t now);

static void check_start(void);

static void rx_try(void *unused)
{
	char why[300];

	rx.posted = false;
	if (rx.phase != RX_SETTLING)
		return;
	if (!busy(why, sizeof(why))) {
		check_start();
		return;
	}
	if (core_stopping())
		rx_fail(SUP_E_SHUTTING_DOWN, "refused: otpd is shutting down");
	else if (ev_now() >= rx.settle_by)
		rx_fail(SUP_E_RUNNING, "refused: %s (waited %d s for the tree to settle)", why,
			REEXEC_SETTLE_MS / 1000);
}

static void settle(void)
{
	rx.phase = RX_SETTLING;
	if (ev_timer_arm(&rx.timer, rx.settle_by) < 0) {
		rx_fail(SUP_E_NOMEM, "out of memory");
		return;
	}
	rx_post();
}

/* --- 2. check --------------------------------------------------------------- */

/* The state now, in a new memfd (sealed when `seal`): its fd, or -errno;
 * *b keeps the descriptors it names. */
static int state_fd(struct st_buf *b, bool seal)
{
	struct reexec_carry c = { .asker = rx.cookie ? core_pending(rx.cookie) : NULL,
				  .prev_fd = rx.prev_fd, .binary = rx.binary, .note = rx.note,
				  .asked_at = rx.asked_at };
	int fd, r;

	if ((r = reexec_state_write(b, &c)) < 0)
		return r;
	fd = memfd_create("otpd-state", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	for (size_t at = 0; at < b->len;) {
		ssize_t n = write(fd, b->p + at, b->len - at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			close(fd);
			return r;
		}
		at += (size_t)n;
	}
	if (seal)
		(void)fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
	return fd;
}

static void exec_now(void);

/* The check's verdict, once it said all and was reaped. */
static void check_verdict(void)
{
	char *last, *end;
	int code;

	if (!rx.eof || !rx.exited)
		return;
	rx.said[rx.said_len] = '\0';
	/* The last line it said. */
	for (end = rx.said + rx.said_len; end > rx.said && (end[-1] == '\n' || end[-1] == ' ');)
		*--end = '\0';
	last = strrchr(rx.said, '\n');
	last = last ? last + 1 : rx.said;
	code = WIFEXITED(rx.wstatus) ? WEXITSTATUS(rx.wstatus) : -1;
	if (code == 0 && strcmp(last, "ok") == 0) {
		exec_now();
		return;
	}
	if (code < 0)
		rx_fail(SUP_E_INVALID, "refused: %s cannot read this otpd's state: it died of %s",
			rx.binary, sigabbrev_np(WTERMSIG(rx.wstatus)) ?: "a signal");
	else
		rx_fail(SUP_E_INVALID, "refused: %s cannot read this otpd's state: %s (exit %d)",
			rx.binary, last[0] ? last : "it said nothing", code);
}

static void check_said(struct ev_source *s, uint32_t revents)
{
	char buf[1024];
	ssize_t n;

	while ((n = read(rx.out_fd, buf, sizeof(buf))) > 0) {
		size_t room = REEXEC_SAID_MAX - 1 - rx.said_len;
		size_t k = (size_t)n < room ? (size_t)n : room;

		memcpy(rx.said + rx.said_len, buf, k);
		rx.said_len += k;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	rx.eof = true;
	ev_del(&rx.out_src);
	close_fd(&rx.out_fd);
	check_verdict();
}

static void check_exited(int wstatus, void *data)
{
	rx.exited = true;
	rx.wstatus = wstatus;
	check_verdict();
}

/* `PATH --check-state 3`: the state as fd 3, what it says in a pipe. */
static pid_t check_spawn(int state, int out_w)
{
	char path[64], *argv[] = { (char *)"otpd", (char *)"--check-state", (char *)"3", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none;
	pid_t pid = -1;
	int r;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", rx.bin_fd);
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_w, 1);
	posix_spawn_file_actions_adddup2(&fa, out_w, 2);
	posix_spawn_file_actions_adddup2(&fa, state, 3);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, signals_not_default());
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	r = posix_spawn(&pid, path, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return r ? -r : pid;
}

static void check_start(void)
{
	struct st_buf b = { 0 };
	int p[2], high, r;
	pid_t pid;

	if (++rx.checks > REEXEC_CHECKS_MAX) {
		rx_fail(SUP_E_RUNNING, "refused: the tree kept changing during %d checks",
			REEXEC_CHECKS_MAX);
		return;
	}
	if (!rx.said && !(rx.said = malloc(REEXEC_SAID_MAX))) {
		rx_fail(SUP_E_NOMEM, "out of memory");
		return;
	}
	r = state_fd(&b, false);
	st_buf_free(&b);
	if (r < 0) {
		rx_fail(r == -EBUSY ? SUP_E_RUNNING : SUP_E_NOMEM, "cannot write the state: %s",
			strerror(-r));
		return;
	}
	rx.state_fd = r;
	if (pipe2(p, O_CLOEXEC) < 0) {
		rx_fail(SUP_E_NOMEM, "cannot make a pipe: %s", strerror(errno));
		return;
	}
	/* Above 3: dup2 onto itself would keep FD_CLOEXEC. */
	high = fcntl(rx.state_fd, F_DUPFD_CLOEXEC, 10);
	pid = high < 0 ? -errno : check_spawn(high, p[1]);
	if (high >= 0)
		close(high);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		rx_fail(SUP_E_INVALID, "refused: cannot run %s: %s", rx.binary, strerror(-pid));
		return;
	}
	rx.pid = pid;
	rx.exited = rx.eof = false;
	rx.said_len = 0;
	reap_claim(pid, check_exited, NULL);
	rx.out_fd = p[0];
	(void)fcntl(p[0], F_SETFL, O_NONBLOCK);
	rx.out_src = (struct ev_source){ .fd = p[0], .events = EPOLLIN, .fn = check_said };
	rx.phase = RX_CHECKING;
	if (ev_add(&rx.out_src) < 0 || ev_timer_arm(&rx.timer, ev_after(REEXEC_CHECK_MS)) < 0)
		rx_fail(SUP_E_NOMEM, "out of memory");
}

static void rx_timer(struct ev_timer *t, int64_t now)
{
	if (rx.phase == RX_SETTLING)
		rx_try(NULL);
	else if (rx.phase == RX_CHECKING)
		rx_fail(SUP_E_INVALID, "refused: %s did not check the state within %d s",
			rx.binary, REEXEC_CHECK_MS / 1000);
}

/* --- 3. exec ------------------------------------------------------------------ */

/* FD_CLOEXEC is the only descriptor flag: set, no need to read it first. */
static void cloexec(const int *fds, size_t n, bool on)
{
	for (size_t i = 0; i < n; i++)
		(void)fcntl(fds[i], F_SETFD, on ? FD_CLOEXEC : 0);
}

static void exec_now(void)
{
	struct st_buf b = { 0 };
	char fdarg[16], why[300], *argv[] = { (char *)"otpd", (char *)"--restore", fdarg, NULL };
	sigset_t all, old;
	int fd, err;

	close_fd(&rx.state_fd);
	reap_claim(0, NULL, NULL);
	rx.pid = 0;
	if (busy(why, sizeof(why))) {
		/* The tree went on while the new binary checked: settle, check again. */
		rx.settle_by = ev_after(REEXEC_SETTLE_MS);
		settle();
		return;
	}
	/* What otpd's stdout takes now is not in the state twice. */
	out_flush();
	fd = state_fd(&b, true);
	if (fd < 0) {
		st_buf_free(&b);
		rx_fail(SUP_E_NOMEM, "cannot write the state: %s", strerror(-fd));
		return;
	}
	log_info("reexec: executing %s (state of %zu KiB, %zu descriptors kept)", rx.binary,
		 b.len / 1024, b.n_fds);
	control_close_for_reexec(rx.cookie ? core_pending(rx.cookie) : NULL);
	snprintf(fdarg, sizeof(fdarg), "%d", fd);
	sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, &old);
	cloexec(b.fds, b.n_fds, false);
	cloexec(&fd, 1, false);
	cloexec(&rx.prev_fd, 1, false);
	execveat(rx.bin_fd, "", argv, environ, AT_EMPTY_PATH);
	err = errno;
	/* Still here: everything as it was. */
	cloexec(b.fds, b.n_fds, true);
	cloexec(&rx.prev_fd, 1, true);
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	close(fd);
	st_buf_free(&b);
	rx_fail(SUP_E_INVALID, "cannot execute %s: %s", rx.binary, strerror(err));
}

/* --- the request ---------------------------------------------------------------- */

static void refuse(struct core_talk *t, enum sup_result result, const char *line)
{
	log_err("reexec: %s", line);
	if (!t)
		return;
	t->say(t, true, line);
	t->req.done(&t->req, &(struct sup_action){ .kind = SUP_A_REPLY, .result = result });
}

void core_reexec(const char *binary, const char *note, struct core_talk *t)
{
	const char *path = binary ? binary : "/proc/self/exe";
	char line[300];

	if (rx.phase != RX_IDLE) {
		refuse(t, SUP_E_RUNNING, "refused: a re-execution is under way");
		return;
	}
	if (core_stopping()) {
		refuse(t, SUP_E_SHUTTING_DOWN, "refused: otpd is shutting down");
		return;
	}
	/* Its window and the configuration to roll back to are not saved. */
	if (core_upgrade_info(&(struct core_upgrade_info){ 0 })) {
		refuse(t, SUP_E_RUNNING, "refused: an upgrade is under way (retry when it ends)");
		return;
	}
	if (path[0] != '/') {
		refuse(t, SUP_E_INVALID, "--binary: give an absolute path");
		return;
	}
	rx.bin_fd = open(path, O_PATH | O_CLOEXEC);
	rx.prev_fd = open("/proc/self/exe", O_PATH | O_CLOEXEC);
	rx.binary = strdup(binary ? binary : "the running binary");
	rx.note = note ? strdup(note) : NULL;
	if (rx.bin_fd < 0 || rx.prev_fd < 0 || !rx.binary || (note && !rx.note)) {
		snprintf(line, sizeof(line), "refused: cannot open %s: %s",
			 rx.bin_fd < 0 ? path : "/proc/self/exe", strerror(errno ? errno : ENOMEM));
		rx_end();
		refuse(t, SUP_E_INVALID, line);
		return;
	}
	log_info("reexec: asked for (%s)", rx.binary);
	rx.cookie = t ? core_request(&t->req) : 0;
	rx.asked_at = ev_now();
	rx.settle_by = ev_after(REEXEC_SETTLE_MS);
	rx.checks = 0;
	rx.timer.fn = rx_timer;
	if (!rx.watching) {
		rx.watcher = (struct core_watcher){ .action = rx_watch_action, .note = rx_watch_note };
		core_watch(&rx.watcher);
		rx.watching = true;
	}
	settle();
}

/* --- the new image ------------------------------------------------------------------ */

static int rescued_sig;

void reexec_set_rescued(int sig)
{
	rescued_sig = sig;
}

int reexec_rescued(void)
{
	return rescued_sig;
}

void reexec_restored(const struct reexec_found *f)
{
	struct core_talk *t = f->asker;
	struct timespec ts;
	char line[300];

	rx.note_in = f->note ? strdup(f->note) : NULL;
	rx.prev_in = f->prev_fd;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(line, sizeof(line), "otpd %s re-executed from %s (was %s): %zu workers kept, %lld ms",
		 otpd_version(), f->binary ? f->binary : "?", f->version, f->n_workers,
		 (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - f->asked_at);
	if (upgrade_binary_answer(t, f->note, rescued_sig))
		return;         /* the old image is back: that is what it says */
	log_info("%s", line);
	if (upgrade_binary_window(f->note)) {
		upgrade_binary_begin(t, f->note, f->binary, line);
		return;
	}
	if (!t)
		return;
	t->say(t, false, line);
	t->req.done(&t->req, &(struct sup_action){ .kind = SUP_A_REPLY, .result = SUP_OK });
}
