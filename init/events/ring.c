/*
 * ring.c: the last EVENTS_MAX events (events.h), their numbers, the
 * listeners, and the counters otpctl metrics shows.
 *
 * Events are counted from 0 here and numbered from 1 outside: event `seq`
 * is the (seq-1)th, in slot (seq-1) % EVENTS_MAX while first <= seq-1 <
 * next.  Counting from 0 keeps the ring zero-initialised, in .bss, so only
 * the slots used cost memory.
 * Each is one allocation: the struct, then its array of line pointers,
 * then its strings, so a wrapped-over event is one free().
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

static struct {
	struct event *slot[EVENTS_MAX];
	uint64_t first, next;           /* counts: dropped from the front, recorded */
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

const struct event *events_get(uint64_t seq)
{
	if (seq < 1 || seq - 1 < ring.first || seq - 1 >= ring.next)
		return NULL;
	return ring.slot[(seq - 1) % EVENTS_MAX];
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

/* One allocation holding a copy of e, its lines and its strings. */
static struct event *event_copy(const struct event *e)
{
	size_t size = sizeof(*e) + e->n_lines * sizeof(char *) + str_size(e->name) +
		      str_size(e->supervisor) + str_size(e->other) + str_size(e->reason) +
		      str_size(e->detail);
	const char **lines;
	struct event *c;
	char *at;

	for (size_t i = 0; i < e->n_lines; i++)
		size += str_size(e->lines[i]);
	if (!(c = malloc(size)))
		return NULL;
	*c = *e;
	lines = (const char **)(c + 1);
	at = (char *)(lines + e->n_lines);
	c->name = str_put(&at, e->name);
	c->supervisor = str_put(&at, e->supervisor);
	c->other = str_put(&at, e->other);
	c->reason = str_put(&at, e->reason);
	c->detail = str_put(&at, e->detail);
	for (size_t i = 0; i < e->n_lines; i++)
		lines[i] = str_put(&at, e->lines[i]);
	c->lines = lines;
	return c;
}

int events_record(const struct event *e)
{
	struct event *c = event_copy(e);
	struct event **slot;
	uint64_t i;

	if (!c) {
		ring.lost++;
		return -ENOMEM;
	}
	i = ring.next++;
	c->seq = i + 1;
	c->time_ms = realtime_ms();
	slot = &ring.slot[i % EVENTS_MAX];
	if (i - ring.first >= EVENTS_MAX) {
		free(*slot);
		ring.first++;
	}
	*slot = c;
	for (struct events_listener *l = ring.listeners; l; l = l->next)
		l->fn(l, c);
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
	for (uint64_t s = ring.first; s < ring.next; s++)
		free(ring.slot[s % EVENTS_MAX]);
	free(ring.gave_up);
	ring.gave_up = NULL;
	ring.n_gave_up = 0;
	ring.first = ring.next;
	ring.listeners = NULL;
}
