/*
 * hook.c: `events = worker:NAME` (otp.conf(5)): every event goes, as a
 * cast, to that worker's mailbox, one JSON object (as `otpctl events
 * --json` prints it) per message.
 *
 * Why a worker and not a command run per event (supervisord's
 * eventlisteners, an `on_event = exec ...`): the receiver is supervised
 * like any worker (restarted, sandboxed, run as its user, limited by its
 * cgroup), otpd starts no process per event (a restart loop would be a
 * fork loop run as root), and the events keep their order.  The mailbox
 * is otpd's own socket, kept across the worker's restarts: while the
 * worker restarts, what otpd sends waits in the kernel.
 *
 * Like an `otpctl events` follower, the hook holds no queue: it holds the
 * number of the next event to send, sends while the socket takes them
 * (never blocking: MSG_DONTWAIT), and waits for EPOLLOUT when it is full.
 * When the ring wrapped over what it had not sent, the worker gets a
 * {"event":"missed",...} message first (counted as dropped).  A message
 * the worker's process had not read when it died is lost with its end of
 * the connection: the receiver sees the gap in the sequence numbers and
 * may fill it with `otpctl events --since SEQ --no-follow`.  When the
 * mailbox cannot be reached (not made yet, backlog full), sending is tried
 * again at the next event: no timer, no wake-up while nothing happens.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../base/base.h"
#include "../core.h"
#include "../events/events.h"
#include "../worker/worker.h"
#include "client.h"
#include "json.h"

static struct {
	char name[SUP_NAME_MAX + 1];    /* whose mailbox fd is connected to */
	int fd;                         /* -1: not connected */
	struct ev_source src;           /* EPOLLOUT while the socket is full */
	uint64_t next;                  /* the next event to send */
	struct events_listener listener;
} hook = { .fd = -1 };

static void hook_close(void)
{
	if (hook.fd < 0)
		return;
	ev_del(&hook.src);
	hook.src.events = 0;
	close(hook.fd);
	hook.fd = -1;
}

/* Connect to NAME's mailbox; 0 or -errno (try again at the next event). */
static int hook_connect(const char *name)
{
	int fd = mailbox_connect(name);

	if (fd < 0)
		return fd;
	hook.fd = fd;
	snprintf(hook.name, sizeof(hook.name), "%s", name);
	return 0;
}

/* Send one cast; 0, -EAGAIN (full), or another -errno. */
static int hook_send(struct jbuf *b)
{
	int r;

	if (b->failed) {
		jbuf_free(b);
		return 0;       /* out of memory for this one: skipped */
	}
	r = mailbox_send(hook.fd, b->p, b->len);
	jbuf_free(b);
	return r;
}

/* The message for the next thing to send: a missed notice, or an event. */
static void hook_message(struct jbuf *b, bool *ret_missed)
{
	uint64_t first = events_first();
	struct jbuf o = { 0 };
	struct event e;

	*ret_missed = hook.next < first;
	if (*ret_missed)
		event_render_missed(&o, hook.next, first - 1, true);
	else if (events_get(hook.next, &e))
		event_render(&o, &e, true);
	jbuf_putn(b, "a", 1);   /* a cast (otp_mailbox.h), then the object */
	jbuf_putn(b, o.p, o.len > 0 && o.p[o.len - 1] == '\n' ? o.len - 1 : o.len);
	b->failed = b->failed || o.failed;
	jbuf_free(&o);
}

/* Send what the worker has not got, while the socket takes it. */
static void hook_pump(void)
{
	const char *name = core_config() ? core_config()->otpd.events_worker : NULL;
	bool missed, retried = false;
	int r;

	if (!name || (hook.fd >= 0 && strcmp(name, hook.name) != 0))
		hook_close();
	if (!name || hook.src.events)
		return;         /* no hook, or waiting for room */
	while (hook.next < events_next()) {
		struct jbuf b = { 0 };

		if (hook.fd < 0 && hook_connect(name) < 0)
			return;
		hook_message(&b, &missed);
		r = hook_send(&b);
		if (r == -EAGAIN) {
			hook.src = (struct ev_source){ .fd = hook.fd, .events = EPOLLOUT,
						       .fn = hook.src.fn };
			if (ev_add(&hook.src) < 0)
				hook_close();
			return;
		}
		if (r < 0 && r != -EMSGSIZE) {
			/* The process that took the connection is gone: a new one
			 * waits in the backlog for the next (once per pump). */
			hook_close();
			if (retried)
				return;
			retried = true;
			continue;
		}
		if (missed) {
			events_dropped_add(events_first() - hook.next);
			hook.next = events_first();
		} else {
			hook.next++;
		}
	}
}

static void hook_writable(struct ev_source *s, uint32_t revents)
{
	ev_del(&hook.src);
	hook.src.events = 0;
	hook_pump();
}

static void hook_heard(struct events_listener *l, const struct event *e)
{
	hook_pump();
}

void hook_init(void)
{
	hook.next = events_first();     /* the events of the boot too */
	hook.src.fn = hook_writable;
	hook.listener.fn = hook_heard;
	events_listen(&hook.listener);
}

void hook_fini(void)
{
	hook_close();
}

/* --- re-execution ---------------------------------------------------------- */

enum { HK_FD = 1, HK_NAME, HK_NEXT, HK_FULL };

void hook_save(struct st_buf *b)
{
	st_put_fd(b, HK_FD, hook.fd);
	st_put_str(b, HK_NAME, hook.name);
	st_put_u64(b, HK_NEXT, hook.next);
	st_put_u64(b, HK_FULL, hook.src.events != 0);
}

/* After hook_init(): the connection and the next event to send, as they were. */
int hook_restore(const struct st_rd *r, bool dry)
{
	char name[SUP_NAME_MAX + 1];
	uint64_t next;
	int fd;

	if (!st_fd(r, HK_FD, &fd) || !st_str(r, HK_NAME, name, sizeof(name)) ||
	    !st_u64(r, HK_NEXT, &next))
		return -EBADMSG;
	if (dry)
		return 0;
	hook.next = next;
	if (fd < 0)
		return 0;
	hook.fd = fd;
	snprintf(hook.name, sizeof(hook.name), "%s", name);
	if (st_flag(r, HK_FULL)) {
		hook.src = (struct ev_source){ .fd = fd, .events = EPOLLOUT, .fn = hook_writable };
		if (ev_add(&hook.src) < 0)
			hook_close();
	}
	return 0;
}
