/*
 * tstate: a mailbox worker with a state of any size, for otpd's handover
 * tests (otp_mailbox.h, "state handover").
 *
 *   call "fill N SEED"  the state becomes N bytes from SEED; replies "ok"
 *   call "sum"          replies "LEN:CHECKSUM" of the state
 *   call "who"          replies its pid
 *   any other call      replied with the same bytes
 * At its start, when taking over (OTP_TAKING_OVER=1), it takes the old
 * process's state (otp_handover_receive) before it serves; READY=1 comes
 * from the library.  Environment:
 *   TSTATE_HANDOVER=send (default) | none (no callback: declines) |
 *                   hang (the callback sleeps 3 s and sends nothing)
 *   TSTATE_CRASH=1  when taking over: read 1 byte of the state, exit 3
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "otp_mailbox.h"

struct st {
	unsigned char *buf;
	size_t len;
};

static void fill(struct st *s, size_t n, unsigned seed)
{
	free(s->buf);
	s->buf = malloc(n ? n : 1);
	s->len = s->buf ? n : 0;
	for (size_t i = 0; i < s->len; i++) {
		seed = seed * 1103515245u + 12345u;
		s->buf[i] = (unsigned char)(seed >> 16);
	}
}

static uint64_t checksum(const struct st *s)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < s->len; i++)
		h = (h ^ s->buf[i]) * 1099511628211ull;
	return h;
}

static ssize_t on_call(void *state, const void *req, size_t len, void *reply, size_t cap)
{
	struct st *s = state;
	char text[64];
	unsigned long n, seed;

	snprintf(text, sizeof(text), "%.*s", (int)(len < 63 ? len : 63), (const char *)req);
	if (sscanf(text, "fill %lu %lu", &n, &seed) == 2) {
		fill(s, n, (unsigned)seed);
		return snprintf(reply, cap, "ok");
	}
	if (strcmp(text, "sum") == 0)
		return snprintf(reply, cap, "%zu:%016llx", s->len, (unsigned long long)checksum(s));
	if (strcmp(text, "who") == 0)
		return snprintf(reply, cap, "%d", (int)getpid());
	memcpy(reply, req, len < cap ? len : cap);
	return (ssize_t)(len < cap ? len : cap);
}

static void on_handover(void *state)
{
	struct st *s = state;
	const char *how = getenv("TSTATE_HANDOVER");

	if (how && strcmp(how, "hang") == 0) {
		struct timespec ts = { 3, 0 };

		nanosleep(&ts, NULL);
		return;
	}
	(void)otp_handover_send(s->buf, s->len);
}

static void take_over(struct st *s)
{
	void *buf;
	size_t len;

	if (getenv("TSTATE_CRASH")) {
		char b;

		(void)read(atoi(getenv("OTP_HANDOVER_FD")), &b, 1);
		_exit(3);
	}
	if (otp_handover_receive(&buf, &len, -1) == 0) {
		s->buf = buf;
		s->len = len;
	}
}

int main(void)
{
	const char *how = getenv("TSTATE_HANDOVER");
	struct otp_mb_callbacks cb = { .handle_call = on_call, .handover = on_handover };
	struct st s = { 0 };

	if (how && strcmp(how, "none") == 0)
		cb.handover = NULL;
	if (otp_taking_over())
		take_over(&s);
	return otp_mb_serve(&cb, &s) < 0 ? 1 : 0;
}
