/*
 * otpctl_import_ini.c: the two INI dialects importers read.
 *
 * supervisord reads its files with Python's configparser: comments start
 * with ; or #, also after whitespace inside a line; `key = value` or
 * `key: value`; an indented line continues the value before it (joined
 * with a newline); option names are case-insensitive.  systemd unit files
 * (systemd.syntax(7)): comments only at the start of a line, `Key=Value`,
 * a trailing backslash joins the next line with a space.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otpctl_import.h"

struct imp_reader {
	struct imp_ini *ini;
	const char *path;
	enum imp_ini_dialect d;
	struct imp_kv *last;            /* the value an indented line continues */
	int lineno;
};

static char *imp_trim(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* configparser's inline comments: ; or # after whitespace. */
static void imp_cut_inline_comment(char *s)
{
	for (size_t i = 1; s[i]; i++) {
		if ((s[i] == ';' || s[i] == '#') && isspace((unsigned char)s[i - 1])) {
			s[i] = '\0';
			return;
		}
	}
}

static int imp_section_add(struct imp_reader *r, const char *name)
{
	struct imp_ini *ini = r->ini;
	struct imp_section *ns = realloc(ini->s, (ini->n + 1) * sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	ini->s = ns;
	ns = &ini->s[ini->n];
	*ns = (struct imp_section){ .name = strdup(name), .file = strdup(r->path) };
	if (!ns->name || !ns->file) {
		free(ns->name);
		free(ns->file);
		return -ENOMEM;
	}
	ini->n++;
	r->last = NULL;
	return 0;
}

static int imp_kv_add(struct imp_reader *r, char *key, const char *value)
{
	struct imp_section *s = &r->ini->s[r->ini->n - 1];
	struct imp_kv *nkv = realloc(s->kv, (s->n + 1) * sizeof(*nkv));

	if (!nkv)
		return -ENOMEM;
	s->kv = nkv;
	if (r->d == IMP_INI_SUPERVISORD)
		for (char *p = key; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	nkv[s->n] = (struct imp_kv){ .key = strdup(key), .value = strdup(value), .line = r->lineno };
	if (!nkv[s->n].key || !nkv[s->n].value) {
		free(nkv[s->n].key);
		free(nkv[s->n].value);
		return -ENOMEM;
	}
	r->last = &nkv[s->n++];
	return 0;
}

/* An indented line under a supervisord value: "\n" and the line. */
static int imp_continue(struct imp_reader *r, const char *more)
{
	size_t n = strlen(r->last->value);
	char *v = realloc(r->last->value, n + strlen(more) + 2);

	if (!v)
		return -ENOMEM;
	v[n] = '\n';
	strcpy(v + n + 1, more);
	r->last->value = v;
	return 0;
}

static int imp_bad_line(const struct imp_reader *r, const char *why)
{
	fprintf(stderr, "otpctl: import: %s:%d: %s\n", r->path, r->lineno, why);
	return -EINVAL;
}

/* One logical line (continuations of systemd's kind already joined). */
static int imp_line(struct imp_reader *r, char *raw)
{
	bool indented = isspace((unsigned char)raw[0]);
	char *s = imp_trim(raw), *eq;
	size_t n = strlen(s);

	if (n == 0) {
		r->last = NULL;
		return 0;
	}
	if (s[0] == ';' || s[0] == '#')
		return 0;
	if (r->d == IMP_INI_SUPERVISORD) {
		imp_cut_inline_comment(s);
		s = imp_trim(s);
		if (indented && r->last)
			return imp_continue(r, s);
	}
	n = strlen(s);
	if (s[0] == '[') {
		if (s[n - 1] != ']')
			return imp_bad_line(r, "a section header without ']'");
		s[n - 1] = '\0';
		return imp_section_add(r, imp_trim(s + 1));
	}
	eq = r->d == IMP_INI_SUPERVISORD ? s + strcspn(s, "=:") : strchr(s, '=');
	if (!eq || !*eq)
		return imp_bad_line(r, "neither [section], key = value nor a comment");
	if (r->ini->n == 0)
		return imp_bad_line(r, "a key before any [section]");
	*eq = '\0';
	return imp_kv_add(r, imp_trim(s), imp_trim(eq + 1));
}

/* Append `line` (len bytes) to *joined.  false: out of memory. */
static bool imp_join(char **joined, const char *line, size_t len)
{
	size_t have = *joined ? strlen(*joined) : 0;
	char *nj = realloc(*joined, have + len + 1);

	if (!nj)
		return false;
	memcpy(nj + have, line, len + 1);
	*joined = nj;
	return true;
}

/*
 * The next logical line in *ret (the caller frees it): 1, 0 at the end,
 * or -ENOMEM.  systemd: lines ending in a backslash are joined (with a
 * space in place of the backslash).
 */
static int imp_read_logical(FILE *f, struct imp_reader *r, char **ret)
{
	char *line = NULL, *joined = NULL;
	size_t lcap = 0;
	ssize_t len;
	bool more = true;

	while (more && (len = getline(&line, &lcap, f)) >= 0) {
		r->lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		more = r->d == IMP_INI_SYSTEMD && len > 0 && line[len - 1] == '\\';
		if (more)
			line[len - 1] = ' ';
		if (!imp_join(&joined, line, (size_t)len)) {
			free(line);
			free(joined);
			return -ENOMEM;
		}
	}
	free(line);
	*ret = joined;
	return joined ? 1 : 0;
}

int imp_ini_load(struct imp_ini *ini, const char *path, enum imp_ini_dialect d)
{
	struct imp_reader r = { .ini = ini, .path = path, .d = d };
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	char *line = NULL;
	int rc = 0, got;

	if (!f)
		return -errno;
	while (rc == 0 && (got = imp_read_logical(f, &r, &line)) > 0) {
		rc = imp_line(&r, line);
		free(line);
	}
	if (rc == 0 && got < 0)
		rc = got;
	if (f != stdin)
		fclose(f);
	return rc;
}

void imp_ini_free(struct imp_ini *ini)
{
	for (size_t i = 0; i < ini->n; i++) {
		for (size_t j = 0; j < ini->s[i].n; j++) {
			free(ini->s[i].kv[j].key);
			free(ini->s[i].kv[j].value);
		}
		free(ini->s[i].kv);
		free(ini->s[i].name);
		free(ini->s[i].file);
	}
	free(ini->s);
	*ini = (struct imp_ini){ 0 };
}
