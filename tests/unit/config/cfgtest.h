/* cfgtest.h: helpers shared by the config unit tests. */
#ifndef OTPD_CFGTEST_H
#define OTPD_CFGTEST_H

#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "../../../config/config.h"

static inline void errs_dump(const struct cfg_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		cr_log_info("error: %s", e->msgs[i]);
}

/* Load `text` as "t.conf"; the load must succeed. */
static inline struct otp_config *load_ok(const char *text)
{
	struct cfg_errors e = { 0 };
	struct otp_config *c = NULL;
	int r = cfg_load_string(text, "t.conf", &c, &e);

	if (r != 0)
		errs_dump(&e);
	cr_assert_eq(r, 0, "load failed: %s", e.n ? e.msgs[0] : "(no message)");
	cr_assert_eq(e.n, 0);
	cr_assert_not_null(c);
	cfg_errors_clear(&e);
	return c;
}

/* Load `text`; it must fail with -EINVAL; the errors are returned. */
static inline struct cfg_errors load_bad(const char *text)
{
	struct cfg_errors e = { 0 };
	struct otp_config *c = (struct otp_config *)0x1;
	int r = cfg_load_string(text, "t.conf", &c, &e);

	cr_assert_eq(r, -EINVAL, "expected -EINVAL, got %d", r);
	cr_assert_eq(c, (struct otp_config *)0x1, "ret_cfg written on failure");
	cr_assert_gt(e.n, 0);
	return e;
}

static inline bool errs_has(const struct cfg_errors *e, const char *msg)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->msgs[i], msg) == 0)
			return true;
	return false;
}

/* Exactly one error, equal to `msg`. */
static inline void expect_error(const char *text, const char *msg)
{
	struct cfg_errors e = load_bad(text);

	if (e.n != 1 || strcmp(e.msgs[0], msg) != 0)
		errs_dump(&e);
	cr_assert_eq(e.n, 1, "expected 1 error, got %zu", e.n);
	cr_assert_str_eq(e.msgs[0], msg);
	cfg_errors_clear(&e);
}

/* A worker section whose single key is `key = value`, loaded. */
static inline const struct cfg_node *worker_with(struct otp_config **c, const char *kv)
{
	char text[1024];

	snprintf(text, sizeof(text), "[worker w]\nexec = /bin/true\n%s\n", kv);
	*c = load_ok(text);
	cr_assert_eq((*c)->n_nodes, 2);
	return cfg_find(*c, "w");
}

#endif
