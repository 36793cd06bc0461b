/* `otpd [-c PATH] -- CMD ARGS...`: cfg_load_main adds the worker "main". */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cfgtest.h"

static char tmpdir[64];

static void tmp_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/otpd-cfg-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void tmp_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", tmpdir);
	if (strncmp(tmpdir, "/tmp/otpd-cfg-", 14) == 0)
		cr_assert_eq(system(cmd), 0);
}

TestSuite(cfg_main, .init = tmp_setup, .fini = tmp_teardown);

/* Write `text` as tmpdir/otp.conf; its path. */
static const char *file(const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/otp.conf", tmpdir);
	f = fopen(path, "we");
	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	return path;
}

static struct otp_config *main_ok(const char *path, char *const *argv)
{
	struct cfg_errors e = { 0 };
	struct otp_config *c = NULL;
	int r = cfg_load_main(path, argv, &c, &e);

	if (r)
		errs_dump(&e);
	cr_assert_eq(r, 0);
	cfg_errors_clear(&e);
	return c;
}

static void main_bad(const char *path, char *const *argv, const char *msg)
{
	struct cfg_errors e = { 0 };
	struct otp_config *c = NULL;

	cr_assert_eq(cfg_load_main(path, argv, &c, &e), -EINVAL);
	cr_assert_null(c);
	if (!errs_has(&e, msg))
		errs_dump(&e);
	cr_assert(errs_has(&e, msg), "no error \"%s\"", msg);
	cfg_errors_clear(&e);
}

Test(cfg_main, no_file_only_main_word_for_word)
{
	char *argv[] = { "/bin/sh", "-c", "echo 'a b' ; exit 3", "", "x\ny", NULL };
	struct otp_config *c = main_ok(NULL, argv);
	const struct cfg_node *m = cfg_find(c, CFG_MAIN_NAME);

	cr_assert(c->main_cmd);
	cr_assert_eq(c->n_nodes, 2);
	cr_assert_eq(c->n_files, 0, "no file read, not even the default one");
	cr_assert_not_null(m);
	cr_assert_eq(m->w.argc, 5);
	for (int i = 0; i < 5; i++)
		cr_assert_str_eq(m->w.argv[i], argv[i]);
	cr_assert_null(m->w.argv[5]);
	cr_assert_eq(m->spec.restart, SUP_TEMPORARY);
	cr_assert(m->spec.significant);
	cr_assert_eq(m->w.out.mode, CFG_OUT_INHERIT);
	cr_assert_eq(m->w.err.mode, CFG_OUT_INHERIT);
	cr_assert_str_eq(m->w.workdir, "/");
	cr_assert_eq(c->nodes[0].spec.auto_shutdown, SUP_AUTO_ANY);
	cfg_free(c);
}

Test(cfg_main, added_last_to_a_configured_tree)
{
	char *argv[] = { "web", NULL };
	struct otp_config *c = main_ok(file("[supervisor root]\nintensity = 3\n"
					   "[worker side]\nexec = /bin/side\n"), argv);

	cr_assert_eq(c->n_nodes, 3);
	cr_assert_str_eq(c->nodes[1].spec.name, "side");
	cr_assert_str_eq(c->nodes[2].spec.name, CFG_MAIN_NAME);
	cr_assert_eq(c->nodes[2].parent_index, 0);
	cr_assert_eq(c->nodes[0].spec.intensity, 3);
	cr_assert_eq(c->nodes[0].spec.auto_shutdown, SUP_AUTO_ANY);
	cfg_free(c);
}

Test(cfg_main, a_chosen_auto_shutdown_stays)
{
	char *argv[] = { "web", NULL };
	struct otp_config *c = main_ok(file("[supervisor root]\nauto_shutdown = all_significant\n"
					   "[worker side]\nexec = /bin/side\nrestart = transient\n"
					   "significant = true\n"), argv);

	cr_assert_eq(c->nodes[0].spec.auto_shutdown, SUP_AUTO_ALL);
	cfg_free(c);
}

Test(cfg_main, the_name_is_taken)
{
	char *argv[] = { "web", NULL };
	char msg[256];
	const char *path = file("[worker main]\nexec = /bin/x\n");

	snprintf(msg, sizeof(msg), "%s:1: the name is taken by the program after -- "
		 "(otpd -- CMD), got \"main\"", path);
	main_bad(path, argv, msg);
}

Test(cfg_main, not_below_a_simple_one_for_one_root)
{
	char *argv[] = { "web", NULL };
	char msg[256];
	const char *path = file("[supervisor root]\nstrategy = simple_one_for_one\n"
				"[worker t]\nexec = /bin/t\n");

	snprintf(msg, sizeof(msg), "%s:1: [supervisor root]: the program after -- cannot be a "
		 "child of a simple_one_for_one root", path);
	main_bad(path, argv, msg);
}

Test(cfg_main, errors_of_the_file_still_count)
{
	char *argv[] = { "web", NULL };
	char msg[256];
	const char *path = file("[worker w]\nshutdown = soon\nexec = /bin/w\n");

	snprintf(msg, sizeof(msg), "%s:2: shutdown: expected brutal_kill, infinity or a "
		 "duration, got \"soon\"", path);
	main_bad(path, argv, msg);
}

Test(cfg_main, no_argv_is_cfg_load)
{
	struct otp_config *c = main_ok(file("[worker w]\nexec = /bin/w\n"), NULL);

	cr_assert_not(c->main_cmd);
	cr_assert_null(cfg_find(c, CFG_MAIN_NAME));
	cr_assert_eq(c->nodes[0].spec.auto_shutdown, SUP_AUTO_NEVER);
	cfg_free(c);
}

/* A load of the same command line is no change at all (reload keeps main running). */
Test(cfg_main, reload_sees_no_change)
{
	char *argv[] = { "/bin/sleep", "1000", NULL };
	struct otp_config *a = main_ok(NULL, argv), *b = main_ok(NULL, argv);

	cr_assert_eq(cfg_node_changes(cfg_find(a, CFG_MAIN_NAME), cfg_find(b, CFG_MAIN_NAME)), 0);
	cfg_free(a);
	cfg_free(b);
}
