/*
 * environment_file (issue 18.7): lines of any length are kept whole; a
 * file above CFG_ENV_FILE_MAX or with a NUL byte is refused, never cut.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cfgtest.h"

struct vars {
	char *v[16];
	size_t n;
};

static int collect(const char *kv, void *data)
{
	struct vars *s = data;

	cr_assert_lt(s->n, 16);
	s->v[s->n] = strdup(kv);
	cr_assert_not_null(s->v[s->n]);
	s->n++;
	return 0;
}

static void vars_free(struct vars *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	s->n = 0;
}

/* Parse a copy of `text` (len bytes and the NUL). */
static int parse(const char *text, size_t len, struct vars *s)
{
	char *copy = malloc(len + 1);
	int r;

	cr_assert_not_null(copy);
	memcpy(copy, text, len + 1);
	r = cfg_env_file_parse(copy, len, collect, s);
	free(copy);
	return r;
}

Test(cfg_env_file, lines)
{
	static const char text[] =
		"# comment\n"
		"\n"
		"  A=1\n"
		"B = 2\n"
		"no equals sign\n"
		"C=\"quoted value\"\n"
		"D='single'\n"
		"E=\"unbalanced'\n"
		"F=x=y\r\n"
		"\t# indented comment\n"
		"G=\"\"\n"
		"H=last, no newline";
	struct vars s = { 0 };

	cr_assert_eq(parse(text, sizeof(text) - 1, &s), 0);
	cr_assert_eq(s.n, 8);
	cr_assert_str_eq(s.v[0], "A=1");
	cr_assert_str_eq(s.v[1], "B = 2");
	cr_assert_str_eq(s.v[2], "C=quoted value");
	cr_assert_str_eq(s.v[3], "D=single");
	cr_assert_str_eq(s.v[4], "E=\"unbalanced'");
	cr_assert_str_eq(s.v[5], "F=x=y");
	cr_assert_str_eq(s.v[6], "G=");
	cr_assert_str_eq(s.v[7], "H=last, no newline");
	vars_free(&s);
	cr_assert_eq(parse("", 0, &s), 0);
	cr_assert_eq(s.n, 0);
}

/*
 * Found by tests/fuzz (fuzz_words, environment_file): "=VALUE" used to
 * become a variable with an empty name in the worker's environment.
 * Like systemd's EnvironmentFile=, a line without a name is skipped.
 */
Test(cfg_env_file, a_line_without_a_name_is_skipped)
{
	static const char text[] = "=a=b\n  =x\n\t='q'\nA=1\n=\n";
	struct vars s = { 0 };

	cr_assert_eq(parse(text, sizeof(text) - 1, &s), 0);
	cr_assert_eq(s.n, 1);
	cr_assert_str_eq(s.v[0], "A=1");
	vars_free(&s);
}

Test(cfg_env_file, long_lines_are_whole)
{
	size_t vlen = 100000;
	char *text = malloc(vlen + 64);
	struct vars s = { 0 };
	size_t n;

	cr_assert_not_null(text);
	n = (size_t)sprintf(text, "LONG=");
	memset(text + n, 'v', vlen);
	n += vlen;
	n += (size_t)sprintf(text + n, "z\nAFTER=1\n");
	cr_assert_eq(parse(text, n, &s), 0);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(strlen(s.v[0]), 5 + vlen + 1);
	cr_assert_eq(s.v[0][5 + vlen], 'z', "the end of the value is kept");
	cr_assert_str_eq(s.v[1], "AFTER=1");
	vars_free(&s);
	free(text);
}

Test(cfg_env_file, nul_byte_refused)
{
	struct vars s = { 0 };

	cr_assert_eq(parse("A=1\nB=x\0y\n", 10, &s), -EINVAL);
	vars_free(&s);
}

static int stop_at_b(const char *kv, void *data)
{
	return kv[0] == 'B' ? -E2BIG : collect(kv, data);
}

Test(cfg_env_file, callback_stops)
{
	char text[] = "A=1\nB=2\nC=3\n";
	struct vars s = { 0 };

	cr_assert_eq(cfg_env_file_parse(text, sizeof(text) - 1, stop_at_b, &s), -E2BIG);
	cr_assert_eq(s.n, 1);
	vars_free(&s);
}

static char tmpfile_path[64];

static void file_write(size_t size, const char *head)
{
	int fd;
	FILE *f;

	snprintf(tmpfile_path, sizeof(tmpfile_path), "/tmp/otpd-envfile-XXXXXX");
	fd = mkstemp(tmpfile_path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fputs(head, f);
	for (size_t n = strlen(head); n < size; n++)
		fputc(n + 1 == size ? '\n' : 'x', f);
	cr_assert_eq(fclose(f), 0);
}

Test(cfg_env_file, load_up_to_the_bound)
{
	struct vars s = { 0 };

	/* exactly CFG_ENV_FILE_MAX bytes: one variable, whole */
	file_write(CFG_ENV_FILE_MAX, "BIG=");
	cr_assert_eq(cfg_env_file_load(tmpfile_path, collect, &s), 0);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(strlen(s.v[0]), CFG_ENV_FILE_MAX - 1);
	vars_free(&s);
	unlink(tmpfile_path);
	/* one byte more: refused as a whole */
	file_write(CFG_ENV_FILE_MAX + 1, "BIG=");
	cr_assert_eq(cfg_env_file_load(tmpfile_path, collect, &s), -EFBIG);
	cr_assert_eq(s.n, 0);
	unlink(tmpfile_path);
	cr_assert_eq(cfg_env_file_load("/nonexistent/otpd-env", collect, &s), -ENOENT);
	cr_assert_eq(cfg_env_file_load("/tmp", collect, &s), -EISDIR);
}

Test(cfg_env_file, load_without_a_size)
{
	struct vars s = { 0 };
	char path[64];
	int p[2];

	/* a pipe has no size: read to its end all the same */
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(write(p[1], "A=1\nB=2\n", 8), 8);
	close(p[1]);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
	cr_assert_eq(cfg_env_file_load(path, collect, &s), 0);
	close(p[0]);
	cr_assert_eq(s.n, 2);
	cr_assert_str_eq(s.v[1], "B=2");
	vars_free(&s);
}
