/*
 * output.h: what workers print.
 *
 * Each process of a worker gets fresh pipes for its stdout and stderr
 * (pipe.c); otpd keeps only the read ends, so EOF comes once the process
 * and whatever it left behind are gone, and the pipe then frees itself.
 * Each line becomes an entry (time, stream, pid, text) handed to the
 * worker's sink (sink.c), which keeps it in the worker's ring of recent
 * entries for `otpctl logs` (ring.c; subscribers are `logs -f`) and sends
 * it where the configuration says:
 *
 *   log      otpd's stdout (stdout lines) or stderr (stderr lines) as
 *            "name[pid]: line" (std.c), or the journal (journal.c)
 *   file     a file otpd writes, rotated by size (file.c)
 *
 * Nothing here ever blocks otpd: every destination is written through a
 * bounded queue (queue.c) that drops and counts what does not fit, and
 * says "N lines dropped" once it can write again.
 *
 * Lifetimes: a sink is shared by its worker's shell state and by every
 * pipe still draining; the last one to let go frees it (and its ring), so
 * a pipe that drains after its worker left the tree never touches freed
 * memory.
 */
#ifndef OTPD_INIT_OUTPUT_H
#define OTPD_INIT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct st_buf;
struct st_rd;

/* --- entries ---------------------------------------------------------------- */

enum out_stream { OUT_START = 0, OUT_STDOUT = 1, OUT_STDERR = 2 };

/*
 * One captured line, or (OUT_START) the start of a new process of the
 * worker, which has no text.  line need not be NUL-terminated.
 */
struct log_entry {
	int64_t time_ms;                /* CLOCK_REALTIME, milliseconds */
	pid_t pid;
	enum out_stream stream;
	const char *line;
	size_t len;
};

/* "stdout", "stderr", "start". */
const char *out_stream_name(enum out_stream s);
/* CLOCK_REALTIME in milliseconds. */
int64_t out_realtime_ms(void);

/* --- ring.c: the last N entries of a worker ----------------------------------- */

struct log_ring;
typedef void (*log_sub_fn)(void *data, const struct log_entry *e);

struct log_ring *log_ring_new(unsigned max_lines);
void log_ring_free(struct log_ring *r);
void log_ring_push(struct log_ring *r, const struct log_entry *e);
/*
 * Call fn for each of the last n lines (n = 0: all), oldest first, and
 * (starts) for the starts of processes among them, which n does not count.
 */
void log_ring_each(const struct log_ring *r, unsigned n, bool starts, log_sub_fn fn, void *data);
/* Returns a subscription id > 0, or -ENOMEM. */
int log_ring_subscribe(struct log_ring *r, log_sub_fn fn, void *data);
void log_ring_unsubscribe(struct log_ring *r, int id);

/* --- sink.c: where a worker's lines go ------------------------------------ */

enum out_dest { OUT_TO_NONE, OUT_TO_LOG, OUT_TO_FILE };
enum out_log_target { OUT_TARGET_AUTO, OUT_TARGET_STDOUT, OUT_TARGET_JOURNAL };

/* What the configuration says, for one start of a worker. */
struct out_targets {
	enum out_dest dest[3];          /* by stream: [OUT_STDOUT], [OUT_STDERR] */
	const char *path[3];            /* OUT_TO_FILE */
	int64_t max_size;               /* rotate a file at this size; 0: never */
	unsigned keep;                  /* rotated files kept */
	enum out_log_target log_target; /* where OUT_TO_LOG goes */
};

struct out_sink;

/* A sink for worker `name` with a ring of `log_lines` entries; NULL: ENOMEM. */
struct out_sink *out_sink_new(const char *name, unsigned log_lines);
/* The worker lets go; the sink lives on while a pipe still drains into it. */
void out_sink_release(struct out_sink *s);
struct log_ring *out_sink_ring(const struct out_sink *s);
/*
 * Before each start: the worker's supervisor (journal field) and targets.
 * 0, or -errno when a file target could not be set up (its lines are then
 * kept in the ring only).
 */
int out_sink_target(struct out_sink *s, const char *supervisor, const struct out_targets *t);
/* A new process of the worker: an OUT_START entry in the ring, just
 * before its first line (a silent worker costs no ring). */
