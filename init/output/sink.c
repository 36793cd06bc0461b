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

/* Small: one lives for every worker of the tree (88 bytes and the name). */
struct out_sink {
	struct log_ring *ring;
	struct out_sink *prev, *next;   /* every sink (re-execution saves them all) */
	struct out_pipe *pipe_list;     /* its pipes, attached or draining (pipe.c) */
	struct out_file *file[2];       /* OUT_TO_FILE, by stream - 1 (may be one file) */
	char *sup;                      /* the worker's supervisor (journal only), or NULL */
	int64_t start_ms;               /* the start of process start_pid, */
	pid_t start_pid;                /* told with its first line (0: none due) */
	unsigned refs;                  /* the worker's, and one per pipe */
	unsigned pipes;                 /* pipes not at EOF yet */
	uint32_t saved_id;              /* its number in the state out_save wrote last */
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

static struct out_sink *sinks;

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
	s->next = sinks;
	if (sinks)
		sinks->prev = s;
	sinks = s;
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
	if (s->prev)
		s->prev->next = s->next;
	else
		sinks = s->next;
	if (s->next)
		s->next->prev = s->prev;
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

struct out_pipe **out_sink_pipes(struct out_sink *s)
{
	return &s->pipe_list;
}

/* --- re-execution (save.c) ------------------------------------------------ */

enum { SK_SINK = 1 };
enum { SK_ID = 1, SK_NAME, SK_SUP, SK_JOURNAL, SK_DEST_OUT, SK_DEST_ERR, SK_FILE_OUT,
       SK_FILE_ERR, SK_START_PID, SK_START_MS, SK_RING, SK_PIPE };
enum { SF_PATH = 1, SF_MAX_SIZE, SF_KEEP };

/* Sinks restored, by the number they were saved under (out_sink_adopt). */
static struct adopt {
	struct out_sink *sink;          /* the table's reference, until adopted */
	struct out_pipe *pipe[2];       /* attached: stdout, stderr */
} *adopt;
static size_t n_adopt;

uint64_t out_sink_saved_id(const struct out_sink *s)
{
	return s ? s->saved_id : 0;
}

static void sink_save_file(struct st_buf *b, unsigned tag, const struct out_file *f)
{
	const char *path;
	int64_t max_size;
	unsigned keep;
	size_t at;

	if (!f)
		return;
	out_file_about(f, &path, &max_size, &keep);
	at = st_open(b, tag);
	st_put_str(b, SF_PATH, path);
	st_put_i64(b, SF_MAX_SIZE, max_size);
	st_put_u64(b, SF_KEEP, keep);
	st_close(b, at);
}

static void sink_save(struct out_sink *s, struct st_buf *b)
{
	size_t at = st_open(b, SK_SINK), in;

	st_put_u64(b, SK_ID, s->saved_id);
	st_put_str(b, SK_NAME, s->name);
	if (s->sup)
		st_put_str(b, SK_SUP, s->sup);
	st_put_u64(b, SK_JOURNAL, s->journal);
	st_put_u64(b, SK_DEST_OUT, s->dest[0]);
	st_put_u64(b, SK_DEST_ERR, s->dest[1]);
	sink_save_file(b, SK_FILE_OUT, s->file[0]);
	sink_save_file(b, SK_FILE_ERR, s->file[1]);
	st_put_i64(b, SK_START_PID, s->start_pid);
	st_put_i64(b, SK_START_MS, s->start_ms);
	in = st_open(b, SK_RING);
	log_ring_save(s->ring, b);
	st_close(b, in);
	for (struct out_pipe *p = out_pipe_next(NULL, s); p; p = out_pipe_next(p, s)) {
		in = st_open(b, SK_PIPE);
		out_pipe_save(p, b);
		st_close(b, in);
	}
	st_close(b, at);
}

void out_sinks_save(struct st_buf *b)
{
	uint32_t id = 0;

	for (struct out_sink *s = sinks; s; s = s->next)
		s->saved_id = ++id;
	for (struct out_sink *s = sinks; s; s = s->next)
		sink_save(s, b);
}

/* A file target as saved; 0 or -errno (-EBADMSG, -ENOMEM). */
static int sink_file_back(const struct st_rd *rd, unsigned tag, struct out_file **ret)
{
	struct st_rd v;
	char path[4096];
	int64_t max_size = 0;
	uint64_t keep = 0;

	*ret = NULL;
	if (!st_find(rd, tag, &v))
		return 0;
	if (!st_str(&v, SF_PATH, path, sizeof(path)))
		return -EBADMSG;
	(void)st_i64(&v, SF_MAX_SIZE, &max_size);
	(void)st_u64(&v, SF_KEEP, &keep);
	*ret = out_file_get(path);
	if (!*ret)
		return -ENOMEM;
	out_file_limits(*ret, max_size, (unsigned)keep);
	return 0;
}

static int sink_targets_back(struct out_sink *s, const struct st_rd *rd)
{
	uint64_t d[2] = { OUT_TO_NONE, OUT_TO_NONE };
	int r;

	(void)st_u64(rd, SK_DEST_OUT, &d[0]);
	(void)st_u64(rd, SK_DEST_ERR, &d[1]);
	s->journal = st_flag(rd, SK_JOURNAL);
	s->sup = st_strdup(rd, SK_SUP);
	if ((r = sink_file_back(rd, SK_FILE_OUT, &s->file[0])) < 0 ||
	    (r = sink_file_back(rd, SK_FILE_ERR, &s->file[1])) < 0)
		return r;
	for (int i = 0; i < 2; i++)
		s->dest[i] = d[i] == OUT_TO_FILE && !s->file[i] ? OUT_TO_NONE
			     : d[i] <= OUT_TO_FILE ? (uint8_t)d[i] : OUT_TO_NONE;
	return 0;
}

static int sink_pipes_back(struct out_sink *s, const struct st_rd *rd, bool dry,
			   struct adopt *a)
{
	struct st_rd it = *rd, v;
	unsigned tag;
	int r;

