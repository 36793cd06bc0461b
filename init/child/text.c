/*
 * text.c: the little text the child makes between clone and
 * execve.  The child may share otpd's memory (spawn_clone.c), where only
 * async-signal-safe work is allowed: no stdio, so no snprintf.
 */
#include <string.h>

#include "child.h"

size_t child_text_int(char *buf, int v)
{
	char rev[16];
	unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
	size_t n = 0, len = 0;

	do {
		rev[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		buf[len++] = '-';
	while (n)
		buf[len++] = rev[--n];
	buf[len] = '\0';
	return len;
}

bool child_text_join(char *buf, size_t size, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la + lb + 1 > size)
		return false;
	memcpy(buf, a, la);
	memcpy(buf + la, b, lb + 1);
	return true;
}
