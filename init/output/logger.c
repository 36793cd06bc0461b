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
