/*
 * file.c: `stdout = file:PATH`: a file otpd writes a worker's lines to,
 * rotated by size, the way s6-log and svlogd do it.
 *
 * Each line is "2025-01-02T03:04:05.678Z name[pid] stdout: text" (UTC,
 * milliseconds).  Before a line would take a regular file past max_size,
 * the file is rotated: PATH.N-1 becomes PATH.N ... PATH becomes PATH.1
 * (the oldest, PATH.keep, is replaced), and a new PATH is opened; with
 * keep = 0 the file is truncated instead.  A FIFO or a device is never
 * rotated.
 *
 * Nothing blocks otpd: the file is opened with O_NONBLOCK (a FIFO without
 * a reader fails with ENXIO instead of waiting) and written through a
 * queue (queue.c).  Lines wait in the queue while the file cannot be
 * opened, and the opening is retried on a timer (250 ms, doubling up to
 * 8 s) that runs only while lines wait; a full queue drops and counts.  A
 * failing write (a full disk: ENOSPC) drops what is queued; the next
 * write that works starts with "TIME otpd: N lines dropped".  otpd logs
 * the first failure and the recovery, not every line.
 *
 * The path is opened with O_NOFOLLOW, and a regular file with other hard
 * links is refused, so that a worker allowed to write the directory
 * cannot point otpd (root, often) at another file.  Files are shared by
 * path, reference-counted, and recycled through a free list (a stale
 * epoll event may still name a released one's queue).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../supervisor/supervisor.h"
#include "internal.h"

#define FILE_QUEUE (256 * 1024)
#define FILE_RETRY_MIN_MS 250
#define FILE_RETRY_MAX_MS 8000
#define FILE_TIME_LEN 24                /* "2025-01-02T03:04:05.678Z" */

struct out_file {
	struct out_queue q;
	struct ev_timer retry;          /* armed while lines wait for an open */
	char *path;
	struct out_file *next;          /* all files in use */
	struct out_file *next_free;
	int64_t max_size;               /* 0: never rotate */
	int64_t size;                   /* bytes in the file, queued ones included */
	unsigned refs;
	unsigned busy;                  /* sinks whose processes may write */
	unsigned keep;
	unsigned backoff_ms;
	int failing;                    /* errno of the failure logged last, 0: none */
	bool regular;
};

static struct out_file *files, *free_files;

static void file_retry(struct ev_timer *t, int64_t now);

/* "2025-01-02T03:04:05.678Z" into buf (FILE_TIME_LEN + 1 bytes). */
static void file_time(char *buf, int64_t ms)
{
	static time_t cached_sec = -1;
	static char cached[20];         /* "2025-01-02T03:04:05" */
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;

	if (sec != cached_sec) {
		gmtime_r(&sec, &tm);
		strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
		cached_sec = sec;
	}
	memcpy(buf, cached, 19);
	snprintf(buf + 19, FILE_TIME_LEN + 1 - 19, ".%03uZ", (unsigned)(ms % 1000) % 1000u);
}

static size_t file_marker(struct out_queue *q, char *buf, size_t size, uint64_t n)
{
	char t[FILE_TIME_LEN + 1];
	int r;

	file_time(t, out_realtime_ms());
	r = snprintf(buf, size, "%s otpd: %llu lines dropped\n", t, (unsigned long long)n);
	return r < 0 ? 0 : (size_t)r >= size ? size - 1 : (size_t)r;
}

static void file_failed(struct out_file *f, const char *what, int err)
{
	if (f->failing == err)
		return;
	f->failing = err;
	log_warn("%s: %s: %s, dropping lines", f->path, what, strerror(err));
}

static void file_close(struct out_file *f)
{
	int fd = f->q.fd;

	oq_set_fd(&f->q, -1, false);
	if (fd >= 0)
		close(fd);
}

/* The size on disk, after an open or a failed write. */
static void file_resync(struct out_file *f)
{
	struct stat st;

	if (f->q.fd >= 0 && fstat(f->q.fd, &st) == 0 && S_ISREG(st.st_mode))
		f->size = st.st_size + (int64_t)f->q.len;
}

static void file_on_error(struct out_queue *q, int err)
{
	struct out_file *f = q->data;

	file_failed(f, "writing", err);
	if (err == EPIPE) {
		file_close(f);          /* the FIFO's reader left: open again later */
		return;
	}
	file_resync(f);
}

