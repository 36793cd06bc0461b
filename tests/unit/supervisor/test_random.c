/*
 * test_random.c: random trees driven by random event sequences.  The
 * harness checks its invariants after every batch (one live process per
 * worker, stops in reverse start order, history within intensity, no
 * action naming a forgotten node, one reply per command, nothing live
 * under a stopped supervisor, nothing starting under a stopping one) and
 * h_end() that the tree ends consistent.
 * Each Test has its own fixed seed, so a failure replays exactly.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define MAX_NAMES 256

struct rnd {
	uint64_t s;
	struct h *h;
	char names[MAX_NAMES][SUP_NAME_MAX + 1];
	bool is_sup[MAX_NAMES], simple[MAX_NAMES];
	int n;
	int serial;
	bool reload;            /* also insert, remove, respec and move nodes */
};

static uint64_t rnd_next(struct rnd *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

static int rnd_int(struct rnd *r, int n) { return (int)(rnd_next(r) % (uint64_t)n); }
static bool rnd_chance(struct rnd *r, int pct) { return rnd_int(r, 100) < pct; }

static void name_add(struct rnd *r, const char *name, bool is_sup, bool simple)
{
	if (r->n == MAX_NAMES)
		return;
	snprintf(r->names[r->n], sizeof(r->names[0]), "%s", name);
	r->is_sup[r->n] = is_sup;
	r->simple[r->n] = simple;
	r->n++;
}

static void worker_add(struct rnd *r, const char *parent, enum sup_auto_shutdown as, bool tmpl)
{
	static const int64_t shutdowns[] = { SUP_SHUTDOWN_BRUTAL, 0, 300, 1000,
					     SUP_SHUTDOWN_INFINITY };
	struct sup_spec s;
	char name[32];

	snprintf(name, sizeof(name), "w%d", r->serial++);
	sup_spec_init(&s, SUP_WORKER, name);
	s.restart = (enum sup_restart)rnd_int(r, 3);
	s.shutdown_ms = shutdowns[rnd_int(r, tmpl ? 4 : 5)];
	if (rnd_chance(r, 15))
		s.restart_delay_ms = 50 + rnd_int(r, 300);
	if (as != SUP_AUTO_NEVER && s.restart != SUP_PERMANENT)
		s.significant = rnd_chance(r, 40);
	h_add(r->h, parent, &s);
	h_ready_delay(r->h, name, rnd_int(r, 3) * 100);
	/* A worker that ignores its stop signal needs a finite shutdown. */
	if (s.shutdown_ms != SUP_SHUTDOWN_INFINITY && rnd_chance(r, 20))
		h_stop_delay(r->h, name, H_NEVER);
	else
		h_stop_delay(r->h, name, rnd_int(r, 8) * 100);
	/* Some leave processes behind (a worker is its cgroup). */
	if (rnd_chance(r, 15))
		h_leaves(r->h, name, s.shutdown_ms != SUP_SHUTDOWN_INFINITY && rnd_chance(r, 30)
					     ? H_NEVER : rnd_int(r, 5) * 100);
	if (!tmpl)
		name_add(r, name, false, false);
}

static void sup_fill(struct rnd *r, const char *parent, int depth);

static void sup_add(struct rnd *r, const char *parent, int depth)
{
	struct sup_spec s;
	char name[32];

	snprintf(name, sizeof(name), "s%d", r->serial++);
	sup_spec_init(&s, SUP_SUPERVISOR, name);
	s.restart = (enum sup_restart)rnd_int(r, 3);
	s.strategy = (enum sup_strategy)rnd_int(r, 4);
	s.intensity = rnd_int(r, 4);
	s.period_ms = 500 + rnd_int(r, 5000);
	if (s.strategy != SUP_SIMPLE_ONE_FOR_ONE)
		s.auto_shutdown = (enum sup_auto_shutdown)rnd_int(r, 3);
	if (rnd_chance(r, 30))
		s.shutdown_ms = 200 + rnd_int(r, 2000);
	else if (rnd_chance(r, 10))
		s.shutdown_ms = SUP_SHUTDOWN_BRUTAL;
	if (rnd_chance(r, 30))
		s.shutdown_order = SUP_ORDER_PARALLEL;
	h_add(r->h, parent, &s);
	name_add(r, name, true, s.strategy == SUP_SIMPLE_ONE_FOR_ONE);
	if (s.strategy == SUP_SIMPLE_ONE_FOR_ONE)
		worker_add(r, name, SUP_AUTO_NEVER, true);
	else
		sup_fill(r, name, depth + 1);
}

static void sup_fill(struct rnd *r, const char *parent, int depth)
{
	const struct sup_spec *ps = sup_node_spec(parent ? h_node(r->h, parent)
							 : sup_tree_root(h_tree(r->h)));
	int n = 1 + rnd_int(r, 4);

	for (int i = 0; i < n; i++) {
		if (depth < 3 && rnd_chance(r, 25))
			sup_add(r, parent, depth);
		else
			worker_add(r, parent, ps->auto_shutdown, false);
	}
}

static void tree_build(struct rnd *r)
{
	struct sup_spec s;

	sup_spec_init(&s, SUP_SUPERVISOR, "root");
	s.strategy = (enum sup_strategy)rnd_int(r, 3);
	s.intensity = 1 + rnd_int(r, 5);
	s.period_ms = 500 + rnd_int(r, 5000);
	s.auto_shutdown = (enum sup_auto_shutdown)rnd_int(r, 3);
	if (rnd_chance(r, 30))
		s.shutdown_order = SUP_ORDER_PARALLEL;
	r->h = h_new_spec(&s);
	r->n = 0;
	r->serial = 0;
	name_add(r, "root", true, false);
	sup_fill(r, NULL, 1);
	h_default_ready_delay(r->h, 50);
}

/* A random child of `sup`, or NULL (insert first / move to the front). */
static struct sup_node *some_child(struct rnd *r, struct sup_node *sup)
{
	struct sup_node *c = sup_node_first(sup), *pick = NULL;

	for (; c; c = sup_node_next(c))
		if (rnd_chance(r, 40))
			pick = c;
	return pick;
}

/* Reload: a new worker where a random child is, started if it can be. */
static void step_insert(struct rnd *r, int k)
{
	struct sup_node *sup = sup_find(h_tree(r->h), r->names[k]);
	struct sup_spec s;
	char name[32];

	if (!sup || !r->is_sup[k] || r->simple[k])
		return;
	snprintf(name, sizeof(name), "w%d", r->serial++);
	sup_spec_init(&s, SUP_WORKER, name);
	s.restart = (enum sup_restart)rnd_int(r, 3);
	s.shutdown_ms = rnd_chance(r, 50) ? 300 : SUP_SHUTDOWN_BRUTAL;
	struct sup_node *after = some_child(r, sup);

	h_insert(r->h, r->names[k], after ? sup_node_name(after) : NULL, &s);
	name_add(r, name, false, false);
	h_stop_delay(r->h, name, rnd_int(r, 8) * 100);
	if (rnd_chance(r, 70))
		h_cmd_start(r->h, name);
}

/*
 * No start or stop under way below `sup`: a plan walks the order it began
 * with, while the harness checks stops against the current order.
 */
static bool settled(struct sup_node *sup)
{
	if (sup_node_state(sup) != SUP_RUNNING)
		return false;
	for (struct sup_node *c = sup_node_first(sup); c; c = sup_node_next(c))
		if (sup_node_state(c) == SUP_STARTING || sup_node_state(c) == SUP_STOPPING)
			return false;
	return true;
}

/* Reload: a changed spec in place, or a new place in start order. */
static void step_respec(struct rnd *r, int k)
{
	static const int64_t finite[] = { SUP_SHUTDOWN_BRUTAL, 0, 300, 1000 };
	struct sup_node *n = sup_find_any(h_tree(r->h), r->names[k]);
	struct sup_spec s;

	if (!n || sup_node_is_dynamic(n) || !sup_node_parent(n))
		return;
	if (rnd_chance(r, 30) &&
	    sup_node_spec(sup_node_parent(n))->strategy != SUP_SIMPLE_ONE_FOR_ONE) {
		if (!settled(sup_node_parent(n)))
			return;
		struct sup_node *after = some_child(r, sup_node_parent(n));

		cr_assert_eq(sup_node_place(n, after == n ? NULL : after), SUP_OK);
		return;
	}
	s = *sup_node_spec(n);
	if (s.type == SUP_SUPERVISOR) {
		s.intensity = rnd_int(r, 4);
		s.period_ms = 500 + rnd_int(r, 5000);
	} else {
		/* Finite: a worker may ignore its stop signal. */
		s.shutdown_ms = finite[rnd_int(r, 4)];
		if (!s.significant)
			s.restart = (enum sup_restart)rnd_int(r, 3);
	}
	cr_assert_eq(sup_node_respec(n, &s), SUP_OK);
}

static const int statuses[] = { 0, H_EXIT(1), H_EXIT(3), H_SIG(SIGKILL), H_SIG(SIGTERM),
				H_SIG(SIGSEGV), H_SIG(SIGHUP) };

static void step(struct rnd *r)
{
	const char *name = r->names[rnd_int(r, r->n)];
	int k = rnd_int(r, r->n);

	switch (rnd_int(r, r->reload ? 13 : 10)) {
	case 0: case 1: case 2:
		if (!r->is_sup[k] && h_pid(r->h, r->names[k]))
			h_crash(r->h, r->names[k], statuses[rnd_int(r, 7)]);
		break;
	case 3: case 4:
		h_advance(r->h, rnd_int(r, 2000));
		break;
	case 5:
		h_cmd_stop(r->h, name);
		break;
	case 6:
		if (rnd_chance(r, 50))
			h_cmd_start(r->h, name);
		else
			h_cmd_restart(r->h, name);
		break;
	case 7:
		if (rnd_chance(r, 30))
			h_cmd_delete(r->h, name);
		else
			h_cmd_kill(r->h, name, rnd_chance(r, 50) ? SIGKILL : SIGUSR1);
		break;
	case 8:
		if (r->simple[k]) {
			char child[SUP_NAME_MAX + 1] = "";

			if (h_cmd_start_child(r->h, r->names[k], NULL, 0, NULL, child) != SUP_OK ||
			    !child[0])
				break;
			name_add(r, child, false, false);
			if (rnd_chance(r, 20))
				h_fail_always(r->h, child, rnd_chance(r, 50));
		}
		break;
	case 10:
		h_cmd_remove(r->h, name);
		break;
	case 11:
		step_insert(r, k);
		break;
	case 12:
		step_respec(r, k);
		break;
	default:
		if (!r->is_sup[k] && sup_find(h_tree(r->h), r->names[k]))
			h_fail_next(r->h, r->names[k], rnd_int(r, 3));
		break;
	}
}

/*
 * Liveness: every delay here is finite, so once the clock has run far past
 * them all, no command may still wait (a supervisor left busy for ever
 * would hold every later command aimed at its children).
 */
static void check_answered(struct rnd *r)
{
	h_advance(r->h, 120 * 1000);
	for (uint64_t c = 1; c <= h_last_cookie(r->h); c++)
		cr_assert_neq(h_result(r->h, c), H_PENDING, "command %llu never answered",
			      (unsigned long long)c);
}

static void run_as(uint64_t seed, int trees, int steps, bool reload)
{
	struct rnd r = { .s = seed, .reload = reload };

	for (int t = 0; t < trees; t++) {
		tree_build(&r);
		h_boot(r.h);
		for (int i = 0; i < steps && !sup_tree_done(h_tree(r.h)); i++)
			step(&r);
		check_answered(&r);
		h_end(r.h);     /* shutdown, deliver everything, check, free */
	}
}

static void dump_add(char **all, size_t *len, const char *more)
{
	size_t k = strlen(more);

	*all = realloc(*all, *len + k + 2);
	cr_assert_not_null(*all);
	memcpy(*all + *len, more, k);
	(*all)[*len + k] = '\n';
	(*all)[*len + k + 1] = '\0';
	*len += k + 1;
}

/*
 * One tree's scenario to its end, re-executing (h_reexec) before a step
 * when `reexec_pct` says so (its own random stream: the scenario's stays
 * the same).  The whole trace, shutdown included (caller frees).
 */
static char *scenario(struct rnd *r, int steps, int reexec_pct, uint64_t *rs, int *ret_saves)
{
	char *dumps = NULL, *trace;
	size_t len = 0;

	tree_build(r);
	h_boot(r->h);
	for (int i = 0; i < steps && !sup_tree_done(h_tree(r->h)); i++) {
		*rs = *rs * 6364136223846793005ull + 1442695040888963407ull;
		if ((int)((*rs >> 33) % 100) < reexec_pct && h_reexec(r->h))
			(*ret_saves)++;
		step(r);
		/* What status shows after each step, too (flags no action says). */
		dump_add(&dumps, &len, h_dump(r->h));
	}
	check_answered(r);
	h_shutdown(r->h);
	h_finish(r->h, 24 * 3600 * 1000LL);
	dump_add(&dumps, &len, h_trace(r->h, 0, H_ALL));
	trace = dumps;
	h_end(r->h);
	return trace;
}

/*
 * The strongest test of re-execution: every tree is run twice with the
 * same seed, the second time saved and restored into a fresh tree at
 * random points; the two traces of actions must be the same, to the end.
 */
static void run_reexec(uint64_t seed, int trees, int steps, bool reload)
{
	struct rnd a = { .s = seed, .reload = reload }, b = { .s = seed, .reload = reload };
	uint64_t rs = seed ^ 0x5bd1e995u, none = 0;
	int saves = 0, ignored = 0;

	for (int t = 0; t < trees; t++) {
		char *plain = scenario(&a, steps, 0, &none, &ignored);
		char *saved = scenario(&b, steps, 40, &rs, &saves);

		if (strcmp(plain, saved) != 0) {
			size_t i = 0;

			while (plain[i] && plain[i] == saved[i])
				i++;
			cr_assert_fail("seed %#llx tree %d: traces differ at byte %zu:\n"
				       "  plain: ...%.300s\n  saved: ...%.300s",
				       (unsigned long long)seed, t, i, plain + (i > 80 ? i - 80 : 0),
				       saved + (i > 80 ? i - 80 : 0));
		}
		free(plain);
		free(saved);
	}
	cr_assert_gt(saves, trees, "too few saves (%d) to mean anything", saves);
	if (getenv("H_SAVES"))
		fprintf(stderr, "%d saves in %d trees\n", saves, trees);
}

static void run(uint64_t seed, int trees, int steps) { run_as(seed, trees, steps, false); }

Test(random, seed_1) { run(0x9e3779b97f4a7c15ull, 150, 80); }
Test(random, seed_2) { run(0xbf58476d1ce4e5b9ull, 150, 80); }
Test(random, seed_3) { run(0x94d049bb133111ebull, 150, 80); }
Test(random, seed_4) { run(0x2545f4914f6cdd1dull, 150, 80); }
Test(random, seed_5) { run(0x123456789abcdefull, 150, 80); }
Test(random, seed_6) { run(0xdeadbeefcafef00dull, 150, 80); }

/* The same invariants while reloads insert, remove, respec and move nodes. */
Test(random, reload_seed_1) { run_as(0x5851f42d4c957f2dull, 150, 80, true); }
Test(random, reload_seed_2) { run_as(0x14057b7ef767814full, 150, 80, true); }
Test(random, reload_seed_3) { run_as(0xa0761d6478bd642full, 150, 80, true); }

/*
 * H_SEEDS=N runs N more seeds of each kind (a sweep when the core
 * changes); without it this test does nothing.  A failure names its seed.
 */
Test(random, sweep, .timeout = 600)
{
	const char *n = getenv("H_SEEDS");
	long seeds = n ? strtol(n, NULL, 10) : 0;

	for (long i = 1; i <= seeds; i++) {
		uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)i + 0x632be59bd9b4e019ull;

		if (getenv("H_TRACE_SEEDS"))
			fprintf(stderr, "seed %#llx reload %d\n", (unsigned long long)seed, (int)(i % 2 == 0));
		run_as(seed, 20, 80, i % 2 == 0);
	}
}
/* Re-execution: a tree saved and restored mid-scenario acts exactly as one that was not. */
Test(random, reexec_seed_1) { run_reexec(0x243f6a8885a308d3ull, 60, 80, false); }
Test(random, reexec_seed_2) { run_reexec(0x13198a2e03707344ull, 60, 80, false); }
Test(random, reexec_reload_seed_1) { run_reexec(0xa4093822299f31d0ull, 60, 80, true); }

/* H_SEEDS=N: N more seeds of the re-execution test (see sweep). */
Test(random, reexec_sweep, .timeout = 600)
{
	const char *n = getenv("H_SEEDS");
	long seeds = n ? strtol(n, NULL, 10) : 0;

	for (long i = 1; i <= seeds; i++)
		run_reexec(0xc2b2ae3d27d4eb4full * (uint64_t)i + 0x165667b19e3779f9ull, 20, 80,
			   i % 2 == 0);
}

Test(random, one_seed)
{
	const char *s = getenv("H_SEED");

	if (s)
		run_as(strtoull(s, NULL, 0), 20, 80, getenv("H_RELOAD") != NULL);
}
