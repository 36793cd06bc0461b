/* Value parsers: durations, sizes, words, signals. */
#include <signal.h>
#include <stdint.h>

#include "cfgtest.h"

Test(cfg_values, durations)
{
	/* the grammar in full: tests/unit/util/test_util.c */
	static const struct { const char *s; int64_t ms; } ok[] = {
		{ "0", 0 }, { "250", 250 }, { "250ms", 250 }, { "5s", 5000 }, { "2min", 120000 },
		{ "1h", 3600000 }, { "9223372036854775807", INT64_MAX },
		{ "2562047788015h", 2562047788015LL * 3600000 },
		{ "1min 30s", 90000 }, { "1.5s", 1500 }, { "90 s", 90000 }, { "1d", 86400000 },
	};
	static const char *const bad[] = {
		"", "-1", "+5", "5S", "s", "10x", " 5", "5s ", "1min 30",
		"9223372036854775808", "2562047788016h", "99999999999999999999999",
		"9223372036854775807s", "0.5ms",
	};
	int64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_assert_eq(cfg_parse_duration(ok[i].s, &v), 0, "%s", ok[i].s);
		cr_assert_eq(v, ok[i].ms, "%s", ok[i].s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 42;
		cr_assert_eq(cfg_parse_duration(bad[i], &v), -EINVAL, "%s", bad[i]);
		cr_assert_eq(v, 42, "ret written on failure for %s", bad[i]);
	}
}

Test(cfg_values, sizes)
{
	static const struct { const char *s; int64_t b; } ok[] = {
		{ "0", 0 }, { "512", 512 }, { "64K", 65536 }, { "512M", 512LL << 20 },
		{ "1G", 1LL << 30 }, { "2T", 2LL << 40 }, { "8388607T", 8388607LL << 40 },
	};
	static const char *const bad[] = {
		"", "-1", "1k", "1KB", "1.5G", "G", "1 G", "8388608T", "1P", "0x10",
	};
	int64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_assert_eq(cfg_parse_size(ok[i].s, &v), 0, "%s", ok[i].s);
		cr_assert_eq(v, ok[i].b, "%s", ok[i].s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(cfg_parse_size(bad[i], &v), -EINVAL, "%s", bad[i]);
}

static void split_expect(const char *s, int n, const char *const *words)
{
	char **v = NULL;
	int argc = -1;

	cr_assert_eq(cfg_split_words(s, &v, &argc), 0, "%s", s);
	cr_assert_eq(argc, n, "%s: %d words", s, argc);
	for (int i = 0; i < n; i++)
		cr_assert_str_eq(v[i], words[i], "%s word %d", s, i);
	cr_assert_null(v[n]);
	cfg_strv_free(v);
}

Test(cfg_words, split_like_a_shell)
{
	split_expect("/usr/sbin/mydb --data \"/var/lib/my db\"", 3,
		     (const char *[]){ "/usr/sbin/mydb", "--data", "/var/lib/my db" });
	split_expect("  a \t b  ", 2, (const char *[]){ "a", "b" });
	split_expect("'a \"b\" $c \\d'", 1, (const char *[]){ "a \"b\" $c \\d" });
	split_expect("\"a \\\" \\\\ \\$ \\` \\n\"", 1, (const char *[]){ "a \" \\ $ ` \\n" });
	split_expect("a\\ b c\\'d", 2, (const char *[]){ "a b", "c'd" });
	split_expect("x\"y z\"'w'v", 1, (const char *[]){ "xy zwv" });
	split_expect("'' \"\"", 2, (const char *[]){ "", "" });
	split_expect("$HOME *.c ~", 3, (const char *[]){ "$HOME", "*.c", "~" });
	split_expect("a\\\nb", 1, (const char *[]){ "ab" });
	split_expect("", 0, NULL);
	split_expect("   ", 0, NULL);
}

Test(cfg_words, split_errors)
{
	static const char *const bad[] = { "'abc", "\"abc", "abc\\", "a \"b\\\"", "'" };
	char **v = (char **)0x1;
	int n = 7;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(cfg_split_words(bad[i], &v, &n), -EINVAL, "%s", bad[i]);
		cr_assert_eq(v, (char **)0x1);
		cr_assert_eq(n, 7);
	}
	cfg_strv_free(NULL);
}

Test(cfg_signals, parse_and_name)
{
	int s = 0;

	cr_assert_eq(cfg_parse_signal("TERM", &s), 0);
	cr_assert_eq(s, SIGTERM);
	cr_assert_eq(cfg_parse_signal("SIGTERM", &s), 0);
	cr_assert_eq(s, SIGTERM);
	cr_assert_eq(cfg_parse_signal("15", &s), 0);
	cr_assert_eq(s, 15);
	cr_assert_eq(cfg_parse_signal("sigusr1", &s), 0);
	cr_assert_eq(s, SIGUSR1);
	cr_assert_eq(cfg_parse_signal("HUP", &s), 0);
	cr_assert_eq(s, SIGHUP);
	cr_assert_eq(cfg_parse_signal("SIGIOT", &s), 0);
	cr_assert_eq(s, SIGABRT);
	cr_assert_eq(cfg_parse_signal("64", &s), 0);
	cr_assert_eq(s, 64);
	s = 99;
	cr_assert_eq(cfg_parse_signal("0", &s), -EINVAL);
	cr_assert_eq(cfg_parse_signal("65", &s), -EINVAL);
	cr_assert_eq(cfg_parse_signal("-15", &s), -EINVAL);
	cr_assert_eq(cfg_parse_signal("SIG", &s), -EINVAL);
	cr_assert_eq(cfg_parse_signal("SIGFOO", &s), -EINVAL);
	cr_assert_eq(cfg_parse_signal("", &s), -EINVAL);
	cr_assert_eq(cfg_parse_signal("SIGSIGTERM", &s), -EINVAL);
	cr_assert_eq(s, 99);
	cr_assert_str_eq(cfg_signal_name(SIGTERM), "SIGTERM");
	cr_assert_str_eq(cfg_signal_name(SIGKILL), "SIGKILL");
	cr_assert_str_eq(cfg_signal_name(SIGABRT), "SIGABRT");
	cr_assert_str_eq(cfg_signal_name(SIGCHLD), "SIGCHLD");
	cr_assert_null(cfg_signal_name(0));
	cr_assert_null(cfg_signal_name(200));
	for (int sig = 1; sig < 32; sig++) {
		const char *name = cfg_signal_name(sig);

		cr_assert_not_null(name, "signal %d", sig);
		cr_assert_eq(cfg_parse_signal(name, &s), 0);
		cr_assert_eq(s, sig, "%s", name);
	}
}
