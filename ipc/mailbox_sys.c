/*
 * mailbox_sys.c: system messages, otpd's own messages to a worker
 * (otp_mailbox.h): who may send them, the answers the library gives by
 * itself, and reading a system cast.  Only libc is used: this file is part
 * of libotp_mailbox.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "mailbox_internal.h"

#define SYS_PING "ping"
#define SYS_PONG "pong"
#define SYS_UNSUPPORTED "error unsupported"

uid_t otp_mbi_sys_owner(int listen_fd)
{
	struct stat st;

	/* A socket's inode belongs to the user that made it: otpd, for fd 3. */
	if (fstat(listen_fd, &st) < 0)
		return (uid_t)-1;
	return st.st_uid;
}

bool otp_mbi_sys_trusted(const struct otp_mbi_server *s, int fd)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (s->sys_uid == (uid_t)-1)
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return false;
	return uc.uid == s->sys_uid;
}

/* Whether payload p (len bytes) has `word` as its first word. */
static bool sys_word_is(const uint8_t *p, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len >= n && memcmp(p, word, n) == 0 && (len == n || p[n] == ' ');
}

size_t otp_mbi_sys_answer(const uint8_t *req, size_t len, uint8_t *rep, size_t cap)
{
	const char *a = sys_word_is(req, len, SYS_PING) ? SYS_PONG : SYS_UNSUPPORTED;
	size_t n = strlen(a);

	if (n > cap)
		n = cap;
	memcpy(rep, a, n);
	return n;
}

/* Copy the text [p, p + n) into dst (size bytes, NUL-terminated); false if it does not fit. */
static bool sys_field(char *dst, size_t size, const char *p, size_t n)
{
	if (n == 0 || n >= size)
		return false;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return true;
}

/* A decimal pid from [p, p + n): 0 or more, no sign, no leading junk. */
static bool sys_pid(const char *p, size_t n, pid_t *ret)
{
	long v = 0;

	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (p[i] - '0');
	}
	if (v > 0x7fffffffL)
		return false;
	*ret = (pid_t)v;
	return true;
}

/* The next space-separated field of the text at *p (end e): its length, *p moved past it. */
static size_t sys_next(const char **p, const char *e, const char **ret_start)
{
	const char *q = *p, *sp;

	*ret_start = q;
	sp = memchr(q, ' ', (size_t)(e - q));
	*p = sp ? sp + 1 : e;
	return (size_t)((sp ? sp : e) - q);
}

/* Read the fields of DOWN (NAME PID REASON) or UP (NAME PID) after the word. */
static bool sys_fields(struct otp_mb_sys *m, const char *p, const char *e)
{
	const char *f;
	size_t n;

	n = sys_next(&p, e, &f);
	if (!sys_field(m->name, sizeof(m->name), f, n))
		return false;
	n = sys_next(&p, e, &f);
	if (!sys_pid(f, n, &m->pid))
		return false;
	if (m->kind == OTP_MB_SYS_UP)
		return p == e && f + n == e;
	if (f + n == e)
		return false;   /* DOWN without a reason */
	return sys_field(m->reason, sizeof(m->reason), p, (size_t)(e - p));
}

int otp_mb_sys_parse(const void *msg, size_t len, struct otp_mb_sys *ret)
{
	const char *p = msg, *e = p + len, *w;
	struct otp_mb_sys m;
	size_t n;

	if (!msg || !ret || len == 0 || memchr(p, '\0', len) || memchr(p, '\n', len))
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	n = sys_next(&p, e, &w);
	if (!sys_field(m.word, sizeof(m.word), w, n))
		return -EINVAL;
	if (strcmp(m.word, "DOWN") == 0)
		m.kind = OTP_MB_SYS_DOWN;
	else if (strcmp(m.word, "UP") == 0)
		m.kind = OTP_MB_SYS_UP;
	if (m.kind != OTP_MB_SYS_OTHER && !sys_fields(&m, p, e))
		return -EINVAL;
	*ret = m;
	return 0;
}
