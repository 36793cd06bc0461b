/*
 * otpctl_import_sv_keys.c: the keys of one supervisord [program:x]
 * process, as the keys of an otp.conf worker.
 *
 * Values are expanded first (%(program_name)s, %(process_num)02d,
 * %(group_name)s, %(here)s, %(host_node_name)s, %(numprocs)d,
 * %(ENV_X)s), as supervisord does for every option.  exec, restart and
 * shutdown come first (supervisord's defaults differ from otpd's, so they
 * are always written); then each key in file order, mapped or kept as a
 * comment.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "otpctl_import.h"

#define SV_STOPWAITSECS_DEFAULT 10

struct sv_proc {
	struct imp_sv_ctx *x;
	const struct imp_section *prog;
	struct imp_node *w;
	const char *program, *group;
	long num, numprocs;
	bool redirect_stderr;
};

/* --- %(name)s expansion ------------------------------------------------- */

/* The value of %(name), as a string; NULL when supervisord has none. */
static const char *sv_var(const struct sv_proc *p, const char *name, char *buf, size_t len,
			  bool *ret_env)
{
	*ret_env = false;
	if (strcmp(name, "program_name") == 0)
		return p->program;
	if (strcmp(name, "group_name") == 0)
		return p->group;
	if (strcmp(name, "here") == 0)
		return p->x->here;
	if (strcmp(name, "process_num") == 0 || strcmp(name, "numprocs") == 0) {
		snprintf(buf, len, "%ld", name[0] == 'p' ? p->num : p->numprocs);
		return buf;
	}
	if (strcmp(name, "host_node_name") == 0)
		return gethostname(buf, len) == 0 ? buf : NULL;
	if (strncmp(name, "ENV_", 4) == 0) {
		*ret_env = true;
		return getenv(name + 4);
	}
	return NULL;
}

/* `v` padded to `width` as %-Ns, %Ns or %0Nd would (no printf: the
 * format would not be a literal). */
static void sv_pad(FILE *f, const char *v, const char *flags, size_t nflags, long width)
{
	bool left = memchr(flags, '-', nflags) != NULL;
	bool zero = !left && memchr(flags, '0', nflags) != NULL && *v &&
		    strspn(v, "0123456789") == strlen(v);
	long pad = width - (long)strlen(v);

	if (left)
		fputs(v, f);
	for (; pad > 0; pad--)
		fputc(zero ? '0' : ' ', f);
	if (!left)
		fputs(v, f);
}

/* One %(name)FMT at `s` (after "%("): appended to f; the length read, or 0. */
static size_t sv_expand_one(const struct sv_proc *p, const char *s, FILE *f, bool *ret_env,
			    bool *ret_unknown)
{
	char name[128], val[256];
	const char *close = strchr(s, ')'), *v, *spec;
	size_t nlen, nflags, nwidth;
	bool env;

	if (!close || (nlen = (size_t)(close - s)) >= sizeof(name))
		return 0;
	memcpy(name, s, nlen);
	name[nlen] = '\0';
	spec = close + 1;
	nflags = strspn(spec, "-0");
	nwidth = strspn(spec + nflags, "0123456789");
	if (!spec[nflags + nwidth] || !strchr("sd", spec[nflags + nwidth]) || nwidth > 3)
		return 0;
	v = sv_var(p, name, val, sizeof(val), &env);
	if (!v) {
		*ret_unknown = true;
		return 0;
	}
	*ret_env |= env;
	sv_pad(f, v, spec, nflags, nwidth ? strtol(spec + nflags, NULL, 10) : 0);
	return nlen + 1 + nflags + nwidth + 1;
}

