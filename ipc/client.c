/*
 * client.c: otpctl's side of the control protocol.
 *
 * Blocking and simple on purpose: send one REQ, then copy reply frames to
 * fd 1 and fd 2 as they arrive.  Payloads are streamed through a fixed
 * buffer, never collected, so `logs -f` can run forever in constant
 * memory.  This is the one place in ipc/ that prints: it is the tail end
 * of otpctl, and every failure becomes an exit code and one line.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* A reply being read: the socket, an optional deadline, a read buffer. */
struct ipc_client {
	int fd;
	int64_t deadline_ms;            /* CLOCK_MONOTONIC; < 0: none */
	size_t off, len;
	size_t out_bytes;               /* copied to stdout */
	size_t err_len;                 /* --json: the end of what went to stderr */
	char err_tail[512];
	uint8_t buf[IPC_CHUNK_MAX];
};

static int64_t ipc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Encode argv as one REQ frame into `buf`; 0, or -E2BIG if too large. */
static int ipc_req_encode(int argc, char *const *argv, uint8_t *buf, size_t *ret_len)
{
	size_t plen = 0, n;
	int i;

	if (argc < 1 || argc > IPC_ARGS_MAX)
		return -E2BIG;
	for (i = 0; i < argc; i++) {
		n = strlen(argv[i]) + 1;
		if (n > IPC_REQ_MAX - plen)
			return -E2BIG;
		memcpy(buf + IPC_HDR_LEN + plen, argv[i], n);
		plen += n;
	}
	ipc_hdr_put(buf, IPC_REQ, plen);
	*ret_len = IPC_HDR_LEN + plen;
	return 0;
}

static int ipc_client_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		(void)close(fd);
		return r;
	}
	return fd;
}

/* Write all of `p`, through EINTR, short writes and a non-blocking fd. */
static int ipc_write_all(int fd, const uint8_t *p, size_t len, bool sock)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	while (len > 0) {
		n = sock ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);
		if (n >= 0) {
			p += n;
			len -= (size_t)n;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			(void)poll(&pfd, 1, -1);
		} else if (errno != EINTR) {
			return -errno;
		}
	}
	return 0;
}

