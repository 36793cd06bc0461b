/*
 * save_codec.c: the items a saved tree is made of (internal.h): a tag
 * (u16), a length (u32), the value; numbers are u64, little-endian, and
 * strings are their bytes without a NUL.  Writing never fails half-way
 * unnoticed: out of memory marks the buffer, and the saver gives up.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define HDR 6   /* tag (2) + length (4) */

static bool reserve(struct sup_wbuf *w, size_t more)
{
	size_t cap = w->cap ? w->cap : 1024;
	unsigned char *p;

	if (w->oom)
		return false;
	if (w->len + more <= w->cap)
		return true;
	while (cap < w->len + more)
		cap *= 2;
	if (!(p = realloc(w->p, cap))) {
		w->oom = true;
		return false;
	}
	w->p = p;
	w->cap = cap;
	return true;
}

static void put_le(unsigned char *at, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		at[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *at, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)at[i] << (8 * i);
	return v;
}

void sup_w_bytes(struct sup_wbuf *w, unsigned tag, const void *v, size_t n)
{
	if (n > UINT32_MAX) {
		w->oom = true;
		return;
	}
	if (!reserve(w, HDR + n))
		return;
	put_le(w->p + w->len, tag, 2);
	put_le(w->p + w->len + 2, n, 4);
	if (n)
		memcpy(w->p + w->len + HDR, v, n);
	w->len += HDR + n;
}

void sup_w_u64(struct sup_wbuf *w, unsigned tag, uint64_t v)
{
	unsigned char b[8];

	put_le(b, v, 8);
	sup_w_bytes(w, tag, b, sizeof(b));
}

void sup_w_str(struct sup_wbuf *w, unsigned tag, const char *s)
{
	sup_w_bytes(w, tag, s, strlen(s));
}

size_t sup_w_open(struct sup_wbuf *w, unsigned tag)
{
	size_t at = w->len;

	sup_w_bytes(w, tag, NULL, 0);
	return at;
}

void sup_w_close(struct sup_wbuf *w, size_t at)
{
	if (w->oom)
		return;
	put_le(w->p + at + 2, w->len - at - HDR, 4);
}

int sup_r_next(struct sup_rbuf *r, unsigned *ret_tag, struct sup_rbuf *ret_v)
{
	uint64_t n;

	if (r->n == 0)
		return 0;
	if (r->n < HDR)
		return -1;
	n = get_le(r->p + 2, 4);
	if (n > r->n - HDR)
		return -1;
	*ret_tag = (unsigned)get_le(r->p, 2);
	ret_v->p = r->p + HDR;
	ret_v->n = (size_t)n;
	r->p += HDR + n;
	r->n -= HDR + n;
	return 1;
}

bool sup_r_u64(const struct sup_rbuf *v, uint64_t *ret)
{
	if (v->n != 8)
		return false;
	*ret = get_le(v->p, 8);
	return true;
}

bool sup_r_str(const struct sup_rbuf *v, char *buf, size_t len)
{
	if (v->n >= len || (v->n && memchr(v->p, '\0', v->n)))
		return false;
	if (v->n)
		memcpy(buf, v->p, v->n);
	buf[v->n] = '\0';
	return true;
}
