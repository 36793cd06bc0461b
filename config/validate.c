/*
 * validate.c: rules that involve more than one key or node (OTP's
 * supervisor checks, OTP-SEMANTICS §6 and §9 item 32).
 */
#include <ctype.h>
#include <string.h>

#include "internal.h"

static void section_err(struct cfg_ctx *x, const struct cfg_pnode *p, const char *msg)
{
	cfg_err_section(x, &p->node, "%s", msg);
}

/* Per section, before the tree exists. */
void cfg_validate_sections(struct cfg_ctx *x)
{
	for (size_t i = 0; i < x->n_pn; i++) {
		const struct cfg_pnode *p = &x->pn[i];

		if (p->node.spec.type == SUP_WORKER && !p->node.w.argv &&
		    !(p->seen.bits & (1ULL << CFG_K_EXEC)))
			section_err(x, p, "exec is required");
	}
}

static size_t children_count(const struct cfg_ctx *x, const struct cfg_pnode *s)
{
	size_t n = 0;

	for (size_t c = s->first_child; c != CFG_NONE; c = x->pn[c].next_sibling)
		n++;
	return n;
}

static void simple_check(struct cfg_ctx *x, struct cfg_pnode *s)
{
	size_t n = children_count(x, s);

	if (n != 1)
		cfg_err_at_key(x, &s->seen, CFG_K_STRATEGY,
			       "needs exactly one child (its template worker), has %zu", n);
	if (n >= 1 && x->pn[s->first_child].node.spec.type != SUP_WORKER)
		section_err(x, &x->pn[s->first_child],
			    "the template of a simple_one_for_one supervisor must be a worker");
	if (s->node.spec.auto_shutdown != SUP_AUTO_NEVER)
		cfg_err_at_key(x, &s->seen, CFG_K_AUTO_SHUTDOWN,
			       "must be never under strategy simple_one_for_one");
	if (s->node.spec.shutdown_order != SUP_ORDER_PARALLEL &&
	    (s->seen.bits & (1ULL << CFG_K_SHUTDOWN_ORDER)))
		cfg_err_at_key(x, &s->seen, CFG_K_SHUTDOWN_ORDER,
			       "a simple_one_for_one supervisor always stops its children "
			       "in parallel");
}

/* OTP checks auto_shutdown = never first, then restart = permanent. */
static void significant_check(struct cfg_ctx *x, struct cfg_pnode *c)
{
	const struct cfg_pnode *parent = &x->pn[c->parent];

	if (!c->node.spec.significant)
		return;
	if (parent->node.spec.auto_shutdown == SUP_AUTO_NEVER)
		cfg_err_at_key(x, &c->seen, CFG_K_SIGNIFICANT,
			       "parent \"%s\" has auto_shutdown = never", parent->node.spec.name);
	else if (c->node.spec.restart == SUP_PERMANENT)
		cfg_err_at_key(x, &c->seen, CFG_K_SIGNIFICANT,
			       "a permanent child cannot be significant "
			       "(set restart = transient or temporary)");
}

/*
 * "T@N" is how dynamic children of template T are named: a static node
 * of that name would take the name of a future dynamic child.
 */
static void dynamic_name_check(struct cfg_ctx *x, struct cfg_pnode *p)
{
	const char *name = p->node.spec.name, *at = strrchr(name, '@');
	char tmpl[SUP_NAME_MAX + 1];
	const struct cfg_pnode *t;

	if (!at || !at[1] || strspn(at + 1, "0123456789") != strlen(at + 1))
		return;
	snprintf(tmpl, sizeof(tmpl), "%.*s", (int)(at - name), name);
	t = cfg_pnode_find(x, tmpl);
	if (!t || t->parent == CFG_NONE ||
	    x->pn[t->parent].node.spec.strategy != SUP_SIMPLE_ONE_FOR_ONE ||
	    x->pn[t->parent].node.spec.type != SUP_SUPERVISOR)
		return;
	section_err(x, p, "name is reserved for a dynamic child of a simple_one_for_one template");
}

/* The mailbox is fd 3 (sd_listen_fds): fd:3 readiness would collide. */
static void mailbox_check(struct cfg_ctx *x, struct cfg_pnode *p)
{
	const struct cfg_worker *w = &p->node.w;

	if (w->mailbox && w->ready == CFG_READY_FD && w->ready_fd == 3)
		cfg_err_at_key(x, &p->seen, CFG_K_READY,
			       "fd 3 is the mailbox (mailbox = true): choose another fd");
}

/* handover: the old process hears of it through its mailbox, and the new
 * one must say when it has the state (not at its exec). */
static void handover_check(struct cfg_ctx *x, struct cfg_pnode *p)
{
	const struct cfg_worker *w = &p->node.w;

	if (!w->handover)
		return;
	if (!w->mailbox)
		cfg_err_at_key(x, &p->seen, CFG_K_HANDOVER, "handover needs mailbox = true");
	else if (w->ready == CFG_READY_EXEC)
		cfg_err_at_key(x, &p->seen, CFG_K_HANDOVER,
			       "handover needs ready = notify or fd:N (ready when the state is in)");
}

