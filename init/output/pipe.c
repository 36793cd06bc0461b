/*
 * pipe.c: a pipe one process of a worker writes its stdout or stderr to.
 *
 * Each process gets fresh pipes; otpd keeps the read end only (the caller
 * closes otpd's copy of the write end right after the spawn), so EOF
 * comes once the process and whatever inherited the write end are gone.
 * Every line read from it is labelled with that process's pid, whenever
 * it is read: nothing is lost or mislabelled across a restart.  Only the
 * read end is non-blocking: O_NONBLOCK on the write end would be shared
 * with the child, and many programs do not expect EAGAIN on stdout.
 *
 * While the process runs, its worker holds the pipe (ws.out, ws.err).
 * When the process is reaped the worker detaches it: what it holds then
 * is read at once (before the exit reaches the core), and the pipe lives
 * on by itself until EOF, holding a reference to the worker's sink.
 *
 * What arrives is split into lines.  Tabs and bytes >= 0x80 (UTF-8) pass
 * as they are; other control bytes (and DEL) become \xNN.  A line longer
 * than OUT_LINE_MAX bytes (after escaping) is emitted in pieces, cut
 * before an incomplete UTF-8 sequence.  The lines of one read(2) share
 * one time stamp.  The line buffer grows with the longest line seen (up
 * to OUT_LINE_MAX), so a quiet worker does not cost otpd 4 KiB.
 *
 * Structures are recycled through a free list, never given back to
 * malloc: the loop's current epoll batch may still name the ev_source of a
 * pipe freed by an earlier handler, and a recycled source is harmless
 * (the handler only reads whatever its pipe holds).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "../base/base.h"
#include "internal.h"

#define OUT_READ_BUDGET (64 * 1024)     /* per wake-up, to stay fair */
#define OUT_DRAIN_BUDGET (1024 * 1024)  /* detach: the process's rest */

/* Two of these live for every running worker: kept small. */
struct out_pipe {
	union {
		struct out_sink *sink;  /* in use */
		struct out_pipe *next_free;
	};
	struct out_pipe *sib;           /* the next pipe of the same sink (save.c) */
	char *line;                     /* NULL until the first byte */
	struct ev_source src;           /* src.fd: the read end, -1 after EOF */
	pid_t pid;
	uint16_t len;                   /* bytes in line (<= OUT_LINE_MAX) */
	uint16_t cap;                   /* bytes allocated for line */
	uint8_t stream;                 /* enum out_stream */
	bool detached;                  /* frees itself at EOF */
};

static struct out_pipe *free_list;
static int64_t read_ms;                 /* the time of the read being split */

static void pipe_on_readable(struct ev_source *s, uint32_t revents);

int64_t out_realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pipe_emit(struct out_pipe *p, size_t len)
{
	struct log_entry e = { .time_ms = read_ms, .pid = p->pid, .stream = p->stream,
			       .line = p->line ? p->line : "", .len = len };

	out_sink_line(p->sink, &e);
}

/* Room for `need` bytes in line (need <= OUT_LINE_MAX).  0 or -ENOMEM. */
static int pipe_reserve(struct out_pipe *p, size_t need)
{
	size_t cap = p->cap ? p->cap : 128;
	char *s;

	if (need <= p->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > OUT_LINE_MAX)
		cap = OUT_LINE_MAX;
	s = realloc(p->line, cap);
	if (!s)
		return -ENOMEM;
	p->line = s;
	p->cap = (uint16_t)cap;
	return 0;
}

/* Where to cut a full line so that no UTF-8 sequence is split. */
static size_t utf8_cut(const char *s, size_t len)
{
	size_t i = len;
	unsigned char lead;
	size_t need;

	while (i > 0 && len - i < 3 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0)
		return len;
	lead = (unsigned char)s[i - 1];
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	return len - (i - 1) < need ? i - 1 : len;
}

/* The line is full: emit a piece, keep the cut-off tail for the next one. */
static void pipe_emit_piece(struct out_pipe *p)
{
	size_t cut = utf8_cut(p->line, p->len);

	pipe_emit(p, cut);
	memmove(p->line, p->line + cut, p->len - cut);
	p->len -= (uint16_t)cut;
}

static void pipe_put(struct out_pipe *p, const char *s, size_t n)
{
	if (p->len + n > OUT_LINE_MAX)
		pipe_emit_piece(p);
	if (pipe_reserve(p, p->len + n) < 0)
		return;         /* out of memory: these bytes are lost */
	memcpy(p->line + p->len, s, n);
	p->len += (uint16_t)n;
}

