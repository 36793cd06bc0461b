/*
 * upgrade_binary.c: otpctl upgrade --binary PATH [--within D] (otpctl(1)
 * UPGRADE), part of the doorway's room.
 *
 * The image that goes re-executes as PATH (reexec.c) with a note saying
 * so; the new image, once restored, watches the tree for the window as
 * `upgrade -c` does (upgrade_watch.c), with the root held.  The watch
 * passed: the requester is told, PATH stays.  It failed: the new image
 * re-executes the binary that ran before (the O_PATH descriptor the
 * re-execution carries, so a replaced or deleted file is no obstacle),
 * with a note that makes the old image tell the requester why.
 *
 * A new image that crashes (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT)
 * between its restore and its first turn of the loop (a build that cannot
 * run here) cannot save anything: its handler execs the old binary on the
 * state saved before the upgrade, kept until then (the memfd, and every
 * descriptor it names still open across exec), and the old image says the
 * upgrade crashed.  From the loop on, descriptors that state names may
 * close (a pipe at its EOF, a client that left) and their numbers be
 * taken again: that state no longer holds, and a crash is otpd's end.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "doorway.h"
#include "reexec.h"

#define NOTE_WINDOW "upgrade-binary "       /* + the window in ms */
#define NOTE_BACK "upgrade-binary-back "    /* + why */

extern char **environ;

static struct {
	bool active;
	uint64_t cookie;        /* the requester, restored with the state */
	char binary[256];
	int64_t within_ms;
	struct watch watch;
	int rescue_fd;          /* the state saved before the upgrade, or -1 */
	int prev_fd;            /* O_PATH of the binary that ran before */
	char busy[400];
} ub = { .rescue_fd = -1, .prev_fd = -1 };

static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };

/* --- the image that goes ---------------------------------------------------------- */

void core_upgrade_binary(struct core_talk *t, const char *path, int64_t within_ms)
{
	const char *busy = upgrade_busy();
	char note[64];

	if (busy || reload_busy()) {
		log_warn("upgrade refused: %s", busy ? busy : "busy: a reload is under way");
		t->say(t, true, busy ? busy : "busy: a reload is under way");
		t->req.done(&t->req, &(struct sup_action){ .kind = SUP_A_REPLY,
							    .result = SUP_E_BUSY });
		return;
	}
	snprintf(note, sizeof(note), NOTE_WINDOW "%" PRId64,
		 within_ms < 0 ? UPGRADE_DEFAULT_WITHIN_MS : within_ms);
	log_info("upgrade: re-executing as %s, then watching the tree", path);
	core_reexec(path, note, t);
}

/* --- the crash handler ----------------------------------------------------------- */

/* v in decimal at buf (12 bytes), async-signal-safe. */
static void dec(char *buf, int v)
{
	char tmp[12];
	int n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) > 0 && n < 11);
	while (n > 0)
		*buf++ = tmp[--n];
	*buf = '\0';
}

static void rescue(int sig)
{
	char fdarg[12], sigarg[12];
	char *argv[] = { (char *)"otpd", (char *)"--restore", fdarg, (char *)"--no-fallback",
			 (char *)"--rescued", sigarg, NULL };
	sigset_t all;

	dec(fdarg, ub.rescue_fd);
	dec(sigarg, sig);
	sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);
	(void)execveat(ub.prev_fd, "", argv, environ, AT_EMPTY_PATH);
	/* Nothing to go back to: die of it, as without the handler. */
	(void)signal(sig, SIG_DFL);
	(void)sigprocmask(SIG_UNBLOCK, &all, NULL);
	(void)raise(sig);
}

static void rescue_arm(bool on)
{
	struct sigaction sa = { .sa_handler = on ? rescue : SIG_DFL, .sa_flags = SA_RESETHAND };

	for (size_t i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++)
		(void)sigaction(crash_signals[i], &sa, NULL);
}

/* The window is over: what was kept for a rescue goes as after any re-execution. */
static void rescue_end(void)
{
	rescue_arm(false);
	st_fds_cloexec();
	st_fds_forget();
	if (ub.rescue_fd >= 0)
		close(ub.rescue_fd);
	ub.rescue_fd = -1;
}

/* --- the new image ---------------------------------------------------------------- */

void upgrade_binary_running(void)
{
	if (ub.rescue_fd >= 0)
		rescue_end();
}

bool upgrade_binary_window(const char *note)
{
	return note && strncmp(note, NOTE_WINDOW, strlen(NOTE_WINDOW)) == 0;
}

void upgrade_binary_keep(int state_fd, int prev_fd)
{
	ub.rescue_fd = state_fd;
	ub.prev_fd = prev_fd;
	rescue_arm(prev_fd >= 0);
}

