/*
 * fuzz_notify.c: the $NOTIFY_SOCKET datagram parser (ipc/notify_parse.c).
 *
 * Input: one datagram's bytes, copied into a buffer of exactly that size
 * (no NUL after it, as recvmsg delivers it), so ASan sees any read past
 * the end.
 *
 * Invariants: STATUS= points inside the datagram, right after its key; a
 * flag is set only if its exact line ("READY=1", ...) is there; every
 * prefix of the datagram (a shorter datagram) parses within its bounds.
 */
#include "../../ipc/ipc.h"
#include "fuzz.h"

static bool has_line(const char *buf, size_t len, const char *line)
{
	size_t n = strlen(line);

	for (size_t i = 0; i + n <= len; i++)
		if ((i == 0 || buf[i - 1] == '\n') && memcmp(buf + i, line, n) == 0 &&
		    (i + n == len || buf[i + n] == '\n'))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	struct ipc_notify_msg m;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	ipc_notify_parse(buf, size, &m);
	if (m.status && (m.status < buf || m.status + m.status_len > buf + size))
		fuzz_fail("STATUS= outside the datagram");
	if (m.status && (m.status - buf < 7 || memcmp(m.status - 7, "STATUS=", 7) != 0))
		fuzz_fail("STATUS= not after its key");
	if (m.ready && !has_line(buf, size, "READY=1"))
		fuzz_fail("READY without READY=1");
	if (m.watchdog && !has_line(buf, size, "WATCHDOG=1"))
		fuzz_fail("WATCHDOG without WATCHDOG=1");
	if (m.stopping && !has_line(buf, size, "STOPPING=1"))
		fuzz_fail("STOPPING without STOPPING=1");
	/* Every prefix is a datagram too; a parse of one must stay inside it. */
	for (size_t cut = size; cut > 0; cut /= 2) {
		char *pre = malloc(cut);

		if (!pre)
			break;
		memcpy(pre, data, cut);
		ipc_notify_parse(pre, cut, &m);
		if (m.status && m.status + m.status_len > pre + cut)
			fuzz_fail("STATUS= of a prefix runs past it");
		free(pre);
	}
	free(buf);
	return 0;
}
