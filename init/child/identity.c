/*
 * identity.c: step 2, the worker's identity.
 *
 * Names are resolved here, in the child, with NSS (getpwnam(3) and
 * friends), never in otpd: otpd may be PID 1, where NSS must not run.  A
 * name made only of digits that is not a known name is a numeric id.
 *
 * Before it switches to a user other than root, the child sets
 * PR_SET_KEEPCAPS and raises its effective set again afterwards, so that
 * limits (step 3) and the capabilities step (4) still have the privileges
 * they need; step 4 then leaves the worker exactly what it is configured
 * to keep.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"

/* Who the worker becomes: from passwd, or a bare number. */
struct sb_who {
	struct passwd *pw;              /* NULL: no passwd entry */
	uid_t uid;
	gid_t gid;                      /* primary group */
	bool user, group;               /* configured */
};

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* A number from all_digits() text, within the id range. */
static int parse_id(const char *s, unsigned *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v >= (unsigned)-1)
		return -ERANGE;
	*ret = (unsigned)v;
	return 0;
}

static void resolve_user(struct child_plan *p, const char *name, struct sb_who *who)
{
	unsigned id;

	errno = 0;
	who->pw = getpwnam(name);
	if (!who->pw && all_digits(name)) {
		if (parse_id(name, &id) < 0)
			child_fail(p, "user", ERANGE);
		errno = 0;
		who->pw = getpwuid(id);
		who->uid = id;
		who->gid = id;          /* no entry: the group of the same number */
	} else if (!who->pw) {
		child_fail(p, "user", errno ? errno : ENOENT);
	}
	if (who->pw) {
		who->uid = who->pw->pw_uid;
		who->gid = who->pw->pw_gid;
	}
	who->user = true;
}

static int resolve_group(const char *name, gid_t *ret_gid)
{
	struct group *gr;
	unsigned id;

	errno = 0;
	gr = getgrnam(name);
	if (gr) {
		*ret_gid = gr->gr_gid;
		return 0;
	}
	if (!all_digits(name))
		return errno ? -errno : -ENOENT;
	if (parse_id(name, &id) < 0)
		return -ERANGE;
	*ret_gid = id;
	return 0;
}

/* supplementary_groups as configured (an empty list drops them all). */
static void set_listed_groups(struct child_plan *p)
{
	char *const *names = cfg_worker_sandbox(p->cfg)->supplementary_groups;
	size_t n = 0;
	gid_t *gids;
	int r;

	while (names && names[n])
		n++;
	gids = calloc(n + 1, sizeof(*gids));
	if (!gids)
		child_fail(p, "supplementary_groups", ENOMEM);
	for (size_t i = 0; i < n; i++)
		if ((r = resolve_group(names[i], &gids[i])) < 0)
			child_fail(p, "supplementary_groups", -r);
	if (setgroups(n, gids) < 0)
		child_fail(p, "supplementary_groups", errno);
	free(gids);
}

static void set_groups(struct child_plan *p, const struct sb_who *who)
{
	if (cfg_worker_sandbox(p->cfg)->groups_set)
		set_listed_groups(p);
	else if (who->pw && initgroups(who->pw->pw_name, who->gid) < 0)
		child_fail(p, "supplementary_groups", errno);
	else if (!who->pw && (who->user || who->group) && setgroups(0, NULL) < 0)
		child_fail(p, "supplementary_groups", errno);
}

/* Effective := permitted, after a setresuid() that kept the permitted set. */
static int raise_effective(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	d[0].effective = d[0].permitted;
	d[1].effective = d[1].permitted;
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	return 0;
}

static void set_user(struct child_plan *p, const struct sb_who *who)
{
	bool keep = who->uid != 0 && geteuid() == 0;
	int r;

	if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		child_fail(p, "user", errno);
	if (setresuid(who->uid, who->uid, who->uid) < 0)
		child_fail(p, "user", errno);
	if (keep && (r = raise_effective()) < 0)
		child_fail(p, "user", -r);
}

/* "KEY=value" appended to the child's envp unless KEY is there already. */
static void env_default(struct child_plan *p, const char *key, const char *value)
{
	size_t klen = strlen(key), n = 0;
	char **nv, *kv;

	for (; p->envp[n]; n++)
		if (strncmp(p->envp[n], key, klen) == 0 && p->envp[n][klen] == '=')
			return;         /* env= or environment_file set it: that wins */
	nv = malloc((n + 2) * sizeof(*nv));
	kv = malloc(klen + strlen(value) + 2);
	if (!nv || !kv)
		child_fail(p, "environment", ENOMEM);
	memcpy(nv, p->envp, n * sizeof(*nv));
	sprintf(kv, "%s=%s", key, value);
	nv[n] = kv;
	nv[n + 1] = NULL;
	p->envp = nv;           /* the old array belongs to otpd's copy: left as is */
}

/* HOME, USER, LOGNAME and SHELL of the user (otpd dropped its own). */
static void set_user_env(struct child_plan *p, const struct sb_who *who)
{
	char num[16];
	const char *name = num, *home = "/", *shell = "/bin/sh";

	snprintf(num, sizeof(num), "%u", (unsigned)who->uid);
	if (who->pw) {
		name = who->pw->pw_name;
		if (who->pw->pw_dir && *who->pw->pw_dir)
			home = who->pw->pw_dir;
		if (who->pw->pw_shell && *who->pw->pw_shell)
			shell = who->pw->pw_shell;
	}
	env_default(p, "HOME", home);
	env_default(p, "USER", name);
	env_default(p, "LOGNAME", name);
	env_default(p, "SHELL", shell);
}

void sb_identity(struct child_plan *p)
{
	const struct cfg_worker *c = p->cfg;
	struct sb_who who = { 0 };
	int r;

	if (c->user)
		resolve_user(p, c->user, &who);
	if (c->group) {
		if ((r = resolve_group(c->group, &who.gid)) < 0)
			child_fail(p, "group", -r);
		who.group = true;
	}
	set_groups(p, &who);
	if ((who.user || who.group) && setresgid(who.gid, who.gid, who.gid) < 0)
		child_fail(p, "group", errno);
	if (who.user)
		set_user(p, &who);
	if (cfg_worker_sandbox(c)->umask >= 0)
		umask((mode_t)cfg_worker_sandbox(c)->umask);
	if (who.user)
		set_user_env(p, &who);
}