/* `in` expanded (the caller frees), with a comment about ENV_ or unknown names. */
static char *sv_expand(const struct sv_proc *p, const char *key, const char *in)
{
	bool env = false, unknown = false;
	char *out = NULL;
	size_t len = 0, used;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	for (const char *s = in; *s; s++) {
		if (s[0] == '%' && s[1] == '%') {
			fputc('%', f);
			s++;
		} else if (s[0] == '%' && s[1] == '(' && (used = sv_expand_one(p, s + 2, f, &env, &unknown))) {
			s += 1 + used;
		} else {
			fputc(*s, f);
		}
	}
	if (fclose(f) != 0)
		return NULL;
	if (env)
		imp_comment(p->w, "%s: %%(ENV_...)s expanded from otpctl's environment at import", key);
	if (unknown)
		imp_comment(p->w, "%s: a %%(...) expression that cannot be expanded here (a name "
				  "supervisord does not know, or ENV_X of a variable not set), kept "
				  "as is", key);
	return out;
}

/* --- exec, restart, shutdown ------------------------------------------- */

static int sv_exec(struct sv_proc *p)
{
	const char *cmd = imp_sv_get(p->prog, "command");
	char *v;

	if (!cmd || !*cmd) {
		fprintf(stderr, "otpctl: import: %s: [%s] has no command\n", p->prog->file,
			p->prog->name);
		return -EINVAL;
	}
	v = sv_expand(p, "command", cmd);
	if (!v)
		return -ENOMEM;
	/* supervisord splits the command as a POSIX shell would, as exec does;
	 * a continuation line is only more whitespace. */
	for (char *c = v; *c; c++)
		if (*c == '\n')
			*c = ' ';
	imp_set(p->w, "exec", "%s", v);
	free(v);
	return 0;
}

/* exitcodes = 0,2: the codes besides 0 as success_exit. */
static void sv_exitcodes(struct sv_proc *p, const char *codes)
{
	char list[256] = "", *save = NULL, *tok, *copy = strdup(codes);
	bool zero = false;

	if (!copy)
		return;
	for (tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		char *end;
		long n = strtol(tok, &end, 10);

		if (*end || n < 0 || n > 255)
			imp_comment(p->w, "exitcodes: %s is not an exit code, left out", tok);
		else if (n == 0)
			zero = true;
		else if (strlen(list) + strlen(tok) + 2 < sizeof(list))
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 list[0] ? " " : "", tok);
	}
	free(copy);
	if (!zero)
		imp_comment(p->w, "exitcodes = %s: exit 0 is always clean in otpd", codes);
	if (list[0])
		imp_set(p->w, "success_exit", "%s", list);
}

static void sv_restart(struct sv_proc *p)
{
	const char *ar = imp_sv_get(p->prog, "autorestart");
	const char *codes = imp_sv_get(p->prog, "exitcodes");
	bool b;

	if (!ar || strcmp(ar, "unexpected") == 0) {
		imp_comment(p->w, "autorestart = unexpected%s: restarted when the exit is not clean",
			    ar ? "" : " (supervisord's default)");
		imp_set(p->w, "restart", "transient");
		sv_exitcodes(p, codes ? codes : "0");
	} else if (imp_bool(ar, &b)) {
		if (!b)
			imp_comment(p->w, "autorestart = false: a temporary worker also leaves the "
					  "tree when it ends (supervisord shows it EXITED)");
		imp_set(p->w, "restart", b ? "permanent" : "temporary");
		if (codes)
			imp_unmapped(p->w, "exitcodes", codes, "only used with autorestart = unexpected");
	} else {
		imp_unmapped(p->w, "autorestart", ar, "not true, false or unexpected");
	}
}

static void sv_shutdown(struct sv_proc *p)
{
	long secs = imp_sv_get_long(p->prog, "stopwaitsecs", SV_STOPWAITSECS_DEFAULT);

	if (!imp_sv_get(p->prog, "stopwaitsecs"))
		imp_comment(p->w, "stopwaitsecs = %d (supervisord's default)", SV_STOPWAITSECS_DEFAULT);
	imp_set(p->w, "shutdown", "%lds", secs < 0 ? 0 : secs);
}

/* --- the other keys ----------------------------------------------------- */