	while (st_next(&it, &tag, &v) == 1) {
		struct out_pipe *p;

		if (tag != SK_PIPE)
			continue;
		if ((r = out_pipe_restore(&v, s, dry, &p)) < 0)
			return r;
		for (int i = 0; p && a && i < 2; i++)
			if (out_pipe_attached(p, i == 0 ? OUT_STDOUT : OUT_STDERR))
				a->pipe[i] = p;
	}
	return 0;
}

static int sink_restore(const struct st_rd *rd, unsigned log_lines, bool dry)
{
	char name[SUP_NAME_MAX + 1];
	struct st_rd ring;
	uint64_t id;
	struct out_sink *s;
	struct adopt *a;
	int r;

	if (!st_u64(rd, SK_ID, &id) || id == 0 || id > n_adopt ||
	    !st_str(rd, SK_NAME, name, sizeof(name)) || !st_find(rd, SK_RING, &ring))
		return -EBADMSG;
	if (dry) {
		if ((r = log_ring_restore(NULL, &ring)) < 0)
			return r;
		return sink_pipes_back(NULL, rd, true, NULL);
	}
	a = &adopt[id - 1];
	if (a->sink)
		return -EBADMSG;
	if (!(s = out_sink_new(name, log_ring_saved_cap(&ring, log_lines))))
		return -ENOMEM;
	a->sink = s;
	(void)st_int(rd, SK_START_PID, &s->start_pid);
	(void)st_i64(rd, SK_START_MS, &s->start_ms);
	if ((r = sink_targets_back(s, rd)) < 0 || (r = log_ring_restore(s->ring, &ring)) < 0)
		return r;
	return sink_pipes_back(s, rd, false, a);
}

int out_sinks_restore(const struct st_rd *rd, unsigned log_lines, bool dry)
{
	struct st_rd it = *rd, v;
	unsigned tag;
	size_t n = 0;
	int r = 0;

	while (st_next(&it, &tag, &v) == 1)
		n += tag == SK_SINK;
	if (!dry && n && !(adopt = calloc(n, sizeof(*adopt))))
		return -ENOMEM;
	n_adopt = n;
	it = *rd;
	while (r == 0 && st_next(&it, &tag, &v) == 1)
		if (tag == SK_SINK)
			r = sink_restore(&v, log_lines, dry);
	if (dry)
		n_adopt = 0;
	return r;
}

struct out_sink *out_sink_adopt(uint64_t id, struct out_pipe **ret_out, struct out_pipe **ret_err)
{
	struct out_sink *s;

	*ret_out = *ret_err = NULL;
	if (id == 0 || id > n_adopt || !adopt[id - 1].sink)
		return NULL;
	s = adopt[id - 1].sink;
	*ret_out = adopt[id - 1].pipe[0];
	*ret_err = adopt[id - 1].pipe[1];
	adopt[id - 1] = (struct adopt){ 0 };
	return s;
}

void out_restore_done(void)
{
	/* No worker took these: their processes' pipes drain by themselves. */
	for (size_t i = 0; i < n_adopt; i++) {
		out_pipe_detach(adopt[i].pipe[0]);
		out_pipe_detach(adopt[i].pipe[1]);
		out_sink_release(adopt[i].sink);
	}
	free(adopt);
	adopt = NULL;
	n_adopt = 0;
}
