/*
 * otpctl_import_value.c: values written in otp.conf's syntax (otp.conf(5)):
 * exec words, shell commands, signals, durations, sizes.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "otpctl_import.h"

static const char imp_safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			       "0123456789_@%+=:,./-";

char *imp_quote_word(const char *w)
{
	size_t n = strlen(w), j = 0;
	char *q;

	if (n > 0 && strspn(w, imp_safe) == n)
		return strdup(w);
	q = malloc(4 * n + 3);
	if (!q)
		return NULL;
	q[j++] = '\'';
	for (size_t i = 0; i < n; i++) {
		if (w[i] == '\'') {
			memcpy(q + j, "'\\''", 4);
			j += 4;
		} else {
			q[j++] = w[i];
		}
	}
	q[j++] = '\'';
	q[j] = '\0';
	return q;
}

/* Shell syntax that `exec CMD` would change the meaning of. */
static bool imp_shell_simple(const char *cmd)
{
	static const char *const words[] = { "if",	"for",	 "while", "until", "case",
					     "{",	"(",	 "!",	  "cd",	   "export",
					     "set",	".",	 "source", "trap", "ulimit",
					     "umask",	"unset", "exec",  "eval",  "read" };
	size_t first = strcspn(cmd, " \t");

	if (strpbrk(cmd, ";&|()<>`\n") || memchr(cmd, '=', first) || first == 0)
		return false;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i]) == first && strncmp(cmd, words[i], first) == 0)
			return false;
	return true;
}

/*
 * The command with whitespace before a ';' removed where the shell does
 * not care (outside its quotes): otp.conf reads " ;" as the start of a
 * comment (outside quotes).
 */
static char *imp_shell_semicolons(const char *cmd)
{
	char *out = malloc(strlen(cmd) + 1);
	bool sq = false, dq = false;
	size_t j = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; cmd[i]; i++) {
		char ch = cmd[i];

		/* otp.conf has no continuation lines: a newline separates
		 * commands, as ';' does, or is a space inside quotes. */
		if (ch == '\n')
			ch = sq || dq ? ' ' : ';';
		if (ch == ';' && !sq && !dq)
			while (j > 0 && (out[j - 1] == ' ' || out[j - 1] == '\t'))
				j--;
		if (ch == '\\' && !sq && cmd[i + 1]) {
			out[j++] = ch;
			ch = cmd[++i];
		} else if (ch == '\'' && !dq) {
			sq = !sq;
		} else if (ch == '"' && !sq) {
			dq = !dq;
		}
		out[j++] = ch;
	}
	out[j] = '\0';
	return out;
}

char *imp_shell_exec(const char *cmd)
{
	char *fixed = imp_shell_semicolons(cmd), *script = NULL, *quoted, *out = NULL;

	if (!fixed)
		return NULL;
	if (asprintf(&script, "%s%s", imp_shell_simple(fixed) ? "exec " : "", fixed) < 0)
		script = NULL;
	free(fixed);
	if (!script)
		return NULL;
	quoted = imp_quote_word(script);
	free(script);
	if (quoted && asprintf(&out, "/bin/sh -c %s", quoted) < 0)
		out = NULL;
	free(quoted);
	return out;
}

const char *imp_signal(const char *s)
{
	char *end;
	long num;

	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	num = strtol(s, &end, 10);
	if (end != s && *end == '\0')
		return num > 0 && num < 32 ? sigabbrev_np((int)num) : NULL;
	for (int i = 1; i < 32; i++) {
		const char *name = sigabbrev_np(i);

		if (name && strcasecmp(name, s) == 0)
			return name;
	}
	return NULL;
}

/* systemd's time units, in microseconds (systemd.time(7)). */
static long long imp_unit_us(const char *u, size_t len)
{
	static const struct {
		const char *name;
		long long us;
	} units[] = {
		{ "us", 1 },		     { "usec", 1 },	     { "ms", 1000 },
		{ "msec", 1000 },	     { "s", 1000000 },	     { "sec", 1000000 },
		{ "second", 1000000 },	     { "seconds", 1000000 }, { "m", 60000000 },
		{ "min", 60000000 },	     { "minute", 60000000 }, { "minutes", 60000000 },
		{ "h", 3600000000LL },	     { "hr", 3600000000LL }, { "hour", 3600000000LL },
		{ "hours", 3600000000LL },   { "d", 86400000000LL }, { "day", 86400000000LL },
		{ "days", 86400000000LL },   { "w", 604800000000LL }, { "week", 604800000000LL },
		{ "weeks", 604800000000LL },
	};

	if (len == 0)
		return 1000000;         /* a bare number is seconds */
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == len && strncmp(u, units[i].name, len) == 0)
			return units[i].us;
	return -1;
}

int imp_timespan_ms(const char *s, int64_t *ret_ms)
{
	long double total = 0;
	bool any = false;

	while (isspace((unsigned char)*s))
		s++;
	if (strcmp(s, "infinity") == 0) {
		*ret_ms = -1;
		return 0;
	}
	while (*s) {
		char *end;
		long double v = strtold(s, &end);
		size_t ulen;
		long long us;

		if (end == s || v < 0 || *s == '-' || *s == '+')
			return -EINVAL;
		s = end;
		while (*s == ' ')
			s++;
		ulen = strspn(s, "abcdefghijklmnopqrstuvwxyz");
		us = imp_unit_us(s, ulen);
		if (us < 0)
			return -EINVAL;
		total += v * us;
		any = true;
		s += ulen;
		while (isspace((unsigned char)*s))
			s++;
	}
	if (!any || total / 1000 > (long double)INT64_MAX / 2)
		return -EINVAL;
	*ret_ms = (int64_t)(total / 1000 + 0.5L);
	return 0;
}

const char *imp_duration(int64_t ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, len, "%lldms", (long long)ms);
	return buf;
}

bool imp_size(const char *s, char *buf, size_t len)
{
	size_t digits = strspn(s, "0123456789");
	const char *unit = s + digits;

	if (digits == 0 || digits > 18)
		return false;
	if (*unit && !(strchr("KMGT", *unit) && unit[1] == '\0'))
		return false;
	snprintf(buf, len, "%s", s);
	return true;
}

bool imp_bool(const char *s, bool *ret)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return true;
		}
	}
	return false;
}

