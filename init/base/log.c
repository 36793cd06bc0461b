/*
 * log.c: otpd's own messages, one line each on stderr.
 *
 *   otpd: LEVEL: message        (terminal, file, pipe)
 *   <N>otpd: message            (stderr is journald's stream, N = syslog
 *                                priority, the sd-daemon(3) convention)
 *
 * A message is formatted into one buffer and written with one write(2),
 * so lines from otpd never interleave with each other.  Logging never
 * blocks the loop: stderr is written through fd_private_nonblock(), and a
 * message that does not fit right now is dropped.  errno is preserved
 * across log_msg().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"

#define LOG_LINE_MAX 2048

static struct {
	bool init;
	bool level_set;
	enum log_level level;
	bool journal;           /* prefix "<N>" instead of the level word */
	bool socket;            /* use send(MSG_DONTWAIT) */
	int fd;                 /* private non-blocking description, or 2 */
	void (*writer)(const char *buf, size_t len);    /* instead of fd, or NULL */
} lg = { .level = LOG_INFO, .fd = 2 };

static const char *const level_word[] = {
	[LOG_ERR] = "error", [LOG_WARN] = "warning", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

/* syslog(3) priorities: LOG_ERR 3, LOG_WARNING 4, LOG_INFO 6, LOG_DEBUG 7. */
static const int level_prio[] = { [LOG_ERR] = 3, [LOG_WARN] = 4, [LOG_INFO] = 6, [LOG_DEBUG] = 7 };

/* JOURNAL_STREAM=dev:ino names the stream stderr is connected to. */
static bool log_stderr_is_journal(const struct stat *st)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	return (unsigned long long)st->st_dev == dev && (unsigned long long)st->st_ino == ino;
}

static void log_open(void)
{
	struct stat st;
	const char *dbg = getenv("OTPD_DEBUG");

	lg.init = true;
	if (!lg.level_set && dbg && strcmp(dbg, "1") == 0)
		lg.level = LOG_DEBUG;
	if (fstat(2, &st) < 0)
		return;
	lg.journal = log_stderr_is_journal(&st);
	lg.fd = fd_private_nonblock(2, &st, &lg.socket);
}

void log_set_writer(void (*fn)(const char *buf, size_t len))
{
	if (!lg.init)
		log_open();
	lg.writer = fn;
}

void log_set_level(enum log_level lvl)
{
	lg.level = lvl;
	lg.level_set = true;
}

/* One line in; newlines inside a message would forge extra lines. */
static size_t __attribute__((format(printf, 4, 0)))
log_format(char *buf, size_t size, enum log_level lvl, const char *fmt, va_list ap)
{
	int h = lg.journal ? snprintf(buf, size, "<%d>otpd: ", level_prio[lvl])
			   : snprintf(buf, size, "otpd: %s: ", level_word[lvl]);
	int m = vsnprintf(buf + h, size - h - 1, fmt, ap);
	size_t len = (size_t)h + (m < 0 ? 0 : (size_t)m);

	if (len > size - 2)
		len = size - 2;         /* truncated */
	for (size_t i = h; i < len; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	buf[len++] = '\n';
	return len;
}

static void log_write(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t r = lg.socket ? send(lg.fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL)
				      : write(lg.fd, buf, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;         /* EAGAIN: dropped; anything else: nowhere to say it */
		buf += r;
		len -= (size_t)r;
	}
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char buf[LOG_LINE_MAX];
	int saved = errno;
	va_list ap;

	if (!lg.init)
		log_open();
	if ((unsigned)lvl > LOG_DEBUG)
		lvl = LOG_ERR;
	if (lvl > lg.level) {
		errno = saved;
		return;
	}
	errno = saved;          /* for %m */
	va_start(ap, fmt);
	size_t len = log_format(buf, sizeof(buf), lvl, fmt, ap);
	va_end(ap);
	if (lg.writer)
		lg.writer(buf, len);
	else
		log_write(buf, len);
	errno = saved;
}
