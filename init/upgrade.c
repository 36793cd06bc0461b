/*
 * upgrade.c: `otpctl upgrade -c NEW [--within D]` (otpctl(1) UPGRADE),
 * OTP's release_handler with an automatic rollback, part of the doorway's
 * room beside reload.c.
 *
 *   IDLE -> APPLYING      NEW is loaded and applied by a round of reload.c
 *                         (not valid: refused, nothing changed)
 *        -> WATCHING      the watch (upgrade_watch.c) over the workers NEW
 *                         added, started or restarted, and every
 *                         supervisor, for D (default 30 s; 0: no watch)
 *        -> IDLE          upgraded: the watch passed, NEW stays
 *        -> ROLLING_BACK  the watch failed: the configuration in force
 *                         before, as it was loaded then (never read again),
 *                         is applied the same way; then every node of it
 *                         that ran before the upgrade and is stopped now is
 *                         started again
 *        -> IDLE          rolled back, or the rollback failed (the tree is
 *                         left as it is, said loudly)
 *
 * From the start until the rollback is over the root is held
 * (core_hold_root): a give-up of the root fails the watch instead of
 * ending otpd.  Reloads and other upgrades are refused meanwhile (busy).
 * The requester is known by its cookie only: one that leaves changes
 * nothing, the outcome is in otpd's log and the events.  A shutdown ends
 * the upgrade where it is: no rollback.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "doorway.h"

#define UPGRADE_DEFAULT_WITHIN_MS 30000

enum up_phase { UP_IDLE, UP_APPLYING, UP_WATCHING, UP_ROLLING_BACK };

static const char *const phase_names[] = { "idle", "applying", "watching", "rolling_back" };

static struct {
	enum up_phase phase;
	uint64_t cookie;                /* the requester's; 0: it left, or it was answered */
	uintptr_t gen;                  /* this upgrade's number: older rounds' hooks are stale */
	char *config;                   /* NEW's path */
	int64_t within_ms;
	struct otp_config *before;      /* in force before: what a rollback applies */
	char (*ran)[SUP_NAME_MAX + 1];  /* nodes of `before` running (or on their way) before */
	size_t n_ran;
	unsigned failures;              /* nodes a round could not add or change */
	struct core_talk relay;         /* the upgrade, as the requester of reload's rounds */
	struct watch watch;
	char busy[256];
} up;

/* The requester, while it is still there. */
static struct core_talk *requester(void)
{
	return up.cookie ? (struct core_talk *)core_pending(up.cookie) : NULL;
}

