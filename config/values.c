/*
 * values.c: numbers, durations, sizes, booleans and paths.
 *
 * Every parser takes the whole string: no sign, no leading or trailing
 * junk, no overflow.  Numbers are decimal.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "internal.h"

/* Decimal digits at the start of `s`: value and length (0: none/overflow). */
static size_t digits(const char *s, uint64_t *ret)
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

int cfg_parse_uint(const char *s, uint64_t *ret)
{
	uint64_t v;
	size_t n;

	if (!s)
		return -EINVAL;
	n = digits(s, &v);
	if (n == 0 || s[n])
		return -EINVAL;
	*ret = v;
	return 0;
}

int cfg_parse_int_range(const char *s, int64_t lo, int64_t hi, int64_t *ret)
{
	uint64_t v;

	if (cfg_parse_uint(s, &v) < 0 || v > (uint64_t)INT64_MAX)
		return -EINVAL;
	if ((int64_t)v < lo || (int64_t)v > hi)
		return -ERANGE;
	*ret = (int64_t)v;
	return 0;
}

/* Number with a unit suffix from `units` (NULL-name-terminated). */
struct cfg_unit {
	const char *name;
	int64_t mul;
};

static int parse_with_unit(const char *s, const struct cfg_unit *units, int64_t *ret)
{
	uint64_t v;
	size_t n;

	if (!s)
		return -EINVAL;
	n = digits(s, &v);
	if (n == 0 || v > (uint64_t)INT64_MAX)
		return -EINVAL;
	for (const struct cfg_unit *u = units; u->name; u++) {
		if (strcmp(s + n, u->name) != 0)
			continue;
		if ((int64_t)v > INT64_MAX / u->mul)
			return -EINVAL;
		*ret = (int64_t)v * u->mul;
		return 0;
	}
	return -EINVAL;
}

int cfg_parse_duration(const char *s, int64_t *ret_ms)
{
	static const struct cfg_unit units[] = {
		{ "", 1 }, { "ms", 1 }, { "s", 1000 }, { "min", 60000 }, { "h", 3600000 },
		{ NULL, 0 },
	};

	return parse_with_unit(s, units, ret_ms);
}

int cfg_parse_size(const char *s, int64_t *ret_bytes)
{
	static const struct cfg_unit units[] = {
		{ "", 1 }, { "K", 1LL << 10 }, { "M", 1LL << 20 }, { "G", 1LL << 30 },
		{ "T", 1LL << 40 }, { NULL, 0 },
	};

	return parse_with_unit(s, units, ret_bytes);
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

/* POSIX portable environment name: [A-Za-z_][A-Za-z0-9_]* */
bool cfg_is_env_name(const char *s, size_t len)
{
	if (len == 0 || isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

/* The largest exact unit: "10s", "2min", "250ms". */
int cfg_format_duration(int64_t ms, char *buf, size_t len)
{
	if (ms != 0 && ms % 3600000 == 0)
		return snprintf(buf, len, "%lldh", (long long)(ms / 3600000));
	if (ms != 0 && ms % 60000 == 0)
		return snprintf(buf, len, "%lldmin", (long long)(ms / 60000));
	if (ms != 0 && ms % 1000 == 0)
		return snprintf(buf, len, "%llds", (long long)(ms / 1000));
	return snprintf(buf, len, "%lldms", (long long)ms);
}
