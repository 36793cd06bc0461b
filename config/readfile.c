/*
 * readfile.c: a whole file into memory, for the loader (configuration
 * files) and for environment files, each with its own bound.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Room for `want` bytes and a NUL in *text.  -errno. */
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

/* Read fd to its end, at most `max` bytes (-EFBIG past it). */
static int read_all(int fd, size_t hint, size_t max, char **ret_text, size_t *ret_len)
{
	char *text = NULL;
	size_t len = 0, cap = 0;
	int r = room(&text, &cap, hint + 1);    /* + 1: room to see the end */

	while (r == 0 && len <= max && (r = room(&text, &cap, len + 1)) == 0) {
		size_t want = cap - 1 - len;
		ssize_t n = read(fd, text + len, want < max + 1 - len ? want : max + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (r == 0 && len > max)
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

int cfg_read_file(const char *path, size_t max, char **ret_text, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (S_ISDIR(st.st_mode))
		r = -EISDIR;
	else if (S_ISREG(st.st_mode) && (size_t)st.st_size > max)
		r = -EFBIG;
	if (r == 0)
		r = read_all(fd, S_ISREG(st.st_mode) ? (size_t)st.st_size : 0, max, ret_text,
			     ret_len);
	close(fd);
	return r;
}
