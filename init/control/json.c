/*
 * json.c: the text buffer and JSON writer of json.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

void jbuf_free(struct jbuf *b)
{
	free(b->p);
	*b = (struct jbuf){ 0 };
}

/* Room for `n` more bytes plus a NUL; false (and `failed`) if none. */
static bool jbuf_reserve(struct jbuf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->failed)
		return false;
	if (n > JBUF_MAX || b->len + n > JBUF_MAX) {
		b->failed = true;
		return false;
	}
	if (b->cap - b->len > n)
		return true;
	cap = b->cap ? b->cap : 1024;
	while (cap - b->len <= n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void jbuf_putn(struct jbuf *b, const char *s, size_t n)
{
	if (!jbuf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void jbuf_puts(struct jbuf *b, const char *s)
{
	jbuf_putn(b, s, strlen(s));
}

void jbuf_pad(struct jbuf *b, size_t n)
{
	if (!jbuf_reserve(b, n))
		return;
	memset(b->p + b->len, ' ', n);
	b->len += n;
	b->p[b->len] = '\0';
}

void jbuf_printf(struct jbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !jbuf_reserve(b, (size_t)n)) {
		b->failed = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/*
 * Length of the valid UTF-8 sequence at `s` (at most `n` bytes), or 0.
 * Overlong forms, surrogates and code points past U+10FFFF are invalid.
 */
static size_t utf8_valid_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	uint32_t cp, min;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, cp = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* The escape for ASCII byte `c`, or NULL if it passes as is. */
static const char *json_escape_of(unsigned char c, char tmp[8])
{
	switch (c) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\b': return "\\b";
	case '\f': return "\\f";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	}
	if (c < 0x20 || c == 0x7f) {
		snprintf(tmp, 8, "\\u%04x", c);
		return tmp;
	}
	return NULL;
}

void json_string(struct jbuf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	const char *esc;
	size_t i = 0, run, len = 1;
	char tmp[8];

	jbuf_putn(b, "\"", 1);
	while (i < n) {
		/* Copy the longest run that needs no escaping in one go. */
		for (run = i; run < n; run += len) {
			len = utf8_valid_len(u + run, n - run);
			if (len == 0 || (len == 1 && json_escape_of(u[run], tmp)))
				break;
		}
		jbuf_putn(b, s + i, run - i);
		if (run == n)
			break;
		esc = len == 0 ? "\\ufffd" : json_escape_of(u[run], tmp);
		jbuf_puts(b, esc);
		i = run + 1;
	}
	jbuf_putn(b, "\"", 1);
}

/* A comma is due unless we are right after an opener or a colon. */
static void json_sep(struct jbuf *b)
{
	char last;

	if (b->len == 0)
		return;
	last = b->p[b->len - 1];
	if (last != '{' && last != '[' && last != ':')
		jbuf_putn(b, ",", 1);
}

void json_obj_begin(struct jbuf *b)
{
	json_sep(b);
	jbuf_putn(b, "{", 1);
}

void json_obj_end(struct jbuf *b)
{
	jbuf_putn(b, "}", 1);
}

void json_arr_begin(struct jbuf *b)
{
	json_sep(b);
	jbuf_putn(b, "[", 1);
}

void json_arr_end(struct jbuf *b)
{
	jbuf_putn(b, "]", 1);
}

void json_key(struct jbuf *b, const char *key)
{
	json_sep(b);
	json_string(b, key, strlen(key));
	jbuf_putn(b, ":", 1);
}

void json_str(struct jbuf *b, const char *s)
{
	if (!s) {
		json_null(b);
		return;
	}
	json_strn(b, s, strlen(s));
}

void json_strn(struct jbuf *b, const char *s, size_t n)
{
	json_sep(b);
	json_string(b, s, n);
}

/* Without printf: status --json writes a few per node, and vsnprintf (run
 * twice by jbuf_printf) was 14 % of its time with a thousand nodes. */
void json_int(struct jbuf *b, int64_t v)
{
	char d[24], *p = d + sizeof(d);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	json_sep(b);
	jbuf_putn(b, p, (size_t)(d + sizeof(d) - p));
}

void json_null(struct jbuf *b)
{
	json_sep(b);
	jbuf_puts(b, "null");
}

void json_bool(struct jbuf *b, bool v)
{
	json_sep(b);
	jbuf_puts(b, v ? "true" : "false");
}

void json_double(struct jbuf *b, double v)
{
	json_sep(b);
	if (v != v || v > 1e300 || v < -1e300)
		jbuf_puts(b, "null");   /* JSON has no NaN or infinity */
	else
		jbuf_printf(b, "%.15g", v);
}

void json_ok(struct jbuf *b)
{
	json_obj_begin(b);
	json_key(b, "ok");
	json_bool(b, true);
}

void json_error(struct jbuf *b, const char *error, const char *message)
{
	json_obj_begin(b);
	json_key(b, "ok");
	json_bool(b, false);
	json_key(b, "error");
	json_str(b, error);
	json_key(b, "message");
	json_str(b, message);
}
