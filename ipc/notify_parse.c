/*
 * notify_parse.c: the payload of one $NOTIFY_SOCKET datagram (sd_notify(3)).
 *
 * A pure function over the bytes the kernel delivered: the sender is
 * untrusted (any process that can reach the socket), so nothing is
 * assumed of the text: no NUL terminator, lines of any length, any bytes.
 * The socket itself (credentials, passed fds) stays with init/notify.c.
 */
#include <string.h>

#include "ipc.h"

/* One KEY=VALUE line (without its newline); other lines are ignored. */
static void ipc_notify_assign(struct ipc_notify_msg *m, const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n);

	if (!eq)
		return;
	size_t k = (size_t)(eq - s), vn = n - k - 1;
	const char *v = eq + 1;

	if (k == 5 && memcmp(s, "READY", 5) == 0)
		m->ready = vn == 1 && v[0] == '1';
	else if (k == 8 && memcmp(s, "WATCHDOG", 8) == 0)
		m->watchdog = vn == 1 && v[0] == '1';
	else if (k == 8 && memcmp(s, "STOPPING", 8) == 0)
		m->stopping = vn == 1 && v[0] == '1';
	else if (k == 6 && memcmp(s, "STATUS", 6) == 0) {
		m->status = v;
		m->status_len = vn;
	} else if (k == 12 && memcmp(s, "OTP_HANDOVER", 12) == 0) {
		m->handover = v;
		m->handover_len = vn;
	}
}

void ipc_notify_parse(const char *buf, size_t len, struct ipc_notify_msg *ret_msg)
{
	struct ipc_notify_msg m = { 0 };

	while (len > 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t n = nl ? (size_t)(nl - buf) : len;

		ipc_notify_assign(&m, buf, n);
		if (!nl)
			break;
		buf += n + 1;
		len -= n + 1;
	}
	*ret_msg = m;
}
