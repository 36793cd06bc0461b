/*
 * pipe.c: a pipe a child writes its stdout or stderr to.
 *
 * otpd holds both ends for the pipe's whole life: the write end is given
 * to every incarnation of the child, so EOF never happens while otpd runs
 * and nothing a dying child wrote is lost across a restart.  Only the read
 * end is non-blocking: O_NONBLOCK on the write end would be shared with
 * the child, and many programs do not expect EAGAIN on stdout.
 *
 * What arrives is split into lines.  Tabs and bytes >= 0x80 (UTF-8) pass
 * as they are; other control bytes (and DEL) become \xNN.  A line longer
 * than OUT_LINE_MAX bytes (after escaping) is emitted in pieces, cut
 * before an incomplete UTF-8 sequence.  Each line goes to otpd's stdout as
 * "name[pid]: line" and into the child's ring.
 *
 * The line buffer grows with the longest line seen (up to OUT_LINE_MAX),
 * so a quiet worker does not cost otpd 4 KiB.
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
#include <unistd.h>

#include "../../supervisor/supervisor.h"
#include "../base/base.h"
#include "output.h"

#define OUT_READ_BUDGET (64 * 1024)     /* per wake-up, to stay fair */
#define OUT_DRAIN_BUDGET (1024 * 1024)  /* set_pid / free: the old child's rest */

struct out_pipe {
	char name[SUP_NAME_MAX + 1];
	pid_t pid;                      /* next to name: no padding hole */
	int rfd, wfd;
	struct log_ring *ring;
	struct ev_source src;
	size_t len;                     /* bytes in line */
	size_t cap;                     /* bytes allocated for line */
	char *line;                     /* NULL until the first byte */
	struct out_pipe *next_free;
};

static struct out_pipe *free_list;

static void pipe_on_readable(struct ev_source *s, uint32_t revents);

static void pipe_emit(struct out_pipe *p, size_t len)
{
	const char *line = p->line ? p->line : "";

	out_stdout_line(p->name, p->pid, line, len);
	log_ring_push(p->ring, line, len);
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
	p->cap = cap;
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
	p->len -= cut;
}

static void pipe_put(struct out_pipe *p, const char *s, size_t n)
{
	if (p->len + n > OUT_LINE_MAX)
		pipe_emit_piece(p);
	if (pipe_reserve(p, p->len + n) < 0)
		return;         /* out of memory: these bytes are lost */
	memcpy(p->line + p->len, s, n);
	p->len += n;
}

static void pipe_feed(struct out_pipe *p, const char *buf, size_t n)
{
	char esc[5];

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n') {
			pipe_emit(p, p->len);
			p->len = 0;
		} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			pipe_put(p, esc, 4);
		} else {
			pipe_put(p, (const char *)&buf[i], 1);
		}
	}
}

static void pipe_flush_partial(struct out_pipe *p)
{
	if (p->len == 0)
		return;
	pipe_emit(p, p->len);
	p->len = 0;
}

/* Read up to `budget` bytes.  Returns 1 at EOF, else 0. */
static int pipe_drain(struct out_pipe *p, size_t budget)
{
	char buf[16384];

	while (budget > 0) {
		ssize_t r = read(p->rfd, buf, budget < sizeof(buf) ? budget : sizeof(buf));

		if (r > 0) {
			pipe_feed(p, buf, (size_t)r);
			budget -= (size_t)r;
		} else if (r == 0) {
			pipe_flush_partial(p);
			return 1;
		} else if (errno != EINTR) {
			if (errno != EAGAIN)
				log_warn("%s: reading output: %m, ignoring", p->name);
			return 0;
		}
	}
	return 0;
}

