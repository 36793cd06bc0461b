/*
 * number.c: decimal numbers and sizes.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "util.h"
#include "internal.h"

size_t util_digits(const char *s, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; isdigit((unsigned char)s[i]); i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	*ret = v;
	return i;
}

int util_parse_uint(const char *s, uint64_t *ret)
{
	uint64_t v;
	size_t n;

	if (!s)
		return -EINVAL;
	n = util_digits(s, &v);
	if (n == 0 || s[n])
		return -EINVAL;
	*ret = v;
	return 0;
}

int util_parse_size(const char *s, int64_t *ret_bytes)
{
	/* No pointers: stays in .rodata, not relocated at start (issue 19). */
	static const struct { char name[4]; int64_t mul; } units[] = {
		{ "", 1 }, { "K", 1LL << 10 }, { "M", 1LL << 20 }, { "G", 1LL << 30 },
		{ "T", 1LL << 40 },
	};
	uint64_t v;
	size_t n;

	if (!s)
		return -EINVAL;
	n = util_digits(s, &v);
	if (n == 0 || v > (uint64_t)INT64_MAX)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s + n, units[i].name) != 0)
			continue;
		if ((int64_t)v > INT64_MAX / units[i].mul)
			return -EINVAL;
		*ret_bytes = (int64_t)v * units[i].mul;
		return 0;
	}
	return -EINVAL;
}
