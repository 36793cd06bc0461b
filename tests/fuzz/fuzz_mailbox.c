/*
 * fuzz_mailbox.c: the mailbox library (libotp_mailbox) against hostile
 * peers, through its public API only (ipc/otp_mailbox.h).
 *
 * Two peers run in threads of their own for the whole run, each on a
 * listening SOCK_SEQPACKET socket in a private directory:
 *   - a real server: otp_mb_serve_fd() with callbacks whose behaviour the
 *     request picks (echo, fail, a reply of exactly the cap, one byte
 *     over it);
 *   - a fake server: accepts, reads the call, and answers with datagrams
 *     the input scripts (any kind byte, any length, several, or none).
 * The input is a list of operations: raw datagrams to the real server
 * (any kind byte, empty, oversized, two on one connection, a connection
 * without a word), connections held open and silent for the rest of the
 * input, several calls and casts pipelined on one raw connection,
 * otp_call_path/otp_cast_path to it, calls and casts over a kept
 * connection (otp_conn_*), and calls to the fake server with every reply
 * capacity.  Each input ends with a call that the real server can answer
 * only after serving everything before it on that connection.
 * Invariants: a call returns at most its cap and a reply equal to what
 * the server meant, or an error; the real server never replies to a
 * request it cannot answer in full; pipelined calls are answered in
 * order; a silent connection holds nobody up (no call to the real server
 * times out); nothing blocks beyond the timeouts.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../ipc/otp_mailbox.h"
#include "fuzz.h"

#define CALL_TIMEOUT_MS 3000
#define BIG (OTP_MB_MSG_MAX + 16)

enum { MODE_ECHO, MODE_FAIL, MODE_FULL, MODE_OVER, MODE_COUNT };
enum { OP_RAW, OP_RAW_TWO, OP_RAW_EMPTY, OP_SILENT, OP_CALL, OP_CAST, OP_FAKE, OP_PIPELINE,
       OP_CONN, OP_COUNT };
#define SILENT_MAX 8            /* connections held open and silent per input */

static char real_path[108], fake_path[108];
static size_t full_cap;         /* the cap the handler last filled */

/* The fake server's script for the next call: datagrams, kind byte first. */
static struct {
	pthread_mutex_t lock;
	uint8_t *msg[4];
	size_t len[4];
	int n;
} script = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint8_t fill_byte(size_t i)
{
	return (uint8_t)(i * 7 + 3);
}

/*
 * send/recv through EINTR: libFuzzer's -timeout is a SIGALRM every second,
 * which interrupts whichever thread waits.
 */
static ssize_t xsend(int fd, const void *p, size_t n)
{
	ssize_t r;

	do
		r = send(fd, p, n, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r;
}

static ssize_t xrecv(int fd, void *p, size_t n)
{
	ssize_t r;

	do
		r = recv(fd, p, n, 0);
	while (r < 0 && errno == EINTR);
	return r;
}

/* The real server's call handler: the request's first byte picks the mode. */
static ssize_t on_call(void *state, const void *req, size_t len, void *reply, size_t cap)
{
	unsigned mode = len ? ((const uint8_t *)req)[0] % MODE_COUNT : MODE_ECHO;

	switch (mode) {
	case MODE_ECHO:
		if (len > cap)
			fuzz_fail("the server was handed a request over its cap");
		memcpy(reply, req, len);
		return (ssize_t)len;
	case MODE_FAIL:
		return -1;
	case MODE_FULL:
		for (size_t i = 0; i < cap; i++)
			((uint8_t *)reply)[i] = fill_byte(i);
		__atomic_store_n(&full_cap, cap, __ATOMIC_RELEASE);
		return (ssize_t)cap;
	default:
		return (ssize_t)cap + 1;
	}
}

static void on_cast(void *state, const void *msg, size_t len)
{
	if (len > OTP_MB_MSG_MAX)
		fuzz_fail("a cast over OTP_MB_MSG_MAX was handed to the server");
}

static const struct otp_mb_callbacks callbacks = { .handle_call = on_call, .handle_cast = on_cast };

static int listen_at(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 512) < 0)
		fuzz_fail("listen at %s: %s", path, strerror(errno));
	return fd;
}