/* Bytes that need no escaping, from buf[i] on, up to a newline. */
static size_t plain_run(const unsigned char *buf, size_t i, size_t n)
{
	size_t j = i;

	while (j < n && (buf[j] >= 0x20 || buf[j] == '\t') && buf[j] != 0x7f)
		j++;
	return j - i;
}

static void pipe_feed(struct out_pipe *p, const char *buf, size_t n)
{
	const unsigned char *u = (const unsigned char *)buf;
	char esc[5];

	for (size_t i = 0; i < n;) {
		size_t run = plain_run(u, i, n);

		if (run > 0) {
			/* Copied up to a piece boundary at most. */
			size_t take, room;

			if (p->len == OUT_LINE_MAX)
				pipe_emit_piece(p);
			room = OUT_LINE_MAX - (size_t)p->len;

			take = run < room ? run : room;
			pipe_put(p, buf + i, take);
			i += take;
		} else if (u[i] == '\n') {
			pipe_emit(p, p->len);
			p->len = 0;
			i++;
		} else {
			snprintf(esc, sizeof(esc), "\\x%02x", u[i]);
			pipe_put(p, esc, 4);
			i++;
		}
	}
}

static void pipe_flush_partial(struct out_pipe *p)
{
	if (p->len == 0)
		return;
	read_ms = out_realtime_ms();
	pipe_emit(p, p->len);
	p->len = 0;
}

/*
 * One buffer for every read (otpd is single-threaded and pipe_feed copies
 * out of it), allocated at the first read: 16 KiB on the stack pushed
 * every call below it 16 KiB deeper, for good, and in .bss it spread
 * otpd's small globals over more pages (issue 19: base memory).  Out of
 * memory, reads go through a small one: slower, nothing lost.
 */
#define DRAIN_BUF 16384

static size_t drain_buffer(char **ret)
{
	static char *big;
	static char small[256];

	if (big || (big = malloc(DRAIN_BUF))) {
		*ret = big;
		return DRAIN_BUF;
	}
	*ret = small;
	return sizeof(small);
}

/* Read up to `budget` bytes.  Returns 1 at EOF, else 0. */
static int pipe_drain(struct out_pipe *p, size_t budget)
{
	char *buf;
	size_t len = drain_buffer(&buf);

	while (budget > 0) {
		ssize_t r = read(p->src.fd, buf, budget < len ? budget : len);

		if (r > 0) {
			read_ms = out_realtime_ms();
			pipe_feed(p, buf, (size_t)r);
			budget -= (size_t)r;
		} else if (r == 0) {
			pipe_flush_partial(p);
			return 1;
		} else if (errno != EINTR) {
			if (errno != EAGAIN)
				log_warn("reading a worker's output: %m, ignoring");
			return 0;
		}
	}
	return 0;
}

static struct out_pipe *pipe_alloc(void)
{
	struct out_pipe *p = free_list;

	if (p) {
		free_list = p->next_free;
		return p;
	}
	return calloc(1, sizeof(*p));  /* line and cap start empty; kept when recycled */
}

/* The sink's list of pipes (re-execution finds every pipe through it). */
static void pipe_link(struct out_pipe *p, struct out_sink *s)
{
	struct out_pipe **head = out_sink_pipes(s);

	p->sink = s;
	p->sib = *head;
	*head = p;
}

static void pipe_unlink(struct out_pipe *p)
{
	for (struct out_pipe **at = out_sink_pipes(p->sink); *at; at = &(*at)->sib) {
		if (*at == p) {
			*at = p->sib;
			break;
		}
	}
	p->sib = NULL;
}

static void pipe_release(struct out_pipe *p)
{
	pipe_unlink(p);
	out_sink_release(p->sink);
	/* Keep the source inert until the slot is reused. */
	p->src.fn = NULL;
	p->src.added = false;
	p->src.fd = -1;
	p->next_free = free_list;
	free_list = p;
}

/* EOF: nothing more will come.  A detached pipe is done. */
static void pipe_eof(struct out_pipe *p)
{
	ev_del(&p->src);
	close(p->src.fd);
	p->src.fd = -1;
	out_sink_pipe_eof(p->sink);
	if (p->detached)
		pipe_release(p);
}

static void pipe_on_readable(struct ev_source *s, uint32_t revents)
{
	struct out_pipe *p = s->data;

	if (!p || p->src.fd < 0)
		return;
	if (pipe_drain(p, OUT_READ_BUDGET) == 1)
		pipe_eof(p);
	out_flush();
}

