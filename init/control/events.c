/*
 * events.c: how `otpctl events` shows an event (otpctl(1) EVENTS).
 *
 * Text, one line an event, then its crash report indented:
 *   SEQ TIME NAME EVENT DETAILS
 *   17 2026-12-07T07:13:59.123Z web exited exit:3 pid 4242
 *       | panic: cannot open /data
 * JSON, one object a line:
 *   {"seq":17,"time":"2026-12-07T07:13:59.123Z","time_ms":1796627639123,
 *    "event":"exited","name":"web","supervisor":"root","type":"worker",
 *    "pid":4242,"reason":"exit:3","lines":["panic: cannot open /data"]}
 * Members a kind of event has not are left out (otpctl(1) lists them).
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "../events/events.h"
#include "client.h"
#include "json.h"

/* "2026-12-07T07:13:59.123Z" */
static void ev_time(char *buf, size_t len, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) ||
	    !strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, len, "%" PRId64, ms);
		return;
	}
	snprintf(buf + 19, len - 19, ".%03dZ", (int)(ms % 1000));
}

static void ev_text(struct jbuf *b, const struct event *e)
{
	char when[40];

	ev_time(when, sizeof(when), e->time_ms);
	jbuf_printf(b, "%" PRIu64 " %s %s %s", e->seq, when, e->name[0] ? e->name : "-",
		    event_kind_str(e->kind));
	switch (e->kind) {
	case EVENT_STARTED:
		jbuf_printf(b, " pid %d", (int)e->pid);
		break;
	case EVENT_EXITED:
	case EVENT_STOPPED:
		jbuf_printf(b, " %s", e->reason);
		if (e->pid > 0)
			jbuf_printf(b, " pid %d", (int)e->pid);
		break;
	case EVENT_RESTARTING:
		jbuf_printf(b, " in %" PRId64 "ms (restarts %u)", e->delay_ms, e->restarts);
		break;
	case EVENT_GAVE_UP:
		jbuf_printf(b, " child %s, intensity %d in %" PRId64 "ms", e->other, e->intensity,
			    e->period_ms);
		break;
	case EVENT_ESCALATED:
		jbuf_printf(b, " to %s", e->other);
		break;
	case EVENT_RELOAD_FAILED:
	case EVENT_UPGRADED:
		jbuf_printf(b, " %s", e->reason);
		break;
	case EVENT_UPGRADE_STARTED:
		jbuf_printf(b, " %s within %" PRId64 "ms", e->reason, e->delay_ms);
		break;
	case EVENT_UPGRADE_FAILED:
		jbuf_printf(b, " %s: %s", e->reason, e->detail);
		break;
	case EVENT_ROLLED_BACK:
	case EVENT_ROLLBACK_FAILED:
		jbuf_printf(b, " child %s %s: %s", e->other[0] ? e->other : "-", e->reason,
			    e->detail);
		break;
	default:
		break;
	}
	jbuf_puts(b, "\n");
	for (size_t i = 0; i < e->n_lines; i++)
		jbuf_printf(b, "    | %s\n", e->lines[i]);
}

static void ev_json_node(struct jbuf *b, const struct event *e)
{
	if (!e->name[0])
		return;
	json_kv_str(b, "name", e->name);
	json_kv_str(b, "supervisor", e->supervisor[0] ? e->supervisor : NULL);
	json_kv_str(b, "type", e->worker ? "worker" : "supervisor");
}

static void ev_json_kind(struct jbuf *b, const struct event *e)
{
	switch (e->kind) {
	case EVENT_STARTED:
		json_kv_int(b, "pid", e->pid);
		break;
	case EVENT_EXITED:
	case EVENT_STOPPED:
		json_key(b, "pid");
		if (e->pid > 0)
			json_int(b, e->pid);
		else
			json_null(b);
		json_kv_str(b, "reason", e->reason);
		json_key(b, "lines");
		json_arr_begin(b);
		for (size_t i = 0; i < e->n_lines; i++)
			json_str(b, e->lines[i]);
		json_arr_end(b);
		break;
	case EVENT_RESTARTING:
		json_kv_int(b, "delay_ms", e->delay_ms);
		json_kv_int(b, "restarts", e->restarts);
		break;
	case EVENT_GAVE_UP:
		json_kv_str(b, "child", e->other);
		json_kv_int(b, "intensity", e->intensity);
		json_kv_int(b, "period_ms", e->period_ms);
		break;
	case EVENT_ESCALATED:
		json_kv_str(b, "to", e->other);
		break;
	case EVENT_RELOAD_FAILED:
		json_kv_str(b, "reason", e->reason);
		break;
	case EVENT_UPGRADE_STARTED:
		json_kv_str(b, "config", e->reason);
		json_kv_int(b, "within_ms", e->delay_ms);
		break;
	case EVENT_UPGRADED:
		json_kv_str(b, "config", e->reason);
		break;
	case EVENT_UPGRADE_FAILED:
		json_kv_str(b, "config", e->reason);
		json_kv_str(b, "reason", e->detail);
		break;
	case EVENT_ROLLED_BACK:
	case EVENT_ROLLBACK_FAILED:
		json_kv_str(b, "child", e->other[0] ? e->other : NULL);
		json_kv_str(b, "last_exit", e->reason);
		json_kv_str(b, "reason", e->detail);
		break;
	default:
		break;
	}
}

void event_render(struct jbuf *b, const struct event *e, bool json)
{
	char when[40];

	if (!json) {
		ev_text(b, e);
		return;
	}
	ev_time(when, sizeof(when), e->time_ms);
	json_obj_begin(b);
	json_kv_int(b, "seq", (int64_t)e->seq);
	json_kv_str(b, "time", when);
	json_kv_int(b, "time_ms", e->time_ms);
	json_kv_str(b, "event", event_kind_str(e->kind));
	ev_json_node(b, e);
	ev_json_kind(b, e);
	json_obj_end(b);
	jbuf_puts(b, "\n");
}

void event_render_missed(struct jbuf *b, uint64_t from, uint64_t to, bool json)
{
	if (json)
		jbuf_printf(b, "{\"event\":\"missed\",\"count\":%" PRIu64 ",\"first\":%" PRIu64
			       ",\"last\":%" PRIu64 "}\n", to - from + 1, from, to);
	else
		jbuf_printf(b, "otpctl: missed %" PRIu64 " events (%" PRIu64 " to %" PRIu64
			       "): the reader was too slow, or they are older than the last %d "
			       "otpd keeps\n", to - from + 1, from, to, EVENTS_MAX);
}

void event_render_reset(struct jbuf *b, uint64_t since, uint64_t last, bool json)
{
	if (json)
		jbuf_printf(b, "{\"event\":\"reset\",\"since\":%" PRIu64 ",\"last\":%" PRIu64 "}\n",
			    since, last);
	else
		jbuf_printf(b, "otpctl: event %" PRIu64 " is past otpd's last (%" PRIu64 "): otpd "
			       "restarted; here is every event it holds\n", since, last);
}
