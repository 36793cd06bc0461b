/*
 * words.c: shell-like word splitting (no shell is ever run) and string
 * vectors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void cfg_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

/* Append a copy of `s` to the NULL-terminated vector *v of *n strings. */
int cfg_strv_push(char ***v, int *n, const char *s)
{
	char *copy = strdup(s);
	char **nv;

	if (!copy)
		return -ENOMEM;
	nv = realloc(*v, (size_t)(*n + 2) * sizeof(*nv));
	if (!nv) {
		free(copy);
		return -ENOMEM;
	}
	nv[*n] = copy;
	nv[*n + 1] = NULL;
	*v = nv;
	(*n)++;
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Copy one word starting at s[*i] into `out` (room for strlen(s) + 1).
 * Returns 0, or -EINVAL for an unterminated quote or a trailing backslash.
 */
static int word_next(const char *s, size_t *i, char *out)
{
	size_t o = 0, p = *i;

	while (s[p] && !is_blank(s[p])) {
		char c = s[p++];

		if (c == '\\') {
			if (!s[p])
				return -EINVAL;
			if (s[p] != '\n')       /* backslash-newline joins lines */
				out[o++] = s[p];
			p++;
		} else if (c == '\'') {
			while (s[p] && s[p] != '\'')
				out[o++] = s[p++];
			if (!s[p++])
				return -EINVAL;
		} else if (c == '"') {
			while (s[p] && s[p] != '"') {
				bool esc = s[p] == '\\' && s[p + 1] && strchr("\"\\$`\n", s[p + 1]);

				if (esc)
					p++;
				if (!(esc && s[p] == '\n'))
					out[o++] = s[p];
				p++;
			}
			if (!s[p++])
				return -EINVAL;
		} else {
			out[o++] = c;
		}
	}
	out[o] = '\0';
	*i = p;
	return 0;
}

int cfg_split_words(const char *s, char ***ret_argv, int *ret_argc)
{
	char **v = NULL, *buf;
	int n = 0, r = 0;
	size_t i = 0;

	if (!s)
		return -EINVAL;
	buf = malloc(strlen(s) + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		while (is_blank(s[i]))
			i++;
		if (!s[i])
			break;
		r = word_next(s, &i, buf);
		if (r == 0)
			r = cfg_strv_push(&v, &n, buf);
		if (r < 0)
			break;
	}
	free(buf);
	if (r == 0 && !v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			r = -ENOMEM;
	}
	if (r < 0) {
		cfg_strv_free(v);
		return r;
	}
	*ret_argv = v;
	*ret_argc = n;
	return 0;
}

/* A whitespace-separated list: no quoting, just words. */
int cfg_split_list(const char *s, char ***ret_v, int *ret_n)
{
	char **v = NULL;
	int n = 0;
	const char *p = s;

	while (*p) {
		size_t len;
		char *w;
		int r;

		p += strspn(p, " \t");
		len = strcspn(p, " \t");
		if (len == 0)
			break;
		w = strndup(p, len);
		r = w ? cfg_strv_push(&v, &n, w) : -ENOMEM;
		free(w);
		if (r < 0) {
			cfg_strv_free(v);
			return r;
		}
		p += len;
	}
	*ret_v = v;
	*ret_n = n;
	return 0;
}
