/* Loading real files and directories (in a temporary directory). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
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

	/* our own mkdtemp directory, nothing else */
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", tmpdir);
	if (strncmp(tmpdir, "/tmp/otpd-cfg-", 14) == 0)
		cr_assert_eq(system(cmd), 0);
}

TestSuite(cfg_load, .init = tmp_setup, .fini = tmp_teardown);

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	f = fopen(path, "we");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

static char *pathof(const char *rel)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	return path;
}

Test(cfg_load, one_file)
{
	struct cfg_errors e = { 0 };
	struct otp_config *c = NULL;

	put("otp.conf", "[worker w]\nexec = /bin/w\n");
	cr_assert_eq(cfg_load(pathof("otp.conf"), &c, &e), 0);
	cr_assert_eq(c->n_nodes, 2);
	cr_assert_eq(c->n_files, 1);
	cr_assert_str_eq(c->files[0], pathof("otp.conf"));
	cr_assert_str_eq(c->nodes[1].file, pathof("otp.conf"));
	cfg_free(c);
}

Test(cfg_load, directory_in_lexical_order)
{
	struct cfg_errors e = { 0 };
	struct otp_config *c = NULL;
	char dir[128];

	/* 20 after 10 although written first; B before a (strcmp); others skipped */
	put("20-web.conf", "[worker web]\nexec = /bin/web\nparent = apps\n");
	put("10-base.conf", "[supervisor apps]\n[worker db]\nexec = /bin/db\n");
	put("B.conf", "[worker first]\nexec = /bin/f\n");
	put("a.conf", "[worker last]\nexec = /bin/l\n");
	put("notes.txt", "garbage\n");
	put(".hidden.conf", "garbage\n");
	put("x.conf.bak", "garbage\n");
	cr_assert_eq(mkdir(pathof("sub.conf"), 0700), 0);
	put("sub.conf/inner.conf", "garbage\n");
	snprintf(dir, sizeof(dir), "%s/", tmpdir);
	cr_assert_eq(cfg_load(dir, &c, &e), 0, "%s", e.n ? e.msgs[0] : "");
	cr_assert_eq(c->n_files, 4);
	cr_assert_str_eq(strrchr(c->files[0], '/'), "/10-base.conf");
	cr_assert_str_eq(strrchr(c->files[1], '/'), "/20-web.conf");
	cr_assert_str_eq(strrchr(c->files[2], '/'), "/B.conf");
	cr_assert_str_eq(strrchr(c->files[3], '/'), "/a.conf");
	/* FILE is the path as given joined with the entry name, one '/' */
	cr_assert_str_eq(c->files[0], pathof("10-base.conf"));
	{
		static const char *const pre[] = { "root", "apps", "web", "db", "first", "last" };

		cr_assert_eq(c->n_nodes, 6);
		for (size_t i = 0; i < 6; i++)
			cr_assert_str_eq(c->nodes[i].spec.name, pre[i]);
	}
	cr_assert_str_eq(cfg_find(c, "web")->file, pathof("20-web.conf"));
	cfg_free(c);
}

Test(cfg_load, errors_name_the_file)
{
	struct cfg_errors e = { 0 };
	struct otp_config *c = NULL;
	char want[320];

	put("a.conf", "[worker w]\nexec = x\n");
	put("b.conf", "\n[worker w]\nexec = x\nshutdown = soon\n");
	cr_assert_eq(cfg_load(tmpdir, &c, &e), -EINVAL);
	cr_assert_null(c);
	cr_assert_eq(e.n, 2);
	snprintf(want, sizeof(want), "%s/b.conf:2: [worker w]: duplicate name, first declared at "
		 "%s/a.conf:1, got \"w\"", tmpdir, tmpdir);
	cr_assert_str_eq(e.msgs[0], want);
	snprintf(want, sizeof(want), "%s/b.conf:4: shutdown: expected brutal_kill, infinity or a "
		 "duration, got \"soon\"", tmpdir);
	cr_assert_str_eq(e.msgs[1], want);
	cfg_errors_clear(&e);
}

Test(cfg_load, missing_and_unreadable)
{
	struct cfg_errors e = { 0 };
	struct otp_config *c = NULL;
	char want[320];

	cr_assert_eq(cfg_load(pathof("nope.conf"), &c, &e), -ENOENT);
	cr_assert_null(c);
	cr_assert_eq(e.n, 1);
	snprintf(want, sizeof(want), "%s: No such file or directory", pathof("nope.conf"));
	cr_assert_str_eq(e.msgs[0], want);
	cfg_errors_clear(&e);

	cr_assert_eq(cfg_load(tmpdir, &c, &e), -ENOENT);        /* no *.conf files */
	cr_assert_eq(e.n, 1);
	cfg_errors_clear(&e);

	put("nul.conf", "[worker w]\nexec = x\n");
	{
		int fd = open(pathof("nul.conf"), O_WRONLY | O_APPEND | O_CLOEXEC);

		cr_assert_geq(fd, 0);
		cr_assert_eq(write(fd, "\0x\n", 3), 3);
		close(fd);
	}
	cr_assert_eq(cfg_load(pathof("nul.conf"), &c, &e), -EINVAL);
	snprintf(want, sizeof(want), "%s: contains a NUL byte, not a text file", pathof("nul.conf"));
	cr_assert_str_eq(e.msgs[0], want);
	cfg_errors_clear(&e);

	if (geteuid() != 0) {
		put("secret.conf", "[worker w]\nexec = x\n");
		cr_assert_eq(chmod(pathof("secret.conf"), 0), 0);
		cr_assert_eq(cfg_load(pathof("secret.conf"), &c, &e), -EACCES);
		cr_assert_eq(e.n, 1);
		cfg_errors_clear(&e);
	}
}

Test(cfg_load, big_file)
{
	struct cfg_errors e = { 0 };
	struct otp_config *c = NULL;
	FILE *f = fopen(pathof("big.conf"), "we");

	cr_assert_not_null(f);
	for (int i = 0; i < 2000; i++)
		fprintf(f, "[worker w%d]\nexec = /bin/w %d\nrestart = transient\n", i, i);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(cfg_load(pathof("big.conf"), &c, &e), 0);
	cr_assert_eq(c->n_nodes, 2001);
	cr_assert_str_eq(c->nodes[2000].spec.name, "w1999");
	cr_assert_eq(c->nodes[2000].line, 5998);
	cfg_free(c);
}