static void *real_server(void *arg)
{
	int r = otp_mb_serve_fd((int)(intptr_t)arg, &callbacks, NULL);

	fuzz_fail("otp_mb_serve_fd returned %d", r);
	return NULL;
}

static void *fake_server(void *arg)
{
	int lfd = (int)(intptr_t)arg;
	uint8_t *req = malloc(BIG);

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			continue;
		(void)xrecv(fd, req, BIG);
		pthread_mutex_lock(&script.lock);
		for (int i = 0; i < script.n; i++)
			(void)xsend(fd, script.msg[i], script.len[i]);
		pthread_mutex_unlock(&script.lock);
		close(fd);
	}
	return NULL;
}

static char dir[sizeof(real_path) - 8];

static void cleanup(void)
{
	unlink(real_path);
	unlink(fake_path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	pthread_t t;

	/* run.sh points TMPDIR into the fuzz build: what a crash leaves stays there. */
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/otpd-fuzz-mb.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		fuzz_fail("mkdtemp %s: %s", dir, strerror(errno));
	snprintf(real_path, sizeof(real_path), "%s/real", dir);
	snprintf(fake_path, sizeof(fake_path), "%s/fake", dir);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_create(&t, NULL, real_server, (void *)(intptr_t)listen_at(real_path)) ||
	    pthread_create(&t, NULL, fake_server, (void *)(intptr_t)listen_at(fake_path)))
		fuzz_fail("pthread_create");
	atexit(cleanup);
	return 0;
}

/* --- one input ---------------------------------------------------------- */

/* A message of `len` bytes made of the input's bytes, repeated. */
static uint8_t *message(struct fuzz_in src, size_t len)
{
	uint8_t *m = malloc(len ? len : 1);

	if (!m)
		fuzz_fail("out of memory");
	for (size_t i = 0; i < len; i++)
		m[i] = src.n ? src.p[i % src.n] : fill_byte(i);
	return m;
}

/* A length around the interesting sizes: small, near 512, near the max. */
static size_t length(struct fuzz_in *in)
{
	unsigned v = fuzz_u16(in);

	switch (v >> 14) {
	case 0:
		return v % 64;
	case 1:
		return 480 + v % 64;
	case 2:
		return OTP_MB_MSG_MAX - 8 + v % 16;
	default:
		return v % (OTP_MB_MSG_MAX + 4);
	}
}

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		if (fd < 0 || errno != EINTR)
			fuzz_fail("connect %s: %s", path, strerror(errno));
		close(fd);      /* interrupted while the backlog was full: again */
	}
}

/* One or two raw datagrams (or none) on one connection, then hang up. */
static void op_raw(const uint8_t *m, size_t len, int count)
{
	int fd = raw_connect(real_path);

	for (int i = 0; i < count; i++)
		(void)xsend(fd, m, len);
	close(fd);
}

static void op_call(const uint8_t *m, size_t len, size_t cap)
{
	uint8_t *rep = malloc(cap ? cap : 1);
	unsigned mode = len ? m[0] % MODE_COUNT : MODE_ECHO;
	ssize_t r = otp_call_path(real_path, m, len, rep, cap, CALL_TIMEOUT_MS);

	if (r > (ssize_t)cap)
		fuzz_fail("a reply of %zd bytes for a cap of %zu", r, cap);
	if (len > OTP_MB_MSG_MAX && r != -EMSGSIZE)
		fuzz_fail("a request over the maximum was sent (%zd)", r);
	if (r == -ETIMEDOUT)
		fuzz_fail("the real server did not answer in time");
	if (r >= 0 && mode == MODE_ECHO && ((size_t)r != len || memcmp(rep, m, len) != 0))
		fuzz_fail("echo reply differs");
	if (r >= 0 && (mode == MODE_FAIL || mode == MODE_OVER))
		fuzz_fail("a reply from a handler that gave none (mode %u)", mode);
	if (r >= 0 && mode == MODE_FULL) {
		if ((size_t)r != __atomic_load_n(&full_cap, __ATOMIC_ACQUIRE))
			fuzz_fail("a full reply of %zd bytes, the handler's cap was %zu", r,
				  __atomic_load_n(&full_cap, __ATOMIC_ACQUIRE));
		for (ssize_t i = 0; i < r; i++)
			if (rep[i] != fill_byte((size_t)i))
				fuzz_fail("full reply differs at %zd", i);
	}
	free(rep);
}

