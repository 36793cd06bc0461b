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

/* Room for `want` bytes and a NUL (first exactly, then doubling).  -errno. */
static int room(char **text, size_t *cap, size_t want)
{
	size_t ncap = *cap;
	char *t;

	if (want + 1 <= *cap)
		return 0;
	while (ncap < want + 1)
		ncap = ncap ? 2 * ncap : want + 1 > 4096 ? want + 1 : 4096;
	t = realloc(*text, ncap);
	if (!t)
		return -ENOMEM;
	*text = t;
	*cap = ncap;
	return 0;
}

/*
 * The whole file, NUL-terminated, at most CFG_ENV_FILE_MAX bytes; `hint`
 * is its size if known (a pipe or /proc file has none).  -errno.
 */
static int slurp(int fd, size_t hint, char **ret_text, size_t *ret_len)
{
	char *text = NULL;
	size_t len = 0, cap = 0;
	int r = room(&text, &cap, hint + 1);    /* + 1: room to read the end */

	while (r == 0 && len <= CFG_ENV_FILE_MAX && (r = room(&text, &cap, len + 1)) == 0) {
		size_t want = cap - 1 - len;
		ssize_t n = read(fd, text + len, want < CFG_ENV_FILE_MAX + 1 - len ?
				 want : CFG_ENV_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (r == 0 && len > CFG_ENV_FILE_MAX)
		r = -EFBIG;
	if (r < 0) {
		free(text);
		return r;
	}
	text[len] = '\0';
	*ret_text = text;
	*ret_len = len;
	return 0;
}

int cfg_env_file_load(const char *path, int (*fn)(const char *kv, void *data), void *data)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (S_ISDIR(st.st_mode))
		r = -EISDIR;
	else if (S_ISREG(st.st_mode) && st.st_size > CFG_ENV_FILE_MAX)
		r = -EFBIG;
	if (r == 0)
		r = slurp(fd, S_ISREG(st.st_mode) ? (size_t)st.st_size : 0, &text, &len);
	close(fd);
	if (r == 0)
		r = cfg_env_file_parse(text, len, fn, data);
	free(text);
	return r;
}