static int pipe_make(int *ret_rfd, int *ret_wfd)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	if (fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) {
		int e = -errno;

		close(fds[0]);
		close(fds[1]);
		return e;
	}
	*ret_rfd = fds[0];
	*ret_wfd = fds[1];
	return 0;
}

struct out_pipe *out_pipe_open(struct out_sink *s, enum out_stream st, int *ret_wfd)
{
	struct out_pipe *p = pipe_alloc();
	int rfd = -1, wfd = -1, r;

	if (!p)
		return NULL;
	r = pipe_make(&rfd, &wfd);
	if (r == 0) {
		p->src = (struct ev_source){ .fd = rfd, .events = EPOLLIN,
					     .fn = pipe_on_readable, .data = p };
		r = ev_add(&p->src);
		if (r < 0) {
			close(rfd);
			close(wfd);
		}
	}
	if (r < 0) {
		p->next_free = free_list;
		free_list = p;
		errno = -r;
		return NULL;
	}
	out_sink_pipe_open(s);
	pipe_link(p, s);
	p->stream = (uint8_t)st;
	p->pid = 0;
	p->len = 0;
	p->detached = false;
	*ret_wfd = wfd;
	return p;
}

void out_pipe_set_pid(struct out_pipe *p, pid_t pid)
{
	if (p)
		p->pid = pid;
}

void out_pipe_detach(struct out_pipe *p)
{
	if (!p)
		return;
	p->detached = true;
	if (p->src.fd < 0) {
		pipe_release(p);
	} else if (pipe_drain(p, OUT_DRAIN_BUDGET) == 1) {
		pipe_eof(p);
	} else {
		/* Something else still holds the write end (a leftover, a
		 * daemonized grandchild): a part line so far is the old
		 * process's last word. */
		pipe_flush_partial(p);
	}
	out_flush();
}

/* --- re-execution (save.c) ------------------------------------------------ */

enum { PP_RFD = 1, PP_STREAM, PP_PID, PP_PARTIAL, PP_DETACHED };

struct out_pipe *out_pipe_next(const struct out_pipe *p, const struct out_sink *s)
{
	return p ? p->sib : *out_sink_pipes((struct out_sink *)s);
}

bool out_pipe_attached(const struct out_pipe *p, enum out_stream st)
{
	return !p->detached && p->stream == st;
}

void out_pipe_save(const struct out_pipe *p, struct st_buf *b)
{
	st_put_fd(b, PP_RFD, p->src.fd);
	st_put_u64(b, PP_STREAM, p->stream);
	st_put_i64(b, PP_PID, p->pid);
	st_put(b, PP_PARTIAL, p->line, p->len);
	st_put_u64(b, PP_DETACHED, p->detached);
}

int out_pipe_restore(const struct st_rd *rd, struct out_sink *s, bool dry, struct out_pipe **ret)
{
	struct st_rd part;
	struct out_pipe *p;
	uint64_t stream = 0;
	int rfd = -1, pid = 0, r;

	*ret = NULL;
	if (!st_fd(rd, PP_RFD, &rfd) ||
	    !st_u64(rd, PP_STREAM, &stream) || (stream != OUT_STDOUT && stream != OUT_STDERR) ||
	    !st_int(rd, PP_PID, &pid) || !st_find(rd, PP_PARTIAL, &part) || part.n > OUT_LINE_MAX)
		return -EBADMSG;
	if (dry)
		return 0;
	if (!(p = pipe_alloc()))
		return -ENOMEM;
	p->stream = (uint8_t)stream;
	p->pid = pid;
	p->len = 0;
	p->detached = st_flag(rd, PP_DETACHED);
	if (part.n && pipe_reserve(p, part.n) == 0) {
		memcpy(p->line, part.p, part.n);
		p->len = (uint16_t)part.n;
	}
	p->src = (struct ev_source){ .fd = rfd, .events = EPOLLIN, .fn = pipe_on_readable,
				     .data = p };
	out_sink_pipe_open(s);
	pipe_link(p, s);
	if (rfd < 0 || (r = ev_add(&p->src)) < 0) {
		/* At EOF already (or not watchable: nothing more is read). */
		if (rfd >= 0)
			close(rfd);
		p->src.fd = -1;
		out_sink_pipe_eof(s);
		if (p->detached) {
			pipe_release(p);
			return 0;
		}
	}
	*ret = p;
	return 0;
}
