/*
 * ring.c: the last EVENTS_MAX events (events.h), their numbers, the
 * listeners, and the counters otpctl metrics shows.
 *
 * Events are counted from 0 here and numbered from 1 outside: event `seq`
 * is the (seq-1)th, in slot (seq-1) % EVENTS_MAX while first <= seq-1 <
 * next.  Counting from 0 keeps the ring zero-initialised, in .bss, so only
 * the slots used cost memory.
 * Each is one packed allocation (struct rec): the numbers a kind needs,
 * then its strings and lines one after the other, so a start costs ~64
 * bytes with malloc's own, and a dropped event is one free().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../supervisor/supervisor.h"
#include "events.h"

/* How many times one supervisor gave up. */
struct gave_up {
	char name[SUP_NAME_MAX + 1];
	uint64_t n;
};

/* An event as the ring keeps it. */
struct rec {
	int64_t time_ms;
	int64_t ms;                     /* gave_up: period_ms; restarting: delay_ms */
	pid_t pid;
	int32_t intensity;
	uint32_t restarts;
	uint16_t n_lines;
	uint8_t kind;
	uint8_t worker;
	uint32_t size;                  /* of the allocation (the ring's budget) */
	char s[];                       /* name, supervisor, other, reason, detail, lines: each NUL-ended */
};

static struct {
	struct rec *slot[EVENTS_MAX];
	uint64_t first, next;           /* counts: dropped from the front, recorded */
	size_t bytes;                   /* held by the records in the ring */
	struct events_listener *listeners;
	uint64_t dropped, lost;
	struct gave_up *gave_up;
	size_t n_gave_up;
} ring;

const char *event_kind_str(enum event_kind k)
{
	static const char *const names[] = {
		[EVENT_STARTED] = "started",       [EVENT_READY] = "ready",
		[EVENT_EXITED] = "exited",         [EVENT_STOPPED] = "stopped",
		[EVENT_RESTARTING] = "restarting", [EVENT_GAVE_UP] = "gave_up",
		[EVENT_ESCALATED] = "escalated",   [EVENT_RELOADED] = "reloaded",
		[EVENT_RELOAD_FAILED] = "reload_failed",
		[EVENT_FROZEN] = "frozen",         [EVENT_THAWED] = "thawed",
		[EVENT_UPGRADE_STARTED] = "upgrade_started",
		[EVENT_UPGRADED] = "upgraded",
		[EVENT_UPGRADE_FAILED] = "upgrade_failed",
		[EVENT_ROLLED_BACK] = "rolled_back",
		[EVENT_ROLLBACK_FAILED] = "rollback_failed",
	};

	return (size_t)k < sizeof(names) / sizeof(names[0]) && names[k] ? names[k] : "unknown";
}

uint64_t events_first(void) { return ring.first + 1; }
uint64_t events_next(void) { return ring.next + 1; }

/* The next NUL-ended string at *at; *at moves past it. */
static const char *str_take(const char **at)
{
	const char *p = *at;

	*at += strlen(p) + 1;
	return p;
}

bool events_get(uint64_t seq, struct event *e)
{
	const struct rec *r;
	const char *at;

	if (seq < 1 || seq - 1 < ring.first || seq - 1 >= ring.next)
		return false;
	r = ring.slot[(seq - 1) % EVENTS_MAX];
	*e = (struct event){ .seq = seq, .time_ms = r->time_ms, .kind = r->kind,
			     .worker = r->worker, .pid = r->pid, .intensity = r->intensity,
			     .restarts = r->restarts, .n_lines = r->n_lines };
	if (r->kind == EVENT_GAVE_UP)
		e->period_ms = r->ms;
	else
		e->delay_ms = r->ms;
	at = r->s;
	e->name = str_take(&at);
	e->supervisor = str_take(&at);
	e->other = str_take(&at);
	e->reason = str_take(&at);
	e->detail = str_take(&at);
	for (size_t i = 0; i < r->n_lines; i++)
		e->line_v[i] = str_take(&at);
	e->lines = e->line_v;
	return true;
}

void events_listen(struct events_listener *l)
{
	l->next = ring.listeners;
	ring.listeners = l;
}

