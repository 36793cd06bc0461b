/*
 * env_file.c: environment_file (systemd's EnvironmentFile=), read when a
 * worker starts.
 *
 * KEY=VALUE lines, any length, up to CFG_ENV_FILE_MAX bytes in all;
 * leading blanks skipped; blank lines, lines starting with '#', lines
 * without '=' and lines without a name before it ignored; a value wholly
 * inside matching '...' or "..." loses the quotes.  A file with a NUL
 * byte, or larger than the bound, is refused as a whole: never cut.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* One line, NUL-terminated in place: to fn, or skipped. */
static int line_take(char *s, int (*fn)(const char *kv, void *data), void *data)
{
	char *eq;
	size_t vlen;

	s += strspn(s, " \t");
	s[strcspn(s, "\r")] = '\0';
	eq = strchr(s, '=');
	/* No name ("=VALUE"): skipped, as systemd skips an invalid assignment. */
	if (!*s || *s == '#' || !eq || eq == s)
		return 0;
	vlen = strlen(eq + 1);
	if (vlen >= 2 && (eq[1] == '"' || eq[1] == '\'') && eq[vlen] == eq[1]) {
		memmove(eq + 1, eq + 2, vlen - 2);
		eq[vlen - 1] = '\0';
	}
	return fn(s, data);
}

int cfg_env_file_parse(char *text, size_t len, int (*fn)(const char *kv, void *data),
		       void *data)
{
	size_t at = 0;
	int r = 0;

	if (memchr(text, '\0', len))
		return -EINVAL;
	while (r == 0 && at < len) {
		char *nl = memchr(text + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - text) : len;

		text[end] = '\0';      /* the '\n', or the NUL after the text */
		r = line_take(text + at, fn, data);
		at = end + 1;
	}
	return r;
}

int cfg_env_file_load(const char *path, int (*fn)(const char *kv, void *data), void *data)
{
	char *text = NULL;
	size_t len = 0;
	int r = cfg_read_file(path, CFG_ENV_FILE_MAX, &text, &len);

	if (r == 0)
		r = cfg_env_file_parse(text, len, fn, data);
	free(text);
	return r;
}
