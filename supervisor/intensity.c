/*
 * intensity.c: OTP's restart intensity (MaxR restarts in MaxT).
 *
 * One history per supervisor.  A restart at `now` keeps the earlier
 * instants R with R >= now - period (inclusive, in milliseconds where OTP
 * uses whole seconds), adds `now`, and is allowed while the count is at
 * most `intensity`: MaxR restarts pass, restart MaxR+1 ends the supervisor.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void prune(struct sup_sv *sv, int64_t oldest)
{
	int k = 0;

	while (k < sv->hist_n && sv->hist[k] < oldest)
		k++;
	if (k) {
		memmove(sv->hist, sv->hist + k, (size_t)(sv->hist_n - k) * sizeof(*sv->hist));
		sv->hist_n -= k;
	}
}

/* Record a restart; false when it exceeds the intensity (give up). */
bool sup_add_restart(struct sup_node *sup, int64_t now)
{
	struct sup_sv *sv = sup->sv;

	prune(sv, now - sup->spec.period_ms);
	if (sv->hist_n >= sup->spec.intensity)
		return false;   /* this would be restart MaxR+1 */
	if (sv->hist_n == sv->hist_cap) {
		int cap = sv->hist_cap ? sv->hist_cap * 2 : 4;
		int64_t *h = realloc(sv->hist, (size_t)cap * sizeof(*h));

		if (!h)
			return true;    /* cannot record: allow, never kill a tree on ENOMEM */
		sv->hist = h;
		sv->hist_cap = cap;
	}
	sv->hist[sv->hist_n++] = now;
	return true;
}

/* Restarts of sup's history still in its window at `now` (read only). */
int sup_node_window_restarts(const struct sup_node *sup, int64_t now)
{
	const struct sup_sv *sv = sup->sv;
	int k = 0;

	if (!sv)
		return 0;
	while (k < sv->hist_n && sv->hist[k] < now - sup->spec.period_ms)
		k++;
	return sv->hist_n - k;
}
