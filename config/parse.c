/*
 * parse.c: drive inih over one file's text.
 *
 * Debian's inih calls the handler without a line number and never for a
 * section header, so inih reads through our own reader: it hands out one
 * line at a time (we know its number), opens sections, and reports the
 * syntax errors inih would only count; it also cuts inline comments
 * (comment_cut), which inih would cut inside quotes too.  inih then splits
 * KEY = VALUE, trims, and calls cfg_on_value() for the line just read.
 * Multi-line values are switched off: an indented "key = value" is a key,
 * not a continuation of the one above.
 */
#include <ctype.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void syntax_err(struct cfg_ctx *x, const char *value, const char *msg)
{
	cfg_err(x, x->file, x->line, NULL, value, "%s", msg);
	x->n_syntax++;
}

/* A comment, or nothing but blanks? */
static bool is_rest_empty(const char *s)
{
	s += strspn(s, " \t\r\n");
	return !*s || *s == ';' || *s == '#';
}

static void header_line(struct cfg_ctx *x, char *s)
{
	char *end = strchr(s, ']');

	if (!end) {
		x->sec = CFG_SEC_NONE;
		x->cur = CFG_NONE;
		x->skip_section = true;
		s[strcspn(s, "\r\n")] = '\0';
		syntax_err(x, s, "section header without ']'");
		return;
	}
	if (!is_rest_empty(end + 1)) {
		end[1 + strcspn(end + 1, "\r\n")] = '\0';
		syntax_err(x, s, "text after the section header");
	}
	*end = '\0';
	cfg_section_open(x, s + 1);
	*end = ']';
}

/*
 * Cut an inline comment off a value: a ';' after a blank starts one, as in
 * inih, unless it is inside '...' or "..." or escaped by a backslash
 * (exec = sh -c 'a ; b').  Quotes are read as in exec (a backslash is
 * literal inside '...'); an unterminated quote runs to the end of the line.
 * '#' starts a comment only at the start of a line.
 */
static void comment_cut(char *value)
{
	bool was_blank = false;
	char quote = 0;

	for (char *p = value; *p; p++) {
		bool blank = false;

		if (quote == '\'') {
			if (*p == '\'')
				quote = 0;
		} else if (*p == '\\' && p[1]) {
			p++;
		} else if (quote) {
			if (*p == '"')
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == ';' && was_blank) {
			*p = '\0';
			return;
		} else {
			blank = *p == ' ' || *p == '\t';
		}
		was_blank = blank;
	}
}

/* Look at a raw line before inih does. */
static void line_classify(struct cfg_ctx *x, char *line)
{
	char *s = line;

	if (x->line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s || *s == ';' || *s == '#')
		return;
	if (*s == '[') {
		header_line(x, s);
		return;
	}
	if (!strpbrk(s, "=:")) {
		/* On the heap: an 8 KiB buffer on the stack would stay otpd's
		 * stack high-water mark for its whole life. */
		char *copy = strndup(s, strcspn(s, "\r\n"));

		syntax_err(x, copy ? copy : "", "expected KEY = VALUE or a [section] header");
		free(copy);
		return;
	}
	comment_cut(strpbrk(s, "=:") + 1);
}

/* fgets-style reader over x->text: exactly one line per call. */
static char *cfg_reader(char *str, int num, void *stream)
{
	struct cfg_ctx *x = stream;
	const char *p = x->text + x->pos;
	size_t rest = x->len - x->pos, len;
	const char *nl;

	if (x->pos >= x->len)
		return NULL;
	nl = memchr(p, '\n', rest);
	len = nl ? (size_t)(nl - p) + 1 : rest;
	x->pos += len;
	x->line++;
	if (len + 1 > (size_t)num) {
		syntax_err(x, NULL, "line too long");
		memcpy(str, "\n", 2);
		return str;
	}
	memcpy(str, p, len);
	str[len] = '\0';
	line_classify(x, str);
	return str;
}

static int cfg_on_value(void *user, const char *section, const char *name, const char *value)
{
	cfg_key_dispatch(user, name, value ? value : "");
	return 1;
}

/* Our settings for Debian inih's run-time options, restored afterwards. */
struct ini_opts {
	bool multiline, inline_comments, no_value, stop_first, bom, use_stack, realloc;
	char *inline_prefixes, *start_prefixes;
	int max_line, initial_alloc;
};

static void opts_swap(struct ini_opts *o)
{
	struct ini_opts old = {
		ini_allow_multiline, ini_allow_inline_comments, ini_allow_no_value,
		ini_stop_on_first_error, ini_allow_bom, ini_use_stack, ini_allow_realloc,
		ini_inline_comment_prefixes, ini_start_comment_prefixes, ini_max_line,
		ini_initial_alloc,
	};

	ini_allow_multiline = o->multiline;
	ini_allow_inline_comments = o->inline_comments;
	ini_allow_no_value = o->no_value;
	ini_stop_on_first_error = o->stop_first;
	ini_allow_bom = o->bom;
	ini_use_stack = o->use_stack;
	ini_allow_realloc = o->realloc;
	ini_initial_alloc = o->initial_alloc;
	ini_inline_comment_prefixes = o->inline_prefixes;
	ini_start_comment_prefixes = o->start_prefixes;
	ini_max_line = o->max_line;
	*o = old;
}

void cfg_parse_text(struct cfg_ctx *x, const char *file, const char *text, size_t len)
{
	/* inline comments: comment_cut().  The line buffer (CFG_MAX_LINE) is
	 * malloc'd (whole: cfg_reader gives one line per call): on the stack it
	 * made otpd's deepest call 8 KiB deeper for good (its base memory). */
	struct ini_opts o = { false, false, false, false, true, false, false, ";", ";#",
			      CFG_MAX_LINE, CFG_MAX_LINE };
	int r;

	x->file = file;
	x->text = text;
	x->len = len;
	x->pos = 0;
	x->line = 0;
	x->sec = CFG_SEC_NONE;
	x->cur = CFG_NONE;
	x->skip_section = false;
	x->n_syntax = 0;
	opts_swap(&o);
	r = ini_parse_stream(cfg_reader, x, cfg_on_value, x);
	opts_swap(&o);
	if (r == -2)
		x->oom = true;
	else if (r > 0 && x->n_syntax == 0)
		cfg_err(x, file, r, NULL, NULL, "syntax error");
}
