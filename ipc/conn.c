/*
 * conn.c: a server-side control connection, its life cycle and its input.
 *
 * A connection carries exactly one request.  Its bytes go into a buffer
 * bounded by one maximal REQ frame, so a client can neither make otpd
 * allocate nor make it wait: a bad header is refused as soon as its six
 * bytes are in.  Anything the client sends after its request is read and
 * thrown away, so a chatty peer cannot fill the socket and stall a reply.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

struct ipc_conn *ipc_conn_new(int fd, uid_t uid, gid_t gid, pid_t pid)
{
	struct ipc_conn *c;

	if (fd < 0)
		return NULL;
	c = malloc(sizeof(*c));
	if (!c)
		return NULL;
	*c = (struct ipc_conn){ .fd = fd, .uid = uid, .gid = gid, .pid = pid };
	return c;
}

void ipc_conn_free(struct ipc_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		(void)close(c->fd);
	ipc_conn_out_release(c);
	free(c);
}

int ipc_conn_fd(const struct ipc_conn *c)
{
	return c->fd;
}

uid_t ipc_conn_uid(const struct ipc_conn *c)
{
	return c->uid;
}

pid_t ipc_conn_pid(const struct ipc_conn *c)
{
	return c->pid;
}

gid_t ipc_conn_gid(const struct ipc_conn *c)
{
	return c->gid;
}

void *ipc_conn_data(const struct ipc_conn *c)
{
	return c->data;
}

void ipc_conn_set_data(struct ipc_conn *c, void *p)
{
	c->data = p;
}

/*
 * After the request: drain and drop input until the socket is empty.
 * 0 when it would block, -EPIPE once the peer has closed its side (the
 * owner should stop polling for input then), or another -errno.
 */
static int ipc_conn_discard(struct ipc_conn *c)
{
	uint8_t junk[4096];
	ssize_t n;

	for (;;) {
		n = read(c->fd, junk, sizeof(junk));
		if (n > 0)
			continue;
		if (n == 0)
			return -EPIPE;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return -errno;
	}
}

/* Decode the buffered REQ frame: 1 and argv, 0 if incomplete, or -errno. */
static int ipc_conn_parse(struct ipc_conn *c, const char **argv, int max, int *ret_argc)
{
	const uint8_t *payload;
	enum ipc_type type;
	size_t plen;
	ssize_t n;
	int argc;

	n = ipc_frame_get(c->in, c->in_len, IPC_REQ_MAX, &type, &payload, &plen);
	if (n <= 0)
		return (int)n;
	if (type != IPC_REQ)
		return -EPROTO;
	argc = ipc_req_parse(payload, plen, argv, max);
	/* Too many arguments is an oversized request to the owner. */
	if (argc == -E2BIG)
		return -EMSGSIZE;
	if (argc < 0)
		return argc;
	c->have_req = true;
	*ret_argc = argc;
	return 1;
}

int ipc_conn_on_readable(struct ipc_conn *c, const char **argv, int max, int *ret_argc)
{
	ssize_t n;
	int r;

	if (c->have_req)
		return ipc_conn_discard(c);
	for (;;) {
		/* The buffer holds one maximal frame; parse refuses anything larger. */
		n = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		c->in_len += (size_t)n;
		r = ipc_conn_parse(c, argv, max, ret_argc);
		if (r != 0)
			return r;
	}
}