/* stdout_logfile / stderr_logfile: where that stream goes. */
static void sv_logfile(struct sv_proc *p, const char *key, const char *v)
{
	const char *stream = key[3] == 'o' ? "stdout" : "stderr";

	if (key[3] == 'e' && p->redirect_stderr)
		imp_unmapped(p->w, key, v, "unused: redirect_stderr = true");
	else if (strcmp(v, "AUTO") == 0)
		imp_comment(p->w, "%s = AUTO: otpd keeps the lines (otpctl logs %s) and writes them "
				  "to its own %s", key, imp_node_name(p->w), stream);
	else if (strcmp(v, "NONE") == 0)
		imp_set(p->w, stream, "null");
	else if (strcmp(v, "/dev/stdout") == 0 || strcmp(v, "/dev/stderr") == 0)
		imp_set(p->w, stream, "inherit");
	else if (v[0] == '/')
		imp_set(p->w, stream, "file:%s", v);
	else
		imp_unmapped(p->w, key, v, "not an absolute path");
}

/* environment = A="1",B="x y": one env line each. */
static void sv_environment(struct sv_proc *p, const char *key, const char *v)
{
	const char *s = v;

	while (*s) {
		size_t klen, vlen;
		const char *val;
		char q = 0;

		s += strspn(s, ", \t\n");
		klen = strcspn(s, "=");
		if (!*s || !s[klen])
			break;
		val = s + klen + 1;
		if (*val == '"' || *val == '\'')
			q = *val++;
		vlen = q ? strcspn(val, q == '"' ? "\"" : "'") : strcspn(val, ",");
		if (util_is_env_name(s, klen))
			imp_set(p->w, "env", "%.*s=%.*s", (int)klen, s, (int)vlen, val);
		else
			imp_comment(p->w, "%s: %.*s is not a variable name, left out", key, (int)klen, s);
		s = val + vlen + (q && val[vlen] ? 1 : 0);
	}
}

static void sv_signal(struct sv_proc *p, const char *key, const char *v)
{
	const char *sig = imp_signal(v);

	if (sig)
		imp_set(p->w, "stop_signal", "%s", sig);
	else
		imp_unmapped(p->w, key, v, "not a signal otpd knows");
}

/* Keys kept as comments, with why. */
static const struct {
	const char *key;
	const char *why;
} sv_unmapped_keys[] = {
	{ "startretries", "restart intensity is per supervisor (intensity, period)" },
	{ "stopasgroup", "otpd stops the worker's whole cgroup: its main process, then what it left" },
	{ "killasgroup", "otpd kills the worker's whole cgroup at the shutdown deadline" },
	{ "serverurl", "workers reach otpd with otpctl ($OTP_SOCKET)" },
	{ "stdout_logfile_maxbytes", "otpd does not rotate files; otpctl logs keeps log_lines lines" },
	{ "stdout_logfile_backups", "otpd does not rotate files" },
	{ "stdout_capture_maxbytes", "no capture mode or events" },
	{ "stdout_events_enabled", "no events" },
	{ "stdout_syslog", "otpd's own output goes to the journal under systemd" },
	{ "stderr_logfile_maxbytes", "otpd does not rotate files; otpctl logs keeps log_lines lines" },
	{ "stderr_logfile_backups", "otpd does not rotate files" },
	{ "stderr_capture_maxbytes", "no capture mode or events" },
	{ "stderr_events_enabled", "no events" },
	{ "stderr_syslog", "otpd's own output goes to the journal under systemd" },
};

/* Keys handled before the walk (or only naming and order). */
static bool sv_key_done(const char *key)
{
	static const char *const done[] = { "command",	  "process_name",   "numprocs",
					    "numprocs_start", "priority",    "autorestart",
					    "exitcodes",  "stopwaitsecs",   "redirect_stderr" };

	for (size_t i = 0; i < sizeof(done) / sizeof(done[0]); i++)
		if (strcmp(key, done[i]) == 0)
			return true;
	return false;
}

static void sv_user(struct sv_proc *p, const char *key, const char *v)
{
	imp_set(p->w, "user", "%s", v);
}

static void sv_directory(struct sv_proc *p, const char *key, const char *v)
{
	if (v[0] == '/')
		imp_set(p->w, "workdir", "%s", v);
	else
		imp_unmapped(p->w, key, v, "not an absolute path");
}

