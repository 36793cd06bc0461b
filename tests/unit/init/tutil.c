/*
 * tutil.c: helpers shared by the init/ unit tests.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "tutil.h"

void lines_add(void *data, const struct log_entry *e)
{
	struct lines *l = data;

	cr_assert(lt(int, l->n, 64));
	l->v[l->n] = strndup(e->line ? e->line : "", e->len);
	l->len[l->n] = e->len;
	l->pid[l->n] = e->pid;
	l->stream[l->n] = e->stream;
	l->time_ms[l->n] = e->time_ms;
	l->n++;
}

void lines_clear(struct lines *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

void ring_lines(const struct log_ring *r, unsigned n, struct lines *out)
{
	lines_clear(out);
	log_ring_each(r, n, false, lines_add, out);
}

void ring_entries(const struct log_ring *r, unsigned n, struct lines *out)
{
	lines_clear(out);
	log_ring_each(r, n, true, lines_add, out);
}

void ring_push(struct log_ring *r, const char *line, size_t len)
{
	struct log_entry e = { .time_ms = out_realtime_ms(), .pid = 1, .stream = OUT_STDOUT,
			       .line = line, .len = len };

	log_ring_push(r, &e);
}

int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	cr_assert(d != NULL);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;   /* the directory's own fd */
}

struct sup_tree *ttree;
struct otp_config tcfg = { .otpd = { .log_lines = 1000, .run_dir = "/tmp" } };

void tree_use(struct sup_tree *t)
{
	ttree = t;
	core_use(t, t ? &tcfg : NULL);
}
