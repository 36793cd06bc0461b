/*
 * json.h: a growing text buffer and a small JSON writer (no library).
 *
 * The writer is stackless: a comma is due before a key or an array
 * element unless the last byte written opened an object or array or was
 * a key's colon.  So nesting depth costs nothing and a deep tree renders
 * iteratively.  Allocation failure or growth past JBUF_MAX sets `failed`
 * and makes every later write a no-op; the caller checks once at the end.
 *
 * Strings are written as UTF-8: valid sequences pass through, quotes,
 * backslashes and control characters (and DEL) are escaped, and each byte
 * that is not part of a valid UTF-8 sequence becomes U+FFFD, so the output
 * is always valid JSON whatever bytes a worker put in its STATUS=.
 */
#ifndef OTPD_INIT_JSON_H
#define OTPD_INIT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JBUF_MAX (4u * 1024 * 1024)     /* the control connection's queue limit */

struct jbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

/* Release the buffer; the struct may be reused (empty) afterwards. */
void jbuf_free(struct jbuf *b);
void jbuf_putn(struct jbuf *b, const char *s, size_t n);
void jbuf_puts(struct jbuf *b, const char *s);
void jbuf_printf(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append `n` spaces. */
void jbuf_pad(struct jbuf *b, size_t n);

/* `s` (n bytes) as a quoted, escaped JSON string. */
void json_string(struct jbuf *b, const char *s, size_t n);
void json_obj_begin(struct jbuf *b);
void json_obj_end(struct jbuf *b);
void json_arr_begin(struct jbuf *b);
void json_arr_end(struct jbuf *b);
/* "key": inside an object (comma first when due). */
void json_key(struct jbuf *b, const char *key);
/* Values: after json_key, or as array elements.  NULL string -> null. */
void json_str(struct jbuf *b, const char *s);
/* `n` bytes of `s` as a string value. */
void json_strn(struct jbuf *b, const char *s, size_t n);
void json_int(struct jbuf *b, int64_t v);
void json_null(struct jbuf *b);
void json_bool(struct jbuf *b, bool v);
/* A number; NaN and infinities (which JSON lacks) as null. */
void json_double(struct jbuf *b, double v);

/*
 * The replies of otpctl --json (otpctl(1) JSON OUTPUT): every verb prints
 * one object that opens with "ok".  json_ok opens {"ok":true and
 * json_error writes {"ok":false,"error":ERROR,"message":MESSAGE; both
 * leave the object open for the verb's own members.
 */
void json_ok(struct jbuf *b);
void json_error(struct jbuf *b, const char *error, const char *message);

#endif
