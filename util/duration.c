/*
 * duration.c: durations in milliseconds, written as systemd's time spans
 * (systemd.time(7)) except that a bare number is milliseconds.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "internal.h"

#define FRACTION_DIGITS_MAX 9

/* No pointers: stays in .rodata, not relocated at start (issue 19, bench/PROFILE.md). */
static const struct { char name[12]; uint64_t ms; } units[] = {
	{ "ms", 1 }, { "msec", 1 },
	{ "s", 1000 }, { "sec", 1000 }, { "second", 1000 }, { "seconds", 1000 },
	{ "m", 60000 }, { "min", 60000 }, { "minute", 60000 }, { "minutes", 60000 },
	{ "h", 3600000 }, { "hr", 3600000 }, { "hour", 3600000 }, { "hours", 3600000 },
	{ "d", 86400000 }, { "day", 86400000 }, { "days", 86400000 },
	{ "w", 604800000 }, { "week", 604800000 }, { "weeks", 604800000 },
};

/* The unit (a run of letters) at *pp, moved past; its ms, or 0. */
static uint64_t unit_take(const char **pp)
{
	const char *p = *pp;
	size_t len = 0;

	while (isalpha((unsigned char)p[len]))
		len++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strlen(units[i].name) == len && strncmp(p, units[i].name, len) == 0) {
			*pp = p + len;
			return units[i].ms;
		}
	}
	return 0;
}

/* ".5" after a number: value and 10^digits (scale 1: no fraction). */
static int fraction_take(const char **pp, uint64_t *ret_frac, uint64_t *ret_scale)
{
	const char *p = *pp;
	uint64_t frac = 0, scale = 1;
	size_t k;

	if (*p != '.') {
		*ret_frac = 0;
		*ret_scale = 1;
		return 0;
	}
	for (k = 1; isdigit((unsigned char)p[k]); k++) {
		if (k > FRACTION_DIGITS_MAX)
			return -EINVAL;
		frac = frac * 10 + (uint64_t)(p[k] - '0');
		scale *= 10;
	}
	if (k == 1)
		return -EINVAL;
	*pp = p + k;
	*ret_frac = frac;
	*ret_scale = scale;
	return 0;
}

/* One NUMBER[.FRACTION][ ]UNIT at *pp, moved past; its ms. */
static int part_take(const char **pp, uint64_t *ret_ms)
{
	const char *p = *pp;
	uint64_t whole, frac, scale, mul, v;
	size_t n = util_digits(p, &whole);

	if (n == 0)
		return -EINVAL;
	p += n;
	if (fraction_take(&p, &frac, &scale) < 0)
		return -EINVAL;
	p += strspn(p, " \t");
	mul = unit_take(&p);
	/* frac < 10^9 and mul < 10^9: the product fits */
	if (mul == 0 || (frac * mul) % scale != 0 || whole > (uint64_t)INT64_MAX / mul)
		return -EINVAL;
	v = whole * mul;
	if (v > (uint64_t)INT64_MAX - frac * mul / scale)
		return -EINVAL;
	*ret_ms = v + frac * mul / scale;
	*pp = p;
	return 0;
}

int util_parse_duration(const char *s, int64_t *ret_ms)
{
	uint64_t total = 0, part;
	const char *p = s;

	if (!s)
		return -EINVAL;
	if (util_parse_uint(s, &part) == 0) {
		if (part > (uint64_t)INT64_MAX)
			return -EINVAL;
		*ret_ms = (int64_t)part;
		return 0;
	}
	do {
		/* blanks only between parts: "1min 30s" */
		if (p != s)
			p += strspn(p, " \t");
		if (part_take(&p, &part) < 0 || total > (uint64_t)INT64_MAX - part)
			return -EINVAL;
		total += part;
	} while (*p);
	*ret_ms = (int64_t)total;
	return 0;
}

int util_format_duration(int64_t ms, char *buf, size_t len)
{
	if (ms != 0 && ms % 3600000 == 0)
		return snprintf(buf, len, "%lldh", (long long)(ms / 3600000));
	if (ms != 0 && ms % 60000 == 0)
		return snprintf(buf, len, "%lldmin", (long long)(ms / 60000));
	if (ms != 0 && ms % 1000 == 0)
		return snprintf(buf, len, "%llds", (long long)(ms / 1000));
	return snprintf(buf, len, "%lldms", (long long)ms);
}
