/* The named system call groups: complete, consistent, documented. */
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>

#include "cfgtest.h"

struct names {
	const char *v[1024];
	size_t n;
};

static int collect(const char *name, void *data)
{
	struct names *s = data;

	cr_assert_lt(s->n, sizeof(s->v) / sizeof(s->v[0]));
	s->v[s->n++] = name;
	return 0;
}

static bool has(const struct names *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0)
			return true;
	return false;
}

static void expand(const char *group, struct names *s)
{
	char *words[] = { (char *)group, NULL };

	s->n = 0;
	cr_assert_eq(cfg_seccomp_expand(words, collect, s), 0, "%s does not expand", group);
}

Test(seccomp_groups, the_issue_names_exist)
{
	static const char *const wanted[] = {
		"@mount", "@reboot", "@swap", "@module", "@raw-io", "@clock", "@debug",
		"@obsolete", "@privileged", "@system-service", "@default",
	};
	struct cfg_seccomp_group g;

	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
		cr_assert(cfg_seccomp_group_find(wanted[i], &g), "%s missing", wanted[i]);
	cr_assert_not(cfg_seccomp_group_find("@nope", &g));
	cr_assert_not(cfg_seccomp_group_find("mount", &g));
}

/* Every member is a system call libseccomp knows, or another group; no loops. */
Test(seccomp_groups, members_are_known)
{
	struct names s;

	struct cfg_seccomp_group g = { NULL, NULL, NULL };
	int n = 0;

	while (cfg_seccomp_group_next(&g)) {
		n++;
		cr_assert_eq(g.name[0], '@');
		cr_assert(g.about[0] != '\0' && g.about[0] != '@', "%s: about", g.name);
		cr_assert_neq(g.members[0], '\0', "%s is empty", g.name);
		for (const char *m = g.members; *m; m = cfg_seccomp_member_next(m))
			cr_assert(cfg_seccomp_word_known(m), "%s: %s is unknown", g.name, m);
		expand(g.name, &s);
		cr_assert_gt(s.n, 0);
		for (size_t i = 0; i < s.n; i++)
			cr_assert_neq(s.v[i][0], '@', "%s left %s unexpanded", g.name, s.v[i]);
	}
	cr_assert_geq(n, 29);
}

Test(seccomp_groups, names_are_unique_and_sorted)
{
	struct cfg_seccomp_group g = { NULL, NULL, NULL };
	const char *prev = NULL;

	while (cfg_seccomp_group_next(&g)) {
		cr_assert(!prev || strcmp(prev, g.name) < 0, "%s before %s", prev, g.name);
		prev = g.name;
		for (const char *m = g.members, *n; *m && *(n = cfg_seccomp_member_next(m)); m = n) {
			bool groups_first = m[0] == '@' && n[0] != '@';

			cr_assert(groups_first || strcmp(m, n) < 0, "%s: %s before %s", g.name, m, n);
		}
	}
}

Test(seccomp_groups, contents)
{
	struct names s;

	expand("@mount", &s);
	cr_assert(has(&s, "mount") && has(&s, "umount2") && has(&s, "pivot_root"));
	expand("@reboot", &s);
	cr_assert(has(&s, "reboot") && has(&s, "kexec_load"));
	expand("@swap", &s);
	cr_assert(has(&s, "swapon") && has(&s, "swapoff"));
	expand("@module", &s);
	cr_assert(has(&s, "init_module") && has(&s, "finit_module") && has(&s, "delete_module"));
	expand("@raw-io", &s);
	cr_assert(has(&s, "iopl") && has(&s, "ioperm"));
	expand("@clock", &s);
	cr_assert(has(&s, "settimeofday") && has(&s, "clock_settime") && has(&s, "adjtimex"));
	expand("@debug", &s);
	cr_assert(has(&s, "ptrace") && has(&s, "perf_event_open"));
	expand("@obsolete", &s);
	cr_assert(has(&s, "uselib") && has(&s, "_sysctl"));
	/* @privileged includes whole groups */
	expand("@privileged", &s);
	cr_assert(has(&s, "reboot") && has(&s, "init_module") && has(&s, "chown") &&
		  has(&s, "setuid") && has(&s, "swapon"));
	cr_assert_not(has(&s, "read"));
	/* @default: enough to exec and exit */
	expand(CFG_SECCOMP_BASE, &s);
	cr_assert(has(&s, "execve") && has(&s, "exit_group") && has(&s, "rt_sigreturn") &&
		  has(&s, "brk") && has(&s, "mmap"));
}

/* A service's allow list: what it needs, and none of the dangerous groups. */
Test(seccomp_groups, system_service)
{
	static const char *const needed[] = {
		"read", "write", "openat", "close", "execve", "exit_group", "socket", "accept4",
		"epoll_wait", "clone", "clone3", "futex", "rt_sigaction", "ioctl", "fstat", "getpid",
	};
	static const char *const dangerous[] = {
		"@mount", "@reboot", "@swap", "@module", "@raw-io", "@clock", "@debug", "@obsolete",
	};
	struct names s, d;

	expand("@system-service", &s);
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
		cr_assert(has(&s, needed[i]), "@system-service lacks %s", needed[i]);
	for (size_t i = 0; i < sizeof(dangerous) / sizeof(dangerous[0]); i++) {
		expand(dangerous[i], &d);
		for (size_t j = 0; j < d.n; j++)
			cr_assert_not(has(&s, d.v[j]), "@system-service allows %s of %s", d.v[j],
				      dangerous[i]);
	}
}

Test(seccomp_groups, words)
{
	cr_assert(cfg_seccomp_word_known("ptrace"));
	cr_assert(cfg_seccomp_word_known("socketcall"), "an x86 call is known on x86_64 too");
	cr_assert(cfg_seccomp_word_known("@mount"));
	cr_assert_not(cfg_seccomp_word_known("@Mount"));
	cr_assert_not(cfg_seccomp_word_known("fly"));
	cr_assert_not(cfg_seccomp_word_known(""));
}

Test(seccomp_groups, expand_stops_at_unknown_groups)
{
	char *words[] = { "read", "@nope", NULL };
	struct names s = { .n = 0 };

	cr_assert_eq(cfg_seccomp_expand(words, collect, &s), -ENOENT);
	cr_assert_eq(s.n, 1);
}

/* otp.conf(5) documents every group, and no other. */
Test(seccomp_groups, documented_in_otp_conf_5)
{
	FILE *f = fopen("man/otp.conf.5", "re");
	char line[1024], prev[1024] = "";
	size_t documented = 0, n_groups = 0;
	struct cfg_seccomp_group g = { NULL, NULL, NULL };

	if (!f)
		cr_skip_test("man/otp.conf.5 not found: run from the top of the tree (make check-unit)");
	while (cfg_seccomp_group_next(&g))
		n_groups++;
	/* Each group is a tagged paragraph: ".TP", then ".B @mount". */
	while (fgets(line, sizeof(line), f)) {
		char name[64], end;

		if (strcmp(prev, ".TP\n") == 0 &&
		    sscanf(line, ".B @%62[a-z-]%c", name + 1, &end) == 2 && end == '\n') {
			name[0] = '@';
			cr_assert(cfg_seccomp_group_find(name, &g), "otp.conf(5) documents %s", name);
			documented++;
		}
		snprintf(prev, sizeof(prev), "%s", line);
	}
	fclose(f);
	cr_assert_eq(documented, n_groups, "otp.conf(5) documents %zu of %zu groups", documented,
		     n_groups);
}
