/*
 * test_events.c: the ring of events (init/events/ring.c) and how an event
 * is shown (init/control/events.c).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <string.h>

#include "../../../init/base/base.h"
#include "../../../init/control/client.h"
#include "../../../init/control/json.h"
#include "../../../init/events/events.h"

static void ring_fini(void)
{
	events_ring_free();
}

TestSuite(events, .fini = ring_fini, .timeout = 10);

static void record_started(const char *name, pid_t pid)
{
	struct event e = { .kind = EVENT_STARTED, .worker = true, .pid = pid, .name = name,
			   .supervisor = "root" };

	cr_assert(eq(int, events_record(&e), 0));
}

struct heard {
	struct events_listener l;
	uint64_t last;
	int n;
};

static void on_event(struct events_listener *l, const struct event *e)
{
	struct heard *h = (struct heard *)l;

	h->last = e->seq;
	h->n++;
}

Test(events, numbered_in_order_and_wrapped_after_the_last_1024)
{
	static struct heard h = { .l = { .fn = on_event } };
	uint64_t base = events_next();
	struct event e;
	char name[16];

	events_listen(&h.l);
	for (int i = 0; i < EVENTS_MAX + 10; i++) {
		snprintf(name, sizeof(name), "w%d", i);
		record_started(name, 100 + i);
	}
	cr_assert(eq(u64, events_next(), base + EVENTS_MAX + 10));
	cr_assert(eq(u64, events_first(), events_next() - EVENTS_MAX));
	cr_assert(not(events_get(events_first() - 1, &e)));
	cr_assert(not(events_get(events_next(), &e)));
	cr_assert(events_get(events_next() - 1, &e));
	cr_assert(eq(str, (char *)e.name, "w1033"));
	cr_assert(eq(u64, e.seq, events_next() - 1));
	cr_assert(events_get(events_first(), &e));
	cr_assert(eq(int, e.pid, 100 + 10 + (int)(events_first() - base - 10)));
	cr_assert(eq(int, h.n, EVENTS_MAX + 10));
	cr_assert(eq(u64, h.last, events_next() - 1));
}

/* The slot table grows as events are held (64, 128, ... 1024): every event
 * held keeps its number and its content across each growth and the wrap. */
Test(events, every_held_event_survives_the_table_growing)
{
	uint64_t base = events_next();
	struct event e;
	char name[16];

	for (int i = 0; i < EVENTS_MAX + 300; i++) {
		snprintf(name, sizeof(name), "g%d", i);
		record_started(name, 1000 + i);
		if (i == 63 || i == 64 || i == 200 || i == 700 || i == EVENTS_MAX + 299) {
			for (uint64_t s = events_first(); s < events_next(); s++) {
				cr_assert(events_get(s, &e), "event %llu of %d", (unsigned long long)s, i);
				snprintf(name, sizeof(name), "g%d", (int)(s - base));
				cr_assert(eq(str, (char *)e.name, name));
				cr_assert(eq(int, e.pid, 1000 + (int)(s - base)));
			}
		}
	}
	cr_assert(eq(u64, events_next() - events_first(), EVENTS_MAX));
}

Test(events, a_crash_report_is_copied_and_rendered)
{
	const char *lines[] = { "first", "with \"quotes\"" };
	struct event e = { .kind = EVENT_EXITED, .worker = true, .pid = 42, .name = "web",
			   .supervisor = "root", .reason = "exit:3", .n_lines = 2, .lines = lines };
	struct event got_e, *got = &got_e;
	struct jbuf b = { 0 };
	char *nl;

	cr_assert(eq(int, events_record(&e), 0));
	cr_assert(events_get(events_next() - 1, got));
	cr_assert(got->lines != lines);
	cr_assert(eq(str, (char *)got->lines[1], "with \"quotes\""));
	event_render(&b, got, true);
	nl = strstr(b.p, "\"event\"");
	cr_assert(nl != NULL);
	cr_assert(eq(str, nl, "\"event\":\"exited\",\"name\":\"web\",\"supervisor\":\"root\","
			      "\"type\":\"worker\",\"pid\":42,\"reason\":\"exit:3\","
			      "\"lines\":[\"first\",\"with \\\"quotes\\\"\"]}\n"));
	jbuf_free(&b);
	event_render(&b, got, false);
	nl = strchr(b.p, ' ');
	cr_assert(nl && strstr(nl + 1, " web exited exit:3 pid 42\n    | first\n    | with \"quotes\"\n"));
	jbuf_free(&b);
}

