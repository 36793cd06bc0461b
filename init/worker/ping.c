/*
 * ping.c: `ping = INTERVAL` (otp.conf(5)): liveness through the mailbox.
 *
 * While the worker is running, otpd sends the system call "ping" on its
 * connection INTERVAL after the worker became running and INTERVAL after
 * each answer; any reply ('r') within ping_timeout is an answer.  A ping
 * that could not even be sent (the backlog or the socket is full) waits
 * for its answer all the same: a worker that does not take its messages
 * is not answering.  No answer in time is a liveness miss, as a missed
 * watchdog: the core kills the worker and its exit is a crash with reason
 * ping_timeout.  A frozen worker (otpctl freeze) is not asked, nor held
 * to a ping it got before it froze: pings go on once it is thawed.  One
 * timer per pinging worker, armed only while it runs.
 */
#include <errno.h>
#include <sys/socket.h>

#include "../cgroup/cgroup.h"
#include "../core.h"
#include "sys.h"

static const struct cfg_worker *ping_cfg(const struct wsys *s)
{
	return &s->w->cfg->w;
}

/* An answer (or what stands for one): the next ping in INTERVAL. */
static void ping_answered(struct wsys *s)
{
	s->ping_out = false;
	if (ping_cfg(s)->ping_ms > 0)
		(void)ev_timer_arm(&s->ping_timer, ev_after(ping_cfg(s)->ping_ms));
	wsys_watch(s);
}

static void ping_send(struct wsys *s)
{
	/* Not sent (full, no connection): the deadline decides all the same. */
	(void)wsys_send(s, WSYS_CALL, "ping");
	s->ping_out = true;
	(void)ev_timer_arm(&s->ping_timer, ev_after(ping_cfg(s)->ping_timeout_ms));
	wsys_watch(s);
}

static void ping_due(struct ev_timer *t, int64_t now)
{
	struct wsys *s = t->data;
	struct sup_node *n = s->w->node;

	if (!s->live || sup_node_state(n) != SUP_RUNNING || ping_cfg(s)->ping_ms <= 0)
		return;
	if (cgroup_frozen_by(n)) {
		/* otpctl freeze: a frozen process cannot answer; ask again later. */
		ping_answered(s);
		return;
	}
	if (!s->ping_out) {
		ping_send(s);
		return;
	}
	s->ping_out = false;
	wsys_watch(s);
	log_warn("%s: no answer to ping within %lld ms, killing it", sup_node_name(n),
		 (long long)ping_cfg(s)->ping_timeout_ms);
	core_child_ping_timeout(n);     /* last: its actions may free s */
}

void ping_running(struct wsys *s)
{
	s->ping_timer.fn = ping_due;
	if (ping_cfg(s)->ping_ms <= 0) {
		ping_stop(s);
		return;
	}
	if (!s->ping_timer.armed)
		(void)ev_timer_arm(&s->ping_timer, ev_after(ping_cfg(s)->ping_ms));
}

void ping_stop(struct wsys *s)
{
	ev_timer_stop(&s->ping_timer);
	s->ping_out = false;
	wsys_watch(s);
}

void ping_closed(struct wsys *s)
{
	/* An older libotp_mailbox closes on a kind it does not know: it took it. */
	if (s->ping_out)
		ping_answered(s);
}

void ping_readable(struct wsys *s)
{
	char buf[64];
	ssize_t n;

	while (s->fd >= 0) {
		n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			wsys_disconnect(s);
			ping_closed(s);
			return;
		}
		if (buf[0] == WSYS_REPLY && s->ping_out)
			ping_answered(s);
	}
	wsys_watch(s);
}

/*
 * Re-execution: the timer as it was, with the time it had left when otpd
 * saved its state (the exec's own time is not counted against the
 * worker).  An answer that came meanwhile is read first.
 */
void ping_resume(struct wsys *s, int64_t left)
{
	s->ping_timer.fn = ping_due;
	if (s->ping_out && s->fd >= 0)
		ping_readable(s);
	if (left >= 0 && !s->ping_timer.armed)
		(void)ev_timer_arm(&s->ping_timer, ev_after(left));
}
