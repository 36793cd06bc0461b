/*
 * state.c: the items of otpd's saved state (base.h; the layout of the
 * whole is in otpd(8), RE-EXECUTION, and in init/reexec.c).  The core's
 * part is one opaque item written by the core itself, in the same layout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

#define HDR 6   /* tag (2) + length (4) */

static bool st_reserve(struct st_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 4096;
	uint8_t *p;

	if (b->oom)
		return false;
	if (b->len + more <= b->cap)
		return true;
	while (cap < b->len + more)
		cap *= 2;
	if (!(p = realloc(b->p, cap))) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void st_le_put(uint8_t *at, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		at[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t st_le_get(const uint8_t *at, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)at[i] << (8 * i);
	return v;
}

void st_put(struct st_buf *b, unsigned tag, const void *v, size_t n)
{
	if (n > UINT32_MAX) {
		b->oom = true;
		return;
	}
	if (!st_reserve(b, HDR + n))
		return;
	st_le_put(b->p + b->len, tag, 2);
	st_le_put(b->p + b->len + 2, n, 4);
	if (n)
		memcpy(b->p + b->len + HDR, v, n);
	b->len += HDR + n;
}

void st_put2(struct st_buf *b, unsigned tag, const void *v1, size_t n1, const void *v2,
	     size_t n2)
{
	size_t at = b->len;

	st_put(b, tag, v1, n1);
	if (b->oom || !n2 || !st_reserve(b, n2))
		return;
	memcpy(b->p + b->len, v2, n2);
	b->len += n2;
	st_le_put(b->p + at + 2, n1 + n2, 4);
}

void st_raw(struct st_buf *b, const void *v, size_t n)
{
	if (!st_reserve(b, n))
		return;
	memcpy(b->p + b->len, v, n);
	b->len += n;
}

void st_put_u64(struct st_buf *b, unsigned tag, uint64_t v)
{
	uint8_t x[8];

	st_le_put(x, v, 8);
	st_put(b, tag, x, sizeof(x));
}

void st_put_i64(struct st_buf *b, unsigned tag, int64_t v)
{
	st_put_u64(b, tag, (uint64_t)v);
}

void st_put_str(struct st_buf *b, unsigned tag, const char *s)
{
	st_put(b, tag, s ? s : "", s ? strlen(s) : 0);
}

size_t st_open(struct st_buf *b, unsigned tag)
{
	size_t at = b->len;

	st_put(b, tag, NULL, 0);
	return at;
}

void st_close(struct st_buf *b, size_t at)
{
	if (!b->oom)
		st_le_put(b->p + at + 2, b->len - at - HDR, 4);
}

void st_buf_free(struct st_buf *b)
{
	free(b->p);
	free(b->fds);
	*b = (struct st_buf){ 0 };
}

void st_put_fd(struct st_buf *b, unsigned tag, int fd)
{
	st_put_i64(b, tag, fd);
	if (fd < 0 || b->oom)
		return;
	if (b->n_fds == b->cap_fds) {
		size_t cap = b->cap_fds ? b->cap_fds * 2 : 64;
		int *v = realloc(b->fds, cap * sizeof(*v));

		if (!v) {
			b->oom = true;
			return;
		}
		b->fds = v;
		b->cap_fds = cap;
	}
	b->fds[b->n_fds++] = fd;
}

int st_next(struct st_rd *r, unsigned *ret_tag, struct st_rd *ret_v)
{
	uint64_t n;

	if (r->n == 0)
		return 0;
	if (r->n < HDR)
		return -EBADMSG;
	n = st_le_get(r->p + 2, 4);
	if (n > r->n - HDR)
		return -EBADMSG;
	*ret_tag = (unsigned)st_le_get(r->p, 2);
	ret_v->p = r->p + HDR;
	ret_v->n = (size_t)n;
	r->p += HDR + n;
	r->n -= HDR + n;
	return 1;
}

bool st_whole(const struct st_rd *r)
{
	struct st_rd it = *r, v;
	unsigned tag;
	int k;

	while ((k = st_next(&it, &tag, &v)) == 1)
		;
	return k == 0;
}

bool st_find(const struct st_rd *r, unsigned tag, struct st_rd *ret_v)
{
	struct st_rd it = *r, v;
	unsigned t;

	while (st_next(&it, &t, &v) == 1) {
		if (t == tag) {
			*ret_v = v;
			return true;
		}
	}
	return false;
}

bool st_val_u64(const struct st_rd *v, uint64_t *ret)
{
	if (v->n != 8)
		return false;
	*ret = st_le_get(v->p, 8);
	return true;
}

bool st_u64(const struct st_rd *r, unsigned tag, uint64_t *ret)
{
	struct st_rd v;

	return st_find(r, tag, &v) && st_val_u64(&v, ret);
}

bool st_i64(const struct st_rd *r, unsigned tag, int64_t *ret)
{
	uint64_t u;

	if (!st_u64(r, tag, &u))
		return false;
	*ret = (int64_t)u;
	return true;
}

bool st_int(const struct st_rd *r, unsigned tag, int *ret)
{
	int64_t v;

	if (!st_i64(r, tag, &v) || v < INT32_MIN || v > INT32_MAX)
		return false;
	*ret = (int)v;
	return true;
}

bool st_flag(const struct st_rd *r, unsigned tag)
{
	uint64_t v;

	return st_u64(r, tag, &v) && v != 0;
}

bool st_str(const struct st_rd *r, unsigned tag, char *buf, size_t len)
{
	struct st_rd v;

	if (!st_find(r, tag, &v) || v.n >= len || (v.n && memchr(v.p, '\0', v.n)))
		return false;
	if (v.n)
		memcpy(buf, v.p, v.n);
	buf[v.n] = '\0';
	return true;
}

char *st_strdup(const struct st_rd *r, unsigned tag)
{
	struct st_rd v;
	char *s;

	if (!st_find(r, tag, &v) || (v.n && memchr(v.p, '\0', v.n)) || !(s = malloc(v.n + 1)))
		return NULL;
	if (v.n)
		memcpy(s, v.p, v.n);
	s[v.n] = '\0';
	return s;
}

/* The descriptors a state being restored says were kept. */
static struct {
	int *v;
	size_t n;
} kept;

int st_fds_declare(const int *fds, size_t n)
{
	int *v = n ? malloc(n * sizeof(*v)) : NULL;

	if (n && !v)
		return -ENOMEM;
	if (n)
		memcpy(v, fds, n * sizeof(*v));
	free(kept.v);
	kept.v = v;
	kept.n = n;
	return 0;
}

bool st_fd_declared(int fd)
{
	for (size_t i = 0; i < kept.n; i++)
		if (kept.v[i] == fd)
			return true;
	return false;
}

bool st_fd(const struct st_rd *r, unsigned tag, int *ret)
{
	int fd;

	if (!st_int(r, tag, &fd) || (fd != -1 && (fd < 0 || !st_fd_declared(fd))))
		return false;
	*ret = fd;
	return true;
}

void st_fds_cloexec(void)
{
	for (size_t i = 0; i < kept.n; i++)
		(void)fcntl(kept.v[i], F_SETFD, FD_CLOEXEC);
}

void st_fds_forget(void)
{
	free(kept.v);
	kept.v = NULL;
	kept.n = 0;
}
