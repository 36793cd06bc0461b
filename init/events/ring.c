/*
 * ring.c: the last EVENTS_MAX events (events.h), their numbers, the
 * listeners, and the counters otpctl metrics shows.
 *
 * Events are counted from 0 here and numbered from 1 outside: event `seq`
 * is the (seq-1)th, in slot (seq-1) % cap while first <= seq-1 <
 * next.
 * Each is one packed allocation (struct rec): the numbers a kind needs,
 * then its strings and lines one after the other, so a start costs ~64
 * bytes with malloc's own, and a dropped event is one free().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../supervisor/supervisor.h"
#include "../base/base.h"
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
	/* `cap` slots, from SLOTS_MIN up to EVENTS_MAX (8 KiB) as events are
	 * held (slots_fit): in .bss the whole table spread otpd's small globals
	 * over more pages, and a small tree never needs it all (issue 19). */
	struct rec **slot;
	size_t cap;
	uint64_t first, next;           /* counts: dropped from the front, recorded */
	size_t bytes;                   /* held by the records in the ring */
	struct events_listener *listeners;
	uint64_t dropped, lost;
	struct gave_up *gave_up;
	size_t n_gave_up;
} ring;

/* Event s's slot (s counted from 0; the table exists while events are held). */
static struct rec **slot_of(uint64_t s)
{
	return &ring.slot[s % ring.cap];
}

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
	r = *slot_of(seq - 1);
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

#define SLOTS_MIN 64                    /* a power of two, as EVENTS_MAX */

/* Room for n events held at once (n <= EVENTS_MAX): the table doubles,
 * moving what it holds.  n consecutive numbers fall in distinct slots of
 * any table of at least n. */
static int slots_fit(uint64_t n)
{
	size_t cap = ring.cap ? ring.cap : SLOTS_MIN;
	struct rec **v;

	while (cap < n)
		cap *= 2;
	if (cap == ring.cap)
		return 0;
	if (!(v = calloc(cap, sizeof(*v))))
		return -ENOMEM;
	for (uint64_t s = ring.first; ring.slot && s < ring.next; s++)
		v[s % cap] = *slot_of(s);
	free(ring.slot);
	ring.slot = v;
	ring.cap = cap;
	return 0;
}