static void file_on_resume(struct out_queue *q, uint64_t n)
{
	struct out_file *f = q->data;

	if (f->failing)
		log_info("%s: writing again, %llu lines dropped", f->path, (unsigned long long)n);
	f->failing = 0;
}

/* 0, or -errno (-ENXIO: a FIFO without a reader). */
static int file_open(struct out_file *f)
{
	struct stat st;
	int fd = open(f->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK | O_NOCTTY |
				       O_NOFOLLOW, 0644);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || (S_ISREG(st.st_mode) && st.st_nlink > 1)) {
		int e = S_ISREG(st.st_mode) && st.st_nlink > 1 ? EMLINK : errno;

		close(fd);
		return -e;
	}
	f->regular = S_ISREG(st.st_mode);
	oq_set_fd(&f->q, fd, false);
	f->size = f->regular ? st.st_size + (int64_t)f->q.len : 0;
	f->backoff_ms = 0;
	ev_timer_stop(&f->retry);
	return 0;
}

/* Not open: lines wait, the open is tried again later. */
static void file_wait(struct out_file *f, int err)
{
	if (err != ENXIO)
		file_failed(f, "opening", err);
	if (f->retry.armed)
		return;
	f->backoff_ms = f->backoff_ms ? f->backoff_ms * 2 : FILE_RETRY_MIN_MS;
	if (f->backoff_ms > FILE_RETRY_MAX_MS)
		f->backoff_ms = FILE_RETRY_MAX_MS;
	(void)ev_timer_arm(&f->retry, ev_after(f->backoff_ms));
}

static void file_retry(struct ev_timer *t, int64_t now)
{
	struct out_file *f = t->data;
	int r;

	if (f->q.fd >= 0 || f->q.len == 0)
		return;
	r = file_open(f);
	if (r < 0)
		file_wait(f, -r);
	else
		oq_flush(&f->q);
}

/* The names on the heap: two PATH_MAX buffers here took otpd's stack 8
 * KiB deeper at the first rotation, for good (issue 19).  Out of memory,
 * the file is not moved aside and grows on. */
static void rename_numbered(const char *path, unsigned from, unsigned to)
{
	char *a, *b;

	if (from ? asprintf(&a, "%s.%u", path, from) < 0 : !(a = strdup(path)))
		return;
	if (asprintf(&b, "%s.%u", path, to) >= 0) {
		(void)rename(a, b);     /* a missing older file is fine */
		free(b);
	}
	free(a);
}

/* The file is full: move it aside (or empty it) and start a new one. */
static void file_rotate(struct out_file *f)
{
	int r;

	oq_flush(&f->q);
	if (f->keep == 0) {
		if (ftruncate(f->q.fd, 0) == 0)
			f->size = (int64_t)f->q.len;
		return;
	}
	for (unsigned k = f->keep; k > 1; k--)
		rename_numbered(f->path, k - 1, k);
	rename_numbered(f->path, 0, 1);
	file_close(f);
	r = file_open(f);
	if (r < 0)
		file_wait(f, -r);
}

static struct out_file *file_alloc(const char *path)
{
	struct out_file *f = free_files;
	char *p = strdup(path);

	if (!p)
		return NULL;
	if (f)
		free_files = f->next_free;
	else if (!(f = malloc(sizeof(*f)))) {
		free(p);
		return NULL;
	}
	*f = (struct out_file){ .path = p, .refs = 1 };
	oq_init(&f->q, FILE_QUEUE, file_marker, f);
	f->q.on_error = file_on_error;
	f->q.on_resume = file_on_resume;
	f->retry.fn = file_retry;
	f->retry.data = f;
	f->next = files;
	files = f;
	return f;
}

struct out_file *out_file_get(const char *path)
{
	for (struct out_file *f = files; f; f = f->next)
		if (strcmp(f->path, path) == 0)
			return out_file_share(f);
	return file_alloc(path);
}

struct out_file *out_file_share(struct out_file *f)
{
	f->refs++;
	return f;
}

