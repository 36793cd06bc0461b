/*
 * keys_node.c: keys of supervisors and workers alike (parent, restart,
 * shutdown, significant) and of supervisors alone.
 */
#include <limits.h>
#include <string.h>

#include "internal.h"

static bool is_root(const struct cfg_pnode *p)
{
	return p->node.spec.type == SUP_SUPERVISOR && strcmp(p->node.spec.name, CFG_ROOT) == 0;
}

const char *cfg_set_parent(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	if (is_root(p))
		return "the root supervisor has no parent";
	if (!sup_name_valid(v, NULL))
		return "expected a supervisor name";
	snprintf(p->parent_name, sizeof(p->parent_name), "%s", v);
	return NULL;
}

const char *cfg_set_restart(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	if (strcmp(v, "permanent") == 0)
		p->node.spec.restart = SUP_PERMANENT;
	else if (strcmp(v, "transient") == 0)
		p->node.spec.restart = SUP_TRANSIENT;
	else if (strcmp(v, "temporary") == 0)
		p->node.spec.restart = SUP_TEMPORARY;
	else
		return "expected permanent, transient or temporary";
	return NULL;
}

const char *cfg_set_shutdown(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	if (cfg_parse_shutdown(v, &p->node.spec.shutdown_ms) < 0)
		return "expected brutal_kill, infinity or a duration";
	return NULL;
}

const char *cfg_set_significant(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	if (cfg_parse_bool(v, &p->node.spec.significant) < 0)
		return "expected true or false";
	return NULL;
}

const char *cfg_set_strategy(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	static const char *const names[] = {
		[SUP_ONE_FOR_ONE] = "one_for_one", [SUP_ONE_FOR_ALL] = "one_for_all",
		[SUP_REST_FOR_ONE] = "rest_for_one",
		[SUP_SIMPLE_ONE_FOR_ONE] = "simple_one_for_one",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(v, names[i]) == 0) {
			p->node.spec.strategy = (enum sup_strategy)i;
			return NULL;
		}
	}
	return "expected one_for_one, one_for_all, rest_for_one or simple_one_for_one";
}

const char *cfg_set_intensity(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	int64_t n;

	if (cfg_parse_int_range(v, 0, INT_MAX, &n) < 0)
		return "expected an integer >= 0";
	p->node.spec.intensity = (int)n;
	return NULL;
}

const char *cfg_set_period(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	int64_t ms;

	if (cfg_parse_duration(v, &ms) < 0 || ms <= 0)
		return "expected a duration > 0";
	p->node.spec.period_ms = ms;
	return NULL;
}

const char *cfg_set_auto_shutdown(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	if (strcmp(v, "never") == 0)
		p->node.spec.auto_shutdown = SUP_AUTO_NEVER;
	else if (strcmp(v, "any_significant") == 0)
		p->node.spec.auto_shutdown = SUP_AUTO_ANY;
	else if (strcmp(v, "all_significant") == 0)
		p->node.spec.auto_shutdown = SUP_AUTO_ALL;
	else
		return "expected never, any_significant or all_significant";
	return NULL;
}

const char *cfg_set_shutdown_order(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	if (strcmp(v, "reverse") == 0)
		p->node.spec.shutdown_order = SUP_ORDER_REVERSE;
	else if (strcmp(v, "parallel") == 0)
		p->node.spec.shutdown_order = SUP_ORDER_PARALLEL;
	else
		return "expected reverse or parallel";
	return NULL;
}
