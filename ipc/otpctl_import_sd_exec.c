/*
 * otpctl_import_sd_exec.c: systemd's command lines and assignment lists
 * (systemd.service(5) "COMMAND LINES", systemd.syntax(7)) in otp.conf's
 * terms.
 *
 * A command is split into words as systemd splits it (whitespace, '...'
 * and "..." quotes, C-style backslash escapes), then written back as exec
 * words.  systemd expands $VAR and ${VAR} from the unit's environment at
 * start; exec expands nothing, so a command that uses variables runs under
 * /bin/sh -c instead, with the variables left to the shell (a whole-word
 * $VAR is split at whitespace in both).  "$$" is a literal '$'.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otpctl_import.h"

/* One C-style escape after a backslash at *s (advanced past it). */
static char sd_unescape(const char **s)
{
	char ch = *(*s)++;

	switch (ch) {
	case 'n': return '\n';
	case 't': return '\t';
	case 'r': return '\r';
	case 'a': return '\a';
	case 'b': return '\b';
	case 'f': return '\f';
	case 'v': return '\v';
	case 's': return ' ';
	default: return ch;
	}
}

/* The next word at *s into a new string (*ret), or 0 at the end. */
static int sd_word(const char **s, char **ret)
{
	size_t cap = strlen(*s) + 1, n = 0;
	char *w, q = 0;

	while (isspace((unsigned char)**s))
		(*s)++;
	if (!**s)
		return 0;
	w = malloc(cap);
	if (!w)
		return -ENOMEM;
	while (**s && (q || !isspace((unsigned char)**s))) {
		char ch = *(*s)++;

		if (q && ch == q)
			q = 0;
		else if (!q && (ch == '"' || ch == '\''))
			q = ch;
		else if (ch == '\\' && **s)
			w[n++] = sd_unescape(s);
		else
			w[n++] = ch;
	}
	w[n] = '\0';
	if (q) {
		free(w);
		return -EINVAL;
	}
	*ret = w;
	return 1;
}

int imp_sd_words(const char *s, char ***ret_words, size_t *ret_n)
{
	char **v = NULL, *w, **nv;
	size_t n = 0;
	int r;

	while ((r = sd_word(&s, &w)) > 0) {
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv) {
			free(w);
			r = -ENOMEM;
			break;
		}
		v = nv;
		v[n++] = w;
		v[n] = NULL;
	}
	if (r < 0) {
		imp_words_free(v);
		return r;
	}
	*ret_words = v;
	*ret_n = n;
	return 0;
}

void imp_words_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Does `w` refer to a variable ($X or ${X}, not $$)? */
static bool sd_has_var(const char *w)
{
	for (const char *p = strchr(w, '$'); p; p = strchr(p + 1, '$')) {
		if (p[1] == '$') {
			p++;
			continue;
		}
		if (p[1] == '{' || isalpha((unsigned char)p[1]) || p[1] == '_')
			return true;
	}
	return false;
}

/* `w` with "$$" as "$" (the caller frees). */
static char *sd_dollars(const char *w)
{
	char *out = strdup(w), *o = out;

	if (!out)
		return NULL;
	for (const char *p = w; *p; p++) {
		*o++ = *p;
		if (p[0] == '$' && p[1] == '$')
			p++;
	}
	*o = '\0';
	return out;
}

static const char sd_safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			      "0123456789_@%+=:,./-";

/* Literal text for the shell: bare when it can be, else in '...'. */
static void sd_shell_literal(FILE *f, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && strchr(sd_safe, s[i]) && s[i]; i++)
		;
	if (i == len) {
		fprintf(f, "%.*s", (int)len, s);
		return;
	}
	fputc('\'', f);
	for (i = 0; i < len; i++) {
		if (s[i] == '\'')
			fputs("'\\''", f);
		else
			fputc(s[i], f);
		if (s[i] == '$' && i + 1 < len && s[i + 1] == '$')
			i++;        /* "$$" is one '$' */
	}
	fputc('\'', f);
}

