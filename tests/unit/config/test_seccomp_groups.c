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

	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
		cr_assert_not_null(cfg_seccomp_group_find(wanted[i]), "%s missing", wanted[i]);
	cr_assert_null(cfg_seccomp_group_find("@nope"));
	cr_assert_null(cfg_seccomp_group_find("mount"));
}

/* Every member is a system call libseccomp knows, or another group; no loops. */
Test(seccomp_groups, members_are_known)
{
	struct names s;

	for (const struct cfg_seccomp_group *g = cfg_seccomp_groups; g->name; g++) {
		cr_assert_eq(g->name[0], '@');
		cr_assert_not_null(g->about);
		cr_assert_not_null(g->members[0], "%s is empty", g->name);
		for (const char *const *m = g->members; *m; m++)
			cr_assert(cfg_seccomp_word_known(*m), "%s: %s is unknown", g->name, *m);
		expand(g->name, &s);
		cr_assert_gt(s.n, 0);
		for (size_t i = 0; i < s.n; i++)
			cr_assert_neq(s.v[i][0], '@', "%s left %s unexpanded", g->name, s.v[i]);
	}
}

Test(seccomp_groups, names_are_unique_and_sorted)
{
	for (const struct cfg_seccomp_group *g = cfg_seccomp_groups; g->name && g[1].name; g++)
		cr_assert_lt(strcmp(g->name, g[1].name), 0, "%s before %s", g->name, g[1].name);
	for (const struct cfg_seccomp_group *g = cfg_seccomp_groups; g->name; g++) {
		for (const char *const *m = g->members; *m && m[1]; m++) {
			bool groups_first = (*m)[0] == '@' && m[1][0] != '@';

			cr_assert(groups_first || strcmp(*m, m[1]) < 0, "%s: %s before %s", g->name,
				  *m, m[1]);
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

	if (!f)
		cr_skip_test("man/otp.conf.5 not found: run from the top of the tree (make check-unit)");
	for (const struct cfg_seccomp_group *g = cfg_seccomp_groups; g->name; g++)
		n_groups++;
	/* Each group is a tagged paragraph: ".TP", then ".B @mount". */
	while (fgets(line, sizeof(line), f)) {
		char name[64], end;

		if (strcmp(prev, ".TP\n") == 0 &&
		    sscanf(line, ".B @%62[a-z-]%c", name + 1, &end) == 2 && end == '\n') {
			name[0] = '@';
			cr_assert_not_null(cfg_seccomp_group_find(name), "otp.conf(5) documents %s",
					   name);
			documented++;
		}
		snprintf(prev, sizeof(prev), "%s", line);
	}
	fclose(f);
	cr_assert_eq(documented, n_groups, "otp.conf(5) documents %zu of %zu groups", documented,
		     n_groups);
}
