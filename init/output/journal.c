/*
 * journal.c: worker lines as journal entries of their own.
 *
 * otpd speaks journald's native protocol itself (systemd.journal-fields(7),
 * "Native Journal Protocol"): one datagram per entry on
 * /run/systemd/journal/socket, each field "KEY=value\n".  No libsystemd:
 * the static build does the same.  Entries carry
 *
 *   MESSAGE=            the line (a leading "<N>" sets PRIORITY and is cut)
 *   PRIORITY=           3 for stderr, 6 for stdout, or N of "<N>"
 *   SYSLOG_IDENTIFIER=  the worker's name
 *   SYSLOG_PID=, OTPD_PID=   the pid of the process that wrote it
 *   OTPD_WORKER=, OTPD_SUPERVISOR=, OTPD_STREAM=
 *
 * so `journalctl OTPD_WORKER=web` or `journalctl -t web` finds them.
 * Lines are at most OUT_LINE_MAX bytes, well below the datagram limit, so
 * the memfd way of large entries is never needed.
 *
 * Never blocking: the socket is non-blocking; when journald's queue is
 * full (EAGAIN) the entry is dropped and counted, and the next entry that
 * goes through is preceded by "otpd: N lines dropped".  When there is no
 * journal (no socket, journald gone), lines go to otpd's stdout/stderr;
 * connecting again is tried at most once a second.
 *
 * `log_target = auto` means the journal when otpd's stdout or stderr is
 * journald's stream (JOURNAL_STREAM=dev:ino names it, systemd.exec(5)).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#define JOURNAL_RETRY_MS 1000

static struct {
	int fd;
	int auto_journal;               /* -1: not checked yet */
	int64_t next_try;               /* monotonic ms: connect not before */
	uint64_t dropped, unreported;
} jr = { .fd = -1, .auto_journal = -1 };

/* Is fd journald's stream, as JOURNAL_STREAM says? */
static bool fd_is_journal(int fd, const char *js)
{
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(fd, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

bool out_journal_wanted(enum out_log_target t)
{
	const char *js;

	if (t != OUT_TARGET_AUTO)
		return t == OUT_TARGET_JOURNAL;
	if (jr.auto_journal < 0) {
		js = getenv("JOURNAL_STREAM");
		jr.auto_journal = fd_is_journal(1, js) || fd_is_journal(2, js);
	}
	return jr.auto_journal;
}

static int jr_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET };
	int fd;

	if (ev_now() < jr.next_try)
		return -EAGAIN;
	jr.next_try = ev_after(JOURNAL_RETRY_MS);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	jr.fd = fd;
	jr.next_try = 0;
	return 0;
}

static void jr_close(void)
{
	if (jr.fd >= 0)
		close(jr.fd);
	jr.fd = -1;
}

/* A leading "<N>" (N 0-7, sd-daemon(3)): the priority; cut from the text. */
static int jr_priority(const struct log_entry *e, const char **text, size_t *len)
{
	int prio = e->stream == OUT_STDERR ? 3 : 6;

	*text = e->line;
	*len = e->len;
	if (e->len >= 3 && e->line[0] == '<' && e->line[1] >= '0' && e->line[1] <= '7' &&
	    e->line[2] == '>') {
		prio = e->line[1] - '0';
		*text += 3;
		*len -= 3;
	}
	return prio;
}

#define IOV_STR(s) ((struct iovec){ .iov_base = (void *)(s), .iov_len = strlen(s) })

static int jr_send(struct iovec *iov, int n)
{
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n };

	if (sendmsg(jr.fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
		return 0;
	return -errno;
}

/* Tell the journal how many entries it did not get. */
static void jr_send_dropped(void)
{
	char msg[96];
	struct iovec iov[1];

	snprintf(msg, sizeof(msg),
		 "PRIORITY=4\nSYSLOG_IDENTIFIER=otpd\nMESSAGE=otpd: %llu lines dropped\n",
		 (unsigned long long)jr.unreported);
	iov[0] = IOV_STR(msg);
	if (jr_send(iov, 1) == 0)
		jr.unreported = 0;
}

static int jr_entry(const char *name, const char *sup, const struct log_entry *e)
{
	char head[64], pids[128];
	const char *text;
	size_t len;
	int prio = jr_priority(e, &text, &len);
	struct iovec iov[12];
	int n = 0;

	snprintf(head, sizeof(head), "PRIORITY=%d\nSYSLOG_IDENTIFIER=", prio);
	snprintf(pids, sizeof(pids), "\nSYSLOG_PID=%d\nOTPD_PID=%d\nOTPD_STREAM=%s\nOTPD_WORKER=",
		 (int)e->pid, (int)e->pid, out_stream_name(e->stream));
	iov[n++] = IOV_STR(head);
	iov[n++] = IOV_STR(name);
	iov[n++] = IOV_STR(pids);
	iov[n++] = IOV_STR(name);
	iov[n++] = IOV_STR("\nOTPD_SUPERVISOR=");
	iov[n++] = IOV_STR(sup);
	iov[n++] = IOV_STR("\nMESSAGE=");
	iov[n++] = (struct iovec){ .iov_base = (void *)text, .iov_len = len };
	iov[n++] = IOV_STR("\n");
	return jr_send(iov, n);
}

int out_journal_line(const char *name, const char *sup, const struct log_entry *e)
{
	int r;

	if (jr.fd < 0 && (r = jr_connect()) < 0)
		return r;
	if (jr.unreported)
		jr_send_dropped();
	r = jr.unreported ? -EAGAIN : jr_entry(name, sup, e);
	if (r == -ECONNREFUSED || r == -ENOTCONN || r == -ENOENT) {
		/* journald restarted: its socket is a new one. */
		jr_close();
		jr.next_try = 0;
		if ((r = jr_connect()) < 0)
			return r;
		r = jr_entry(name, sup, e);
	}
	if (r == -EAGAIN || r == -ENOBUFS || r == -EMSGSIZE) {
		jr.dropped++;
		jr.unreported++;
		return 0;
	}
	if (r < 0)
		jr_close();
	return r;
}

/* --- re-execution (save.c) ------------------------------------------------ */

enum { JR_DROPPED = 1, JR_UNREPORTED };

void out_journal_save(struct st_buf *b)
{
	st_put_u64(b, JR_DROPPED, jr.dropped);
	st_put_u64(b, JR_UNREPORTED, jr.unreported);
}

void out_journal_restore(const struct st_rd *rd)
{
	(void)st_u64(rd, JR_DROPPED, &jr.dropped);
	(void)st_u64(rd, JR_UNREPORTED, &jr.unreported);
}