void out_sink_started(struct out_sink *s, pid_t pid);
/* A captured line: into the ring and to its stream's destination. */
void out_sink_line(struct out_sink *s, const struct log_entry *e);
/* Close the sink's files; they are opened again at the next line. */
void out_sink_reopen(struct out_sink *s);

/*
 * --- pipe.c: a pipe one process writes its stdout or stderr to ---------
 * Lines longer than OUT_LINE_MAX are cut into pieces; a partial last line
 * is emitted at EOF.  Bytes >= 0x80 and tabs pass as they are; NUL and
 * other control characters are escaped as \xNN.
 */
#define OUT_LINE_MAX 4096
struct out_pipe;

/*
 * A new pipe for stream `st` of a process about to start; *ret_wfd is the
 * write end (close-on-exec) for the child, which the caller closes right
 * after the spawn.  NULL and errno on failure.
 */
struct out_pipe *out_pipe_open(struct out_sink *s, enum out_stream st, int *ret_wfd);
/* The pid its lines are labelled with (the process just started). */
void out_pipe_set_pid(struct out_pipe *p, pid_t pid);
/*
 * The process is gone (or never started): read what the pipe holds now,
 * then let it drain by itself until EOF.  The caller must forget p.
 */
void out_pipe_detach(struct out_pipe *p);

/*
 * --- std.c: otpd's own stdout and stderr, never blocking ------------------
 * Worker lines are queued up to a bound and written when the fd takes
 * them; past the bound they are dropped and counted, and an "otpd: N
 * lines dropped" line follows once the queue drains.  otpd's own messages
 * (base/log.c) go through the stderr queue too, so that they never cut a
 * worker's line in two.
 */
int out_std_init(void);
void out_std_line(enum out_stream st, const char *name, pid_t pid, const char *line, size_t len);
/* Lines dropped on otpd's stdout and stderr since it started. */
uint64_t out_std_dropped(void);
/* Write whatever is queued anywhere, as far as possible without blocking. */
void out_flush(void);

/* --- logger.c: stdout = worker:NAME ---------------------------------------- */

/*
 * The pipe into logger worker `name`, made at its first use and held by
 * otpd (close-on-exec; the caller never closes either end).  NULL ret_*
 * are not wanted.  0, or -errno.
 */
int out_logger_pipe(const char *name, int *ret_rfd, int *ret_wfd);
/*
 * After a reload: close the pipes of loggers keep() says nobody logs to
 * any more (keep NULL: all of them, at exit).
 */
void out_loggers_keep(bool (*keep)(const char *name, void *data), void *data);

/* --- file.c -------------------------------------------------------------- */

/* Close every file target; each is opened again at its next line (SIGHUP). */
void out_files_reopen(void);

/*
 * --- save.c: re-execution (otpd(8), RE-EXECUTION) -------------------------
 * What otpd holds of workers' output goes into the saved state and comes
 * back in the new image (the OUTPUT section): otpd's stdout and stderr
 * queues with their drop counters, the journal's, what waits in each file
 * target's queue (the file itself is opened again by its path at its
 * next line), and every sink with its ring of entries (time, stream,
 * pid, text), its destinations and its pipes: the read end of each (kept
 * open across the exec; what is in it waits there for the new image),
 * its stream, pid label and the part of a line read before its newline,
 * for running processes and for gone ones whose pipes still drain.
 * Restores: 0 or -errno; dry only reads.
 */
void out_save(struct st_buf *b);
/* log_lines: a ring's size when the state does not say. */
int out_restore(const struct st_rd *rd, unsigned log_lines, bool dry);
/* The number a sink is saved under (out_save numbers them), 0: none. */
uint64_t out_sink_saved_id(const struct out_sink *s);
/*
 * After out_restore: the sink saved under `id`, handed to its worker
 * (which then holds the reference), with the pipes of its running process
 * (NULL: none).  NULL when there is no such sink.
 */
struct out_sink *out_sink_adopt(uint64_t id, struct out_pipe **ret_out, struct out_pipe **ret_err);
/* Every worker has adopted its sink: the others live on only while a
 * pipe still drains into them. */
void out_restore_done(void);

#endif
