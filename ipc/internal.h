/*
 * internal.h: declarations shared between the files of ipc/ only.
 */
#ifndef OTPD_IPC_INTERNAL_H
#define OTPD_IPC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc.h"

/* Largest payload of one OUT/ERR frame queued by ipc_conn_out. */
#define IPC_CHUNK_MAX (64u * 1024)
/* Hard limit on bytes queued for output on one connection. */
#define IPC_OUT_LIMIT (4u * 1024 * 1024)
/* Give back c's output buffer (counted in ipc_out_total()). */
void ipc_conn_out_release(struct ipc_conn *c);

static inline void ipc_be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t ipc_be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Write a frame header for `type` and a payload of `plen` bytes. */
void ipc_hdr_put(uint8_t *hdr, enum ipc_type type, size_t plen);

/*
 * Check a header (IPC_HDR_LEN bytes).  0 and *ret_type, *ret_plen, or
 * -EPROTO (version, type) or -EMSGSIZE (payload over max_payload).
 */
int ipc_hdr_get(const uint8_t *hdr, size_t max_payload, enum ipc_type *ret_type,
		size_t *ret_plen);

/*
 * The server side of one control connection (conn.c, conn_out.c).  The
 * input buffer is inline so that a request never allocates; the output
 * queue is one growing buffer, consumed from out_off and compacted when
 * it runs empty.
 */
struct ipc_conn {
	int fd;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	void *data;
	bool have_req;          /* the request was returned; input is discarded */
	bool end_queued;        /* IPC_END is in the queue: nothing may follow */
	uint8_t *out;
	size_t out_off;         /* first byte not yet sent */
	size_t out_len;         /* end of queued bytes */
	size_t out_cap;
	size_t in_len;
	uint8_t in[IPC_HDR_LEN + IPC_REQ_MAX];
};

#endif
