/*
 * values.c: numbers, booleans and paths; durations and sizes through
 * util/ (util.h).
 *
 * Every parser takes the whole string: no sign, no leading or trailing
 * junk, no overflow.  Numbers are decimal.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "internal.h"

int cfg_parse_uint(const char *s, uint64_t *ret)
{
	return util_parse_uint(s, ret);
}

int cfg_parse_int_range(const char *s, int64_t lo, int64_t hi, int64_t *ret)
{
	uint64_t v;

	if (util_parse_uint(s, &v) < 0 || v > (uint64_t)INT64_MAX)
		return -EINVAL;
	if ((int64_t)v < lo || (int64_t)v > hi)
		return -ERANGE;
	*ret = (int64_t)v;
	return 0;
}

/* Durations and sizes are util/'s; these names stay for otpd's shell. */
int cfg_parse_duration(const char *s, int64_t *ret_ms)
{
	return util_parse_duration(s, ret_ms);
}

int cfg_parse_size(const char *s, int64_t *ret_bytes)
{
	return util_parse_size(s, ret_bytes);
}

/* brutal_kill | infinity | duration */
int cfg_parse_shutdown(const char *s, int64_t *ret_ms)
{
	if (strcmp(s, "brutal_kill") == 0) {
		*ret_ms = SUP_SHUTDOWN_BRUTAL;
		return 0;
	}
	if (strcmp(s, "infinity") == 0) {
		*ret_ms = SUP_SHUTDOWN_INFINITY;
		return 0;
	}
	return cfg_parse_duration(s, ret_ms);
}

int cfg_parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = { "true", "yes", "1" };
	static const char *const no[] = { "false", "no", "0" };

	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* Absolute, and free of control characters (they only ever are mistakes). */
bool cfg_is_abs_path(const char *s)
{
	if (!s || s[0] != '/')
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}


int cfg_format_duration(int64_t ms, char *buf, size_t len)
{
	return util_format_duration(ms, buf, len);
}