/* Script the fake server's answer from the input, then call it. */
static void op_fake(struct fuzz_in *in, const uint8_t *m, size_t len, size_t cap)
{
	uint8_t *rep = malloc(cap ? cap : 1);
	int n = (int)(fuzz_u8(in) % 4);
	ssize_t r;

	pthread_mutex_lock(&script.lock);
	script.n = n;
	for (int i = 0; i < n; i++) {
		size_t l = i == 0 ? len : length(in);

		script.msg[i] = i == 0 ? (uint8_t *)m : message(*in, l);
		script.len[i] = l;
	}
	pthread_mutex_unlock(&script.lock);
	r = otp_call_path(fake_path, "c", 1, rep, cap, CALL_TIMEOUT_MS);
	if (r > (ssize_t)cap)
		fuzz_fail("a reply of %zd bytes for a cap of %zu", r, cap);
	if (r >= 0 && (n == 0 || len == 0 || m[0] != OTP_MB_REPLY || (size_t)r != len - 1 ||
		       memcmp(rep, m + 1, (size_t)r) != 0))
		fuzz_fail("a reply the fake server did not send (%zd bytes)", r);
	if (r == -ETIMEDOUT)
		fuzz_fail("the fake server hung up, yet the call timed out");
	pthread_mutex_lock(&script.lock);
	for (int i = 1; i < n; i++)
		free(script.msg[i]);
	script.n = 0;
	pthread_mutex_unlock(&script.lock);
	free(rep);
}

/* What the real server answers to a call of `m`: its length, or -1 (none). */
static ssize_t expected(const uint8_t *m, size_t len)
{
	unsigned mode = len ? m[0] % MODE_COUNT : MODE_ECHO;

	if (len > OTP_MB_MSG_MAX || mode == MODE_FAIL || mode == MODE_OVER)
		return -1;
	return mode == MODE_FULL ? OTP_MB_MSG_MAX : (ssize_t)len;
}

/*
 * Up to four messages sent back to back on one raw connection (calls
 * and casts of the request `m` cut in pieces), then the replies read:
 * one per call, in order, until a call without an answer drops the
 * connection.
 */
static void op_pipeline(const uint8_t *m, size_t len, unsigned shape)
{
	static uint8_t buf[1 + OTP_MB_MSG_MAX + 16];
	int fd = raw_connect(real_path), n = 1 + (int)(shape % 4), sent = 0;
	size_t piece = len / (size_t)n;
	struct timeval tv = { CALL_TIMEOUT_MS / 1000, 0 };
	ssize_t want[4];        /* reply length; -1 no reply (dropped); -2 a cast */
	bool dropped = false;   /* a message before this one makes the server hang up */

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (int i = 0; i < n; i++, sent++) {
		const uint8_t *p = m + (size_t)i * piece;
		bool call = (shape >> (2 + i)) & 1;

		buf[0] = call ? OTP_MB_CALL : OTP_MB_CAST;
		memcpy(buf + 1, p, piece);
		want[i] = piece > OTP_MB_MSG_MAX ? -1 : call ? expected(p, piece) : -2;
		if (xsend(fd, buf, piece + 1) < 0) {
			if (!dropped || (errno != EPIPE && errno != ECONNRESET))
				fuzz_fail("pipelined send %d: %s", i + 1, strerror(errno));
			break;
		}
		dropped = dropped || want[i] == -1;
	}
	for (int i = 0; i < sent; i++) {
		if (want[i] == -2)
			continue;
		ssize_t r = xrecv(fd, buf, sizeof(buf));

		if (r < 0 && errno == EAGAIN)
			fuzz_fail("pipelined call %d of %d: no answer in time", i + 1, n);
		if (want[i] < 0) {
			if (r > 0)
				fuzz_fail("pipelined call %d answered, its handler gave none", i + 1);
			break;
		}
		if (r != want[i] + 1 || buf[0] != OTP_MB_REPLY)
			fuzz_fail("pipelined call %d: %zd bytes (%s), kind %d, want %zd", i + 1, r,
				  r < 0 ? strerror(errno) : "", r > 0 ? buf[0] : -1, want[i] + 1);
		if ((piece ? m[(size_t)i * piece] % MODE_COUNT : MODE_ECHO) == MODE_ECHO &&
		    memcmp(buf + 1, m + (size_t)i * piece, piece) != 0)
			fuzz_fail("pipelined call %d: the echo differs (out of order?)", i + 1);
	}
	close(fd);
}

