/*
 * otpctl_import_out.c: the otp.conf an importer builds, and its printing.
 *
 * Nodes keep their lines in the order the importer added them, so that a
 * comment about a source key sits where the key would have been.  Start
 * order is the order of imp_node_add() among siblings, re-sorted (stably)
 * by imp_node_order(); a supervisor's children follow its own section.
 * An allocation failure is remembered and reported once by imp_print().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otpctl_import.h"

#define IMP_NAME_MAX 64

struct imp_node {
	char name[IMP_NAME_MAX + 1];
	bool supervisor;
	struct imp_node *parent;        /* NULL: the root itself */
	long order;
	size_t seq;                     /* creation order, for a stable sort */
	char **lines;
	size_t n, cap;
	struct imp_conf *conf;
};

struct imp_conf {
	char **notes;
	size_t n_notes, cap_notes;
	struct imp_node root;
	struct imp_node **nodes;
	size_t n, cap;
	bool oom;
};

/* Append `s` (owned) to a vector; false (and `s` freed) on ENOMEM. */
static bool imp_push(char ***v, size_t *n, size_t *cap, char *s)
{
	if (!s)
		return false;
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		char **nv = realloc(*v, ncap * sizeof(*nv));

		if (!nv) {
			free(s);
			return false;
		}
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = s;
	return true;
}

static char *imp_vformat(const char *fmt, va_list ap)
{
	char *s;

	return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}

struct imp_conf *imp_conf_new(void)
{
	struct imp_conf *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	strcpy(c->root.name, "root");
	c->root.supervisor = true;
	c->root.conf = c;
	return c;
}

static void imp_node_free(struct imp_node *n)
{
	for (size_t i = 0; i < n->n; i++)
		free(n->lines[i]);
	free(n->lines);
}

void imp_conf_free(struct imp_conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_notes; i++)
		free(c->notes[i]);
	free(c->notes);
	imp_node_free(&c->root);
	for (size_t i = 0; i < c->n; i++) {
		imp_node_free(c->nodes[i]);
		free(c->nodes[i]);
	}
	free(c->nodes);
	free(c);
}

void imp_note(struct imp_conf *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (!imp_push(&c->notes, &c->n_notes, &c->cap_notes, imp_vformat(fmt, ap)))
		c->oom = true;
	va_end(ap);
}

struct imp_node *imp_root(struct imp_conf *c)
{
	return &c->root;
}

const char *imp_node_name(const struct imp_node *n)
{
	return n->name;
}

void imp_node_order(struct imp_node *n, long order)
{
	n->order = order;
}

static bool imp_name_taken(const struct imp_conf *c, const char *name)
{
	if (strcmp(name, c->root.name) == 0)
		return true;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->nodes[i]->name, name) == 0)
			return true;
	return false;
}

/*
 * otp.conf's name rules, kept simple: letters, digits, _ @ -; not
 * starting with '-'.  '.' becomes '_' too (names such as "memory.x" are
 * cgroupfs's own files).
 */
static void imp_name_clean(const char *name, char *out)
{
	size_t i;

	for (i = 0; name[i] && i < IMP_NAME_MAX; i++) {
		char ch = name[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '_' || ch == '@' || ch == '-';

		out[i] = ok ? ch : '_';
	}
	out[i] = '\0';
	if (i == 0)
		strcpy(out, "worker");
	if (out[0] == '-')
		out[0] = '_';
}

/* `base`, or base_2, base_3 ... whichever is free, in out. */
static void imp_name_unique(const struct imp_conf *c, const char *base, char *out)
{
	char suffix[24];

	strcpy(out, base);
	for (unsigned k = 2; imp_name_taken(c, out); k++) {
		int len = snprintf(suffix, sizeof(suffix), "_%u", k);
		size_t keep = strlen(base);

		if (keep + (size_t)len > IMP_NAME_MAX)
			keep = IMP_NAME_MAX - (size_t)len;
		memcpy(out, base, keep);
		strcpy(out + keep, suffix);
	}
}

struct imp_node *imp_node_add(struct imp_conf *c, const char *name, bool supervisor,
			      struct imp_node *parent)
{
	char clean[IMP_NAME_MAX + 1];
	struct imp_node *n;

	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		struct imp_node **nv = realloc(c->nodes, ncap * sizeof(*nv));

		if (!nv) {
			c->oom = true;
			return NULL;
		}
		c->nodes = nv;
		c->cap = ncap;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		c->oom = true;
		return NULL;
	}
	imp_name_clean(name, clean);
	imp_name_unique(c, clean, n->name);
	n->supervisor = supervisor;
	n->parent = parent ? parent : &c->root;
	n->seq = c->n;
	n->conf = c;
	c->nodes[c->n++] = n;
	if (strcmp(n->name, name) != 0)
		imp_comment(n, "named %s in the source (otp.conf names: letters, digits, _ @ -, "
			       "unique, at most 64)", name);
	return n;
}

