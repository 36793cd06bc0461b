/*
 * tree.c: from parsed sections to the ordered node list.
 *
 * Parents may be declared anywhere, even after their children (in another
 * file, say); they are resolved once every file is read.  The result lists
 * nodes in pre-order: each parent before its children, siblings in
 * declaration order, nodes[0] the root.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static size_t find_index(struct cfg_ctx *x, const char *name)
{
	struct cfg_pnode *p = cfg_pnode_find(x, name);

	return p ? (size_t)(p - x->pn) : CFG_NONE;
}

/* The root: declared as [supervisor root], or made with defaults. */
size_t cfg_root_get(struct cfg_ctx *x)
{
	size_t r = find_index(x, CFG_ROOT);

	if (r != CFG_NONE)
		return r;
	r = cfg_pnode_add(x, SUP_SUPERVISOR, CFG_ROOT);
	if (r == CFG_NONE || cfg_pnode_index(x, r) < 0) {
		x->oom = true;
		return CFG_NONE;
	}
	x->pn[r].node.file = NULL;
	x->pn[r].node.line = 0;
	return r;
}

static void child_append(struct cfg_ctx *x, size_t parent, size_t child)
{
	struct cfg_pnode *p = &x->pn[parent];

	x->pn[child].parent = parent;
	if (p->last_child == CFG_NONE)
		p->first_child = child;
	else
		x->pn[p->last_child].next_sibling = child;
	p->last_child = child;
}

static void parent_resolve(struct cfg_ctx *x, size_t i)
{
	struct cfg_pnode *p = &x->pn[i];
	size_t j;

	if (!p->parent_name[0])
		snprintf(p->parent_name, sizeof(p->parent_name), "%s", CFG_ROOT);
	j = find_index(x, p->parent_name);
	if (j == CFG_NONE || x->pn[j].node.spec.type != SUP_SUPERVISOR) {
		/* "root" always exists, so the key was given */
		cfg_err_at_key(x, &p->seen, CFG_K_PARENT, j == CFG_NONE ?
			       "no such supervisor" : "is a worker, not a supervisor");
		p->orphan = true;
		return;
	}
	child_append(x, j, i);
}

/* Pre-order walk without a stack; fills order[], returns its length. */
static size_t walk(struct cfg_ctx *x, size_t root, size_t *order)
{
	size_t n = 0, i = root;

	for (;;) {
		x->pn[i].placed = true;
		x->pn[i].node.depth = i == root ? 0 : x->pn[x->pn[i].parent].node.depth + 1;
		order[n++] = i;
		if (x->pn[i].first_child != CFG_NONE) {
			i = x->pn[i].first_child;
			continue;
		}
		while (i != root && x->pn[i].next_sibling == CFG_NONE)
			i = x->pn[i].parent;
		if (i == root)
			return n;
		i = x->pn[i].next_sibling;
	}
}

/* Nodes not reached from the root hang on a cycle of parents. */
static void cycle_report(struct cfg_ctx *x, size_t i)
{
	char chain[256];
	size_t j = i, len = 0, steps = 0;
	bool on_cycle = false;

	chain[0] = '\0';
	do {
		len += (size_t)snprintf(chain + len, sizeof(chain) - len, "%s -> ",
					x->pn[j].node.spec.name);
		if (len >= sizeof(chain))
			len = sizeof(chain) - 1;
		j = x->pn[j].parent;
		on_cycle = j == i;
	} while (j != CFG_NONE && !on_cycle && ++steps <= x->n_pn);
	if (on_cycle) {
		snprintf(chain + len, sizeof(chain) - len, "%s", x->pn[i].node.spec.name);
		cfg_err_at_key(x, &x->pn[i].seen, CFG_K_PARENT, "parents form a cycle (%s)",
			       chain);
	} else if (j != CFG_NONE) {
		/* (a chain ending at an orphan was reported at the orphan) */
		cfg_err_at_key(x, &x->pn[i].seen, CFG_K_PARENT,
			       "not reachable from the root: an ancestor is in a cycle");
	}
}

/*
 * Each node's parent and previous sibling as indexes into the result;
 * `pos` maps a section's index to its place in the result.
 */
