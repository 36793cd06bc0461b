/*
 * restore.c: a saved tree's runtime state (save.c) put back on a tree
 * built from the same configuration and never booted.
 *
 * First every saved node is found by name (dynamic children are made
 * again from their template, with their arguments) and put in the saved
 * start order; a node of the configuration that the save does not name,
 * or one it names that the configuration lacks, is an error.  Then each
 * node gets its state, counters, flags and (supervisors) history, plan and
 * queue; last the deadline heap is rebuilt entry by entry.  Nothing is
 * emitted: the tree continues as if it had never stopped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct rs {
	struct sup_tree *t;
	int64_t now;
	char *why;
	size_t why_len;
	size_t n_saved;                 /* nodes the save names */
};

static int fail(struct rs *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct rs *s, const char *fmt, ...)
{
	va_list ap;

	if (s->why && s->why_len) {
		va_start(ap, fmt);
		vsnprintf(s->why, s->why_len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* now + d, saturated as sup_deadline_after saturates (and at the other end). */
static int64_t at_after(int64_t now, int64_t d)
{
	int64_t at;

	if (d >= SUP_NO_DEADLINE - 1 - now)
		return SUP_NO_DEADLINE - 1;
	return __builtin_add_overflow(now, d, &at) ? INT64_MIN : at;
}

/* The instant `off` ms before now; false when it cannot be one. */
static bool ago(int64_t now, uint64_t off, int64_t *ret)
{
	return off <= (uint64_t)INT64_MAX && !__builtin_sub_overflow(now, (int64_t)off, ret);
}

/* The value of the first item `tag` of r, or an empty one (*ret_found false). */
static bool item(const struct sup_rbuf *r, unsigned tag, struct sup_rbuf *ret_v)
{
	struct sup_rbuf it = *r, v;
	unsigned tg;

	while (sup_r_next(&it, &tg, &v) == 1) {
		if (tg == tag) {
			*ret_v = v;
			return true;
		}
	}
	return false;
}

static bool num(const struct sup_rbuf *r, unsigned tag, uint64_t *ret)
{
	struct sup_rbuf v;

	return item(r, tag, &v) && sup_r_u64(&v, ret);
}

/* A number that must be there and at most `max`. */
static int need(struct rs *s, const struct sup_rbuf *r, unsigned tag, uint64_t max, const char *what,
		const char *name, uint64_t *ret)
{
	if (!num(r, tag, ret) || *ret > max)
		return fail(s, "%s: %s missing or out of range", name, what);
	return 0;
}

static bool name_of(const struct sup_rbuf *r, unsigned tag, char *buf)
{
	struct sup_rbuf v;

	return item(r, tag, &v) && sup_r_str(&v, buf, SUP_NAME_MAX + 1);
}

/* Is every item of r whole?  (A cut save is refused before anything is read.) */
static bool well_formed(const struct sup_rbuf *r)
{
	struct sup_rbuf it = *r, v;
	unsigned tag;
	int k;

	while ((k = sup_r_next(&it, &tag, &v)) == 1)
		;
	return k == 0;
}

static int reason_read(struct rs *s, const struct sup_rbuf *r, unsigned tag, const char *name,
		       struct sup_reason *ret)
{
	struct sup_rbuf v, w;
	uint64_t kind, code;

	memset(ret, 0, sizeof(*ret));
	if (!item(r, tag, &v))
		return 0;
	if (!num(&v, RV_KIND, &kind) || kind > SUP_R_START_FAILED || !num(&v, RV_CODE, &code) ||
	    (item(&v, RV_WHY, &w) && !sup_r_str(&w, ret->why, sizeof(ret->why))))
		return fail(s, "%s: a bad exit reason", name);
	ret->kind = (enum sup_reason_kind)kind;
	ret->code = (int)(int64_t)code;
	return 0;
}

/* --- pass 1: every saved node found (or made), in saved order --------------- */

static int args_read(struct sup_node *n, const struct sup_rbuf *r)
{
	struct sup_rbuf it = *r, v;
	unsigned tag;

	while (sup_r_next(&it, &tag, &v) == 1) {
		char **a, *s;

		if (tag != NV_ARG)
			continue;
		if (!(a = realloc(n->args, ((size_t)n->argc + 1) * sizeof(*a))))
			return -ENOMEM;
		n->args = a;
		if (!(s = malloc(v.n + 1)))
			return -ENOMEM;
		memcpy(s, v.p, v.n);
		s[v.n] = '\0';
		n->args[n->argc++] = s;
	}
	return 0;
}

/* A dynamic child of simple_one_for_one supervisor `sup`, made again. */
static int dynamic_make(struct rs *s, struct sup_node *sup, const char *name,
			const struct sup_rbuf *r, struct sup_node **ret)
{
	struct sup_spec spec;
	struct sup_node *n;

	if (!sup_is_simple(sup) || !sup->first || !sup->first->is_template)
		return fail(s, "%s: a dynamic child of %s, which has no template", name,
			    sup->spec.name);
	spec = sup->first->spec;
	snprintf(spec.name, sizeof(spec.name), "%s", name);
	if (!(n = sup_node_alloc(s->t, &spec)))
		return -ENOMEM;
	n->dynamic = true;
	sup_node_link(sup, n);
	sup_name_index(s->t, n);
	*ret = n;
	return args_read(n, r);
}

static int place_node(struct rs *s, const struct sup_rbuf *r)
{
	char name[SUP_NAME_MAX + 1], parent[SUP_NAME_MAX + 1];
	struct sup_node *n, *p = NULL;
	uint64_t type, dyn = 0;

	if (!name_of(r, NV_NAME, name) || !name_of(r, NV_PARENT, parent) ||
	    !num(r, NV_TYPE, &type))
		return fail(s, "a node without a name, a parent or a type");
	(void)num(r, NV_DYNAMIC, &dyn);
	if (parent[0] && !(p = sup_find_any(s->t, parent)))
		return fail(s, "%s: its supervisor %s is not in the tree", name, parent);
	n = sup_find_any(s->t, name);
	if (!n && dyn)
		return dynamic_make(s, p, name, r, &n);
	if (!n)
		return fail(s, "%s: saved, but not in the configuration", name);
	if (n->dynamic || (uint64_t)n->spec.type != type || n->parent != p)
		return fail(s, "%s: not the same node in the configuration", name);
	/* The saved start order: each node goes last under its parent in turn. */
	if (p) {
		sup_node_unlink(n);
		sup_node_link(p, n);
	}
	return 0;
}

static int pass_place(struct rs *s, const struct sup_rbuf *all)
{
	struct sup_rbuf it = *all, v;
	unsigned tag;
	size_t n_tree = 0;
	int r;

	while (sup_r_next(&it, &tag, &v) == 1) {
		if (tag != SV_NODE)
			continue;
		if ((r = place_node(s, &v)) < 0)
			return r;
		s->n_saved++;
	}
	for (struct sup_node *n = s->t->root; n; n = sup_walk_all(s->t->root, n))
		n_tree++;
	if (n_tree != s->n_saved)
		return fail(s, "the configuration has %zu nodes, the save %zu", n_tree, s->n_saved);
	return 0;
}

/* --- pass 2: each node's state ------------------------------------------------- */

static struct sup_node *child_named(struct rs *s, struct sup_node *sup, const struct sup_rbuf *v)
{
	char name[SUP_NAME_MAX + 1];
	struct sup_node *n;

	if (!sup_r_str(v, name, sizeof(name)) || !(n = sup_find_any(s->t, name)) ||
	    n->parent != sup)
		return NULL;
	return n;
}

static int plan_read(struct rs *s, struct sup_node *sup, const struct sup_rbuf *r)
{
	struct sup_sv *sv = sup->sv;
	struct sup_rbuf it = *r, v;
	uint64_t kind, phase, cur, waiting, par;
	unsigned tag;

	if (need(s, r, PV_KIND, SUP_PLAN_STOP, "plan", sup->spec.name, &kind) < 0 ||
	    need(s, r, PV_PHASE, SUP_PHASE_START, "plan phase", sup->spec.name, &phase) < 0 ||
	    need(s, r, PV_CUR, SIZE_MAX, "plan step", sup->spec.name, &cur) < 0 ||
	    need(s, r, PV_WAITING, SIZE_MAX, "plan waits", sup->spec.name, &waiting) < 0 ||
	    need(s, r, PV_PARALLEL, 1, "plan order", sup->spec.name, &par) < 0)
		return -EINVAL;
	while (sup_r_next(&it, &tag, &v) == 1) {
		struct sup_node *c = tag == PV_MEMBER || tag == PV_FAILED ? child_named(s, sup, &v)
									  : NULL;

		if ((tag == PV_MEMBER || tag == PV_FAILED) && !c)
			return fail(s, "%s: its plan names a node that is not its child",
				    sup->spec.name);
		if (tag == PV_FAILED) {
			sv->failed = c;
			continue;
		}
		if (tag != PV_MEMBER)
			continue;
		if (sv->set_n == sv->set_cap) {
			size_t cap = sv->set_cap ? sv->set_cap * 2 : 8;
			struct sup_node **p = realloc(sv->set, cap * sizeof(*p));

			if (!p)
				return -ENOMEM;
			sv->set = p;
			sv->set_cap = cap;
		}
		sv->set[sv->set_n++] = c;
	}
	if (kind == SUP_PLAN_NONE || cur > sv->set_n || waiting > sv->set_n)
		return fail(s, "%s: an inconsistent plan", sup->spec.name);
	sv->plan = (enum sup_plan_kind)kind;
	sv->phase = (enum sup_phase)phase;
	sv->cur = (size_t)cur;
	sv->waiting = (size_t)waiting;
	sv->parallel = par;
	return 0;
}

static int defer_read(struct rs *s, struct sup_node *sup, const struct sup_rbuf *r)
{
	struct sup_deferred *d;
	struct sup_rbuf v;
	uint64_t kind;
	struct sup_node *n;

	if (!num(r, DV_KIND, &kind) ||
	    (kind != SUP_DEF_EXIT && kind != SUP_DEF_RESTART && kind != SUP_DEF_RETRY) ||
	    !item(r, DV_NODE, &v) || !(n = child_named(s, sup, &v)))
		return fail(s, "%s: a bad entry in its queue", sup->spec.name);
	if (!(d = calloc(1, sizeof(*d))))
		return -ENOMEM;
	d->kind = (int)kind;
	d->node = n;
	if (reason_read(s, r, DV_REASON, sup->spec.name, &d->reason) < 0) {
		free(d);
		return -EINVAL;
	}
	sup_defer_push(sup, d);
	return 0;
}

static int hist_add(struct sup_sv *sv, int64_t at)
{
	if (sv->hist_n == sv->hist_cap) {
		int cap = sv->hist_cap ? sv->hist_cap * 2 : 4;
		int64_t *h = realloc(sv->hist, (size_t)cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		sv->hist = h;
		sv->hist_cap = cap;
	}
	sv->hist[sv->hist_n++] = at;
	return 0;
}

static int sv_read(struct rs *s, struct sup_node *n, const struct sup_rbuf *r)
{
	struct sup_sv *sv = n->sv;
	struct sup_rbuf it = *r, v;
	uint64_t x;
	int64_t at;
	unsigned tag;
	int k = 0;

	while (k == 0 && sup_r_next(&it, &tag, &v) == 1) {
		if (tag == NV_HIST)
			k = sup_r_u64(&v, &x) && ago(s->now, x, &at)
				    ? hist_add(sv, at)
				    : fail(s, "%s: a bad restart instant", n->spec.name);
		else if (tag == NV_PLAN)
			k = plan_read(s, n, &v);
		else if (tag == NV_DEFER)
			k = defer_read(s, n, &v);
	}
	if (k < 0)
		return k;
	if (num(r, NV_EXIT_CODE, &x))
		sv->exit_code = (int)(int64_t)x;
	if (num(r, NV_NEXT_DYN, &x))
		sv->next_dyn = (unsigned)x;
	return reason_read(s, r, NV_EXIT_REASON, n->spec.name, &sv->exit_reason);
}

static void flags_set(struct sup_node *n, uint64_t f)
{
	n->hidden = f & SUP_SF_HIDDEN;
	n->fired = f & SUP_SF_WATCHDOG_FIRED ? SUP_R_WATCHDOG
		   : f & SUP_SF_PING_FIRED ? SUP_R_PING_TIMEOUT : SUP_R_NONE;
	n->leftovers = f & SUP_SF_LEFTOVERS;
	n->kill_sent = f & SUP_SF_KILL_SENT;
	n->crash_pending = f & SUP_SF_CRASH_PENDING;
	n->gave_up = f & SUP_SF_GAVE_UP;
	n->retrying = f & SUP_SF_RETRYING;
}

static int left_read(struct rs *s, struct sup_node *n, const struct sup_rbuf *r)
{
	uint64_t from, kind, code;

	if (!n->leftovers)
		return 0;
	if (need(s, r, NV_LEFT_FROM, SUP_RESTARTING, "leftovers' state", n->spec.name, &from) < 0 ||
	    need(s, r, NV_LEFT_KIND, SUP_R_START_FAILED, "leftovers' exit", n->spec.name, &kind) < 0 ||
	    !num(r, NV_LEFT_CODE, &code))
		return fail(s, "%s: leftovers without their exit", n->spec.name);
	n->left_from = (enum sup_state)from;
	n->left_kind = (enum sup_reason_kind)kind;
	n->left_code = (int)(int64_t)code;
	return 0;
}

static int node_read(struct rs *s, const struct sup_rbuf *r)
{
	char name[SUP_NAME_MAX + 1];
	uint64_t state, restarts, flags, why, id, since;
	struct sup_reason last;
	struct sup_node *n;

	(void)name_of(r, NV_NAME, name);
	n = sup_find_any(s->t, name);
	if (need(s, r, NV_STATE, SUP_RESTARTING, "state", name, &state) < 0 ||
	    need(s, r, NV_RESTARTS, UINT32_MAX, "restarts", name, &restarts) < 0 ||
	    need(s, r, NV_FLAGS, 0x7f, "flags", name, &flags) < 0 ||
	    need(s, r, NV_STOP_WHY, SUP_STOP_READY_TIMEOUT, "stop", name, &why) < 0 ||
	    need(s, r, NV_ID, UINT64_MAX, "id", name, &id) < 0)
		return -EINVAL;
	n->state = (enum sup_state)state;
	n->restarts = (unsigned)restarts;
	n->stop_why = (enum sup_stop_why)why;
	n->id = id;
	n->since = -1;
	if (num(r, NV_SINCE, &since) && !ago(s->now, since, &n->since))
		return fail(s, "%s: a bad start instant", name);
	flags_set(n, flags);
	if (reason_read(s, r, NV_LAST_EXIT, name, &last) < 0 || left_read(s, n, r) < 0)
		return -EINVAL;
	sup_last_set(n, &last);
	return n->sv ? sv_read(s, n, r) : 0;
}

/* --- the heap ------------------------------------------------------------------- */

static int heap_entry(struct rs *s, const struct sup_rbuf *r)
{
	struct sup_tree *t = s->t;
	char name[SUP_NAME_MAX + 1];
	struct sup_node *n;
	uint64_t in;

	if (!name_of(r, HV_NAME, name) || !(n = sup_find_any(t, name)) || !num(r, HV_IN, &in) ||
	    n->heap_idx != SIZE_MAX)
		return fail(s, "a bad deadline");
	if (t->heap_n == t->heap_cap) {
		size_t cap = t->heap_cap ? t->heap_cap * 2 : 64;
		struct sup_node **h = realloc(t->heap, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		t->heap = h;
		t->heap_cap = cap;
	}
	n->deadline = at_after(s->now, (int64_t)in);
	n->heap_idx = t->heap_n;
	t->heap[t->heap_n++] = n;
	return 0;
}

static int heap_read(struct rs *s, const struct sup_rbuf *r)
{
	struct sup_rbuf it = *r, v;
	unsigned tag;
	int k;

	while (sup_r_next(&it, &tag, &v) == 1)
		if (tag == HV_ENTRY && (k = heap_entry(s, &v)) < 0)
			return k;
	/* Offsets shift every deadline alike: the order must hold as saved. */
	for (size_t i = 1; i < s->t->heap_n; i++)
		if (s->t->heap[(i - 1) / 2]->deadline > s->t->heap[i]->deadline)
			return fail(s, "the deadlines are out of order");
	return 0;
}

/* --- the whole ----------------------------------------------------------------- */

static int pass_state(struct rs *s, const struct sup_rbuf *all)
{
	struct sup_rbuf it = *all, v;
	unsigned tag;
	uint64_t next_id;
	int r = 0;

	while (r == 0 && sup_r_next(&it, &tag, &v) == 1) {
		if (tag == SV_NODE)
			r = node_read(s, &v);
		else if (tag == SV_HEAP)
			r = heap_read(s, &v);
	}
	if (r == 0 && num(all, SV_NEXT_ID, &next_id))
		s->t->next_id = next_id;
	return r;
}

/* Has this tree run?  A restore starts from one that never did. */
static bool fresh(const struct sup_tree *t)
{
	return t->root->state == SUP_STOPPED && t->heap_n == 0 && !t->done && !t->shutting_down &&
	       t->root->sv->plan == SUP_PLAN_NONE;
}

int sup_restore(struct sup_tree *t, const void *buf, size_t len, int64_t now, char *why,
		size_t why_len)
{
	struct rs s = { .t = t, .now = now, .why = why, .why_len = why_len };
	struct sup_rbuf all = { buf, len };
	uint64_t version;
	int r;

	if (!fresh(t))
		return fail(&s, "the tree has run already");
	if (!well_formed(&all))
		return fail(&s, "the saved tree is cut short");
	if (!num(&all, SV_VERSION, &version))
		return fail(&s, "no version in the saved tree");
	if (version != SUP_SAVE_VERSION)
		return fail(&s, "the saved tree has version %llu, this otpd reads %d",
			    (unsigned long long)version, SUP_SAVE_VERSION);
	t->now = now;
	if ((r = pass_place(&s, &all)) < 0 || (r = pass_state(&s, &all)) < 0) {
		if (r == -ENOMEM)
			fail(&s, "out of memory");
		return r;
	}
	return 0;
}