/* Let the oldest event go. */
static void drop_first(void)
{
	struct rec **slot = slot_of(ring.first);

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
	if (slots_fit(ring.next - ring.first + 1) < 0) {
		free(r);
		ring.lost++;
		return -ENOMEM;
	}
	i = ring.next++;
	told.seq = i + 1;
	told.n_lines = n_lines;
	*slot_of(i) = r;
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

/* Drop the events held (their slots), keep listeners and counters. */
static void events_ring_free_slots(void)
{
	for (uint64_t s = ring.first; ring.slot && s < ring.next; s++) {
		free(*slot_of(s));
		*slot_of(s) = NULL;
	}
	ring.first = ring.next;
	ring.bytes = 0;
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

/* --- re-execution ---------------------------------------------------------- */

enum { ER_FIRST = 1, ER_NEXT, ER_DROPPED, ER_LOST, ER_GAVE_UP, ER_EVENT };
enum { EG_NAME = 1, EG_N };
enum { EV_SEQ = 1, EV_TIME, EV_KIND, EV_WORKER, EV_PID, EV_INTENSITY, EV_PERIOD, EV_DELAY,
       EV_RESTARTS, EV_NAME, EV_SUPERVISOR, EV_OTHER, EV_REASON, EV_LINE };

static void event_save(struct st_buf *b, const struct event *e)
{
	size_t at = st_open(b, ER_EVENT);

	st_put_u64(b, EV_SEQ, e->seq);
	st_put_i64(b, EV_TIME, e->time_ms);
	st_put_u64(b, EV_KIND, (uint64_t)e->kind);
	st_put_u64(b, EV_WORKER, e->worker);
	st_put_i64(b, EV_PID, e->pid);
	st_put_i64(b, EV_INTENSITY, e->intensity);
	st_put_i64(b, EV_PERIOD, e->period_ms);
	st_put_i64(b, EV_DELAY, e->delay_ms);
	st_put_u64(b, EV_RESTARTS, e->restarts);
	st_put_str(b, EV_NAME, e->name);
	st_put_str(b, EV_SUPERVISOR, e->supervisor);
	st_put_str(b, EV_OTHER, e->other);
	st_put_str(b, EV_REASON, e->reason);
	for (size_t i = 0; i < e->n_lines; i++)
		st_put_str(b, EV_LINE, e->lines[i]);
	st_close(b, at);
}

void events_save(struct st_buf *b)
{
	st_put_u64(b, ER_FIRST, ring.first);
	st_put_u64(b, ER_NEXT, ring.next);
	st_put_u64(b, ER_DROPPED, ring.dropped);
	st_put_u64(b, ER_LOST, ring.lost);
	for (size_t i = 0; i < ring.n_gave_up; i++) {
		size_t at = st_open(b, ER_GAVE_UP);

		st_put_str(b, EG_NAME, ring.gave_up[i].name);
		st_put_u64(b, EG_N, ring.gave_up[i].n);
		st_close(b, at);
	}
	for (uint64_t s = ring.first; s < ring.next; s++) {
		struct event e;

		if (events_get(s + 1, &e))
			event_save(b, &e);
	}
}

/* The strings of a saved event, copied (NUL-terminated) for event_copy. */
struct ev_text {
	char *s[4];
	char *lines[EVENT_REPORT_LINES];
	size_t n_lines;
};

static void ev_text_free(struct ev_text *t)
{
	for (size_t i = 0; i < 4; i++)
		free(t->s[i]);
	for (size_t i = 0; i < t->n_lines; i++)
		free(t->lines[i]);
}

static int ev_read(const struct st_rd *r, struct event *e, struct ev_text *t)
{
	static const unsigned tags[4] = { EV_NAME, EV_SUPERVISOR, EV_OTHER, EV_REASON };
	struct st_rd it = *r, v;
	uint64_t kind = 0, worker = 0, restarts = 0;
	unsigned tag;

	memset(e, 0, sizeof(*e));
	if (!st_u64(r, EV_SEQ, &e->seq) || !st_i64(r, EV_TIME, &e->time_ms) ||
	    !st_u64(r, EV_KIND, &kind) || kind > EVENT_THAWED)
		return -EBADMSG;
	(void)st_u64(r, EV_WORKER, &worker);
	(void)st_int(r, EV_PID, &e->pid);
	(void)st_int(r, EV_INTENSITY, &e->intensity);
	(void)st_i64(r, EV_PERIOD, &e->period_ms);
	(void)st_i64(r, EV_DELAY, &e->delay_ms);
	(void)st_u64(r, EV_RESTARTS, &restarts);
	e->kind = (enum event_kind)kind;
	e->worker = worker;
	e->restarts = (unsigned)restarts;
	for (size_t i = 0; i < 4; i++)
		if (!(t->s[i] = st_strdup(r, tags[i])) && !(t->s[i] = strdup("")))
			return -ENOMEM;
	while (st_next(&it, &tag, &v) == 1) {
		if (tag != EV_LINE || t->n_lines == EVENT_REPORT_LINES)
			continue;
		if (!(t->lines[t->n_lines] = malloc(v.n + 1)))
			return -ENOMEM;
		memcpy(t->lines[t->n_lines], v.p, v.n);
		t->lines[t->n_lines++][v.n] = '\0';
	}
	e->name = t->s[0];
	e->supervisor = t->s[1];
	e->other = t->s[2];
	e->reason = t->s[3];
	e->lines = (const char *const *)t->lines;
	e->n_lines = t->n_lines;
	return 0;
}

/* Event e, numbered as it was, packed back in its slot (first, next: as saved). */
static int ev_put(const struct event *e, uint64_t first, uint64_t next, bool dry)
{
	struct rec **slot, *r;

	if (e->seq < first + 1 || e->seq > next)
		return -EBADMSG;
	if (dry)
		return 0;
	if (!(r = rec_pack(e, e->n_lines)))
		return -ENOMEM;
	slot = slot_of(e->seq - 1);
	if (*slot)
		ring.bytes -= (*slot)->size;
	free(*slot);
	*slot = r;
	ring.bytes += r->size;
	return 0;
}

static void gave_up_read(const struct st_rd *r)
{
	char name[SUP_NAME_MAX + 1];
	uint64_t n;

	if (!st_str(r, EG_NAME, name, sizeof(name)) || !st_u64(r, EG_N, &n))
		return;
	events_gave_up_add(name);
	ring.gave_up[ring.n_gave_up - 1].n = n;
}

int events_restore(const struct st_rd *r, bool dry)
{
	struct st_rd it = *r, v;
	uint64_t first, next;
	unsigned tag;
	int k = 0;

	if (!st_u64(r, ER_FIRST, &first) || !st_u64(r, ER_NEXT, &next) || first > next ||
	    next - first > EVENTS_MAX)
		return -EBADMSG;
	if (!dry) {
		events_ring_free_slots();
		ring.first = first;
		ring.next = next;
		if (slots_fit(next - first) < 0)
			return -ENOMEM;
		(void)st_u64(r, ER_DROPPED, &ring.dropped);
		(void)st_u64(r, ER_LOST, &ring.lost);
	}
	while (k == 0 && st_next(&it, &tag, &v) == 1) {
		struct ev_text t = { 0 };
		struct event e;

		if (tag == ER_GAVE_UP && !dry)
			gave_up_read(&v);
		if (tag != ER_EVENT)
			continue;
		k = ev_read(&v, &e, &t);
		if (k == 0)
			k = ev_put(&e, first, next, dry);
		ev_text_free(&t);
	}
	/* Every number held has its event. */
	for (uint64_t s = ring.first; k == 0 && !dry && s < ring.next; s++)
		if (!ring.slot || !*slot_of(s))
			k = -EBADMSG;
	/* Within this image's budget (another build may keep less). */
	while (k == 0 && !dry && ring.next > ring.first && ring.bytes > EVENTS_BYTES_MAX)
		drop_first();
	return k;
}
