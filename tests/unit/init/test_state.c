/*
 * test_state.c: the items of otpd's saved state (init/base/state.c) and
 * the configuration it carries (cfg_load_texts); otpd(8), RE-EXECUTION.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../../config/config.h"
#include "tutil.h"

enum { A = 1, B, C, NEST, FD };

static struct st_rd rd_of(const struct st_buf *b)
{
	return (struct st_rd){ b->p, b->len };
}

Test(state, round_trip)
{
	struct st_buf b = { 0 };
	struct st_rd r, v, in;
	char s[16];
	uint64_t u;
	int64_t i;
	int k;
	size_t at;

	st_put_u64(&b, A, 0xfedcba9876543210ull);
	st_put_i64(&b, B, -42);
	st_put_str(&b, C, "hello");
	at = st_open(&b, NEST);
	st_put_u64(&b, A, 7);
	st_put2(&b, B, "ab", 2, "cd", 2);
	st_close(&b, at);
	cr_assert(!b.oom);
	r = rd_of(&b);
	cr_assert(st_whole(&r));
	cr_assert(st_u64(&r, A, &u) && u == 0xfedcba9876543210ull);
	cr_assert(st_i64(&r, B, &i) && i == -42);
	cr_assert(st_int(&r, B, &k) && k == -42);
	cr_assert(st_str(&r, C, s, sizeof(s)));
	cr_expect_str_eq(s, "hello");
	cr_assert(!st_str(&r, C, s, 5), "a string that does not fit is refused");
	cr_assert(st_find(&r, NEST, &in));
	cr_assert(st_u64(&in, A, &u) && u == 7);
	cr_assert(st_find(&in, B, &v) && v.n == 4 && memcmp(v.p, "abcd", 4) == 0);
	cr_assert(!st_u64(&r, 99, &u), "an absent item");
	st_buf_free(&b);
}

/* What a newer minor version adds is skipped; what is cut short is seen. */
Test(state, unknown_skipped_cut_refused)
{
	struct st_buf b = { 0 };
	struct st_rd r;
	uint64_t u;

	st_put_str(&b, 999, "from a newer otpd");
	st_put_u64(&b, A, 5);
	r = rd_of(&b);
	cr_assert(st_u64(&r, A, &u) && u == 5);
	/* Cut anywhere but between the two items: not whole. */
	for (size_t n = 1; n < b.len; n++) {
		struct st_rd cut = { b.p, n };

		cr_assert_eq(st_whole(&cut), n == 6 + strlen("from a newer otpd"), "cut at %zu", n);
	}
	st_buf_free(&b);
}

/* Descriptors: the writer lists them; the reader takes only declared ones. */
Test(state, descriptors_declared_only)
{
	struct st_buf b = { 0 };
	struct st_rd r;
	int fd = -2;

	st_put_fd(&b, FD, 7);
	st_put_fd(&b, A, -1);
	cr_assert_eq(b.n_fds, 1);
	cr_assert_eq(b.fds[0], 7);
	r = rd_of(&b);
	cr_assert(!st_fd(&r, FD, &fd), "not declared: refused");
	cr_assert_eq(st_fds_declare((int[]){ 7 }, 1), 0);
	cr_assert(st_fd(&r, FD, &fd) && fd == 7);
	cr_assert(st_fd(&r, A, &fd) && fd == -1, "none is always fine");
	st_fds_forget();
	st_buf_free(&b);
}

/* The configuration rebuilt from the texts otpd read, names and all. */
Test(state, config_from_texts)
{
	char *names[] = { "/etc/otp/a.conf", "/etc/otp/b.conf" };
	char *texts[] = { "[worker a]\nexec = /bin/true\n", "[worker b]\nexec = /bin/false x\n" };
	char *argv[] = { "/bin/sleep", "1", NULL };
	struct cfg_errors errs = { 0 };
	struct otp_config *c = NULL;
	const struct cfg_node *n;

	cr_assert_eq(cfg_load_texts(names, texts, 2, argv, &c, &errs), 0);
	cr_assert_eq(c->n_files, 2);
	cr_expect_str_eq(c->files[1], "/etc/otp/b.conf");
	cr_expect_str_eq(c->texts[0], texts[0], "the text is kept for the next re-execution");
	n = cfg_find(c, "b");
	cr_assert(n != NULL);
	cr_expect_str_eq(n->file, "/etc/otp/b.conf");
	cr_assert(c->main_cmd && cfg_find(c, CFG_MAIN_NAME));
	cfg_free(c);
	/* An error names the file as it was named. */
	texts[1] = "[worker b]\nbogus = 1\n";
	cr_assert_lt(cfg_load_texts(names, texts, 2, NULL, &c, &errs), 0);
	cr_assert_gt(errs.n, 0);
	cr_expect(strstr(errs.msgs[0], "/etc/otp/b.conf:2") != NULL, "%s", errs.msgs[0]);
	cfg_errors_clear(&errs);
}