static void links_set(struct cfg_ctx *x, const size_t *order, size_t n, const size_t *pos,
		      struct cfg_node *nodes)
{
	for (size_t k = 0; k < n; k++)
		nodes[k].prev_sibling = CFG_NO_NODE;
	for (size_t k = 0; k < n; k++) {
		const struct cfg_pnode *p = &x->pn[order[k]];

		nodes[k].parent_index = k == 0 ? CFG_NO_NODE : pos[p->parent];
		nodes[k].parent = k == 0 ? "" : nodes[nodes[k].parent_index].spec.name;
		if (p->next_sibling != CFG_NONE)
			nodes[pos[p->next_sibling]].prev_sibling = k;
	}
}

/* Move the placed nodes, in `order`, into the result, and index them. */
static int nodes_take(struct cfg_ctx *x, const size_t *order, size_t n)
{
	struct cfg_node *nodes = calloc(n, sizeof(*nodes));
	size_t *pos = malloc(x->n_pn * sizeof(*pos));
	int r = 0;

	if (!nodes || !pos) {
		free(nodes);
		free(pos);
		return -ENOMEM;
	}
	for (size_t k = 0; k < n; k++) {
		struct cfg_pnode *p = &x->pn[order[k]];

		pos[order[k]] = k;
		nodes[k] = p->node;
		memset(&p->node, 0, sizeof(p->node));
		nodes[k].spec.user = &nodes[k];
	}
	links_set(x, order, n, pos, nodes);
	free(pos);
	x->cfg->nodes = nodes;
	x->cfg->n_nodes = n;
	for (size_t k = 0; k < n && r == 0; k++)
		r = cfg_index_add(&x->cfg->by_name, k, nodes, sizeof(*nodes));
	return r;
}

/* Its own frame, called only when needed: a 4 KiB buffer in defaults_fill's
 * pushed every call below it deeper, and otpd's stack's high-water mark
 * stays for good (issue 19: base memory). */
static __attribute__((noinline)) char *default_run_dir(void)
{
	char dflt[UTIL_RUN_DIR_MAX];

	(void)util_default_run_dir((unsigned)geteuid(), dflt, sizeof(dflt));
	return strdup(dflt);
}

static int defaults_fill(struct cfg_ctx *x)
{
	struct cfg_otpd *o = &x->cfg->otpd;

	if (!o->run_dir && !(o->run_dir = default_run_dir()))
		return -ENOMEM;
	if (!o->socket && asprintf(&o->socket, "%s/otpd.sock",
				   strcmp(o->run_dir, "/") ? o->run_dir : "") < 0) {
		o->socket = NULL;
		return -ENOMEM;
	}
	for (size_t i = 0; i < x->n_pn; i++) {
		struct cfg_pnode *p = &x->pn[i];
		struct cfg_worker *w = &p->node.w;

		if (p->bad || p->node.spec.type != SUP_WORKER)
			continue;
		if (!w->workdir && !(w->workdir = strdup("/")))
			return -ENOMEM;
		if (!p->err_set) {
			w->err.mode = w->out.mode;
			if (w->out.path && !(w->err.path = strdup(w->out.path)))
				return -ENOMEM;
		}
	}
	return 0;
}

/* Resolve, order and check every node; on success fill x->cfg. */
int cfg_ctx_finish(struct cfg_ctx *x)
{
	size_t root, n, *order;
	int r;

	cfg_validate_sections(x);
	root = cfg_root_get(x);
	if (root == CFG_NONE)
		return -ENOMEM;
	for (size_t i = 0; i < x->n_pn; i++)
		if (i != root && !x->pn[i].bad)
			parent_resolve(x, i);
	order = malloc(x->n_pn * sizeof(*order));
	if (!order)
		return -ENOMEM;
	n = walk(x, root, order);
	for (size_t i = 0; i < x->n_pn; i++)
		if (!x->pn[i].bad && !x->pn[i].orphan && !x->pn[i].placed)
			cycle_report(x, i);
	cfg_validate_tree(x, order, n);
	r = defaults_fill(x);
	if (r == 0)
		cfg_validate_run(x, order, n);
	if (r == 0 && !x->oom && x->errs->n == x->errs_before)
		r = nodes_take(x, order, n);
	free(order);
	return x->oom ? -ENOMEM : r;
}

const struct cfg_node *cfg_find(const struct otp_config *c, const char *name)
{
	size_t i;

	if (!c || !name)
		return NULL;
	i = cfg_index_find(&c->by_name, name, c->nodes, sizeof(*c->nodes));
	return i == CFG_NO_NODE ? NULL : &c->nodes[i];
}
