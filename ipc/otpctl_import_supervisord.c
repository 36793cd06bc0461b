/*
 * otpctl_import_supervisord.c: supervisord's configuration as otp.conf.
 *
 * [program:x] becomes a worker (or, with numprocs > 1, a one_for_one
 * supervisor x of its processes), [group:g] a one_for_one supervisor of
 * its programs, and supervisord's start order (groups and lone programs by
 * priority, programs in a group by theirs) the order of the sections.
 * [include] files are read as supervisord reads them.  %(name)s
 * expressions are expanded as supervisord would (ENV_X from otpctl's own
 * environment, said in a comment).  The mapping of each key is in
 * otpctl(1), IMPORT; the keys of a program are
 * otpctl_import_sv_keys.c.
 */
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "otpctl_import.h"

#define SV_PRIORITY_DEFAULT 999

static const struct imp_section *sv_find(const struct imp_ini *ini, const char *name)
{
	for (size_t i = 0; i < ini->n; i++)
		if (strcmp(ini->s[i].name, name) == 0)
			return &ini->s[i];
	return NULL;
}

const char *imp_sv_get(const struct imp_section *s, const char *key)
{
	const char *v = NULL;

	for (size_t i = 0; s && i < s->n; i++)
		if (strcmp(s->kv[i].key, key) == 0)
			v = s->kv[i].value;
	return v;
}

long imp_sv_get_long(const struct imp_section *s, const char *key, long dflt)
{
	const char *v = imp_sv_get(s, key);
	char *end;
	long n;

	if (!v)
		return dflt;
	n = strtol(v, &end, 10);
	return end != v && *end == '\0' ? n : dflt;
}

/* [include] files = A B ...: globs relative to the including file's directory. */
static int sv_include(struct imp_conf *c, struct imp_ini *ini, const struct imp_section *inc)
{
	char *files = inc && imp_sv_get(inc, "files") ? strdup(imp_sv_get(inc, "files")) : NULL;
	char file[PATH_MAX], base[PATH_MAX], pattern[PATH_MAX * 2];
	char *save = NULL, *tok;
	int r = 0;

	if (!inc || !imp_sv_get(inc, "files"))
		return 0;
	if (!files)
		return -ENOMEM;
	snprintf(file, sizeof(file), "%s", inc->file);
	snprintf(base, sizeof(base), "%s", dirname(file));
	for (tok = strtok_r(files, " \t\n", &save); tok && r == 0; tok = strtok_r(NULL, " \t\n", &save)) {
		glob_t g = { 0 };

		snprintf(pattern, sizeof(pattern), "%s%s%s", tok[0] == '/' ? "" : base,
			 tok[0] == '/' ? "" : "/", tok);
		if (glob(pattern, 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc && r == 0; i++) {
				imp_note(c, "included: %s", g.gl_pathv[i]);
				r = imp_ini_load(ini, g.gl_pathv[i], IMP_INI_SUPERVISORD);
			}
		} else {
			imp_note(c, "[include] files = %s: nothing matches", tok);
		}
		globfree(&g);
	}
	free(files);
	return r;
}

/* Sections that are not programs or groups: notes at the top. */
static void sv_note_section(struct imp_conf *c, const struct imp_section *s, const char *why)
{
	imp_note(c, "[%s]: %s", s->name, why);
	for (size_t i = 0; i < s->n; i++)
		imp_note(c, "  %s = %s", s->kv[i].key, s->kv[i].value);
}

static void sv_other_section(struct imp_conf *c, const struct imp_section *s)
{
	if (strcmp(s->name, "supervisord") == 0) {
		imp_note(c, "[supervisord]: otpd's own settings are in [otpd] (otp.conf(5)); its "
			    "environment goes to every worker");
		for (size_t i = 0; i < s->n; i++)
			if (strcmp(s->kv[i].key, "environment") != 0)
				imp_note(c, "  %s = %s: no equivalent", s->kv[i].key, s->kv[i].value);
	} else if (strcmp(s->name, "unix_http_server") == 0 ||
		   strcmp(s->name, "inet_http_server") == 0 || strcmp(s->name, "supervisorctl") == 0 ||
		   strncmp(s->name, "rpcinterface:", 13) == 0) {
		sv_note_section(c, s, "otpctl talks to otpd's control socket ([otpd] socket, "
				       "control_group); no HTTP or XML-RPC");
	} else if (strncmp(s->name, "eventlistener:", 14) == 0) {
		sv_note_section(c, s, "no event listeners in otpd (otpctl status --json, "
				       "otpctl wait NAME --state S)");
	} else if (strncmp(s->name, "fcgi-program:", 13) == 0) {
		sv_note_section(c, s, "no FastCGI sockets in otpd (a worker may get a mailbox "
				       "socket: mailbox = true)");
	} else if (strcmp(s->name, "include") != 0) {
		sv_note_section(c, s, "not a section supervisord knows");
	}
}

