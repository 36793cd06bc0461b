/*
 * counter.c: an example otpd worker built on otp_mailbox.h.
 *
 * A counter, gen_server style:
 *   call "get"    -> the current value, as decimal text
 *   call "add N"  -> adds N, replies with the new value
 *   cast "add N"  -> adds N
 *   anything else -> reply "error: unknown request" (a bad cast is ignored)
 * Run it under otpd with `mailbox = true` (see counter.conf), then:
 *   otpctl call counter "add 5"; otpctl cast counter "add 1"; otpctl call counter get
 *   printf 'add 1\nadd 2\nget\n' | otpctl call counter --batch
 * The value lives in this process only: a restart starts again from 0,
 * but an overlapping restart (otpctl restart counter --overlap, or a
 * reload with upgrade = overlap) with `handover = true` and `ready =
 * notify` (see counter.conf) hands it to the new process: the old one
 * sends it (counter_handover), the new one reads it before it serves.
 *
 * The same program is also a client, to show the other side of the
 * library: `counter NAME REQUEST...` (with OTP_MAILBOX_DIR set, or
 * /run/otp/mailbox) sends each REQUEST as a call to worker NAME over one
 * kept connection (otp_conn_*) and prints the replies:
 *   OTP_MAILBOX_DIR=/run/otp/mailbox counter counter "add 1" "add 2" get
 *
 * Build: cc -std=gnu11 -D_GNU_SOURCE -Iipc etc/examples/counter.c \
 *           ipc/mailbox_*.c -o counter      (or -lotp_mailbox once installed)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otp_mailbox.h"

#define COUNTER_REQ_MAX 64      /* longer than any request we understand */

struct counter {
	long long value;
};

/* Copy a request into a NUL-terminated string, minus one trailing newline. */
static bool counter_req_text(const void *req, size_t len, char *buf, size_t size)
{
	if (len >= size || memchr(req, '\0', len))
		return false;
	memcpy(buf, req, len);
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	return true;
}

/* "add N": parse N; false if the text is anything else. */
static bool counter_parse_add(const char *text, long long *ret_n)
{
	char *end;
	long long n;

	if (strncmp(text, "add ", 4) != 0 || text[4] == '\0')
		return false;
	errno = 0;
	n = strtoll(text + 4, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*ret_n = n;
	return true;
}

/* Apply "add N" to the counter; false if it is not one or would overflow. */
static bool counter_apply_add(struct counter *c, const void *req, size_t len)
{
	char text[COUNTER_REQ_MAX];
	long long n, sum;

	if (!counter_req_text(req, len, text, sizeof(text)) || !counter_parse_add(text, &n))
		return false;
	if (__builtin_add_overflow(c->value, n, &sum))
		return false;
	c->value = sum;
	return true;
}

static ssize_t counter_reply(void *reply, size_t cap, const char *text)
{
	size_t len = strlen(text);

	if (len > cap)
		return -1;
	memcpy(reply, text, len);
	return (ssize_t)len;
}

static ssize_t counter_call(void *state, const void *req, size_t len, void *reply, size_t cap)
{
	struct counter *c = state;
	char text[COUNTER_REQ_MAX];
	char num[32];

	if (counter_req_text(req, len, text, sizeof(text)) && strcmp(text, "get") == 0) {
		snprintf(num, sizeof(num), "%lld", c->value);
		return counter_reply(reply, cap, num);
	}
	if (counter_apply_add(c, req, len)) {
		snprintf(num, sizeof(num), "%lld", c->value);
		return counter_reply(reply, cap, num);
	}
	return counter_reply(reply, cap, "error: unknown request");
}

static void counter_cast(void *state, const void *msg, size_t len)
{
	(void)counter_apply_add(state, msg, len);       /* a cast has nobody to tell */
}

static int counter_init(void *state)
{
	struct counter *c = state;

	/* The one line that says we are serving (stdout may be a pipe: flush). */
	printf("counter: serving, value %lld\n", c->value);
	fflush(stdout);
	return 0;
}

/* State handover, old side: the value, as decimal text. */
static void counter_handover(void *state)
{
	struct counter *c = state;
	char num[32];
	int len = snprintf(num, sizeof(num), "%lld", c->value);

	if (otp_handover_send(num, (size_t)len) < 0)
		fprintf(stderr, "counter: the new process did not take the value\n");
}

/* State handover, new side: take the value before serving (none: from 0). */
static void counter_take_over(struct counter *c)
{
	char *buf, *end;
	size_t len;
	long long v;

	if (otp_handover_receive((void **)&buf, &len, -1) < 0)
		return;
	buf = realloc(buf, len + 1);
	if (!buf)
		return;
	buf[len] = '\0';
	v = strtoll(buf, &end, 10);
	if (len > 0 && *end == '\0')
		c->value = v;
	free(buf);
}

static void counter_terminate(void *state, int why)
{
	struct counter *c = state;

	if (why < 0)
		fprintf(stderr, "counter: stopping on error: %s\n", strerror(-why));
	else
		fprintf(stderr, "counter: stopping at %lld\n", c->value);
}

/*
 * The client side: one connection kept for every request (a call costs a
 * send and a recv, not a connect).  If the worker restarts in between,
 * the library reconnects for the next call; a call in flight when it
 * died fails at once with -ECONNRESET, and is not sent again.
 */
static int counter_client(const char *name, int n, char **reqs)
{
	struct otp_conn *c;
	char reply[COUNTER_REQ_MAX];
	ssize_t len;
	int r = otp_conn_open(name, &c);

	if (r < 0) {
		fprintf(stderr, "counter: %s: %s\n", name, strerror(-r));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		len = otp_conn_call(c, reqs[i], strlen(reqs[i]), reply, sizeof(reply), 5000);
		if (len < 0) {
			fprintf(stderr, "counter: %s: %s: %s\n", name, reqs[i], strerror((int)-len));
			otp_conn_close(c);
			return 1;
		}
		printf("%.*s\n", (int)len, reply);
	}
	otp_conn_close(c);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct otp_mb_callbacks cb = {
		.init = counter_init,
		.handle_call = counter_call,
		.handle_cast = counter_cast,
		.terminate = counter_terminate,
		.handover = counter_handover,
	};
	struct counter c = { 0 };
	int r;

	if (argc > 1)
		return counter_client(argv[1], argc - 2, argv + 2);
	if (otp_taking_over())
		counter_take_over(&c);
	r = otp_mb_serve(&cb, &c);

	if (r == -ENOENT) {
		fprintf(stderr, "counter: no mailbox on fd 3 (run me under otpd with mailbox = true)\n");
		return 1;
	}
	if (r != 0) {
		fprintf(stderr, "counter: %s\n", r < 0 ? strerror(-r) : "init failed");
		return 1;
	}
	return 0;
}
