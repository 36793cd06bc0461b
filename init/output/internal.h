/*
 * internal.h: private to init/output/.
 *
 * queue.c: a bounded queue of whole lines in
 * front of one fd (otpd's stdout or stderr, a file, a FIFO, a terminal),
 * written without ever blocking otpd.
 *
 * Lines are appended whole or not at all: one that does not fit is
 * dropped and counted.  The queue is written by out_flush() (after each
 * batch of lines), or as soon as the fd is writable again when a write
 * saw EAGAIN (EPOLLOUT is watched only then).  A write that fails
 * otherwise (EPIPE, ENOSPC, EIO ...) drops what is queued and counts its
 * lines; once a write works again, the owner's marker ("N lines dropped")
 * goes first.  A line cut by a short write is ended before the marker.
 */
#ifndef OTPD_INIT_OUTPUT_INTERNAL_H
#define OTPD_INIT_OUTPUT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "../base/base.h"
#include "output.h"

#define OQ_MARKER_MAX 128

struct out_queue;
/* Format the "N lines dropped" line (ending in '\n') into buf; its length. */
typedef size_t (*oq_marker_fn)(struct out_queue *q, char *buf, size_t size, uint64_t n);
/* A write failed with err (not EAGAIN); the queue was dropped already. */
typedef void (*oq_error_fn)(struct out_queue *q, int err);
/* The marker reporting n lost lines was written: the target works again. */
typedef void (*oq_resume_fn)(struct out_queue *q, uint64_t n);

struct out_queue {
	char *buf;                      /* circular, cap bytes, allocated at the first line */
	size_t cap, head, len;
	int fd;                         /* -1: nowhere to write (lines wait or drop) */
	bool socket;                    /* write with send(MSG_DONTWAIT) */
	bool dirty;                     /* on the list out_flush() writes */
	bool at_line_start;             /* the last byte written was a newline */
	uint64_t dropped;               /* lines lost since the queue was made */
	uint64_t unreported;            /* lost since the last marker */
	size_t marker_left;             /* unsent bytes of the marker at the head */
	uint64_t marker_n;              /* the count that marker reports */
	oq_marker_fn marker;
	oq_error_fn on_error;           /* may be NULL */
	oq_resume_fn on_resume;         /* may be NULL */
	void *data;                     /* the owner's */
	struct ev_source src;           /* EPOLLOUT, while a write waits */
	struct out_queue *next_dirty;
};

/* An empty queue of `cap` bytes writing to nothing yet. */
void oq_init(struct out_queue *q, size_t cap, oq_marker_fn marker, void *data);
/* Write to fd from now on (-1: nowhere); what is queued stays. */
void oq_set_fd(struct out_queue *q, int fd, bool socket);
/* Free the buffer, stop watching; the queue must not be used again before oq_init. */
void oq_fini(struct out_queue *q);
/*
 * Append one line (the pieces of iov, which end with '\n').  0, or
 * -ENOBUFS: no room, the line is dropped and counted.
 */
int oq_put(struct out_queue *q, const struct iovec *iov, int n);
/* Append bytes that are not a line of a worker (otpd's own messages). */
int oq_put_raw(struct out_queue *q, const char *s, size_t n);
/* Write what fd takes now. */
void oq_flush(struct out_queue *q);
/* Lose what is queued (the target went away), counting its lines. */
void oq_drop(struct out_queue *q);
/* Count a line lost before it reached the queue. */
void oq_count_dropped(struct out_queue *q, uint64_t n);
/* Re-execution: what is queued and the counters (save.c).  Restored
 * after the fd is set; 0 or -EBADMSG; dry only reads. */
void oq_save(const struct out_queue *q, struct st_buf *b);
int oq_restore(struct out_queue *q, const struct st_rd *rd, bool dry);

/* --- sink.c ------------------------------------------------------------- */

/* A pipe holds a reference to its sink (released by out_sink_release),
 * and tells it when it reached EOF. */
void out_sink_pipe_open(struct out_sink *s);
void out_sink_pipe_eof(struct out_sink *s);

/*
 * --- file.c: a file otpd writes lines to, rotated by size ---------------
 * One per path, shared by every stream and worker that names it.
 */
struct out_file;

/* The file at `path` (opened at its first line); NULL: ENOMEM. */
struct out_file *out_file_get(const char *path);
/* Another reference to f. */
struct out_file *out_file_share(struct out_file *f);
/* Let go of a reference (NULL: nothing); the last one closes the file. */
void out_file_put(struct out_file *f);
/* A sink's process starts (+1) or is gone with all it left (-1): a file
 * nobody may write to any more is closed. */
void out_file_busy(struct out_file *f, int delta);
/* Rotate at max_size bytes (0: never), keeping `keep` old files. */
void out_file_limits(struct out_file *f, int64_t max_size, unsigned keep);
/* "TIME name[pid] stream: line" */
void out_file_line(struct out_file *f, const char *name, const struct log_entry *e);
/* Close it now; opened again at the next line. */
void out_file_reopen(struct out_file *f);

/*
 * --- journal.c: worker lines as journal entries (native protocol) -------
 */
/* Does OUT_TO_LOG mean the journal, for this target? */
bool out_journal_wanted(enum out_log_target t);
/* Send one line.  0, or -errno: no journal to send to (the caller writes
 * the line to otpd's stdout or stderr instead). */
int out_journal_line(const char *name, const char *sup, const struct log_entry *e);

/*
 * --- re-execution: each file's part of the OUTPUT section (save.c) -------
 * Restores: 0 or -errno; dry only reads.
 */
void log_ring_save(const struct log_ring *r, struct st_buf *b);
/* The size of the ring saved in rd (dflt: not said). */
unsigned log_ring_saved_cap(const struct st_rd *rd, unsigned dflt);
/* r NULL: only read. */
int log_ring_restore(struct log_ring *r, const struct st_rd *rd);
void out_std_save(struct st_buf *b);
int out_std_restore(const struct st_rd *rd, bool dry);
void out_journal_save(struct st_buf *b);
void out_journal_restore(const struct st_rd *rd);
/* Files whose queues hold lines, by path; restored after the sinks
 * (which hold the files again). */
void out_files_save(struct st_buf *b);
/* logger.c: the pipes into logger workers, both ends. */
void out_loggers_save(struct st_buf *b);
int out_loggers_restore(const struct st_rd *rd, bool dry);
int out_files_restore(const struct st_rd *rd, bool dry);
void out_file_about(const struct out_file *f, const char **ret_path, int64_t *ret_max_size,
		    unsigned *ret_keep);
/* Every sink: its ring, destinations and pipes. */
void out_sinks_save(struct st_buf *b);
int out_sinks_restore(const struct st_rd *rd, unsigned log_lines, bool dry);
/* The head of a sink's list of pipes (pipe.c links them). */
struct out_pipe **out_sink_pipes(struct out_sink *s);
/* The pipe after p in s's list (p NULL: the first). */
struct out_pipe *out_pipe_next(const struct out_pipe *p, const struct out_sink *s);
/* p is the pipe of stream st of the sink's running process. */
bool out_pipe_attached(const struct out_pipe *p, enum out_stream st);
void out_pipe_save(const struct out_pipe *p, struct st_buf *b);
/* A pipe of sink s as saved (*ret NULL: it was at EOF and gone); dry: only read. */
int out_pipe_restore(const struct st_rd *rd, struct out_sink *s, bool dry, struct out_pipe **ret);

#endif