static void sv_umask(struct sv_proc *p, const char *key, const char *v)
{
	if (*v && strspn(v, "01234567") == strlen(v))
		imp_set(p->w, "umask", "%s", v);
	else
		imp_unmapped(p->w, key, v, "not octal");
}

static void sv_autostart(struct sv_proc *p, const char *key, const char *v)
{
	bool b;

	if (!imp_bool(v, &b) || !b)
		imp_unmapped(p->w, key, v, "otpd starts every worker (otpctl stop NAME once it runs)");
}

static void sv_startsecs(struct sv_proc *p, const char *key, const char *v)
{
	if (strcmp(v, "0") != 0)
		imp_unmapped(p->w, key, v, "a worker counts as started once its exec succeeded "
					   "(ready = exec)");
}

static const struct {
	const char *key;
	void (*fn)(struct sv_proc *p, const char *key, const char *v);
} sv_mapped_keys[] = {
	{ "stdout_logfile", sv_logfile }, { "stderr_logfile", sv_logfile },
	{ "environment", sv_environment }, { "stopsignal", sv_signal },
	{ "user", sv_user },		   { "directory", sv_directory },
	{ "umask", sv_umask },		   { "autostart", sv_autostart },
	{ "startsecs", sv_startsecs },
};

static void sv_key(struct sv_proc *p, const char *key, const char *v)
{
	size_t i;

	if (sv_key_done(key))
		return;
	for (i = 0; i < sizeof(sv_mapped_keys) / sizeof(sv_mapped_keys[0]); i++) {
		if (strcmp(key, sv_mapped_keys[i].key) == 0) {
			sv_mapped_keys[i].fn(p, key, v);
			return;
		}
	}
	for (i = 0; i < sizeof(sv_unmapped_keys) / sizeof(sv_unmapped_keys[0]); i++) {
		if (strcmp(key, sv_unmapped_keys[i].key) == 0) {
			imp_unmapped(p->w, key, v, sv_unmapped_keys[i].why);
			return;
		}
	}
	imp_unmapped(p->w, key, v, "not a key supervisord knows");
}

static int sv_walk(struct sv_proc *p)
{
	bool b;

	p->redirect_stderr = imp_bool(imp_sv_get(p->prog, "redirect_stderr") ?: "false", &b) && b;
	if (p->redirect_stderr)
		imp_comment(p->w, "redirect_stderr = true: stderr goes where stdout goes "
				  "(otp.conf's default)");
	if (p->x->global_env)
		sv_environment(p, "[supervisord] environment", p->x->global_env);
	for (size_t i = 0; i < p->prog->n; i++) {
		char *v;

		if (sv_key_done(p->prog->kv[i].key))
			continue;
		v = sv_expand(p, p->prog->kv[i].key, p->prog->kv[i].value);
		if (!v)
			return -ENOMEM;
		sv_key(p, p->prog->kv[i].key, v);
		free(v);
	}
	return 0;
}

int imp_sv_process(struct imp_sv_ctx *x, const struct imp_section *prog, struct imp_node *parent,
		   const char *group, long num, long numprocs)
{
	struct sv_proc p = { .x = x, .prog = prog, .program = prog->name + 8, .group = group,
			     .num = num, .numprocs = numprocs };
	const char *pn = imp_sv_get(prog, "process_name");
	char *name;
	int r;

	/* The name needs the node to exist: expand it against a scratch one. */
	p.w = imp_root(x->c);
	name = pn ? sv_expand(&p, "process_name", pn) : strdup(p.program);
	if (!name)
		return -ENOMEM;
	p.w = imp_node_add(x->c, name, false, parent);
	free(name);
	if (!p.w)
		return -ENOMEM;
	imp_node_order(p.w, imp_sv_get_long(prog, "priority", 999));
	if (numprocs > 1)
		imp_comment(p.w, "[%s] process %ld of %ld", prog->name, num, numprocs);
	if ((r = sv_exec(&p)) < 0)
		return r;
	sv_restart(&p);
	sv_shutdown(&p);
	return sv_walk(&p);
}
