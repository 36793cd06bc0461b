/*
 * print.c: the tree as an indented outline (otpd --check).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *strategy_str(enum sup_strategy s)
{
	switch (s) {
	case SUP_ONE_FOR_ONE: return "one_for_one";
	case SUP_ONE_FOR_ALL: return "one_for_all";
	case SUP_REST_FOR_ONE: return "rest_for_one";
	case SUP_SIMPLE_ONE_FOR_ONE: return "simple_one_for_one";
	}
	return "?";
}

static const char *restart_str(enum sup_restart r)
{
	switch (r) {
	case SUP_PERMANENT: return "permanent";
	case SUP_TRANSIENT: return "transient";
	case SUP_TEMPORARY: return "temporary";
	}
	return "?";
}

static void shutdown_print(FILE *f, int64_t ms)
{
	char buf[32];

	if (ms == SUP_SHUTDOWN_BRUTAL)
		fputs("brutal_kill", f);
	else if (ms == SUP_SHUTDOWN_INFINITY)
		fputs("infinity", f);
	else if (cfg_format_duration(ms, buf, sizeof(buf)) > 0)
		fputs(buf, f);
}

/* A word as the shell (and cfg_split_words) would read it back. */
static void word_print(FILE *f, const char *w)
{
	if (*w && !w[strcspn(w, " \t\n\\'\"$`;&|<>()*?[]#~!{}")]) {
		fputs(w, f);
		return;
	}
	fputc('\'', f);
	for (; *w; w++) {
		if (*w == '\'')
			fputs("'\\''", f);
		else
			fputc(*w, f);
	}
	fputc('\'', f);
}

static void sup_print(FILE *f, const struct cfg_node *n, bool root)
{
	const struct sup_spec *s = &n->spec;
	char period[32];
	static const char *const autos[] = { "never", "any_significant", "all_significant" };

	cfg_format_duration(s->period_ms, period, sizeof(period));
	fprintf(f, "%s (supervisor, %s, intensity %d/%s", s->name, strategy_str(s->strategy),
		s->intensity, period);
	if (!root)
		fprintf(f, ", %s", restart_str(s->restart));
	if (s->shutdown_ms != SUP_SHUTDOWN_INFINITY) {
		fputs(", shutdown ", f);
		shutdown_print(f, s->shutdown_ms);
	}
	if (s->auto_shutdown != SUP_AUTO_NEVER)
		fprintf(f, ", auto_shutdown %s", autos[s->auto_shutdown]);
	if (s->shutdown_order == SUP_ORDER_PARALLEL && s->strategy != SUP_SIMPLE_ONE_FOR_ONE)
		fputs(", shutdown_order parallel", f);
	if (s->significant)
		fputs(", significant", f);
	fputs(")\n", f);
}

static void worker_print(FILE *f, const struct cfg_node *n)
{
	const struct sup_spec *s = &n->spec;

	fprintf(f, "%s (worker, %s, shutdown ", s->name, restart_str(s->restart));
	shutdown_print(f, s->shutdown_ms);
	if (s->significant)
		fputs(", significant", f);
	fputs("):", f);
	for (int i = 0; i < n->w.argc; i++) {
		fputc(' ', f);
		word_print(f, n->w.argv[i]);
	}
	fputc('\n', f);
}

void cfg_print_tree(const struct otp_config *c, FILE *f)
{
	if (!c || !f || c->n_nodes == 0)
		return;
	for (size_t i = 0; i < c->n_nodes; i++) {
		const struct cfg_node *n = &c->nodes[i];

		fprintf(f, "%*s", (int)(2 * n->depth), "");
		if (n->spec.type == SUP_SUPERVISOR)
			sup_print(f, n, i == 0);
		else
			worker_print(f, n);
	}
}