/*
 * A key otp.conf takes once (all but env) that is set again: the earlier
 * line becomes a comment, as the later setting wins in the sources too.
 */
static void imp_replace_earlier(struct imp_node *n, const char *key)
{
	size_t klen = strlen(key);
	char *old;

	if (strcmp(key, "env") == 0)
		return;
	for (size_t i = 0; i < n->n; i++) {
		if (strncmp(n->lines[i], key, klen) != 0 || strncmp(n->lines[i] + klen, " = ", 3) != 0)
			continue;
		if (asprintf(&old, "; %s: replaced by a later setting", n->lines[i]) < 0) {
			n->conf->oom = true;
			return;
		}
		free(n->lines[i]);
		n->lines[i] = old;
	}
}

void imp_set(struct imp_node *n, const char *key, const char *fmt, ...)
{
	char *value, *line = NULL;
	va_list ap;

	va_start(ap, fmt);
	value = imp_vformat(fmt, ap);
	va_end(ap);
	if (value && asprintf(&line, "%s = %s", key, value) < 0)
		line = NULL;
	free(value);
	imp_replace_earlier(n, key);
	if (!imp_push(&n->lines, &n->n, &n->cap, line))
		n->conf->oom = true;
}

void imp_comment(struct imp_node *n, const char *fmt, ...)
{
	char *text, *line = NULL;
	va_list ap;

	va_start(ap, fmt);
	text = imp_vformat(fmt, ap);
	va_end(ap);
	if (text) {
		/* One line each: a newline in a value must not end the comment. */
		for (char *p = text; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		if (asprintf(&line, "; %s", text) < 0)
			line = NULL;
	}
	free(text);
	if (!imp_push(&n->lines, &n->n, &n->cap, line))
		n->conf->oom = true;
}

void imp_unmapped(struct imp_node *n, const char *key, const char *value, const char *why)
{
	imp_comment(n, "%s = %s: %s", key, value, why);
}

/* Stable order among siblings: (order, seq). */
static int imp_node_cmp(const void *a, const void *b)
{
	const struct imp_node *x = *(struct imp_node *const *)a;
	const struct imp_node *y = *(struct imp_node *const *)b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void imp_print_node(const struct imp_conf *c, const struct imp_node *n, FILE *f)
{
	fprintf(f, "\n[%s %s]\n", n->supervisor ? "supervisor" : "worker", n->name);
	if (n->parent && n->parent != &c->root)
		fprintf(f, "parent = %s\n", n->parent->name);
	for (size_t i = 0; i < n->n; i++)
		fprintf(f, "%s\n", n->lines[i]);
	/* Children after their supervisor; the depth is the source's (<= 2). */
	for (size_t i = 0; i < c->n; i++)
		if (c->nodes[i]->parent == n)
			imp_print_node(c, c->nodes[i], f);
}

int imp_print(struct imp_conf *c, FILE *f)
{
	if (c->oom)
		return -ENOMEM;
	if (c->n > 1)
		qsort(c->nodes, c->n, sizeof(*c->nodes), imp_node_cmp);
	for (size_t i = 0; i < c->n_notes; i++)
		fprintf(f, "; %s\n", c->notes[i]);
	imp_print_node(c, &c->root, f);
	return fflush(f) == 0 ? 0 : -errno;
}
