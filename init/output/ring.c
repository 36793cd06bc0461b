/*
 * ring.c: a child's last N output entries, for `otpctl logs`.
 *
 * The ring holds copies of at most `cap` entries (lines with their time,
 * stream and pid, and the starts of new processes); the oldest is
 * overwritten.  An entry costs 32 bytes plus its text.
 * Slot buffers are kept and reused, so a ring that has wrapped once no
 * longer allocates (lines are at most OUT_LINE_MAX bytes, longer ones are
 * cut, which bounds a ring at cap * OUT_LINE_MAX bytes).  The slot array
 * grows with the lines actually pushed, so a worker that prints nothing
 * costs a few bytes, not cap slots (with the default 1,000 lines, 23 KiB
 * per worker were most of otpd's memory).  Subscribers
 * (`logs -f`) are told of every pushed line; a subscriber may unsubscribe
 * itself or others, or subscribe, from inside its callback.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../base/base.h"
#include "internal.h"

struct ring_line {
	char *s;                /* NUL-terminated copy, NULL until first used */
	int64_t time_ms;
	pid_t pid;
	uint16_t len, size;     /* len <= OUT_LINE_MAX; size: bytes allocated */
	uint8_t stream;
};

struct ring_sub {
	int id;                 /* 0: removed while subscribers were running */
	log_sub_fn fn;
	void *data;
};

struct log_ring {
	unsigned cap, n, head;  /* head: index of the oldest line */
	unsigned size;          /* slots allocated: n <= size <= cap */
	struct ring_line *lines;
	struct ring_sub *subs;
	size_t n_subs, subs_size;
	int next_id;
	unsigned busy;          /* > 0 while calling subscribers */
};

struct log_ring *log_ring_new(unsigned max_lines)
{
	struct log_ring *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->cap = max_lines;
	r->next_id = 1;
	return r;
}

void log_ring_free(struct log_ring *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i < r->size; i++)
		free(r->lines[i].s);
	free(r->lines);
	free(r->subs);
	free(r);
}

/* Copy into slot `l`, growing its buffer in 64-byte steps. */
static void ring_line_set(struct ring_line *l, const struct log_entry *e, size_t len)
{
	l->time_ms = e->time_ms;
	l->pid = e->pid;
	l->stream = (uint8_t)e->stream;
	if (len == 0 && !l->s) {
		l->len = 0;     /* a start, an empty line: no buffer needed */
		return;
	}
	if (len + 1 > l->size) {
		size_t size = (len + 1 + 63) & ~(size_t)63;
		char *s = realloc(l->s, size);

		if (!s) {
			/* Out of memory: keep the slot, empty, rather than a stale line. */
			l->len = 0;
			if (l->s)
				l->s[0] = '\0';
			return;
		}
		l->s = s;
		l->size = (uint16_t)size;
	}
	if (len)
		memcpy(l->s, e->line, len);
	l->s[len] = '\0';
	l->len = (uint16_t)len;
}

/*
 * Room for one more line before the ring is full.  Until then head is 0
 * and the lines fill slots 0..n-1, so growing keeps every index valid.
 */
static int ring_grow(struct log_ring *r)
{
	unsigned size = r->size ? r->size * 2 : 8;
	struct ring_line *l;

	if (size > r->cap)
		size = r->cap;
	l = realloc(r->lines, size * sizeof(*l));
	if (!l)
		return -ENOMEM;
	memset(l + r->size, 0, (size - r->size) * sizeof(*l));
	r->lines = l;
	r->size = size;
	return 0;
}

static void ring_store(struct log_ring *r, const struct log_entry *e, size_t len)
{
	unsigned slot;

	if (!r->cap)
		return;
	if (r->n == r->size && r->size < r->cap && ring_grow(r) < 0)
		return;         /* out of memory: this line is not kept */
	if (r->n < r->cap) {
		slot = (r->head + r->n) % r->cap;
		r->n++;
	} else {
		slot = r->head;
		r->head = (r->head + 1) % r->cap;
	}
	ring_line_set(&r->lines[slot], e, len);
}

/* Drop the entries of subscribers removed while they were being called. */
static void ring_subs_compact(struct log_ring *r)
{
	size_t j = 0;

	for (size_t i = 0; i < r->n_subs; i++)
		if (r->subs[i].id)
			r->subs[j++] = r->subs[i];
	r->n_subs = j;
}

static void ring_publish(struct log_ring *r, const struct log_entry *e)
{
	/* Subscribers added by a callback start with the next line. */
	size_t n = r->n_subs;

	r->busy++;
	for (size_t i = 0; i < n; i++) {
		struct ring_sub s = r->subs[i];

		if (s.id)
			s.fn(s.data, e);
	}
	if (--r->busy == 0)
		ring_subs_compact(r);
}

