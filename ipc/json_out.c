/*
 * json_out.c: otpctl's own JSON output (otpctl(1) JSON OUTPUT): the error
 * documents of failures otpctl sees itself (usage, otpd unreachable, a
 * mailbox call that timed out), and the replies of the verbs otpctl
 * answers without otpd (call, cast, import).
 *
 * Strings are written as JSON wants them: quotes, backslashes and control
 * characters escaped, bytes that are not valid UTF-8 as U+FFFD (a
 * mailbox reply may be any bytes).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ipc.h"

static bool json_on;

void ipc_json_set(bool on) { json_on = on; }
bool ipc_json(void) { return json_on; }

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;

	if (s[0] > 0xf4 || len == 0 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* overlong 3- and 4-byte forms, surrogates, above U+10FFFF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return len;
}

void ipc_json_string(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	fputc('"', f);
	while (i < n) {
		if (p[i] == '"' || p[i] == '\\') {
			fprintf(f, "\\%c", p[i++]);
		} else if (p[i] == '\n') {
			fputs("\\n", f), i++;
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			fprintf(f, "\\u%04x", p[i++]);
		} else if (p[i] < 0x80) {
			fputc(p[i++], f);
		} else if ((k = utf8_len(p + i, n - i)) > 0) {
			fwrite(p + i, 1, k, f);
			i += k;
		} else {
			fputs("\xef\xbf\xbd", f), i++;
		}
	}
	fputc('"', f);
}

void ipc_json_error(const char *error, const char *message)
{
	fputs("{\"ok\":false,\"error\":", stdout);
	ipc_json_string(stdout, error, strlen(error));
	fputs(",\"message\":", stdout);
	ipc_json_string(stdout, message, strlen(message));
	fputs("}\n", stdout);
	fflush(stdout);
}

void ipc_say(const char *error, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	if (json_on)
		ipc_json_error(error, msg);
	else
		fprintf(stderr, "otpctl: %s\n", msg);
}

const char *ipc_exit_error(int code)
{
	switch (code) {
	case IPC_EXIT_USAGE: return "usage";
	case IPC_EXIT_UNREACHABLE: return "unreachable";
	case IPC_EXIT_TIMEOUT: return "timeout";
	case IPC_EXIT_ROLLBACK_FAILED: return "rollback_failed";
	default: return "failed";
	}
}
