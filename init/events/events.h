/*
 * events.h: what happened to the tree, as a stream of numbered events
 * (otpctl events, otpctl(1) EVENTS).
 *
 * A watcher of the doorway (core.h) turns the core's actions and the
 * notes from outside it into events: a worker started (its pid), became
 * ready, exited by itself or was stopped (with the reason and, for an
 * abnormal end, the last lines it wrote: OTP's crash report), a restart
 * was decided (its delay), a supervisor gave up (intensity, which child)
 * and escalated to its parent, a reload was applied or failed, a node was
 * frozen or thawed, an upgrade started, stayed, failed or was rolled back.
 *
 * Each event has a sequence number (1, 2, ... for the life of this otpd,
 * never reused) and a realtime timestamp.  The last EVENTS_MAX events, or
 * fewer when they hold more than EVENTS_BYTES_MAX (crash reports), are
 * kept in a ring: a reader that knows the last number it saw gets what
 * followed from the ring, or learns how many it missed.  An event is one
 * packed allocation of the size it needs (a start: ~64 bytes), freed when
 * the ring moves past it; nothing is allocated while nothing happens.  Listeners (control's
 * followers) hear each event as it is recorded, inside the batch: they
 * only queue output for their own clients.
 */
#ifndef OTPD_INIT_EVENTS_H
#define OTPD_INIT_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define EVENTS_MAX 1024                 /* events kept for readers that come back */
#define EVENTS_BYTES_MAX (256 * 1024)   /* ... and the memory they may hold */
#define EVENT_REPORT_LINES 10           /* a crash report: the last lines of output, */
#define EVENT_REPORT_LINE_MAX 512       /* each cut to this many bytes */

enum event_kind {
	EVENT_STARTED,          /* a worker's process started: pid */
	EVENT_READY,            /* a node is running (a worker: ready) */
	EVENT_EXITED,           /* a node ended by itself (a crash, or a clean exit) */
	EVENT_STOPPED,          /* otpd stopped it (stop, restart, group restart, shutdown) */
	EVENT_RESTARTING,       /* a restart was decided: delay_ms */
	EVENT_GAVE_UP,          /* a supervisor reached its intensity: other = the child */
	EVENT_ESCALATED,        /* ... and exits: other = the parent that hears of it */
	EVENT_RELOADED,         /* a reload applied a configuration */
	EVENT_RELOAD_FAILED,    /* a reload changed nothing: reason */
	EVENT_FROZEN,
	EVENT_THAWED,
	EVENT_UPGRADE_STARTED,  /* otpctl upgrade: reason = NEW's path, delay_ms = the window */
	EVENT_UPGRADED,         /* the window passed: reason = NEW's path */
	EVENT_UPGRADE_FAILED,   /* NEW not applied, nothing changed: reason = path, detail = why */
	EVENT_ROLLED_BACK,      /* other = the child to blame, reason = its last exit, detail = why */
	EVENT_ROLLBACK_FAILED,  /* the same, detail = why the rollback failed */
};

struct event {
	uint64_t seq;
	int64_t time_ms;                /* CLOCK_REALTIME, ms since the epoch */
	enum event_kind kind;
	bool worker;                    /* the node is a worker (else a supervisor) */
	pid_t pid;                      /* started, exited, stopped: the process; 0: none */
	int intensity;                  /* gave_up */
	int64_t period_ms;              /* gave_up */
	int64_t delay_ms;               /* restarting: restart_delay */
	unsigned restarts;              /* restarting: restarts of the node before this one */
	const char *name;               /* the node; "" for reloads */
	const char *supervisor;         /* its parent; "" for the root and reloads */
	const char *other;              /* gave_up: the child; escalated: the parent; else "" */
	const char *reason;             /* exited, stopped: the exit reason; reload_failed;
	                                   upgrades (above) */
	const char *detail;             /* upgrade_failed, rolled_back, rollback_failed: why */
	size_t n_lines;                 /* exited, stopped (abnormal): the crash report, */
	const char *const *lines;       /* oldest first */
	const char *line_v[EVENT_REPORT_LINES];  /* events_get: where lines point */
};

/* Watch the doorway: from now on, events are recorded.  0 or -ENOMEM. */
int events_init(void);
void events_fini(void);

/* "started", "ready", "exited", ... as otpctl shows them. */
const char *event_kind_str(enum event_kind k);

/* The oldest event held (== events_next() while none is). */
uint64_t events_first(void);
/* The number the next event will have (the last one's + 1). */
uint64_t events_next(void);
/*
 * Event `seq` into *e (its strings point into the ring: valid until the
 * next event is recorded); false when it is not held (not yet, or the
 * ring moved past it).
 */
bool events_get(uint64_t seq, struct event *e);

/* A listener hears every event as it is recorded. */
struct events_listener {
	void (*fn)(struct events_listener *l, const struct event *e);
	struct events_listener *next;
};
void events_listen(struct events_listener *l);

/*
 * Record `e` (watch.c): its strings and lines are copied; seq and time_ms
 * are set here.  Listeners hear it.  0, or -ENOMEM (counted in
 * events_lost()).
 */
int events_record(const struct event *e);
/* Count a give-up of supervisor `name` (watch.c). */
void events_gave_up_add(const char *name);
/* Free what the ring holds (events_fini). */
void events_ring_free(void);

/* --- counters (otpctl metrics) ------------------------------------------- */

/* Events readers missed because they were too slow (told to them). */
void events_dropped_add(uint64_t n);
uint64_t events_dropped(void);
/* Events that could not be recorded (out of memory). */
uint64_t events_lost(void);
/* How many times supervisor `name` gave up, since otpd started. */
uint64_t events_gave_up_count(const char *name);

/*
 * --- re-execution (otpd(8), RE-EXECUTION) ---------------------------------
 * The events held, their numbers and times, and the counters, so that
 * `otpctl events --since SEQ` goes on across a re-execution.  Restore
 * (after events_init): 0 or -EBADMSG; dry only reads.
 */
struct st_buf;
struct st_rd;
void events_save(struct st_buf *b);
int events_restore(const struct st_rd *r, bool dry);

#endif
