/*
 * frame.c: the control protocol's frame codec and request parser.
 *
 * Pure functions over byte buffers; the peer is untrusted, so every length
 * is checked against the buffer and the limit before anything is touched.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static bool ipc_type_known(unsigned t)
{
	return t >= IPC_REQ && t <= IPC_END;
}

void ipc_hdr_put(uint8_t *hdr, enum ipc_type type, size_t plen)
{
	ipc_be32_put(hdr, (uint32_t)plen);
	hdr[4] = IPC_VERSION;
	hdr[5] = (uint8_t)type;
}

int ipc_hdr_get(const uint8_t *hdr, size_t max_payload, enum ipc_type *ret_type,
		size_t *ret_plen)
{
	uint32_t plen = ipc_be32_get(hdr);

	if (hdr[4] != IPC_VERSION || !ipc_type_known(hdr[5]))
		return -EPROTO;
	if (plen > max_payload)
		return -EMSGSIZE;
	*ret_type = (enum ipc_type)hdr[5];
	*ret_plen = plen;
	return 0;
}

int ipc_frame_put(uint8_t *buf, size_t cap, size_t *len, enum ipc_type type, const void *payload,
		  size_t plen)
{
	if (!ipc_type_known(type) || plen > UINT32_MAX || *len > cap)
		return -EINVAL;
	/* Written so that no sum can overflow. */
	if (cap - *len < IPC_HDR_LEN || cap - *len - IPC_HDR_LEN < plen)
		return -ENOSPC;
	ipc_hdr_put(buf + *len, type, plen);
	if (plen > 0)
		memcpy(buf + *len + IPC_HDR_LEN, payload, plen);
	*len += IPC_HDR_LEN + plen;
	return 0;
}

ssize_t ipc_frame_get(const uint8_t *buf, size_t len, size_t max_payload, enum ipc_type *ret_type,
		      const uint8_t **ret_payload, size_t *ret_plen)
{
	enum ipc_type type;
	size_t plen;
	int r;

	if (len < IPC_HDR_LEN)
		return 0;
	r = ipc_hdr_get(buf, max_payload, &type, &plen);
	if (r < 0)
		return r;
	if (len - IPC_HDR_LEN < plen)
		return 0;
	*ret_type = type;
	*ret_payload = buf + IPC_HDR_LEN;
	*ret_plen = plen;
	return (ssize_t)(IPC_HDR_LEN + plen);
}

int ipc_req_parse(const uint8_t *payload, size_t plen, const char **argv, int max)
{
	int argc = 0;
	size_t i;

	if (plen == 0 || payload[plen - 1] != '\0')
		return -EPROTO;
	for (i = 0; i < plen; i++)
		if (payload[i] == '\0')
			argc++;
	if (argc > IPC_ARGS_MAX || argc > max)
		return -E2BIG;

	/* Second pass only once the whole request is known to fit. */
	argv[0] = (const char *)payload;
	argc = 1;
	for (i = 0; i + 1 < plen; i++)
		if (payload[i] == '\0')
			argv[argc++] = (const char *)payload + i + 1;
	if (argc < max)
		argv[argc] = NULL;
	return argc;
}