Test(events, missed_and_gave_up_counts)
{
	uint64_t d = events_dropped();

	events_dropped_add(5);
	cr_assert(eq(u64, events_dropped(), d + 5));
	cr_assert(eq(u64, events_gave_up_count("sup"), 0));
	events_gave_up_add("sup");
	events_gave_up_add("sup");
	events_gave_up_add("other");
	cr_assert(eq(u64, events_gave_up_count("sup"), 2));
	cr_assert(eq(u64, events_gave_up_count("other"), 1));
}

Test(events, crash_reports_are_bounded_in_bytes_as_well_as_in_number)
{
	static char big[EVENT_REPORT_LINE_MAX];
	const char *lines[EVENT_REPORT_LINES];
	struct event e = { .kind = EVENT_EXITED, .worker = true, .pid = 7, .name = "loop",
			   .supervisor = "root", .reason = "exit:1", .n_lines = EVENT_REPORT_LINES,
			   .lines = lines };
	struct event got;
	uint64_t first;
	int n = 0;

	memset(big, 'x', sizeof(big) - 1);
	for (int i = 0; i < EVENT_REPORT_LINES; i++)
		lines[i] = big;
	for (int i = 0; i < EVENTS_MAX; i++)
		cr_assert(eq(int, events_record(&e), 0));
	/* 1024 reports of 10 x 511 bytes would be 5 MiB: the budget keeps ~50. */
	first = events_first();
	cr_assert(gt(u64, first, events_next() - EVENTS_MAX));
	for (uint64_t s = first; s < events_next(); s++, n++)
		cr_assert(events_get(s, &got));
	/* Each holds 10 x 512 bytes of lines and ~80 of the rest. */
	cr_assert(le(int, n * EVENT_REPORT_LINES * EVENT_REPORT_LINE_MAX, EVENTS_BYTES_MAX));
	cr_assert(gt(int, (n + 1) * (EVENT_REPORT_LINES * EVENT_REPORT_LINE_MAX + 100), EVENTS_BYTES_MAX));
	cr_assert(eq(str, (char *)got.lines[9], big));
	/* A small event still comes in, the oldest reports go. */
	record_started("after", 9);
	cr_assert(events_get(events_next() - 1, &got));
	cr_assert(eq(str, (char *)got.name, "after"));
}

/* Re-execution: the ring saved and read back holds the same events, under
 * the same numbers, and numbering goes on after them. */
Test(events, saved_and_restored_with_their_numbers)
{
	static const char *const report[] = { "panic: one", "at two" };
	struct event crash = { .kind = EVENT_EXITED, .worker = true, .pid = 7, .name = "db",
			       .supervisor = "root", .reason = "exit 3", .lines = report,
			       .n_lines = 2 };
	struct st_buf b = { 0 };
	struct event e, f;
	uint64_t first, next;
	char keep[EVENTS_MAX][64];
	struct st_rd rd;

	for (int i = 0; i < EVENTS_MAX + 5; i++) {
		if (i % 7 == 0)
			cr_assert(eq(int, events_record(&crash), 0));
		else
			record_started(i % 2 ? "odd" : "even", 100 + i);
	}
	first = events_first();
	next = events_next();
	for (uint64_t s = first; s < next; s++) {
		cr_assert(events_get(s, &e));
		snprintf(keep[(s - first) % EVENTS_MAX], sizeof(keep[0]), "%lld %s %s %d %s %zu %s",
			 (long long)e.time_ms, e.name, e.supervisor, (int)e.pid, e.reason, e.n_lines,
			 e.n_lines ? e.lines[1] : "-");
	}
	events_save(&b);
	cr_assert(not(b.oom));
	rd = (struct st_rd){ b.p, b.len };
	cr_assert(eq(int, events_restore(&rd, true), 0));
	cr_assert(eq(int, events_restore(&rd, false), 0));
	cr_assert(eq(u64, events_first(), first));
	cr_assert(eq(u64, events_next(), next));
	for (uint64_t s = first; s < next; s++) {
		char got[64];

		cr_assert(events_get(s, &f));
		cr_assert(eq(u64, f.seq, s));
		snprintf(got, sizeof(got), "%lld %s %s %d %s %zu %s", (long long)f.time_ms, f.name,
			 f.supervisor, (int)f.pid, f.reason, f.n_lines, f.n_lines ? f.lines[1] : "-");
		cr_expect(eq(str, got, keep[(s - first) % EVENTS_MAX]));
	}
	record_started("after", 1);
	cr_assert(events_get(next, &e));
	cr_assert(eq(str, (char *)e.name, "after"));
	/* A state cut short is refused. */
	rd.n = 10;
	cr_expect(lt(int, events_restore(&rd, true), 0));
	st_buf_free(&b);
}