void out_file_put(struct out_file *f)
{
	if (!f || --f->refs > 0)
		return;
	oq_flush(&f->q);
	file_close(f);
	oq_fini(&f->q);
	ev_timer_stop(&f->retry);
	for (struct out_file **p = &files; *p; p = &(*p)->next) {
		if (*p == f) {
			*p = f->next;
			break;
		}
	}
	free(f->path);
	f->path = NULL;
	f->next_free = free_files;
	free_files = f;
}

void out_file_busy(struct out_file *f, int delta)
{
	f->busy += (unsigned)delta;
	if (f->busy == 0)
		out_file_reopen(f);     /* closes it, unless lines still wait */
}

void out_file_limits(struct out_file *f, int64_t max_size, unsigned keep)
{
	f->max_size = max_size;
	f->keep = keep;
}

void out_file_line(struct out_file *f, const char *name, const struct log_entry *e)
{
	char hdr[FILE_TIME_LEN + SUP_NAME_MAX + 40];
	int h;
	struct iovec iov[3];
	size_t total;
	int r;

	file_time(hdr, e->time_ms);
	h = snprintf(hdr + FILE_TIME_LEN, sizeof(hdr) - FILE_TIME_LEN, " %s[%d] %s: ", name,
		     (int)e->pid, out_stream_name(e->stream));
	iov[0] = (struct iovec){ .iov_base = hdr, .iov_len = FILE_TIME_LEN + (size_t)h };
	iov[1] = (struct iovec){ .iov_base = (void *)e->line, .iov_len = e->len };
	iov[2] = (struct iovec){ .iov_base = "\n", .iov_len = 1 };
	total = iov[0].iov_len + e->len + 1;
	if (f->q.fd < 0 && !f->retry.armed && (r = file_open(f)) < 0)
		file_wait(f, -r);
	if (f->q.fd >= 0 && f->regular && f->max_size > 0 && f->size > 0 &&
	    f->size + (int64_t)total > f->max_size)
		file_rotate(f);
	if (oq_put(&f->q, iov, 3) == 0 && f->regular)
		f->size += (int64_t)total;
}

void out_file_reopen(struct out_file *f)
{
	oq_flush(&f->q);
	if (f->q.fd >= 0 && f->q.len == 0)
		file_close(f);
}

void out_files_reopen(void)
{
	for (struct out_file *f = files; f; f = f->next)
		out_file_reopen(f);
}

/* --- re-execution (save.c) ------------------------------------------------ */

enum { FS_FILE = 1 };
enum { FS_PATH = 1, FS_QUEUE };

/* What waits in a file's queue, by path (files are opened again by path). */
void out_files_save(struct st_buf *b)
{
	for (struct out_file *f = files; f; f = f->next) {
		size_t at, q;

		oq_flush(&f->q);
		if (!f->q.len && !f->q.unreported)
			continue;
		at = st_open(b, FS_FILE);
		st_put_str(b, FS_PATH, f->path);
		q = st_open(b, FS_QUEUE);
		oq_save(&f->q, b);
		st_close(b, q);
		st_close(b, at);
	}
}

static int file_restore(const struct st_rd *rd, bool dry)
{
	struct st_rd q;
	char *path = st_strdup(rd, FS_PATH);
	struct out_file *f = NULL;
	int r;

	if (!path || !st_find(rd, FS_QUEUE, &q)) {
		free(path);
		return -EBADMSG;
	}
	for (f = files; f && strcmp(f->path, path) != 0; f = f->next)
		;
	free(path);
	if (dry || !f)
		return f || dry ? oq_restore(&(struct out_queue){ .cap = FILE_QUEUE }, &q, true) : 0;
	if ((r = oq_restore(&f->q, &q, false)) < 0)
		return r;
	if (f->q.fd < 0 && (r = file_open(f)) < 0)
		file_wait(f, -r);
	oq_flush(&f->q);
	return 0;
}

int out_files_restore(const struct st_rd *rd, bool dry)
{
	struct st_rd it = *rd, v;
	unsigned tag;
	int r = 0;

	while (r == 0 && st_next(&it, &tag, &v) == 1)
		if (tag == FS_FILE)
			r = file_restore(&v, dry);
	return r;
}

void out_file_about(const struct out_file *f, const char **ret_path, int64_t *ret_max_size,
		    unsigned *ret_keep)
{
	*ret_path = f->path;
	*ret_max_size = f->max_size;
	*ret_keep = f->keep;
}
