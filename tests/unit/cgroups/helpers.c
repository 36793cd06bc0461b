/*
 * helpers.c: fixtures of the cgroups unit tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgtest.h"

char ct_dir[64];
int ct_fd = -1;

void ct_setup(void)
{
	strcpy(ct_dir, "/tmp/otpd-cg-XXXXXX");
	cr_assert_not_null(mkdtemp(ct_dir));
	ct_fd = open(ct_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(ct_fd, 0);
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

void ct_teardown(void)
{
	if (ct_fd >= 0)
		close(ct_fd);
	ct_fd = -1;
	/* our own mkdtemp directory, nothing else */
	if (strncmp(ct_dir, "/tmp/otpd-cg-", 13) == 0)
		cr_expect_eq(nftw(ct_dir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0, "removing %s", ct_dir);
	/* a failed test may leave a sleeper behind */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static const char *path_of(const char *rel)
{
	static char buf[4][256];
	static unsigned next;
	char *b = buf[next++ % 4];

	snprintf(b, sizeof(buf[0]), "%s/%s", ct_dir, rel);
	return b;
}

void ct_put(const char *rel, const char *text)
{
	FILE *f = fopen(path_of(rel), "we");

	cr_assert_not_null(f, "%s: %s", rel, strerror(errno));
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

const char *ct_get(const char *rel)
{
	static char buf[1024];
	FILE *f = fopen(path_of(rel), "re");
	size_t n;

	cr_assert_not_null(f, "%s: %s", rel, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

bool ct_exists(const char *rel)
{
	return access(path_of(rel), F_OK) == 0;
}

void ct_mkdir(const char *rel)
{
	cr_assert_eq(mkdir(path_of(rel), 0755), 0, "%s: %s", rel, strerror(errno));
}

FILE *ct_text(const char *text)
{
	FILE *f = fmemopen((char *)text, strlen(text), "r");

	cr_assert_not_null(f);
	return f;
}

pid_t ct_sleeper(void)
{
	pid_t parent = getpid(), pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		for (;;)
			pause();
	}
	return pid;
}

int ct_reap(pid_t pid)
{
	int st;

	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return WIFSIGNALED(st) ? WTERMSIG(st) : -1;
}

struct cg_limits ct_no_limits(void)
{
	return cg_limits_none;
}
