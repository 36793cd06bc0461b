/*
 * loop.c: the one event loop.  epoll over every fd otpd holds, and one
 * heap of timers, the only deadline source: the core's next deadline is
 * one timer (core.c), each control client's another.  With no timer
 * armed an idle otpd sleeps in epoll_wait with no timeout at all.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "base.h"

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

/* --- timers: a binary min-heap on `at` ---------------------------------- */

static struct ev_timer **heap;
static size_t heap_n, heap_cap;

static bool heap_less(size_t a, size_t b)
{
	return heap[a]->at < heap[b]->at;
}

static void heap_swap(size_t a, size_t b)
{
	struct ev_timer *x = heap[a];

	heap[a] = heap[b];
	heap[b] = x;
	heap[a]->idx = a;
	heap[b]->idx = b;
}

static void heap_up(size_t i)
{
	while (i > 0 && heap_less(i, (i - 1) / 2)) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < heap_n && heap_less(l, m))
			m = l;
		if (r < heap_n && heap_less(r, m))
			m = r;
		if (m == i)
			return;
		heap_swap(i, m);
		i = m;
	}
}

void ev_timer_stop(struct ev_timer *t)
{
	size_t i = t->idx;

	if (!t->armed)
		return;
	t->armed = false;
	if (i != --heap_n) {
		heap[i] = heap[heap_n];
		heap[i]->idx = i;
		heap_up(i);
		heap_down(heap[i]->idx);
	}
}

int ev_timer_arm(struct ev_timer *t, int64_t at)
{
	ev_timer_stop(t);
	if (at == INT64_MAX)
		return 0;
	if (heap_n == heap_cap) {
		size_t cap = heap_cap ? heap_cap * 2 : 64;
		struct ev_timer **h = realloc(heap, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		heap = h;
		heap_cap = cap;
	}
	t->at = at;
	t->idx = heap_n;
	t->armed = true;
	heap[heap_n++] = t;
	heap_up(t->idx);
	return 0;
}

static int wait_timeout(void)
{
	int64_t d = heap_n ? heap[0]->at : INT64_MAX;

	if (d == INT64_MAX)
		return -1;
	if (d <= now_ms)
		return 0;
	return d - now_ms > INT32_MAX ? INT32_MAX : (int)(d - now_ms);
}

/* Fire every timer due by now; a callback may arm timers again (later). */
static void run_timers(void)
{
	while (heap_n && heap[0]->at <= now_ms) {
		struct ev_timer *t = heap[0];

		ev_timer_stop(t);
		t->fn(t, now_ms);
	}
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