static void say(bool err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Log a line and tell it to the requester. */
static void say(bool err, const char *fmt, ...)
{
	struct core_talk *t = requester();
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (err)
		log_err("upgrade: %s", line);
	else
		log_info("upgrade: %s", line);
	if (t)
		t->say(t, err, line);
}

/* "2s", "1500ms" */
static void duration_str(int64_t ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%" PRId64 "s", ms / 1000);
	else
		snprintf(buf, len, "%" PRId64 "ms", ms);
}

/* The upgrade is over: let go of everything it holds. */
static void finish(void)
{
	core_req_cancel(&up.relay.req);
	core_hold_root(false);
	watch_end(&up.watch);
	cfg_free(up.before);
	up.before = NULL;
	free(up.ran);
	up.ran = NULL;
	up.n_ran = 0;
	free(up.config);
	up.config = NULL;
	up.cookie = 0;
	up.phase = UP_IDLE;
}

/* Give requester t its verdict. */
static void tell_verdict(struct core_talk *t, enum core_outcome o, const char *error,
			 const char *message)
{
	struct core_verdict v = { .outcome = o, .error = error, .message = message };

	if (o == CORE_ROLLED_BACK || o == CORE_ROLLBACK_FAILED) {
		v.child = up.watch.child[0] ? up.watch.child : NULL;
		v.last_exit = up.watch.last_exit;
	}
	if (t && t->verdict)
		t->verdict(t, &v);
}

/* The verdict for this upgrade's requester, if it is still there. */
static void verdict(enum core_outcome o, const char *error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void verdict(enum core_outcome o, const char *error, const char *fmt, ...)
{
	struct core_talk *t = up.cookie ? (struct core_talk *)core_take(up.cookie) : NULL;
	char message[512];
	va_list ap;

	up.cookie = 0;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	tell_verdict(t, o, error, message);
}

static void note(enum core_note what, const char *detail)
{
	struct core_note_info n = { .what = what, .config = up.config, .within_ms = up.within_ms,
				    .detail = detail };

	if (what == CORE_NOTE_ROLLED_BACK || what == CORE_NOTE_ROLLBACK_FAILED) {
		n.child = up.watch.child;
		n.last_exit = up.watch.last_exit;
	}
	core_note(&n);
}

/* --- what ran before ------------------------------------------------------- */

static bool on_its_way(const struct sup_node *n)
{
	enum sup_state s = sup_node_state(n);

	return s == SUP_RUNNING || s == SUP_STARTING || s == SUP_RESTARTING;
}

/* Note the nodes of the configuration in force that run now.  0 or -ENOMEM. */
static int remember_ran(void)
{
	const struct otp_config *c = core_config();

	if (!(up.ran = calloc(c->n_nodes ? c->n_nodes : 1, sizeof(*up.ran))))
		return -ENOMEM;
	for (size_t i = 1; i < c->n_nodes; i++) {
		struct sup_node *n = core_find(c->nodes[i].spec.name);

		if (n && on_its_way(n))
			snprintf(up.ran[up.n_ran++], SUP_NAME_MAX + 1, "%s", c->nodes[i].spec.name);
	}
	return 0;
}

/* After a rollback: start again what ran before and is stopped now (the
 * child a held give-up left down, a supervisor that gave up), supervisors
 * first (they start their own children). */
static void start_what_ran(void)
{
	for (size_t i = 0; i < up.n_ran; i++) {
		struct sup_node *n = core_find(up.ran[i]);

		if (n && sup_node_state(n) == SUP_STOPPED) {
			say(false, "rollback: starting %s again", up.ran[i]);
			core_cmd_start(up.ran[i], NULL);
		}
	}
}

/* --- the rounds of reload ---------------------------------------------------- */

static void relay_say(struct core_talk *t, bool err, const char *line)
{
	struct core_talk *r = requester();
	char buf[600];

	if (!r)
		return;
	if (up.phase == UP_ROLLING_BACK) {
		snprintf(buf, sizeof(buf), "rollback: %s", line);
		line = buf;
	}
	r->say(r, err, line);
}

static bool stale(void *data)
{
	return (uintptr_t)data != up.gen || up.phase == UP_IDLE;
}

/* NEW's round: a worker it adds or (re)starts. */
static void new_touched(void *data, const char *name)
{
	if (!stale(data) && watch_add(&up.watch, name) < 0)
		log_err("upgrade: out of memory: %s is not watched", name);
}

/* NEW's round: NEW is in force; `old` is what a rollback goes back to. */
static void new_applied(void *data, struct otp_config *old, unsigned failures)
{
	char why[160];

	if (stale(data)) {
		cfg_free(old);
		return;
	}
	up.before = old;
	up.failures = failures;
	if (up.within_ms == 0 && !failures)
		return;
	watch_begin(&up.watch, up.within_ms);
	if (failures) {
		snprintf(why, sizeof(why), "%u node(s) of the new configuration could not be added "
			 "or changed (otpd's log says which)", failures);
		watch_fail(&up.watch, "", "none", why);
	}
}

/* The rollback's round: the old configuration is back in force; `old` is NEW. */
static void back_applied(void *data, struct otp_config *old, unsigned failures)
{
	cfg_free(old);
	if (!stale(data))
		up.failures = failures;
}

static void new_round_over(enum sup_result result)
{
	char d[32];

	if (result != SUP_OK) {
		const char *error = result == SUP_E_INVALID ? "invalid" : "out_of_memory";

		note(CORE_NOTE_UPGRADE_FAILED, result == SUP_E_INVALID ? "configuration not valid"
								       : "out of memory");
		verdict(CORE_UPGRADE_REFUSED, error, "not upgraded: nothing changed");
		finish();
		return;
	}
	if (!up.watch.active) {
		note(CORE_NOTE_UPGRADED, NULL);
		say(false, "%s is in force (no window)", up.config);
		verdict(CORE_UPGRADED, NULL, "upgraded");
		finish();
		return;
	}
	up.phase = UP_WATCHING;
	duration_str(up.within_ms, d, sizeof(d));
	say(false, "applied; watching the tree for %s", d);
}

static void back_round_over(enum sup_result result)
{
	const struct watch *w = &up.watch;
	const char *child = w->child[0] ? w->child : "-";

	if (result != SUP_OK || up.failures) {
		char why[160];

		snprintf(why, sizeof(why), "%s",
			 result != SUP_OK ? "out of memory: nothing of it was applied"
					  : "some nodes could not be added back (otpd's log says which)");
		note(CORE_NOTE_ROLLBACK_FAILED, why);
		say(true, "ROLLBACK FAILED: %s; the tree is left as it is: look at otpctl status",
		    why);
		verdict(CORE_ROLLBACK_FAILED, "rollback_failed",
			"the rollback FAILED (%s) after %s: %s (%s); the tree is left as it is",
			why, child, w->last_exit, w->why);
		finish();
		return;
	}
	start_what_ran();
	note(CORE_NOTE_ROLLED_BACK, w->why);
	log_err("upgrade: rolled back to the previous configuration: %s: %s (%s)", child,
		w->last_exit, w->why);
	verdict(CORE_ROLLED_BACK, "rolled_back", "rolled back: %s: %s (%s)", child, w->last_exit,
		w->why);
	finish();
}

/* A round is over: NEW applied, or the rollback. */
static void relay_done(struct core_req *r, const struct sup_action *reply)
{
	if (up.phase == UP_APPLYING)
		new_round_over(reply->result);
	else if (up.phase == UP_ROLLING_BACK)
		back_round_over(reply->result);
}

/* --- the watch's verdict --------------------------------------------------------- */

static void watch_passed(struct watch *w)
{
	note(CORE_NOTE_UPGRADED, NULL);
	say(false, "the window is over, every watched worker runs: %s stays", up.config);
	verdict(CORE_UPGRADED, NULL, "upgraded");
	finish();
}

static void watch_failed(struct watch *w)
{
	struct otp_config *cfg = up.before;

	say(true, "%s: %s (%s): rolling back to the previous configuration",
	    w->child[0] ? w->child : "-", w->last_exit, w->why);
	up.phase = UP_ROLLING_BACK;
	up.before = NULL;
	up.failures = 0;
	reload_apply(&up.relay, NULL, cfg,
		     &(struct reload_hooks){ .what = "rollback", .applied = back_applied,
					     .data = (void *)up.gen });
}

/* --- entry points ------------------------------------------------------------------ */

const char *upgrade_busy(void)
{
	int64_t left;

	switch (up.phase) {
	case UP_IDLE:
		return NULL;
	case UP_WATCHING:
		left = up.watch.deadline - ev_now();
		snprintf(up.busy, sizeof(up.busy), "busy: an upgrade to %s is watching the tree "
			 "(%" PRId64 ".%03" PRId64 "s left)", up.config, left > 0 ? left / 1000 : 0,
			 left > 0 ? left % 1000 : 0);
		break;
	default:
		snprintf(up.busy, sizeof(up.busy), "busy: an upgrade to %s is under way (%s)",
			 up.config, phase_names[up.phase]);
		break;
	}
	return up.busy;
}

bool core_upgrade_info(struct core_upgrade_info *ret)
{
	if (up.phase == UP_IDLE)
		return false;
	*ret = (struct core_upgrade_info){ .phase = phase_names[up.phase], .config = up.config,
					   .within_ms = up.within_ms };
	if (up.phase == UP_WATCHING)
		ret->deadline = up.watch.deadline;
	return true;
}

/* Refuse requester t at once: nothing happened. */
static void refuse(struct core_talk *t, const char *error, const char *message)
{
	log_warn("upgrade refused: %s", message);
	tell_verdict(t, CORE_UPGRADE_REFUSED, error, message);
}

void core_upgrade(struct core_talk *t, const char *path, int64_t within_ms)
{
	const char *busy = upgrade_busy();
	char d[32];

	if (core_stopping()) {
		refuse(t, "shutting_down", "otpd is shutting down");
		return;
	}
	if (busy || reload_busy()) {
		refuse(t, "busy", busy ? busy : "busy: a reload is under way");
		return;
	}
	up.cookie = t ? core_request(&t->req) : 0;
	up.gen++;
	up.within_ms = within_ms < 0 ? UPGRADE_DEFAULT_WITHIN_MS : within_ms;
	up.watch.fail = watch_failed;
	up.watch.pass = watch_passed;
	up.relay = (struct core_talk){ .req.done = relay_done, .say = relay_say };
	if (!(up.config = strdup(path)) || remember_ran() < 0) {
		verdict(CORE_UPGRADE_REFUSED, "out_of_memory", "out of memory, nothing changed");
		finish();
		return;
	}
	up.phase = UP_APPLYING;
	duration_str(up.within_ms, d, sizeof(d));
	log_info("upgrade: applying %s, then watching the tree for %s", path,
		 up.within_ms ? d : "no time (--within 0)");
	note(CORE_NOTE_UPGRADE_STARTED, NULL);
	core_hold_root(true);
	reload_apply(&up.relay, up.config, NULL,
		     &(struct reload_hooks){ .what = "upgrade", .touched = new_touched,
					     .applied = new_applied, .data = (void *)up.gen });
}

void upgrade_stopping(void)
{
	if (up.phase == UP_IDLE)
		return;
	log_warn("upgrade: otpd is shutting down: the upgrade to %s ends %s, no rollback",
		 up.config, up.phase == UP_WATCHING ? "its watch" : phase_names[up.phase]);
	verdict(CORE_UPGRADE_ENDED, "shutting_down",
		"otpd is shutting down: the upgrade ended (%s), no rollback", phase_names[up.phase]);
	finish();
}

void upgrade_fini(void)
{
	finish();
}