void log_ring_push(struct log_ring *r, const struct log_entry *e)
{
	struct log_entry cut = *e;

	if (!r)
		return;
	if (cut.len > OUT_LINE_MAX)
		cut.len = OUT_LINE_MAX;
	if (!cut.line)
		cut.len = 0;
	ring_store(r, &cut, cut.len);
	if (r->n_subs)
		ring_publish(r, &cut);
}

static const struct ring_line *ring_at(const struct log_ring *r, unsigned i)
{
	return &r->lines[(r->head + i) % r->cap];
}

void log_ring_each(const struct log_ring *r, unsigned n, bool starts, log_sub_fn fn, void *data)
{
	unsigned from = 0, seen = 0;

	if (!r)
		return;
	/* From the n-th line before the end; starts are not counted. */
	for (unsigned i = r->n; n && i > 0; i--) {
		if (ring_at(r, i - 1)->stream != OUT_START && ++seen == n) {
			from = i - 1;
			break;
		}
	}
	for (unsigned i = from; i < r->n; i++) {
		const struct ring_line *l = ring_at(r, i);
		struct log_entry e = { .time_ms = l->time_ms, .pid = l->pid,
				       .stream = (enum out_stream)l->stream,
				       .line = l->s ? l->s : "", .len = l->len };

		if (starts || e.stream != OUT_START)
			fn(data, &e);
	}
}

int log_ring_subscribe(struct log_ring *r, log_sub_fn fn, void *data)
{
	if (!r || !fn)
		return -EINVAL;
	if (r->n_subs == r->subs_size) {
		size_t size = r->subs_size ? r->subs_size * 2 : 4;
		struct ring_sub *s = realloc(r->subs, size * sizeof(*s));

		if (!s)
			return -ENOMEM;
		r->subs = s;
		r->subs_size = size;
	}
	int id = r->next_id;

	r->next_id = r->next_id == INT_MAX ? 1 : r->next_id + 1;
	r->subs[r->n_subs++] = (struct ring_sub){ .id = id, .fn = fn, .data = data };
	return id;
}

void log_ring_unsubscribe(struct log_ring *r, int id)
{
	if (!r || id <= 0)
		return;
	for (size_t i = 0; i < r->n_subs; i++) {
		if (r->subs[i].id != id)
			continue;
		r->subs[i].id = 0;
		if (!r->busy)
			ring_subs_compact(r);
		return;
	}
}

/* --- re-execution (save.c) ------------------------------------------------ */

/* An entry is an item holding items; a reader skips what it does not know. */
enum { RL_CAP = 1, RL_LINE };
enum { RL_TEXT = 1, RL_TIME, RL_PID, RL_STREAM };

static void ring_save_entry(void *data, const struct log_entry *e)
{
	struct st_buf *b = data;
	size_t at = st_open(b, RL_LINE);

	st_put(b, RL_TEXT, e->line, e->len);
	st_put_i64(b, RL_TIME, e->time_ms);
	st_put_i64(b, RL_PID, e->pid);
	st_put_u64(b, RL_STREAM, (uint64_t)e->stream);
	st_close(b, at);
}

void log_ring_save(const struct log_ring *r, struct st_buf *b)
{
	st_put_u64(b, RL_CAP, r->cap);
	log_ring_each(r, 0, true, ring_save_entry, b);
}

unsigned log_ring_saved_cap(const struct st_rd *rd, unsigned dflt)
{
	uint64_t cap;

	return st_u64(rd, RL_CAP, &cap) && cap <= UINT_MAX ? (unsigned)cap : dflt;
}

int log_ring_restore(struct log_ring *r, const struct st_rd *rd)
{
	struct st_rd it = *rd, v, text;
	unsigned tag;

	while (st_next(&it, &tag, &v) == 1) {
		struct log_entry e = { 0 };
		uint64_t stream = OUT_STDOUT;

		if (tag != RL_LINE)
			continue;
		if (!st_find(&v, RL_TEXT, &text) || text.n > OUT_LINE_MAX)
			return -EBADMSG;
		(void)st_i64(&v, RL_TIME, &e.time_ms);
		(void)st_int(&v, RL_PID, &e.pid);
		(void)st_u64(&v, RL_STREAM, &stream);
		if (stream > OUT_STDERR)
			return -EBADMSG;
		e.stream = (enum out_stream)stream;
		e.line = (const char *)text.p;
		e.len = text.n;
		if (r)
			ring_store(r, &e, e.len);
	}
	return 0;
}
