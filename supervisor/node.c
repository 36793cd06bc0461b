/*
 * node.c: read-only accessors used by status and count_children.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char *sup_node_name(const struct sup_node *n) { return n->spec.name; }
uint64_t sup_node_id(const struct sup_node *n) { return n->id; }
const struct sup_spec *sup_node_spec(const struct sup_node *n) { return &n->spec; }
enum sup_type sup_node_type(const struct sup_node *n) { return n->spec.type; }
enum sup_state sup_node_state(const struct sup_node *n) { return n->state; }
struct sup_node *sup_node_parent(const struct sup_node *n) { return n->parent; }
unsigned sup_node_restarts(const struct sup_node *n) { return n->restarts; }
const struct sup_reason *sup_node_last_exit(const struct sup_node *n, struct sup_reason *buf)
{
	sup_last_get(n, buf);
	return buf;
}
bool sup_node_is_dynamic(const struct sup_node *n) { return n->dynamic; }
int64_t sup_node_since(const struct sup_node *n) { return n->since; }
void *sup_node_shell(const struct sup_node *n) { return n->shell; }
void sup_node_set_shell(struct sup_node *n, void *p) { n->shell = p; }

void sup_last_set(struct sup_node *n, const struct sup_reason *r)
{
	/* Out of memory, the detail is lost, not the exit: status shows the
	 * kind ("start_failed") without it. */
	char *why = r->why[0] ? strdup(r->why) : NULL;

	free(n->last_exit.why);
	n->last_exit = (struct sup_last){ .kind = r->kind, .code = r->code, .why = why };
}

void sup_last_get(const struct sup_node *n, struct sup_reason *ret)
{
	ret->kind = n->last_exit.kind;
	ret->code = n->last_exit.code;
	snprintf(ret->why, sizeof(ret->why), "%s", n->last_exit.why ? n->last_exit.why : "");
}

static struct sup_node *skip_hidden(struct sup_node *n)
{
	while (n && (n->hidden || n->is_template))
		n = n->next;
	return n;
}

/* Children in start order; templates and removed children are not listed. */
struct sup_node *sup_node_first(const struct sup_node *sup)
{
	return skip_hidden(sup->first);
}

struct sup_node *sup_node_next(const struct sup_node *n)
{
	return skip_hidden(n->next);
}

/* Pre-order: children, then the next sibling of n or of an ancestor below top. */
static struct sup_node *walk_next(const struct sup_node *top, const struct sup_node *n, bool all)
{
	struct sup_node *c = n->spec.type != SUP_SUPERVISOR ? NULL : all ? n->first
										: sup_node_first(n);

	if (c)
		return c;
	for (; n && n != top; n = n->parent)
		if ((c = all ? n->next : sup_node_next(n)))
			return c;
	return NULL;
}

struct sup_node *sup_walk_next(const struct sup_node *top, const struct sup_node *n)
{
	return walk_next(top, n, false);
}

struct sup_node *sup_walk_all(const struct sup_node *top, const struct sup_node *n)
{
	return walk_next(top, n, true);
}

char *const *sup_node_args(const struct sup_node *n, int *ret_argc)
{
	if (ret_argc)
		*ret_argc = n->argc;
	return n->args;
}

/* OTP counts a child in a failing restart loop as restarting, not active. */
static bool counts_active(const struct sup_node *n)
{
	return n->state == SUP_RUNNING || (n->state == SUP_STARTING && !n->retrying) ||
	       n->state == SUP_STOPPING;
}

struct sup_counts sup_count_children(const struct sup_node *sup)
{
	struct sup_counts c = { 0, 0, 0, 0 };

	if (sup->spec.type != SUP_SUPERVISOR)
		return c;
	if (sup_is_simple(sup)) {
		/* OTP: specs is always 1; children counted by the template's type. */
		c.specs = 1;
		for (struct sup_node *n = sup->first; n; n = n->next) {
			if (n->is_template || n->hidden)
				continue;
			if (sup->first->spec.type == SUP_SUPERVISOR)
				c.supervisors++;
			else
				c.workers++;
			c.active += counts_active(n);
		}
		return c;
	}
	for (struct sup_node *n = sup->first; n; n = n->next) {
		if (n->hidden)
			continue;
		c.specs++;
		if (n->spec.type == SUP_SUPERVISOR)
			c.supervisors++;
		else
			c.workers++;
		c.active += counts_active(n);
	}
	return c;
}

bool sup_node_failed(const struct sup_node *n)
{
	return n->state == SUP_STOPPED &&
	       (n->last_exit.kind == SUP_R_START_FAILED || n->gave_up);
}