static size_t str_size(const char *s)
{
	return (s ? strlen(s) : 0) + 1;
}

/* Copy s to *at, return the copy, move *at past it. */
static const char *str_put(char **at, const char *s)
{
	char *p = *at;
	size_t n = str_size(s);

	memcpy(p, s ? s : "", n);
	*at += n;
	return p;
}

static int64_t realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One packed allocation holding e, its strings and its lines. */
static struct rec *rec_pack(const struct event *e, size_t n_lines)
{
	size_t size = sizeof(struct rec) + str_size(e->name) + str_size(e->supervisor) +
		      str_size(e->other) + str_size(e->reason) + str_size(e->detail);
	struct rec *r;
	char *at;

	for (size_t i = 0; i < n_lines; i++)
		size += str_size(e->lines[i]);
	if (!(r = malloc(size)))
		return NULL;
	*r = (struct rec){ .time_ms = e->time_ms, .pid = e->pid, .intensity = e->intensity,
			   .restarts = e->restarts, .n_lines = (uint16_t)n_lines,
			   .kind = (uint8_t)e->kind, .worker = e->worker, .size = (uint32_t)size,
			   .ms = e->kind == EVENT_GAVE_UP ? e->period_ms : e->delay_ms };
	at = r->s;
	(void)str_put(&at, e->name);
	(void)str_put(&at, e->supervisor);
	(void)str_put(&at, e->other);
	(void)str_put(&at, e->reason);
	(void)str_put(&at, e->detail);
	for (size_t i = 0; i < n_lines; i++)
		(void)str_put(&at, e->lines[i]);
	return r;
}

/* Let the oldest event go. */
static void drop_first(void)
{
	struct rec **slot = &ring.slot[ring.first % EVENTS_MAX];

	ring.bytes -= (*slot)->size;
	free(*slot);
	*slot = NULL;
	ring.first++;
}

int events_record(const struct event *e)
{
	size_t n_lines = e->n_lines < EVENT_REPORT_LINES ? e->n_lines : EVENT_REPORT_LINES;
	struct event told = *e;
	struct rec *r;
	uint64_t i;

	told.time_ms = realtime_ms();
	if (!(r = rec_pack(&told, n_lines))) {
		ring.lost++;
		return -ENOMEM;
	}
	if (ring.next - ring.first == EVENTS_MAX)
		drop_first();
	while (ring.next > ring.first && ring.bytes + r->size > EVENTS_BYTES_MAX)
		drop_first();
	i = ring.next++;
	told.seq = i + 1;
	told.n_lines = n_lines;
	ring.slot[i % EVENTS_MAX] = r;
	ring.bytes += r->size;
	for (struct events_listener *l = ring.listeners; l; l = l->next)
		l->fn(l, &told);
	return 0;
}

void events_dropped_add(uint64_t n) { ring.dropped += n; }
uint64_t events_dropped(void) { return ring.dropped; }
uint64_t events_lost(void) { return ring.lost; }

/* Count a give-up of supervisor `name` (watch.c, through events_record's caller). */
void events_gave_up_add(const char *name)
{
	struct gave_up *v;

	for (size_t i = 0; i < ring.n_gave_up; i++) {
		if (strcmp(ring.gave_up[i].name, name) == 0) {
			ring.gave_up[i].n++;
			return;
		}
	}
	if (!(v = realloc(ring.gave_up, (ring.n_gave_up + 1) * sizeof(*v))))
		return;
	ring.gave_up = v;
	memset(&v[ring.n_gave_up], 0, sizeof(*v));
	strncpy(v[ring.n_gave_up].name, name, SUP_NAME_MAX);
	v[ring.n_gave_up++].n = 1;
}

uint64_t events_gave_up_count(const char *name)
{
	for (size_t i = 0; i < ring.n_gave_up; i++)
		if (strcmp(ring.gave_up[i].name, name) == 0)
			return ring.gave_up[i].n;
	return 0;
}

void events_ring_free(void)
{
	while (ring.next > ring.first)
		drop_first();
	free(ring.gave_up);
	ring.gave_up = NULL;
	ring.n_gave_up = 0;
	ring.listeners = NULL;
}
