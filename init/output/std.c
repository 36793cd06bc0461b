/*
 * std.c: otpd's stdout and stderr, which carry the workers' lines.
 *
 * A worker's stdout lines go to otpd's stdout and its stderr lines to
 * otpd's stderr (a container engine keeps the two apart, as it does for
 * any program), each as "name[pid]: line".  A slow reader must never
 * block otpd: each fd is written through a queue of OUT_STD_QUEUE bytes
 * (queue.c) that drops and counts, then says "otpd: N lines dropped".
 *
 * fd 1 and 2 are written through fd_private_nonblock() (base/).  otpd's
 * own messages are handed to the stderr queue (log_set_writer), so a
 * message never lands inside a worker's line that a short write cut.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "../../supervisor/supervisor.h"
#include "internal.h"
#include "output.h"

#define OUT_STD_QUEUE (1024 * 1024)

static struct {
	bool init;
	struct out_queue q[3];          /* [1] stdout, [2] stderr */
} so;

static size_t std_marker(struct out_queue *q, char *buf, size_t size, uint64_t n)
{
	int r = snprintf(buf, size, "otpd: %llu lines dropped\n", (unsigned long long)n);

	return r < 0 ? 0 : (size_t)r >= size ? size - 1 : (size_t)r;
}

/* otpd's own messages, one line each (base/log.c). */
static void std_log_writer(const char *buf, size_t len)
{
	struct out_queue *q = &so.q[2];

	if (q->fd < 0 || oq_put_raw(q, buf, len) < 0)
		return;         /* dropped, as log.c would on EAGAIN */
	if (!q->src.added)
		oq_flush(q);
}

static void std_open(int fd)
{
	struct stat st;
	bool socket = false;
	int wfd = -1;

	oq_init(&so.q[fd], OUT_STD_QUEUE, std_marker, NULL);
	if (fstat(fd, &st) == 0)
		wfd = fd_private_nonblock(fd, &st, &socket);
	oq_set_fd(&so.q[fd], wfd, socket);      /* -1 (fd closed): every line is dropped */
}

int out_std_init(void)
{
	if (so.init)
		return 0;
	so.init = true;
	std_open(1);
	std_open(2);
	if (so.q[2].fd >= 0)
		log_set_writer(std_log_writer);
	return 0;
}

uint64_t out_std_dropped(void)
{
	return so.q[1].dropped + so.q[2].dropped;
}

void out_std_line(enum out_stream st, const char *name, pid_t pid, const char *line, size_t len)
{
	char hdr[SUP_NAME_MAX + 32];
	int h = pid > 0 ? snprintf(hdr, sizeof(hdr), "%s[%d]: ", name, (int)pid)
			: snprintf(hdr, sizeof(hdr), "%s: ", name);
	struct iovec iov[3] = {
		{ .iov_base = hdr, .iov_len = (size_t)h },
		{ .iov_base = (void *)line, .iov_len = len },
		{ .iov_base = "\n", .iov_len = 1 },
	};
	struct out_queue *q;

	if (!so.init)
		(void)out_std_init();
	q = &so.q[st == OUT_STDERR ? 2 : 1];
	if (h < 0 || h >= (int)sizeof(hdr))
		iov[0].iov_len = h < 0 ? 0 : sizeof(hdr) - 1;
	if (q->fd < 0) {
		oq_count_dropped(q, 1);
		return;
	}
	(void)oq_put(q, iov, 3);
}

/* --- re-execution (save.c) ------------------------------------------------ */

enum { SQ_STDOUT = 1, SQ_STDERR };

void out_std_save(struct st_buf *b)
{
	for (int fd = 1; fd <= 2 && so.init; fd++) {
		size_t at = st_open(b, fd == 1 ? SQ_STDOUT : SQ_STDERR);

		oq_save(&so.q[fd], b);
		st_close(b, at);
	}
}

int out_std_restore(const struct st_rd *rd, bool dry)
{
	struct st_rd v;
	int r;

	if (!dry)
		(void)out_std_init();
	for (int fd = 1; fd <= 2; fd++)
		if (st_find(rd, fd == 1 ? SQ_STDOUT : SQ_STDERR, &v) &&
		    (r = oq_restore(&so.q[fd], &v, dry)) < 0)
			return r;
	return 0;
}
