/*
 * loop.c: the one event loop.  epoll over every fd otpd holds; the only
 * timeout is the earliest deadline of the core or the control socket, so
 * an idle otpd sleeps in epoll_wait with no timeout at all.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define EV_BATCH 64

static int epfd = -1;
static int64_t now_ms;

static int64_t clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ev_now(void)
{
	return now_ms;
}

int64_t ev_after(int64_t ms)
{
	if (ms < 0)
		ms = 0;
	return ms >= INT64_MAX - now_ms ? INT64_MAX : now_ms + ms;
}

int ev_init(void)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return -errno;
	now_ms = clock_ms();
	return 0;
}

void ev_fini(void)
{
	if (epfd >= 0)
		close(epfd);
	epfd = -1;
}

int ev_add(struct ev_source *s)
{
	struct epoll_event e = { .events = s->events, .data.ptr = s };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, s->fd, &e) < 0)
		return -errno;
	s->added = true;
	return 0;
}

int ev_mod(struct ev_source *s, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.ptr = s };

	if (s->events == events && s->added)
		return 0;
	s->events = events;
	if (!s->added)
		return ev_add(s);
	return epoll_ctl(epfd, EPOLL_CTL_MOD, s->fd, &e) < 0 ? -errno : 0;
}

void ev_del(struct ev_source *s)
{
	if (!s->added)
		return;
	(void)epoll_ctl(epfd, EPOLL_CTL_DEL, s->fd, NULL);
	s->added = false;
}

static int64_t next_deadline(void)
{
	int64_t a = sup_next_deadline(otpd.tree);
	int64_t b = control_next_deadline();
	int64_t c = cgroup_next_deadline();

	a = a < b ? a : b;
	return a < c ? a : c;
}

static int wait_timeout(void)
{
	int64_t d = next_deadline();

	if (d == INT64_MAX)
		return -1;
	if (d <= now_ms)
		return 0;
	return d - now_ms > INT32_MAX ? INT32_MAX : (int)(d - now_ms);
}

static void run_timers(void)
{
	if (sup_next_deadline(otpd.tree) <= now_ms) {
		sup_timer(otpd.tree, now_ms);
		actions_run();
	}
	if (control_next_deadline() <= now_ms)
		control_timer(now_ms);
	if (cgroup_next_deadline() <= now_ms)
		cgroup_timer(now_ms);
}

int ev_run_once(void)
{
	struct epoll_event evs[EV_BATCH];
	int n = epoll_wait(epfd, evs, EV_BATCH, wait_timeout());

	now_ms = clock_ms();
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct ev_source *s = evs[i].data.ptr;

		/* A handler earlier in this batch may have removed this one. */
		if (s && s->added && s->fn)
			s->fn(s, evs[i].events);
	}
	run_timers();
	return 0;
}
