/* util/: the value parsers otpd and otpctl share (durations, sizes, signals). */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "../../../util/util.h"

struct dur { const char *s; int64_t ms; };

Test(util_duration, bare_number_is_milliseconds)
{
	int64_t v;

	cr_assert_eq(util_parse_duration("0", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(util_parse_duration("250", &v), 0);
	cr_assert_eq(v, 250);
	cr_assert_eq(util_parse_duration("9223372036854775807", &v), 0);
	cr_assert_eq(v, INT64_MAX);
}

Test(util_duration, systemd_time_spans)
{
	static const struct dur ok[] = {
		{ "500ms", 500 }, { "500msec", 500 }, { "5s", 5000 }, { "5sec", 5000 },
		{ "1second", 1000 }, { "2seconds", 2000 }, { "2m", 120000 }, { "2min", 120000 },
		{ "1minute", 60000 }, { "3minutes", 180000 }, { "2h", 7200000 }, { "2hr", 7200000 },
		{ "1hour", 3600000 }, { "2hours", 7200000 }, { "1d", 86400000 },
		{ "1day", 86400000 }, { "2days", 172800000 }, { "1w", 604800000 },
		{ "1week", 604800000 }, { "2weeks", 1209600000 },
		{ "90 s", 90000 }, { "90\ts", 90000 }, { "1min 30s", 90000 }, { "1min30s", 90000 },
		{ "1h 1min 1s 1ms", 3661001 }, { "1.5s", 1500 }, { "1.25min", 75000 },
		{ "0.001s", 1 }, { "1.000000000s", 1000 }, { "1.5 h", 5400000 },
		{ "2s 2s", 4000 }, { "0s", 0 }, { "1min  30s", 90000 },
		{ "2562047788015h", 2562047788015LL * 3600000 },
		{ "9223372036854775s 807ms", INT64_MAX },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t v = -1;

		cr_assert_eq(util_parse_duration(ok[i].s, &v), 0, "%s", ok[i].s);
		cr_assert_eq(v, ok[i].ms, "%s: %lld", ok[i].s, (long long)v);
	}
}

Test(util_duration, refused)
{
	static const char *const bad[] = {
		"", " ", "-1", "+5", "-1s", "5S", "5 S", "5M", "1y", "1month", "s", "ms", "10x",
		" 5", "5 ", "5s ", " 5s", "1min 30", "30 1min", "1.s", ".5s", "1.5", "1,5s",
		"0.5ms", "0.0001s", "1.0000000001s", "1e3ms", "0x10", "1 min, 30 s",
		"9223372036854775808", "2562047788016h", "99999999999999999999999",
		"9223372036854775807s", "9223372036854775s 808ms", "15250284452w 1w",
		"5s;", "5s#", "1us", "1ns",
	};
	int64_t v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 42;
		cr_assert_eq(util_parse_duration(bad[i], &v), -EINVAL, "%s", bad[i]);
		cr_assert_eq(v, 42, "ret written on failure for \"%s\"", bad[i]);
	}
	cr_assert_eq(util_parse_duration(NULL, &v), -EINVAL);
}

Test(util_duration, format_then_parse)
{
	static const int64_t ms[] = { 0, 1, 999, 1000, 1500, 60000, 90000, 3600000, 86400000 };
	char buf[32];

	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		int64_t v;

		util_format_duration(ms[i], buf, sizeof(buf));
		cr_assert_eq(util_parse_duration(buf, &v), 0, "%s", buf);
		cr_assert_eq(v, ms[i], "%s", buf);
	}
	util_format_duration(90000, buf, sizeof(buf));
	cr_assert_str_eq(buf, "90s");
	util_format_duration(7200000, buf, sizeof(buf));
	cr_assert_str_eq(buf, "2h");
}

Test(util_size, powers_of_1024)
{
	int64_t v;

	cr_assert_eq(util_parse_size("64K", &v), 0);
	cr_assert_eq(v, 65536);
	cr_assert_eq(util_parse_size("8388607T", &v), 0);
	cr_assert_eq(util_parse_size("8388608T", &v), -EINVAL);
	cr_assert_eq(util_parse_size("1.5G", &v), -EINVAL);
	cr_assert_eq(util_parse_size("", &v), -EINVAL);
}

Test(util_uint, whole_string)
{
	uint64_t v;

	cr_assert_eq(util_parse_uint("18446744073709551615", &v), 0);
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_eq(util_parse_uint("18446744073709551616", &v), -EINVAL);
	cr_assert_eq(util_parse_uint("1 ", &v), -EINVAL);
	cr_assert_eq(util_parse_uint("", &v), -EINVAL);
}

Test(util_signal, classic_names)
{
	int s = 0;

	cr_assert_eq(util_parse_signal("TERM", &s), 0);
	cr_assert_eq(s, SIGTERM);
	cr_assert_eq(util_parse_signal("sigusr1", &s), 0);
	cr_assert_eq(s, SIGUSR1);
	cr_assert_eq(util_parse_signal("9", &s), 0);
	cr_assert_eq(s, SIGKILL);
	cr_assert_str_eq(util_signal_name(SIGHUP), "SIGHUP");
}

Test(util_signal, real_time)
{
	static const struct { const char *s; int off; bool from_max; } ok[] = {
		{ "RTMIN", 0, false }, { "SIGRTMIN", 0, false }, { "rtmin", 0, false },
		{ "RTMIN+3", 3, false }, { "SIGRTMIN+3", 3, false }, { "sigrtmin+0", 0, false },
		{ "RTMAX", 0, true }, { "SIGRTMAX", 0, true }, { "RTMAX-2", 2, true },
		{ "SIGRTMAX-2", 2, true },
	};
	static const char *const bad[] = {
		"RTMIN-1", "RTMAX+1", "RTMIN+", "RTMAX-", "RTMIN+x", "RTMIN 3", "RTMIN+ 3",
		"RTMIN3", "RTMIN+99", "RTMAX-99", "SIGSIGRTMIN", "RT", "RTMINX", "RTMIN+-1",
	};
	int s;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int want = ok[i].from_max ? SIGRTMAX - ok[i].off : SIGRTMIN + ok[i].off;

		s = -1;
		cr_assert_eq(util_parse_signal(ok[i].s, &s), 0, "%s", ok[i].s);
		cr_assert_eq(s, want, "%s: %d", ok[i].s, s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = 99;
		cr_assert_eq(util_parse_signal(bad[i], &s), -EINVAL, "%s", bad[i]);
		cr_assert_eq(s, 99);
	}
	cr_assert_eq(util_parse_signal("RTMIN+30", &s), SIGRTMIN + 30 <= SIGRTMAX ? 0 : -EINVAL);
}

Test(util_signal, every_name_parses_back)
{
	for (int sig = 1; sig < _NSIG; sig++) {
		const char *name = util_signal_name(sig);
		int s = 0;

		if (sig >= 32 && sig < SIGRTMIN) {
			cr_assert_null(name, "signal %d is libc's", sig);
			continue;
		}
		cr_assert_not_null(name, "signal %d", sig);
		cr_assert_eq(util_parse_signal(name, &s), 0, "%s", name);
		cr_assert_eq(s, sig, "%s", name);
	}
	cr_assert_str_eq(util_signal_name(SIGRTMIN + 3), "SIGRTMIN+3");
	cr_assert_str_eq(util_signal_name(SIGRTMAX), "SIGRTMAX");
	cr_assert_null(util_signal_name(0));
	cr_assert_null(util_signal_name(_NSIG));
}
