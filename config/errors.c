/*
 * errors.c: collecting error messages "FILE:LINE: KEY: why, got \"VALUE\"".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char cfg_oom[] = "out of memory";

/* Quote `v` for a message: \" \\ and control characters are escaped. */
static void quote(FILE *f, const char *v)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* The vector doubles when n reaches a power of two: linear in errors. */
static int errors_push(struct cfg_errors *e, char *msg)
{
	if (e->n == 0 || (e->n & (e->n - 1)) == 0) {
		char **v = realloc(e->msgs, (e->n ? 2 * e->n : 1) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		e->msgs = v;
	}
	e->msgs[e->n++] = msg;
	return 0;
}

static void cfg_verr(struct cfg_ctx *x, const char *file, int line, const char *key,
		     const char *value, const char *fmt, va_list ap)
{
	char *msg = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&msg, &len);

	if (!f) {
		x->oom = true;
		return;
	}
	if (file && line > 0)
		fprintf(f, "%s:%d: ", file, line);
	else if (file)
		fprintf(f, "%s: ", file);
	if (key)
		fprintf(f, "%s: ", key);
	vfprintf(f, fmt, ap);
	if (value) {
		fputs(", got ", f);
		quote(f, value);
	}
	if (fclose(f) != 0 || !msg) {
		free(msg);
		x->oom = true;
		return;
	}
	if (errors_push(x->errs, msg) < 0) {
		free(msg);
		x->oom = true;
	}
}

void cfg_err(struct cfg_ctx *x, const char *file, int line, const char *key, const char *value,
	     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verr(x, file, line, key, value, fmt, ap);
	va_end(ap);
}

/* An error about key `k` of a section, at the line where it was set. */
void cfg_err_at_key(struct cfg_ctx *x, const struct cfg_seen *s, enum cfg_key_id k,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verr(x, s->file[k], s->line[k], cfg_keys[k].name, s->value[k], fmt, ap);
	va_end(ap);
}

/* An error about a whole section: "FILE:LINE: [worker NAME]: why". */
void cfg_err_section(struct cfg_ctx *x, const struct cfg_node *n, const char *fmt, ...)
{
	char what[SUP_NAME_MAX + 16];
	va_list ap;

	snprintf(what, sizeof(what), "[%s %s]",
		 n->spec.type == SUP_WORKER ? "worker" : "supervisor", n->spec.name);
	va_start(ap, fmt);
	cfg_verr(x, n->file, n->line, what, NULL, fmt, ap);
	va_end(ap);
}

void cfg_errors_clear(struct cfg_errors *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		free(e->msgs[i]);
	free(e->msgs);
	e->msgs = NULL;
	e->n = 0;
}