/* Whether p is the template worker of a simple_one_for_one supervisor. */
static bool is_template(const struct cfg_ctx *x, const struct cfg_pnode *p)
{
	return p->parent != CFG_NONE &&
	       x->pn[p->parent].node.spec.strategy == SUP_SIMPLE_ONE_FOR_ONE;
}

/* monitors = NAME...: other nodes of the tree, on a worker with a mailbox. */
static void monitors_check(struct cfg_ctx *x, struct cfg_pnode *p)
{
	const struct cfg_worker *w = &p->node.w;

	if (w->n_monitors > 0 && !w->mailbox)
		cfg_err_at_key(x, &p->seen, CFG_K_MONITORS,
			       "DOWN and UP come through the mailbox: set mailbox = true");
	for (int i = 0; i < w->n_monitors; i++) {
		const char *name = w->monitors[i];
		const struct cfg_pnode *m = cfg_pnode_find(x, name);

		if (strcmp(name, p->node.spec.name) == 0)
			cfg_err_at_key(x, &p->seen, CFG_K_MONITORS, "a worker cannot monitor itself");
		else if (!m)
			cfg_err_at_key(x, &p->seen, CFG_K_MONITORS, "no node named \"%s\"", name);
		else if (is_template(x, m))
			cfg_err_at_key(x, &p->seen, CFG_K_MONITORS,
				       "\"%s\" is a simple_one_for_one template", name);
	}
}

/*
 * stdout/stderr = worker:NAME: NAME is another static worker, which
 * becomes a logger (its stdin is the pipe otpd holds for it).
 */
static void logger_check(struct cfg_ctx *x, struct cfg_pnode *p, const struct cfg_output_spec *o,
			 enum cfg_key_id key)
{
	struct cfg_pnode *l;

	if (o->mode != CFG_OUT_WORKER)
		return;
	l = cfg_pnode_find(x, o->path);
	if (strcmp(o->path, p->node.spec.name) == 0)
		cfg_err_at_key(x, &p->seen, key, "a worker cannot be its own logger");
	else if (!l || l->node.spec.type != SUP_WORKER)
		cfg_err_at_key(x, &p->seen, key, "no worker named \"%s\"", o->path);
	else if (is_template(x, l))
		cfg_err_at_key(x, &p->seen, key, "\"%s\" is a simple_one_for_one template", o->path);
	else
		l->node.w.is_logger = true;
}

/* ping = INTERVAL: otpd's ping is a mailbox message. */
static void ping_check(struct cfg_ctx *x, struct cfg_pnode *p)
{
	if (p->node.w.ping_ms > 0 && !p->node.w.mailbox)
		cfg_err_at_key(x, &p->seen, CFG_K_PING,
			       "the ping is a mailbox message: set mailbox = true");
}

/* events = worker:NAME names a static worker with a mailbox. */
static void events_check(struct cfg_ctx *x)
{
	const char *name = x->cfg->otpd.events_worker;
	const struct cfg_pnode *p = name ? cfg_pnode_find(x, name) : NULL;

	if (!name)
		return;
	if (!p || p->node.spec.type != SUP_WORKER)
		cfg_err_at_key(x, &x->otpd_seen, CFG_K_EVENTS, "no worker named \"%s\"", name);
	else if (!p->node.w.mailbox)
		cfg_err_at_key(x, &x->otpd_seen, CFG_K_EVENTS,
			       "worker \"%s\" has no mailbox (set mailbox = true there)", name);
	else if (p->parent != CFG_NONE &&
		 x->pn[p->parent].node.spec.strategy == SUP_SIMPLE_ONE_FOR_ONE)
		cfg_err_at_key(x, &x->otpd_seen, CFG_K_EVENTS,
			       "\"%s\" is a simple_one_for_one template", name);
}

void cfg_validate_tree(struct cfg_ctx *x, const size_t *order, size_t n)
{
	events_check(x);
	for (size_t k = 0; k < n; k++) {
		struct cfg_pnode *p = &x->pn[order[k]];

		if (p->node.spec.type == SUP_SUPERVISOR &&
		    p->node.spec.strategy == SUP_SIMPLE_ONE_FOR_ONE)
			simple_check(x, p);
		if (k > 0)
			significant_check(x, p);
		if (strchr(p->node.spec.name, '@'))
			dynamic_name_check(x, p);
		if (p->node.spec.type == SUP_WORKER) {
			mailbox_check(x, p);
			handover_check(x, p);
			monitors_check(x, p);
			ping_check(x, p);
			logger_check(x, p, &p->node.w.out, CFG_K_STDOUT);
			if (p->err_set)         /* else a copy of stdout's */
				logger_check(x, p, &p->node.w.err, CFG_K_STDERR);
		}
	}
}
