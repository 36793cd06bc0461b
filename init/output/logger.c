/*
 * logger.c: the pipes between workers and their logger workers
 * (`stdout = worker:NAME`, otp.conf(5)), as runit's log/ service and
 * dinit's consumer-of have them.
 *
 * otpd holds both ends of one pipe per logger, for as long as some worker
 * logs to it: a producer's stdout (and stderr) is the write end, the
 * logger's stdin the read end.  otpd never reads or writes them itself, so
 * they stay blocking (a producer whose logger is down waits once the pipe
 * is full, as with runit), and a restart of either side loses nothing the
 * pipe holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "output.h"

struct logger_pipe {
	struct logger_pipe *next;
	int rfd, wfd;
	char name[];
};

static struct logger_pipe *loggers;

static struct logger_pipe *logger_find(const char *name)
{
	for (struct logger_pipe *l = loggers; l; l = l->next)
		if (strcmp(l->name, name) == 0)
			return l;
	return NULL;
}

int out_logger_pipe(const char *name, int *ret_rfd, int *ret_wfd)
{
	struct logger_pipe *l = logger_find(name);
	int fds[2];

	if (!l) {
		size_t n = strlen(name) + 1;

		if (!(l = malloc(sizeof(*l) + n)))
			return -ENOMEM;
		if (pipe2(fds, O_CLOEXEC) < 0) {
			int r = -errno;

			free(l);
			return r;
		}
		l->rfd = fds[0];
		l->wfd = fds[1];
		memcpy(l->name, name, n);
		l->next = loggers;
		loggers = l;
	}
	if (ret_rfd)
		*ret_rfd = l->rfd;
	if (ret_wfd)
		*ret_wfd = l->wfd;
	return 0;
}

void out_loggers_keep(bool (*keep)(const char *name, void *data), void *data)
{
	struct logger_pipe **at = &loggers;

	while (*at) {
		struct logger_pipe *l = *at;

		if (keep && keep(l->name, data)) {
			at = &l->next;
			continue;
		}
		*at = l->next;
		close(l->rfd);
		close(l->wfd);
		free(l);
	}
}

/* --- re-execution (save.c): LOGGERS, a LOGGER item each ------------------------ */

enum { LG_LOGGER = 1, LG_NAME, LG_RFD, LG_WFD };

void out_loggers_save(struct st_buf *b)
{
	for (const struct logger_pipe *l = loggers; l; l = l->next) {
		size_t at = st_open(b, LG_LOGGER);

		st_put_str(b, LG_NAME, l->name);
		st_put_fd(b, LG_RFD, l->rfd);
		st_put_fd(b, LG_WFD, l->wfd);
		st_close(b, at);
	}
}

static int logger_restore(const struct st_rd *rd, bool dry)
{
	char name[256];
	struct logger_pipe *l;
	size_t n;
	int rfd, wfd;

	if (!st_str(rd, LG_NAME, name, sizeof(name)) || !st_fd(rd, LG_RFD, &rfd) ||
	    !st_fd(rd, LG_WFD, &wfd) || rfd < 0 || wfd < 0)
		return -EBADMSG;
	if (dry)
		return 0;
	n = strlen(name) + 1;
	if (!(l = malloc(sizeof(*l) + n)))
		return -ENOMEM;
	l->rfd = rfd;
	l->wfd = wfd;
	memcpy(l->name, name, n);
	l->next = loggers;
	loggers = l;
	return 0;
}

int out_loggers_restore(const struct st_rd *rd, bool dry)
{
	struct st_rd it = *rd, v;
	unsigned tag;
	int r = 0;

	while (r == 0 && st_next(&it, &tag, &v) == 1)
		if (tag == LG_LOGGER)
			r = logger_restore(&v, dry);
	return r;
}
