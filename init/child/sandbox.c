/*
 * sandbox.c: the child applies the sandbox, in the order sandbox.h
 * documents, then finds the program to exec before the filter is loaded.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"

/* The PATH execvp(3) uses when there is none. */
#define SB_DEFAULT_PATH "/bin:/usr/bin"

/* Could execve(2) run `path`?  0 or -errno (a directory: -EACCES). */
static int runnable(const char *path)
{
	struct stat st;

	if (access(path, X_OK) < 0 || stat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? -EACCES : 0;
}

char *child_exec_buf(void)
{
	static char *buf;

	return buf ? buf : (buf = malloc(CHILD_EXEC_MAX));
}

/* `dir`/`name` into p->exec_buf; false when it does not fit. */
static bool join(struct child_plan *p, const char *dir, size_t dlen, const char *name)
{
	size_t nlen = strlen(name);

	if (dlen + 1 + nlen + 1 > CHILD_EXEC_MAX)
		return false;
	memcpy(p->exec_buf, dir, dlen);
	p->exec_buf[dlen] = '/';
	memcpy(p->exec_buf + dlen + 1, name, nlen + 1);
	return true;
}

/*
 * Find argv[0] as execvp(3) would, in the PATH otpd was started with (it
 * is the child's copy of otpd's environment that getenv() reads).  The
 * first executable candidate wins; otherwise ENOENT, or EACCES when a
 * candidate was there but not executable.  A name with a slash is only
 * checked.  Either way a missing program is reported here, before the
 * filter is loaded, whatever the filter lets the report's write(2) do.
 */
static void exec_lookup(struct child_plan *p)
{
	const char *name = p->argv[0], *path = getenv("PATH"), *s, *e;
	int err = ENOENT, r;

	if (strchr(name, '/')) {
		if ((r = runnable(name)) < 0)
			child_fail(p, "exec", -r);
		p->exec_path = name;
		return;
	}
	if (!path || !*path)
		path = SB_DEFAULT_PATH;
	for (s = path; ; s = e + 1) {
		e = strchrnul(s, ':');
		/* An empty entry is the current directory, as for execvp(3). */
		if (join(p, e > s ? s : ".", e > s ? (size_t)(e - s) : 1, name)) {
			if ((r = runnable(p->exec_buf)) == 0) {
				p->exec_path = p->exec_buf;
				return;
			}
			if (r == -EACCES)
				err = EACCES;
		}
		if (!*e)
			break;
	}
	child_fail(p, "exec", err);
}

void sandbox_apply(struct child_plan *p)
{
	const struct cfg_worker *c = p->cfg;
	bool nnp;

	sb_limits_open(p);
	sb_namespaces(p);
	sb_identity(p);
	sb_limits(p);
	sb_capabilities(p);
	if (chdir(c->workdir ? c->workdir : "/") < 0)
		child_fail(p, "workdir", errno);
	/*
	 * Loading a filter needs no_new_privs or CAP_SYS_ADMIN: a worker that
	 * no longer has the capability gets no_new_privs with its filter.
	 */
	nnp = c->no_new_privs || (p->filter && !sb_cap_effective(CAP_SYS_ADMIN));
	if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(p, "no_new_privs", errno);
	exec_lookup(p);
	sb_seccomp_load(p);
}