/* The length of a variable reference ($X or ${X}) at p, 0 if none. */
static size_t sd_var_len(const char *p)
{
	if (p[0] != '$')
		return 0;
	if (p[1] == '{')
		return p[strcspn(p, "}")] ? strcspn(p, "}") + 1 : 0;
	if (isalpha((unsigned char)p[1]) || p[1] == '_')
		return 1 + strspn(p + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					 "0123456789_");
	return 0;
}

/* `w` for the shell: variables as "${X}" between literal parts, and a
 * word that is only $X left bare (split, as systemd splits it). */
static void sd_shell_word(FILE *f, const char *w)
{
	const char *lit = w;

	if (w[0] == '$' && w[1] != '{' && sd_var_len(w) == strlen(w) && w[1]) {
		fputs(w, f);
		return;
	}
	if (!*w)
		fputs("''", f);
	for (const char *p = w; *p;) {
		size_t len = p[0] == '$' && p[1] == '$' ? 0 : sd_var_len(p);

		if (len == 0) {
			p += p[0] == '$' && p[1] == '$' ? 2 : 1;
			continue;
		}
		sd_shell_literal(f, lit, (size_t)(p - lit));
		fprintf(f, "\"${%.*s}\"", (int)(len - (p[1] == '{' ? 3 : 1)),
			p + (p[1] == '{' ? 2 : 1));
		p += len;
		lit = p;
	}
	sd_shell_literal(f, lit, strlen(lit));
}

char *imp_sd_exec(char **words, size_t n, bool *ret_shell)
{
	bool shell = false;
	char *out = NULL, *script = NULL;
	size_t len = 0;
	FILE *f;

	for (size_t i = 0; i < n; i++)
		shell |= sd_has_var(words[i]);
	f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char *w = shell ? NULL : sd_dollars(words[i]), *q = w ? imp_quote_word(w) : NULL;

		if (i > 0)
			fputc(' ', f);
		if (shell)
			sd_shell_word(f, words[i]);
		else if (q)
			fputs(q, f);
		free(w);
		free(q);
	}
	if (fclose(f) != 0)
		return NULL;
	*ret_shell = shell;
	if (!shell)
		return out;
	/* exec: the program stays the worker's main process, as under systemd. */
	if (asprintf(&script, "exec %s", out) < 0)
		script = NULL;
	free(out);
	out = script ? imp_quote_word(script) : NULL;
	free(script);
	if (out && asprintf(&script, "/bin/sh -c %s", out) < 0)
		script = NULL;
	free(out);
	return script;
}

/*
 * systemd's specifiers that depend only on the unit's name (%n %N %p %i
 * %I, and %t for the system manager's /run, %% for '%'); *ret_unknown
 * tells of others, which stay as they are.  The caller frees.
 */
char *imp_sd_specifiers(const char *s, const char *unit, bool *ret_unknown)
{
	const char *at = strchr(unit, '@'), *dot = strrchr(unit, '.');
	size_t plen = at ? (size_t)(at - unit) : dot ? (size_t)(dot - unit) : strlen(unit);
	size_t nlen = dot ? (size_t)(dot - unit) : strlen(unit), len = 0;
	char *out = NULL;
	FILE *f = open_memstream(&out, &len);

	*ret_unknown = false;
	if (!f)
		return NULL;
	for (; *s; s++) {
		if (s[0] != '%' || !s[1]) {
			fputc(*s, f);
			continue;
		}
		switch (*++s) {
		case '%': fputc('%', f); break;
		case 'n': fputs(unit, f); break;
		case 'N': fprintf(f, "%.*s", (int)nlen, unit); break;
		case 'p': fprintf(f, "%.*s", (int)plen, unit); break;
		case 'i':
		case 'I':
			if (at && nlen > plen + 1) {
				fprintf(f, "%.*s", (int)(nlen - plen - 1), at + 1);
				break;
			}
			/* a template (name@.service): no instance to put there */
			*ret_unknown = true;
			fputc('%', f);
			fputc(*s, f);
			break;
		case 't': fputs("/run", f); break;
		default:
			*ret_unknown = true;
			fputc('%', f);
			fputc(*s, f);
		}
	}
	return fclose(f) == 0 ? out : NULL;
}