/* A call or a cast over the input's kept connection (opened at first use). */
static void op_conn(struct otp_conn **c, const uint8_t *m, size_t len, size_t cap, bool cast)
{
	uint8_t *rep;
	ssize_t r, want = expected(m, len);

	if (!*c && otp_conn_open_path(real_path, c) != 0)
		fuzz_fail("otp_conn_open_path failed");
	if (cast) {
		r = otp_conn_cast(*c, m, len);
		if (r != 0 && !(len > OTP_MB_MSG_MAX && r == -EMSGSIZE))
			fuzz_fail("kept cast: %zd", r);
		return;
	}
	rep = malloc(cap ? cap : 1);
	r = otp_conn_call(*c, m, len, rep, cap, CALL_TIMEOUT_MS);
	if (r == -ETIMEDOUT)
		fuzz_fail("kept call: no answer in time");
	if (r > (ssize_t)cap || (r >= 0 && r != want))
		fuzz_fail("kept call: %zd bytes, want %zd (cap %zu)", r, want, cap);
	if (r >= 0 && (len ? m[0] % MODE_COUNT : MODE_ECHO) == MODE_ECHO &&
	    memcmp(rep, m, len) != 0)
		fuzz_fail("kept call: the echo differs");
	if (r < 0 && want >= 0 && (size_t)want <= cap && len <= OTP_MB_MSG_MAX)
		fuzz_fail("kept call failed (%zd) where the server answers", r);
	free(rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct otp_conn *conn = NULL;
	int silent[SILENT_MAX], n_silent = 0;

	for (int k = 0; k < 16 && in.n > 0; k++) {
		unsigned op = fuzz_u8(&in) % OP_COUNT;
		size_t len = length(&in), cap = length(&in);
		struct fuzz_in body = fuzz_until(&in, "|");
		uint8_t *m = message(body, len);

		switch (op) {
		case OP_RAW:
			op_raw(m, len, 1);
			break;
		case OP_RAW_TWO:
			op_raw(m, len, 2);
			break;
		case OP_RAW_EMPTY:
			op_raw(m, len, 0);
			break;
		case OP_SILENT:
			if (n_silent < SILENT_MAX)
				silent[n_silent++] = raw_connect(real_path);
			break;
		case OP_PIPELINE:
			op_pipeline(m, len, (unsigned)cap);
			break;
		case OP_CONN:
			op_conn(&conn, m, len, cap, cap % 5 == 0);
			break;
		case OP_CALL:
			op_call(m, len, cap);
			break;
		case OP_CAST: {
			int r = otp_cast_path(real_path, m, len);

			if (r != 0 && !(len > OTP_MB_MSG_MAX && r == -EMSGSIZE))
				fuzz_fail("cast: %d", r);
			break;
		}
		default:
			op_fake(&in, m, len, cap);
			break;
		}
		free(m);
	}
	/* Served only after everything queued before it (on its connection). */
	if (otp_call_path(real_path, "", 0, NULL, 0, CALL_TIMEOUT_MS) != 0)
		fuzz_fail("the closing call failed");
	otp_conn_close(conn);
	while (n_silent > 0)
		close(silent[--n_silent]);
	return 0;
}
