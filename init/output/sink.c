/*
 * sink.c: where one worker's lines go (output.h).
 *
 * The sink holds what outlives a process: the worker's name and
 * supervisor (for labels and journal fields), its ring of entries, and its
 * destinations, set again before each start from the configuration in
 * force.  It is shared by the worker's shell state and every pipe still
 * draining into it, and freed with the last reference.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../supervisor/supervisor.h"
#include "internal.h"
#include "output.h"

/* Small: one lives for every worker of the tree (56 bytes and the name). */
struct out_sink {
	struct log_ring *ring;
	struct out_file *file[2];       /* OUT_TO_FILE, by stream - 1 (may be one file) */
	char *sup;                      /* the worker's supervisor (journal only), or NULL */
	int64_t start_ms;               /* the start of process start_pid, */
	pid_t start_pid;                /* told with its first line (0: none due) */
	unsigned refs;                  /* the worker's, and one per pipe */
	unsigned pipes;                 /* pipes not at EOF yet */
	uint8_t dest[2];                /* enum out_dest, by stream - 1 */
	bool journal;                   /* OUT_TO_LOG goes to the journal */
	char name[];
};

const char *out_stream_name(enum out_stream s)
{
	switch (s) {
	case OUT_STDOUT: return "stdout";
	case OUT_STDERR: return "stderr";
	default: return "start";
	}
}

struct out_sink *out_sink_new(const char *name, unsigned log_lines)
{
	size_t n = strnlen(name, SUP_NAME_MAX);
	struct out_sink *s = calloc(1, sizeof(*s) + n + 1);

	if (!s)
		return NULL;
	s->ring = log_ring_new(log_lines);
	if (!s->ring) {
		free(s);
		return NULL;
	}
	memcpy(s->name, name, n);
	s->refs = 1;
	return s;
}

/* Files are open only while a process (or what it left) may write. */
static void sink_files_busy(struct out_sink *s, int delta)
{
	for (int i = 0; i < 2; i++)
		if (s->file[i])
			out_file_busy(s->file[i], delta);
}

void out_sink_pipe_open(struct out_sink *s)
{
	s->refs++;
	if (s->pipes++ == 0)
		sink_files_busy(s, 1);
}

void out_sink_pipe_eof(struct out_sink *s)
{
	if (--s->pipes == 0)
		sink_files_busy(s, -1);
}

static void sink_files_put(struct out_sink *s)
{
	if (s->pipes)
		sink_files_busy(s, -1);
	for (int i = 0; i < 2; i++) {
		out_file_put(s->file[i]);
		s->file[i] = NULL;
	}
}

void out_sink_release(struct out_sink *s)
{
	if (!s || --s->refs > 0)
		return;
	sink_files_put(s);
	log_ring_free(s->ring);
	free(s->sup);
	free(s);
}

struct log_ring *out_sink_ring(const struct out_sink *s)
{
	return s ? s->ring : NULL;
}

/* The supervisor's name, kept only when it changed (a reload moved the worker). */
static int sink_set_sup(struct out_sink *s, const char *supervisor)
{
	char *copy;

	if (!supervisor)
		supervisor = "";
	if (s->sup && strcmp(s->sup, supervisor) == 0)
		return 0;
	if (!(copy = strdup(supervisor)))
		return -ENOMEM;
	free(s->sup);
	s->sup = copy;
	return 0;
}

int out_sink_target(struct out_sink *s, const char *supervisor, const struct out_targets *t)
{
	struct out_file *f[2] = { NULL };
	int r = 0;

	/* The supervisor's name is for journal entries only. */
	s->journal = out_journal_wanted(t->log_target);
	if (s->journal)
		r = sink_set_sup(s, supervisor);

	/* The new files first: a file kept across the change stays open. */
	for (int i = 0; i < 2; i++) {
		if (t->dest[i + 1] != OUT_TO_FILE)
			continue;
		if (i == 1 && f[0] && strcmp(t->path[1], t->path[2]) == 0)
			f[i] = out_file_share(f[0]);
		else
			f[i] = out_file_get(t->path[i + 1]);
		if (!f[i])
			r = -ENOMEM;
		else
			out_file_limits(f[i], t->max_size, t->keep);
	}
	sink_files_put(s);
	for (int i = 0; i < 2; i++) {
		s->file[i] = f[i];
		s->dest[i] = t->dest[i + 1] == OUT_TO_FILE && !f[i] ? OUT_TO_NONE : t->dest[i + 1];
	}
	if (s->pipes)
		sink_files_busy(s, 1);
	return r;
}

/*
 * The start is told in the ring just before the new process's first
 * line: a worker that never writes costs no ring at all.
 */
void out_sink_started(struct out_sink *s, pid_t pid)
{
	s->start_pid = pid;
	s->start_ms = out_realtime_ms();
}

static void sink_tell_start(struct out_sink *s)
{
	struct log_entry e = { .time_ms = s->start_ms, .pid = s->start_pid, .stream = OUT_START };

	log_ring_push(s->ring, &e);
	s->start_pid = 0;
}

void out_sink_line(struct out_sink *s, const struct log_entry *e)
{
	int i = e->stream == OUT_STDERR ? 1 : 0;

	if (s->start_pid && e->pid == s->start_pid)
		sink_tell_start(s);
	log_ring_push(s->ring, e);
	switch (s->dest[i]) {
	case OUT_TO_LOG:
		if (!s->journal || out_journal_line(s->name, s->sup ? s->sup : "", e) < 0)
			out_std_line(e->stream, s->name, e->pid, e->line, e->len);
		break;
	case OUT_TO_FILE:
		out_file_line(s->file[i], s->name, e);
		break;
	default:
		break;
	}
}

void out_sink_reopen(struct out_sink *s)
{
	for (int i = 0; i < 2; i++)
		if (s->file[i])
			out_file_reopen(s->file[i]);
}