/* The group that lists program `prog`, or NULL. */
static const struct imp_section *sv_group_of(const struct imp_ini *ini, const char *prog)
{
	for (size_t i = 0; i < ini->n; i++) {
		const char *list = strncmp(ini->s[i].name, "group:", 6) == 0 ?
					   imp_sv_get(&ini->s[i], "programs") : NULL;
		size_t len = strlen(prog);

		for (const char *p = list; p && *p; p += strcspn(p, ",")) {
			p += strspn(p, ", \t\n");
			if (strncmp(p, prog, len) == 0 && strchr(", \t\n", p[len]))
				return &ini->s[i];
		}
	}
	return NULL;
}

/* The processes of one program: a worker each, below `parent`. */
static int sv_program(struct imp_sv_ctx *x, const struct imp_section *prog, struct imp_node *parent,
		       const char *group)
{
	long numprocs = imp_sv_get_long(prog, "numprocs", 1);
	long start = imp_sv_get_long(prog, "numprocs_start", 0);
	const char *name = prog->name + 8;
	struct imp_node *sup = parent;
	int r = 0;

	if (numprocs < 1)
		numprocs = 1;
	/* Several processes: a supervisor of their own, as supervisord's
	 * homogeneous group NAME:NAME_00 ... */
	if (numprocs > 1 && !group) {
		sup = imp_node_add(x->c, name, true, parent);
		if (!sup)
			return -ENOMEM;
		imp_node_order(sup, imp_sv_get_long(prog, "priority", SV_PRIORITY_DEFAULT));
		imp_comment(sup, "the %ld processes of [program:%s] (numprocs)", numprocs, name);
		imp_sv_supervisor_keys(sup);
	}
	for (long i = 0; i < numprocs && r == 0; i++)
		r = imp_sv_process(x, prog, sup, group ? group : name, start + i, numprocs);
	return r;
}

static int sv_group(struct imp_sv_ctx *x, const struct imp_section *g)
{
	const char *name = g->name + 6;
	struct imp_node *sup = imp_node_add(x->c, name, true, NULL);
	int r = 0;

	if (!sup)
		return -ENOMEM;
	imp_node_order(sup, imp_sv_get_long(g, "priority", SV_PRIORITY_DEFAULT));
	imp_comment(sup, "[group:%s] programs = %s", name, imp_sv_get(g, "programs") ?: "");
	imp_sv_supervisor_keys(sup);
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->kv[i].key, "programs") != 0 && strcmp(g->kv[i].key, "priority") != 0)
			imp_unmapped(sup, g->kv[i].key, g->kv[i].value, "no equivalent");
	for (size_t i = 0; i < x->ini->n && r == 0; i++) {
		const struct imp_section *p = &x->ini->s[i];

		if (strncmp(p->name, "program:", 8) == 0 && sv_group_of(x->ini, p->name + 8) == g)
			r = sv_program(x, p, sup, name);
	}
	return r;
}

static void sv_root(struct imp_conf *c)
{
	struct imp_node *root = imp_root(c);

	imp_note(c, "supervisord restarts each program on its own and never gives up on one");
	imp_note(c, "that ran: one_for_one supervisors that give up only after 10 restarts in");
	imp_note(c, "a minute.  Start order is supervisord's (priority).");
	imp_set(root, "strategy", "one_for_one");
	imp_set(root, "intensity", "10");
	imp_set(root, "period", "60s");
}

void imp_sv_supervisor_keys(struct imp_node *sup)
{
	imp_set(sup, "strategy", "one_for_one");
	imp_set(sup, "intensity", "10");
	imp_set(sup, "period", "60s");
}

static int sv_build(struct imp_sv_ctx *x)
{
	int r = 0;

	for (size_t i = 0; i < x->ini->n && r == 0; i++) {
		const struct imp_section *s = &x->ini->s[i];

		if (strncmp(s->name, "group:", 6) == 0)
			r = sv_group(x, s);
		else if (strncmp(s->name, "program:", 8) == 0 && !sv_group_of(x->ini, s->name + 8))
			r = sv_program(x, s, NULL, NULL);
		else if (strncmp(s->name, "program:", 8) != 0)
			sv_other_section(x->c, s);
	}
	return r;
}

int imp_supervisord(struct imp_conf *c, const char *path)
{
	struct imp_ini ini = { 0 };
	struct imp_sv_ctx x = { .c = c, .ini = &ini };
	char here[PATH_MAX];
	int r;

	r = imp_ini_load(&ini, path, IMP_INI_SUPERVISORD);
	if (r == 0)
		r = sv_include(c, &ini, sv_find(&ini, "include"));
	if (r == 0) {
		/* %(here)s: the directory of the main file, as supervisord has it. */
		if (strcmp(path, "-") == 0 || !realpath(path, here))
			snprintf(here, sizeof(here), ".");
		else
			snprintf(here, sizeof(here), "%s", dirname(here));
		x.here = here;
		x.global_env = imp_sv_get(sv_find(&ini, "supervisord"), "environment");
		sv_root(c);
		r = sv_build(&x);
	}
	imp_ini_free(&ini);
	return r;
}
