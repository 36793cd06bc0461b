/*
 * core_bench.c: cost of the pure core's decisions (no processes).
 *
 *   restart decision: one_for_one, one crash -> EXITED, RESTART, SPAWN
 *   one_for_all with N children: one crash -> N-1 stops, N spawns
 *
 * Every spawn is answered "ready" and every stop "exited" at once, as a
 * shell would, so the figures are the core's own work per event.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../supervisor/supervisor.h"

static int64_t now;

static double mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Answer the batch like an instant shell; repeat until quiet. */
static void settle(struct sup_tree *t)
{
	for (;;) {
		size_t n, k = 0;
		const struct sup_action *a = sup_actions(t, &n);
		struct sup_node **ready = malloc((n + 1) * sizeof(*ready));
		struct sup_node **gone = malloc((n + 1) * sizeof(*gone));
		size_t nr = 0, ng = 0;

		for (size_t i = 0; i < n; i++) {
			if (a[i].kind == SUP_A_SPAWN)
				ready[nr++] = a[i].node;
			else if (a[i].kind == SUP_A_SIGNAL || a[i].kind == SUP_A_KILL)
				gone[ng++] = a[i].node;
		}
		sup_actions_clear(t);
		for (size_t i = 0; i < ng; i++, k++)
			sup_child_exited(t, gone[i], SIGTERM, 0, now);
		for (size_t i = 0; i < nr; i++, k++)
			sup_child_ready(t, ready[i], now);
		free(ready);
		free(gone);
		if (!k)
			return;
	}
}

static struct sup_tree *make_tree(enum sup_strategy st, int n)
{
	struct sup_spec root, w;
	struct sup_tree *t;

	sup_spec_init(&root, SUP_SUPERVISOR, "root");
	root.strategy = st;
	root.intensity = 1000000;
	root.period_ms = 1;
	t = sup_tree_new(&root);
	for (int i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "w%d", i);
		sup_spec_init(&w, SUP_WORKER, name);
		sup_tree_add(t, sup_tree_root(t), &w, NULL);
	}
	sup_boot(t, now);
	settle(t);
	return t;
}

static void bench(const char *label, enum sup_strategy st, int n, int rounds)
{
	struct sup_tree *t = make_tree(st, n);
	struct sup_node *victim = sup_find(t, "w0");
	double t0 = mono_us();

	for (int i = 0; i < rounds; i++) {
		now += 10;
		sup_child_exited(t, victim, 9, 0, now);
		settle(t);
	}
	double per = (mono_us() - t0) / rounds;

	printf("core %-34s %10.2f us/event  (%d children, %d rounds)\n", label, per, n, rounds);
	printf("metric core_%s otpd %.2f us\n", st == SUP_ONE_FOR_ALL ? "one_for_all_10k" :
		"restart_decision", per);
	sup_shutdown(t, now);
	settle(t);
	sup_tree_free(t);
}

int main(void)
{
	bench("restart decision (one_for_one)", SUP_ONE_FOR_ONE, 100, 100000);
	bench("one_for_all restart", SUP_ONE_FOR_ALL, 10000, 20);
	return 0;
}
