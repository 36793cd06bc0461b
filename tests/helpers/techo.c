/*
 * techo: a mailbox worker for otpd's tests, built on otp_mailbox.h.
 *
 *   call "sleep MS"  sleeps, then replies "slept"
 *   call "die"       exits 1 without replying
 *   call "who"       replies its own name ($OTP_NAME) and pid
 *   call "ask NAME MSG"  calls worker NAME with MSG and replies its answer
 *   any other call   replied with the same bytes
 *   cast             appended to $TECHO_CASTS (a file), if set
 *   system cast      read with otp_mb_sys_parse and appended to $TECHO_INFO
 *                    (a file), if set: "DOWN NAME PID REASON", "UP NAME PID",
 *                    "other WORD", or "bad" + the raw message
 *   system call ping answered by the library
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "otp_mailbox.h"

static ssize_t on_call(void *st, const void *req, size_t len, void *reply, size_t cap)
{
	const char *r = req;

	if (len > 6 && memcmp(r, "sleep ", 6) == 0) {
		char n[16] = "";
		struct timespec ts;
		long ms;

		memcpy(n, r + 6, len - 6 < 15 ? len - 6 : 15);
		ms = atol(n);
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000;
		nanosleep(&ts, NULL);
		memcpy(reply, "slept", 5);
		return 5;
	}
	if (len == 3 && memcmp(r, "die", 3) == 0)
		_exit(1);
	if (len == 3 && memcmp(r, "who", 3) == 0)
		return snprintf(reply, cap, "%s %d", getenv("OTP_NAME"), (int)getpid());
	if (len > 4 && memcmp(r, "ask ", 4) == 0) {
		char buf[256], *sp;

		snprintf(buf, sizeof(buf), "%.*s", (int)(len - 4), r + 4);
		sp = strchr(buf, ' ');
		if (!sp)
			return -1;
		*sp = '\0';
		return otp_call(buf, sp + 1, strlen(sp + 1), reply, cap, 5000);
	}
	memcpy(reply, req, len < cap ? len : cap);
	return (ssize_t)(len < cap ? len : cap);
}

static void on_cast(void *st, const void *msg, size_t len)
{
	const char *path = getenv("TECHO_CASTS");
	FILE *f = path ? fopen(path, "a") : NULL;

	if (!f)
		return;
	fwrite(msg, 1, len, f);
	fputc('\n', f);
	fclose(f);
}

static void on_info(void *st, const void *msg, size_t len)
{
	const char *path = getenv("TECHO_INFO");
	FILE *f = path ? fopen(path, "a") : NULL;
	struct otp_mb_sys m;

	if (!f)
		return;
	if (otp_mb_sys_parse(msg, len, &m) < 0)
		fprintf(f, "bad %.*s\n", (int)len, (const char *)msg);
	else if (m.kind == OTP_MB_SYS_DOWN)
		fprintf(f, "DOWN %s %d %s\n", m.name, (int)m.pid, m.reason);
	else if (m.kind == OTP_MB_SYS_UP)
		fprintf(f, "UP %s %d\n", m.name, (int)m.pid);
	else
		fprintf(f, "other %s\n", m.word);
	fclose(f);
}

int main(void)
{
	struct otp_mb_callbacks cb = { .handle_call = on_call, .handle_cast = on_cast,
				       .handle_info = on_info };

	printf("techo serving\n");
	fflush(stdout);
	return otp_mb_serve(&cb, NULL) < 0 ? 1 : 0;
}