static struct core_talk *requester(void)
{
	return ub.cookie ? (struct core_talk *)core_pending(ub.cookie) : NULL;
}

static void finish(void)
{
	if (ub.active) {
		core_hold_root(false);
		watch_end(&ub.watch);
	}
	ub.active = false;
	ub.cookie = 0;
	if (ub.rescue_fd >= 0)
		rescue_end();
}

static void tell(bool err, enum sup_result result, const char *line)
{
	struct core_talk *t = requester();
	uint64_t cookie = ub.cookie;

	if (err)
		log_err("upgrade: %s", line);
	else
		log_info("upgrade: %s", line);
	if (!t)
		return;
	t->say(t, err, line);
	core_answer(cookie, result);
}

static void window_passed(struct watch *w)
{
	char line[400];

	snprintf(line, sizeof(line), "the window is over, every worker runs: %.255s stays",
		 ub.binary);
	tell(false, SUP_OK, line);
	finish();
}

static void window_failed(struct watch *w)
{
	struct core_talk *t = requester();
	char note[1024], back[32];

	snprintf(note, sizeof(note), NOTE_BACK "%s: %s (%s)", w->child[0] ? w->child : "-",
		 w->last_exit, w->why);
	log_err("upgrade: %s: going back to the binary that ran before", note + strlen(NOTE_BACK));
	if (t)
		(void)core_take(ub.cookie);
	ub.cookie = 0;
	snprintf(back, sizeof(back), "/proc/self/fd/%d", ub.prev_fd);
	finish();
	core_reexec(back, note, t);
}

void upgrade_binary_begin(struct core_talk *t, const char *note, const char *binary,
			  const char *line)
{
	const struct otp_config *c = core_config();
	int64_t within = strtoll(note + strlen(NOTE_WINDOW), NULL, 10);

	ub.active = true;
	ub.cookie = t ? core_request(&t->req) : 0;
	snprintf(ub.binary, sizeof(ub.binary), "%s", binary ? binary : "?");
	ub.within_ms = within;
	if (t)
		t->say(t, false, line);
	ub.watch.fail = window_failed;
	ub.watch.pass = window_passed;
	/* The workers running at the restore: each must stay so. */
	for (size_t i = 0; i < c->n_nodes; i++) {
		const struct sup_node *n = core_find(c->nodes[i].spec.name);

		if (n && c->nodes[i].spec.type == SUP_WORKER && sup_node_state(n) == SUP_RUNNING)
			(void)watch_add(&ub.watch, c->nodes[i].spec.name);
	}
	core_hold_root(true);
	log_info("upgrade: %s runs, watching the tree for %" PRId64 " ms", ub.binary, within);
	watch_begin(&ub.watch, within);
}

bool upgrade_binary_answer(struct core_talk *t, const char *note, int rescued_sig)
{
	char line[1200];

	if (rescued_sig > 0) {
		snprintf(line, sizeof(line), "rolled back: the new binary crashed (%s) in its window; "
			 "this is the binary that ran before, on the state saved before the upgrade",
			 sigabbrev_np(rescued_sig) ? sigabbrev_np(rescued_sig) : "a signal");
	} else if (note && strncmp(note, NOTE_BACK, strlen(NOTE_BACK)) == 0) {
		snprintf(line, sizeof(line), "rolled back to the binary that ran before: %s",
			 note + strlen(NOTE_BACK));
	} else {
		return false;
	}
	log_err("upgrade: %s", line);
	if (t) {
		t->say(t, true, line);
		t->req.done(&t->req, &(struct sup_action){ .kind = SUP_A_REPLY,
							    .result = SUP_E_INVALID });
	}
	return true;
}

const char *upgrade_binary_busy(void)
{
	int64_t left;

	if (!ub.active)
		return NULL;
	left = ub.watch.deadline - ev_now();
	snprintf(ub.busy, sizeof(ub.busy), "busy: an upgrade to %s is watching the tree "
		 "(%" PRId64 ".%03" PRId64 "s left)", ub.binary, left > 0 ? left / 1000 : 0,
		 left > 0 ? left % 1000 : 0);
	return ub.busy;
}

bool upgrade_binary_info(struct core_upgrade_info *ret)
{
	if (!ub.active)
		return false;
	*ret = (struct core_upgrade_info){ .phase = "watching", .config = ub.binary,
					   .within_ms = ub.within_ms,
					   .deadline = ub.watch.deadline };
	return true;
}

void upgrade_binary_stopping(void)
{
	if (!ub.active)
		return;
	tell(true, SUP_E_SHUTTING_DOWN, "otpd is shutting down: the upgrade's window ended");
	finish();
}
