/*
 * warn.c: advice on a valid configuration (otpd --check).
 *
 * A supervisor with shutdown_order = reverse (OTP's rule) stops its
 * children one at a time, each by its own shutdown, so stopping it may
 * take the sum of their times.  Container engines send SIGKILL 10 s after
 * their stop signal (docker stop, podman stop): a tree that needs longer
 * is killed, not stopped.  Each such supervisor gets one line, naming the
 * key that makes the stop take the longest one instead.
 *
 * A node's worst case: a worker's shutdown (brutal_kill 0, infinity
 * unbounded); a supervisor's children's sum (reverse) or longest (parallel,
 * simple_one_for_one), cut at its own shutdown when that is a duration.
 */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

#define STOP_BUDGET_MS 10000            /* docker/podman stop's default timeout */
#define UNBOUNDED INT64_MAX

struct stop_time {
	int64_t sum, max;               /* over the children */
	int slow;                       /* children that take any time */
};

static int64_t add_sat(int64_t a, int64_t b)
{
	return a > UNBOUNDED - b ? UNBOUNDED : a + b;
}

static bool stops_in_parallel(const struct sup_spec *s)
{
	return s->strategy == SUP_SIMPLE_ONE_FOR_ONE || s->shutdown_order == SUP_ORDER_PARALLEL;
}

/* Worst-case stop time of node `n`, its children's being in `t`. */
static int64_t worst_of(const struct cfg_node *n, const struct stop_time *t)
{
	int64_t d = n->spec.shutdown_ms, below;

	if (d == SUP_SHUTDOWN_BRUTAL)
		return 0;
	if (n->spec.type == SUP_WORKER)
		return d == SUP_SHUTDOWN_INFINITY ? UNBOUNDED : d;
	below = stops_in_parallel(&n->spec) ? t->max : t->sum;
	return d == SUP_SHUTDOWN_INFINITY || below < d ? below : d;
}

static void warn_one(FILE *f, const struct cfg_node *n, const struct stop_time *t)
{
	char took[64] = "forever (shutdown = infinity below it)";

	if (t->sum != UNBOUNDED)
		cfg_format_duration(t->sum, took, sizeof(took));
	fputs("otpd: warning: ", f);
	if (n->file)
		fprintf(f, "%s:%d: ", n->file, n->line);
	fprintf(f, "[supervisor %s]: stopping its children one at a time "
		"(shutdown_order = reverse) may take %s, more than the 10s a container engine "
		"waits before SIGKILL; shutdown_order = parallel stops them all at once\n",
		n->spec.name, took);
}

int cfg_print_warnings(const struct otp_config *c, FILE *f)
{
	struct stop_time *t;
	int n = 0;

	if (!c || !f || c->n_nodes == 0)
		return 0;
	t = calloc(c->n_nodes, sizeof(*t));
	if (!t)
		return -ENOMEM;
	/* Children come after their parent: walking back sees them first. */
	for (size_t i = c->n_nodes; i-- > 1;) {
		int64_t w = worst_of(&c->nodes[i], &t[i]);
		struct stop_time *p = &t[c->nodes[i].parent_index];

		p->sum = add_sat(p->sum, w);
		if (w > p->max)
			p->max = w;
		p->slow += w > 0;
	}
	for (size_t i = 0; i < c->n_nodes; i++) {
		const struct cfg_node *s = &c->nodes[i];

		if (s->spec.type != SUP_SUPERVISOR || stops_in_parallel(&s->spec) ||
		    t[i].slow < 2 || t[i].sum <= STOP_BUDGET_MS)
			continue;
		warn_one(f, s, &t[i]);
		n++;
	}
	free(t);
	return n;
}