/* Wait until the socket is readable or the deadline passes. */
static int ipc_client_wait(const struct ipc_client *cl)
{
	struct pollfd pfd = { .fd = cl->fd, .events = POLLIN };
	int64_t left;
	int r;

	if (cl->deadline_ms < 0)
		return 0;
	for (;;) {
		left = cl->deadline_ms - ipc_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* Read more bytes after the buffered ones.  0, -EPIPE on EOF, or -errno. */
static int ipc_client_fill(struct ipc_client *cl)
{
	ssize_t n;
	int r;

	if (cl->off > 0) {
		memmove(cl->buf, cl->buf + cl->off, cl->len - cl->off);
		cl->len -= cl->off;
		cl->off = 0;
	}
	for (;;) {
		r = ipc_client_wait(cl);
		if (r < 0)
			return r;
		n = read(cl->fd, cl->buf + cl->len, sizeof(cl->buf) - cl->len);
		if (n > 0) {
			cl->len += (size_t)n;
			return 0;
		}
		if (n == 0)
			return -EPIPE;
		if (errno != EINTR)
			return -errno;
	}
}

/* Get `n` (<= sizeof buf) contiguous bytes at cl->buf + cl->off. */
static int ipc_client_need(struct ipc_client *cl, size_t n)
{
	int r;

	while (cl->len - cl->off < n) {
		r = ipc_client_fill(cl);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Keep the last bytes that went to stderr (a --json fallback's message). */
static void ipc_client_keep_err(struct ipc_client *cl, const char *p, size_t n)
{
	size_t cap = sizeof(cl->err_tail) - 1;

	if (n >= cap) {
		p += n - cap;
		n = cap;
	}
	if (cl->err_len + n > cap) {
		size_t drop = cl->err_len + n - cap;

		memmove(cl->err_tail, cl->err_tail + drop, cl->err_len - drop);
		cl->err_len -= drop;
	}
	memcpy(cl->err_tail + cl->err_len, p, n);
	cl->err_len += n;
	cl->err_tail[cl->err_len] = '\0';
}

/*
 * --json, and otpd failed the request without a JSON document (an otpd
 * that answers in text, or one that refused the connection early): the
 * last line it wrote to stderr becomes one.
 */
static void ipc_client_json_fallback(struct ipc_client *cl, int code)
{
	char *msg = cl->err_tail, *nl;

	if (!ipc_json() || code == IPC_EXIT_OK || cl->out_bytes > 0)
		return;
	while (cl->err_len > 0 && msg[cl->err_len - 1] == '\n')
		msg[--cl->err_len] = '\0';
	if ((nl = strrchr(msg, '\n')))
		msg = nl + 1;
	if (strncmp(msg, "otpctl: ", 8) == 0)
		msg += 8;
	ipc_json_error(ipc_exit_error(code), msg);
}

/* Copy `plen` payload bytes to `out` as they arrive. */
static int ipc_client_copy(struct ipc_client *cl, int out, size_t plen)
{
	size_t n;
	int r;

	while (plen > 0) {
		if (cl->off == cl->len) {
			r = ipc_client_fill(cl);
			if (r < 0)
				return r;
		}
		n = cl->len - cl->off;
		if (n > plen)
			n = plen;
		r = ipc_write_all(out, cl->buf + cl->off, n, false);
		if (r < 0)
			return -EIO;    /* our own stdout or stderr broke */
		if (out == STDOUT_FILENO)
			cl->out_bytes += n;
		else
			ipc_client_keep_err(cl, (const char *)cl->buf + cl->off, n);
		cl->off += n;
		plen -= n;
	}
	return 0;
}

/* Process one reply frame: 0 to go on, 1 + *ret_code at END, or -errno. */
static int ipc_client_frame(struct ipc_client *cl, int *ret_code)
{
	enum ipc_type type;
	size_t plen;
	int r;

	r = ipc_client_need(cl, IPC_HDR_LEN);
	if (r < 0)
		return r;
	r = ipc_hdr_get(cl->buf + cl->off, IPC_FRAME_MAX, &type, &plen);
	if (r < 0)
		return r;
	cl->off += IPC_HDR_LEN;
	switch (type) {
	case IPC_OUT:
		return ipc_client_copy(cl, STDOUT_FILENO, plen);
	case IPC_ERR:
		return ipc_client_copy(cl, STDERR_FILENO, plen);
	case IPC_END:
		if (plen != 1)
			return -EPROTO;
		r = ipc_client_need(cl, 1);
		if (r < 0)
			return r;
		*ret_code = cl->buf[cl->off++];
		return 1;
	default:
		return -EPROTO;
	}
}

/* Turn a broken reply into otpctl's message and exit code. */
static int ipc_client_fail(const char *path, int r)
{
	switch (r) {
	case -ETIMEDOUT:
		ipc_say("timeout", "timed out");
		return IPC_EXIT_TIMEOUT;
	case -EPIPE:
		ipc_say("unreachable", "otpd at %s closed the connection before replying", path);
		return IPC_EXIT_UNREACHABLE;
	case -EIO:
		ipc_say("failed", "cannot write the reply to stdout or stderr");
		return IPC_EXIT_REFUSED;
	case -EPROTO:
	case -EMSGSIZE:
		ipc_say("unreachable", "bad reply from otpd at %s: %s", path, strerror(-r));
		return IPC_EXIT_UNREACHABLE;
	default:
		ipc_say("unreachable", "lost otpd at %s: %s", path, strerror(-r));
		return IPC_EXIT_UNREACHABLE;
	}
}

static int ipc_client_talk(struct ipc_client *cl, const char *path, const uint8_t *req,
			   size_t len)
{
	int code = 0, r;

	r = ipc_write_all(cl->fd, req, len, true);
	/* A server that refuses early may have replied: read it anyway. */
	if (r < 0 && r != -EPIPE && r != -ECONNRESET)
		return ipc_client_fail(path, r);
	do
		r = ipc_client_frame(cl, &code);
	while (r == 0);
	if (r < 0)
		return ipc_client_fail(path, r);
	ipc_client_json_fallback(cl, code);
	return code;
}

int ipc_client_run_timeout(const char *socket_path, int argc, char *const *argv,
			   int64_t timeout_ms)
{
	struct ipc_client *cl;
	uint8_t *req;
	size_t len = 0;
	int r;

	req = malloc(IPC_HDR_LEN + IPC_REQ_MAX);
	cl = malloc(sizeof(*cl));
	if (!req || !cl) {
		free(req);
		free(cl);
		ipc_say("out_of_memory", "out of memory");
		return IPC_EXIT_REFUSED;
	}
	r = ipc_req_encode(argc, argv, req, &len);
	if (r < 0) {
		ipc_say("usage", "request too large (at most %d arguments, %d bytes)", IPC_ARGS_MAX,
			IPC_REQ_MAX);
		r = IPC_EXIT_USAGE;
		goto out_free;
	}
	*cl = (struct ipc_client){ .deadline_ms = -1 };
	if (timeout_ms >= 0)
		cl->deadline_ms = ipc_now_ms() + timeout_ms;
	cl->fd = ipc_client_connect(socket_path);
	if (cl->fd < 0) {
		ipc_say("unreachable", "cannot reach otpd at %s: %s", socket_path, strerror(-cl->fd));
		r = IPC_EXIT_UNREACHABLE;
		goto out_free;
	}
	r = ipc_client_talk(cl, socket_path, req, len);
	(void)close(cl->fd);
out_free:
	free(req);
	free(cl);
	return r;
}

int ipc_client_run(const char *socket_path, int argc, char *const *argv)
{
	return ipc_client_run_timeout(socket_path, argc, argv, -1);
}
