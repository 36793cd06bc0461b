/*
 * test_output_ring.c: the per-child log ring (output/ring.c).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tutil.h"


/* --- log_ring ------------------------------------------------------------ */

TestSuite(log_ring, .timeout = 10);

Test(log_ring, keeps_last_lines_in_order_after_wrap)
{
	struct log_ring *r = log_ring_new(3);
	struct lines l = { 0 };
	char buf[16];

	for (int i = 1; i <= 5; i++) {
		int n = snprintf(buf, sizeof(buf), "line %d", i);

		ring_push(r, buf, (size_t)n);
	}
	ring_lines(r, 0, &l);
	cr_assert(eq(int, l.n, 3));
	cr_expect(eq(str, l.v[0], "line 3"));
	cr_expect(eq(str, l.v[1], "line 4"));
	cr_expect(eq(str, l.v[2], "line 5"));
	ring_lines(r, 2, &l);
	cr_assert(eq(int, l.n, 2));
	cr_expect(eq(str, l.v[0], "line 4"));
	cr_expect(eq(str, l.v[1], "line 5"));
	ring_lines(r, 10, &l);
	cr_expect(eq(int, l.n, 3));
	lines_clear(&l);
	log_ring_free(r);
}

Test(log_ring, before_wrap_each_returns_what_was_pushed)
{
	struct log_ring *r = log_ring_new(5);
	struct lines l = { 0 };

	ring_lines(r, 0, &l);
	cr_expect(eq(int, l.n, 0));
	ring_push(r, "a", 1);
	ring_push(r, "", 0);
	ring_lines(r, 0, &l);
	cr_assert(eq(int, l.n, 2));
	cr_expect(eq(str, l.v[0], "a"));
	cr_expect(eq(sz, l.len[1], 0));
	lines_clear(&l);
	log_ring_free(r);
}

Test(log_ring, stores_copies)
{
	struct log_ring *r = log_ring_new(2);
	struct lines l = { 0 };
	char buf[] = "original";

	ring_push(r, buf, strlen(buf));
	memcpy(buf, "CHANGED!", 8);
	ring_lines(r, 0, &l);
	cr_expect(eq(str, l.v[0], "original"));
	lines_clear(&l);
	log_ring_free(r);
}

Test(log_ring, cuts_lines_longer_than_line_max)
{
	struct log_ring *r = log_ring_new(2);
	struct lines l = { 0 };
	char *big = malloc(OUT_LINE_MAX * 2);

	memset(big, 'x', OUT_LINE_MAX * 2);
	ring_push(r, big, OUT_LINE_MAX * 2);
	ring_lines(r, 0, &l);
	cr_expect(eq(sz, l.len[0], OUT_LINE_MAX));
	lines_clear(&l);
	free(big);
	log_ring_free(r);
}

static void count_sub(void *data, const struct log_entry *e)
{
	(*(int *)data)++;
}

Test(log_ring, subscribers_get_each_new_line_until_unsubscribed)
{
	struct log_ring *r = log_ring_new(0);        /* stores nothing, still publishes */
	struct lines got = { 0 }, all = { 0 };
	int count = 0;

	ring_push(r, "before", 6);
	int a = log_ring_subscribe(r, lines_add, &got);
	int b = log_ring_subscribe(r, count_sub, &count);

	cr_assert(gt(int, a, 0));
	cr_assert(gt(int, b, 0));
	cr_assert(ne(int, a, b));
	ring_push(r, "one", 3);
	log_ring_unsubscribe(r, a);
	ring_push(r, "two", 3);
	cr_assert(eq(int, got.n, 1));
	cr_expect(eq(str, got.v[0], "one"));
	cr_expect(eq(int, count, 2));
	ring_lines(r, 0, &all);
	cr_expect(eq(int, all.n, 0));
	lines_clear(&got);
	log_ring_free(r);
}

struct self_unsub {
	struct log_ring *r;
	int id, calls;
};

static void unsub_self(void *data, const struct log_entry *e)
{
	struct self_unsub *s = data;

	s->calls++;
	log_ring_unsubscribe(s->r, s->id);
}

Test(log_ring, subscriber_may_unsubscribe_from_its_callback)
{
	struct log_ring *r = log_ring_new(4);
	struct self_unsub s = { .r = r };
	int count = 0;

	s.id = log_ring_subscribe(r, unsub_self, &s);
	cr_assert(gt(int, log_ring_subscribe(r, count_sub, &count), 0));
	ring_push(r, "x", 1);
	ring_push(r, "y", 1);
	cr_expect(eq(int, s.calls, 1));
	cr_expect(eq(int, count, 2));
	log_ring_free(r);
}

Test(log_ring, entries_keep_time_stream_and_pid)
{
	struct log_ring *r = log_ring_new(4);
	struct lines l = { 0 };
	struct log_entry a = { .time_ms = 1000, .pid = 7, .stream = OUT_STDERR, .line = "err", .len = 3 };
	struct log_entry st = { .time_ms = 2000, .pid = 8, .stream = OUT_START };
	struct log_entry b = { .time_ms = 3000, .pid = 8, .stream = OUT_STDOUT, .line = "out", .len = 3 };

	log_ring_push(r, &a);
	log_ring_push(r, &st);
	log_ring_push(r, &b);
	ring_entries(r, 0, &l);
	cr_assert(eq(int, l.n, 3));
	cr_expect(eq(i64, l.time_ms[0], 1000));
	cr_expect(eq(int, l.pid[0], 7));
	cr_expect(eq(int, (int)l.stream[0], OUT_STDERR));
	cr_expect(eq(str, l.v[0], "err"));
	cr_expect(eq(int, (int)l.stream[1], OUT_START));
	cr_expect(eq(int, l.pid[1], 8));
	cr_expect(eq(sz, l.len[1], 0));
	cr_expect(eq(str, l.v[2], "out"));
	/* Without starts; -n counts lines only. */
	ring_lines(r, 0, &l);
	cr_expect(eq(int, l.n, 2));
	ring_entries(r, 1, &l);
	cr_assert(eq(int, l.n, 1));
	cr_expect(eq(str, l.v[0], "out"));
	ring_entries(r, 2, &l);
	cr_assert(eq(int, l.n, 3), "the start between two counted lines is shown");
	lines_clear(&l);
	log_ring_free(r);
}
