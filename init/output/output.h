/*
 * output.h: what workers print.
 *
 * Each worker's stdout (and stderr, when it goes to the log) is a pipe
 * otpd holds across restarts (pipe.c): nothing a dying worker wrote is
 * lost.  Lines go to otpd's own stdout through a writer that never blocks
 * (stdout.c: it queues up to a bound, then drops and counts) and into the
 * worker's ring of recent lines for `otpctl logs` (ring.c), whose
 * subscribers (`logs -f`) see each new line.
 */
#ifndef OTPD_INIT_OUTPUT_H
#define OTPD_INIT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct st_buf;
struct st_rd;

/* --- ring.c: the last N lines of a worker --------------------------------- */

struct log_ring;
typedef void (*log_sub_fn)(void *data, const char *line, size_t len);

struct log_ring *log_ring_new(unsigned max_lines);
void log_ring_free(struct log_ring *r);
void log_ring_push(struct log_ring *r, const char *line, size_t len);
/* Call fn for each of the last n lines (n = 0: all), oldest first. */
void log_ring_each(const struct log_ring *r, unsigned n, log_sub_fn fn, void *data);
/* Returns a subscription id > 0, or -ENOMEM. */
int log_ring_subscribe(struct log_ring *r, log_sub_fn fn, void *data);
void log_ring_unsubscribe(struct log_ring *r, int id);

/*
 * --- pipe.c: a pipe a worker writes its stdout (or stderr) to -------------
 * otpd keeps both ends across restarts and splits what arrives into lines;
 * each line goes to otpd's stdout as "name[pid]: line" and into the ring.
 * Lines longer than OUT_LINE_MAX are cut into pieces; a partial last line
 * is flushed when the pipe is idle at EOF or when the worker is replaced.
 * Binary bytes are passed through except NUL and other control
 * characters, which are escaped as \xNN.
 */
#define OUT_LINE_MAX 4096
struct out_pipe;

struct out_pipe *out_pipe_new(const char *name, struct log_ring *ring);
void out_pipe_free(struct out_pipe *p);
/* The write end to hand to a child (close-on-exec in otpd). */
int out_pipe_wfd(const struct out_pipe *p);
/*
 * Before a new process of the worker starts: what the pipe holds now was
 * written by the previous one, and is read and labelled with its pid.
 */
void out_pipe_settle(struct out_pipe *p);
/*
 * The pid prefixed to lines from now on (the process just started).  Call
 * it before the loop runs again: the new process may have written already.
 */
void out_pipe_set_pid(struct out_pipe *p, pid_t pid);

/*
 * --- stdout.c: otpd's stdout, never blocking ------------------------------
 * Lines are queued up to a bound and written when fd 1 is writable; past
 * the bound they are dropped and counted, and a marker "otpd: N lines
 * dropped" line is written once the queue drains.
 */
int out_stdout_init(void);
void out_stdout_line(const char *name, pid_t pid, const char *line, size_t len);
uint64_t out_stdout_dropped(void);
/* Flush as much as possible without blocking (shutdown). */
void out_stdout_flush(void);

/*
 * --- re-execution (otpd(8), RE-EXECUTION) --------------------------------
 * What otpd holds in memory of workers' output goes into the saved state
 * and comes back in the new image: the lines of each ring (a line is an
 * item holding items: its text now, its pid, time and stream when rings
 * keep them: readers skip what they do not know), the part of a line a
 * pipe has read before its newline, with both ends of the pipe (what is
 * still in the pipe waits there for the new image), and what is queued
 * for otpd's stdout with the drop counters.  Restores: 0 or -errno; dry
 * only reads.
 */
void log_ring_save(const struct log_ring *r, struct st_buf *b);
int log_ring_restore(struct log_ring *r, const struct st_rd *rd);
void out_pipe_save(const struct out_pipe *p, struct st_buf *b);
/* The pipe of worker `name` as it was saved (its source watched again). */
int out_pipe_restore(const struct st_rd *rd, const char *name, struct log_ring *ring, bool dry,
		     struct out_pipe **ret);
void out_stdout_save(struct st_buf *b);
int out_stdout_restore(const struct st_rd *rd, bool dry);

#endif
