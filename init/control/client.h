/*
 * client.h: what the files of init/control/ share: a client's life
 * (control.c), the verbs (verbs.c), and the renderings (status*.c).
 */
#ifndef OTPD_INIT_CONTROL_CLIENT_H
#define OTPD_INIT_CONTROL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../ipc/ipc.h"
#include "../core.h"
#include "../output/output.h"
#include "control.h"

struct ctl_client;
struct ipc_conn *ctl_client_conn(struct ctl_client *cl);
/* Queue END(code); the client is freed once it is flushed. */
void ctl_client_end(struct ctl_client *cl, int code);
/*
 * Fail the request: one line "otpctl: MESSAGE" on the client's stderr, or
 * with --json {"ok":false,"error":ERROR,"message":MESSAGE} on its stdout;
 * then END(code).  ERROR is a word a program can test ("not_found",
 * "usage", ...: otpctl(1) JSON OUTPUT).
 */
void ctl_client_fail(struct ctl_client *cl, int code, const char *error, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Succeed: "ok" (say_ok), or `name`, or nothing; with --json
 * {"ok":true} (with "name" when given); then END(0). */
void ctl_client_ok(struct ctl_client *cl, const char *name, bool say_ok);
/* Did the request ask for --json? */
bool ctl_client_json(const struct ctl_client *cl);
struct jbuf;
/* Queue the JSON document in b (a newline is added) and free b.  0 or -errno. */
int ctl_client_doc(struct ctl_client *cl, struct jbuf *b);
/*
 * Follow the events (otpctl events): from the one after `since` when
 * has_since, else from the next one (follow) or the oldest held; without
 * `follow`, end after the last one.  0 or -errno.
 */
int ctl_client_events(struct ctl_client *cl, bool has_since, uint64_t since, bool follow);
/*
 * The client waits for the core's reply to a command about `name`: hand
 * the returned requester to the core_cmd_*.  On success it prints "ok", or
 * the reply node's name if print_node.
 */
struct core_req *ctl_client_await_reply(struct ctl_client *cl, const char *name,
					bool print_node);
/* The same for core_reload(), whose lines the client hears as it goes. */
struct core_talk *ctl_client_await_reload(struct ctl_client *cl);
/* The same for core_upgrade(): its lines, then its verdict. */
struct core_talk *ctl_client_await_upgrade(struct ctl_client *cl);
/* The same for another verb that talks as it goes (reexec): its error
 * lines say "otpctl: VERB: ". */
struct core_talk *ctl_client_await_talk(struct ctl_client *cl, const char *verb);
/* Wait until node `name` is in rendered state `state`, until `deadline`;
 * then print "ok" if say_ok. */
void ctl_client_await_state(struct ctl_client *cl, const char *name, const char *state,
			    int64_t deadline, bool say_ok);
/* How `otpctl logs` prints entries: the lines as they are, with a time in
 * front (--time), or one JSON object each (--json). */
enum logs_fmt { LOGS_PLAIN, LOGS_TIME, LOGS_JSON };
/*
 * Stream new entries of `ring` (node `name`) in `fmt` until the client
 * goes.  0 or -errno.
 */
int ctl_client_follow(struct ctl_client *cl, struct log_ring *ring, const char *name,
		      enum logs_fmt fmt);
/*
 * Queue one entry of worker `name` for the client as fmt renders it; the
 * start of a process in plain text goes to its stderr, and only when
 * following.  -ENOBUFS when full.
 */
int ctl_client_entry(struct ctl_client *cl, const char *name, const struct log_entry *e,
		     enum logs_fmt fmt, bool follow);
/* verbs.c: handle one request.  The client may be freed on return. */
void ctl_dispatch(struct ctl_client *cl, int argc, const char **argv);

/* status.c: status and count, text or JSON, appended to a client's output. */
void status_render(struct ipc_conn *c, struct sup_node *n, bool json);
void count_render(struct ipc_conn *c, struct sup_node *n, bool json);
/* logs --json: {"name": NAME, "lines": [...]}, the last n lines of r (0:
 * all; r NULL: none) and the starts among them, as logs_entry_render's objects. */
void logs_render_json(struct ipc_conn *c, struct sup_node *n, const struct log_ring *r,
		      unsigned n_lines);
/*
 * One entry of worker `name`, with its newline: plain, the line; time,
 * "Dec 07 12:34:56.789 name[pid]: line" (local time) or "... -- name[pid]
 * started --"; json, {"time":MS,"stream":"stdout","pid":N,"line":"..."}
 * or {"time":MS,"event":"start","pid":N}.
 */
struct jbuf;
void logs_entry_render(struct jbuf *b, const char *name, const struct log_entry *e,
		       enum logs_fmt fmt);

/* events.c: one event (text: a line, and its crash report indented;
 * JSON: one object a line); what a follower missed; a --since ahead. */
struct event;
void event_render(struct jbuf *b, const struct event *e, bool json);
void event_render_missed(struct jbuf *b, uint64_t from, uint64_t to, bool json);
void event_render_reset(struct jbuf *b, uint64_t since, uint64_t last, bool json);

/* hook.c: events = worker:NAME (otp.conf(5)), from control_init on. */
void hook_init(void);
void hook_fini(void);
/* Re-execution: the hook's connection and place in the events (control.h). */
void hook_save(struct st_buf *b);
int hook_restore(const struct st_rd *r, bool dry);

/* metrics.c: the Prometheus text format (or --json: its samples). */
void metrics_render(struct ipc_conn *c, bool json);

/* health.c: is the tree up?  Says what is not; IPC_EXIT_OK or _REFUSED. */
int health_render(struct ipc_conn *c, bool json);

/* status_sandbox.c: the sandbox of worker w, as a "sandbox" member of its
 * open JSON object, or as text lines (nothing for a worker without a
 * configuration). */
struct jbuf;
struct ws;
void status_sandbox_json(struct jbuf *b, struct ws *w);
void status_sandbox_text(struct jbuf *b, struct ws *w);

#endif