static void pipe_on_readable(struct ev_source *s, uint32_t revents)
{
	struct out_pipe *p = s->data;

	if (p->rfd < 0)
		return;
	/* EOF only once every write end is gone: nothing more will come. */
	if (pipe_drain(p, OUT_READ_BUDGET) == 1)
		ev_del(&p->src);
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

static void pipe_release(struct out_pipe *p)
{
	/* Keep the source inert until the slot is reused. */
	p->src.fn = NULL;
	p->src.added = false;
	p->rfd = p->wfd = -1;
	p->next_free = free_list;
	free_list = p;
}

static int pipe_open(struct out_pipe *p)
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
	p->rfd = fds[0];
	p->wfd = fds[1];
	return 0;
}

struct out_pipe *out_pipe_new(const char *name, struct log_ring *ring)
{
	struct out_pipe *p = pipe_alloc();
	int r;

	if (!p)
		return NULL;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->ring = ring;
	p->pid = 0;
	p->len = 0;
	p->next_free = NULL;
	r = pipe_open(p);
	if (r == 0) {
		p->src = (struct ev_source){ .fd = p->rfd, .events = EPOLLIN,
					     .fn = pipe_on_readable, .data = p };
		r = ev_add(&p->src);
		if (r < 0) {
			close(p->rfd);
			close(p->wfd);
		}
	}
	if (r < 0) {
		pipe_release(p);
		errno = -r;
		return NULL;
	}
	return p;
}

int out_pipe_wfd(const struct out_pipe *p)
{
	return p ? p->wfd : -1;
}

void out_pipe_settle(struct out_pipe *p)
{
	if (!p)
		return;
	if (p->rfd >= 0)
		(void)pipe_drain(p, OUT_DRAIN_BUDGET);
	pipe_flush_partial(p);
}

void out_pipe_set_pid(struct out_pipe *p, pid_t pid)
{
	if (p)
		p->pid = pid;
}

void out_pipe_free(struct out_pipe *p)
{
	if (!p)
		return;
	ev_del(&p->src);
	if (p->wfd >= 0)
		close(p->wfd);
	p->wfd = -1;
	if (p->rfd >= 0) {
		(void)pipe_drain(p, OUT_DRAIN_BUDGET);
		close(p->rfd);
	}
	pipe_flush_partial(p);
	pipe_release(p);
}

/* --- re-execution ---------------------------------------------------------- */

enum { PP_RFD = 1, PP_WFD, PP_PID, PP_PARTIAL };

void out_pipe_save(const struct out_pipe *p, struct st_buf *b)
{
	st_put_fd(b, PP_RFD, p->rfd);
	st_put_fd(b, PP_WFD, p->wfd);
	st_put_i64(b, PP_PID, p->pid);
	st_put(b, PP_PARTIAL, p->line, p->len);
}

int out_pipe_restore(const struct st_rd *rd, const char *name, struct log_ring *ring, bool dry,
		     struct out_pipe **ret)
{
	struct st_rd part;
	struct out_pipe *p;
	int rfd, wfd, pid, r;

	if (!st_fd(rd, PP_RFD, &rfd) || !st_fd(rd, PP_WFD, &wfd) || rfd < 0 || wfd < 0 ||
	    !st_int(rd, PP_PID, &pid) || !st_find(rd, PP_PARTIAL, &part) || part.n > OUT_LINE_MAX)
		return -EBADMSG;
	if (dry)
		return 0;
	if (!(p = pipe_alloc()))
		return -ENOMEM;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->ring = ring;
	p->pid = pid;
	p->len = 0;
	p->next_free = NULL;
	p->rfd = rfd;
	p->wfd = wfd;
	if (part.n && pipe_reserve(p, part.n) == 0) {
		memcpy(p->line, part.p, part.n);
		p->len = part.n;
	}
	p->src = (struct ev_source){ .fd = p->rfd, .events = EPOLLIN, .fn = pipe_on_readable,
				     .data = p };
	if ((r = ev_add(&p->src)) < 0) {
		pipe_release(p);
		return r;
	}
	*ret = p;
	return 0;
}
