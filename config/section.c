/*
 * section.c: section headers, node names, and a node's defaults and release.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void cfg_node_init(struct cfg_node *n, enum sup_type type, const char *name)
{
	memset(n, 0, sizeof(*n));
	sup_spec_init(&n->spec, type, name);
	n->w.ready = CFG_READY_EXEC;
	n->w.out.mode = CFG_OUT_LOG;
	n->w.err.mode = CFG_OUT_LOG;
	n->w.log_max_size = 10 * 1024 * 1024;
	n->w.log_keep = 5;
	n->w.mailbox_backlog = 128;
	n->w.mailbox_mode = 0660;
	n->w.ping_timeout_ms = CFG_PING_TIMEOUT_MS;
}

/* Free what the node owns; `file` belongs to the config's file list. */
void cfg_node_release(struct cfg_node *n)
{
	if (n->limits) {
		free(n->limits->io_max);
		free(n->limits->cpuset_cpus);
		free(n->limits);
	}
	cfg_strv_free(n->w.argv);
	cfg_strv_free(n->w.env);
	free(n->w.environment_file);
	free(n->w.workdir);
	free(n->w.out.path);
	free(n->w.err.path);
	free(n->w.user);
	free(n->w.group);
	free(n->w.mailbox_group);
	cfg_strv_free(n->w.seccomp_list);
	cfg_strv_free(n->w.monitors);
	cfg_sandbox_free(n->w.sb);
	memset(n, 0, sizeof(*n));
}

/* A section that is not `bad` (its name was accepted), or NULL.  O(1). */
struct cfg_pnode *cfg_pnode_find(struct cfg_ctx *x, const char *name)
{
	size_t i = cfg_index_find(&x->pn_by_name, name, x->pn, sizeof(*x->pn));

	return i == CFG_NONE ? NULL : &x->pn[i];
}

/* Make pn[i] findable by its name.  0 or -ENOMEM. */
int cfg_pnode_index(struct cfg_ctx *x, size_t i)
{
	return cfg_index_add(&x->pn_by_name, i, x->pn, sizeof(*x->pn));
}

/* Append a node declared here; its index, or CFG_NONE on ENOMEM. */
size_t cfg_pnode_add(struct cfg_ctx *x, enum sup_type type, const char *name)
{
	struct cfg_pnode *p;

	if (x->n_pn == x->cap_pn) {
		size_t cap = x->cap_pn ? 2 * x->cap_pn : 16;
		struct cfg_pnode *v = realloc(x->pn, cap * sizeof(*v));

		if (!v)
			return CFG_NONE;
		x->pn = v;
		x->cap_pn = cap;
	}
	p = &x->pn[x->n_pn++];
	memset(p, 0, sizeof(*p));
	cfg_node_init(&p->node, type, name);
	p->node.file = (char *)x->file;
	p->node.line = x->line;
	p->parent = p->first_child = p->next_sibling = p->last_child = CFG_NONE;
	return x->n_pn - 1;
}

/* Is the name acceptable for a new node?  Reports why not. */
static bool name_check(struct cfg_ctx *x, const char *hdr, enum sup_type type,
		       const char *name)
{
	const struct cfg_pnode *old;
	const char *why;

	if (!sup_name_valid(name, &why)) {
		cfg_err(x, x->file, x->line, hdr, name, "%s", why);
		return false;
	}
	if (type == SUP_WORKER && strcmp(name, CFG_ROOT) == 0) {
		cfg_err(x, x->file, x->line, hdr, name,
			"\"root\" is the root supervisor and cannot be a worker");
		return false;
	}
	old = cfg_pnode_find(x, name);
	if (old) {
		cfg_err(x, x->file, x->line, hdr, name, "duplicate name, first declared at %s:%d",
			old->node.file, old->node.line);
		return false;
	}
	return true;
}

static void node_open(struct cfg_ctx *x, const char *kind, enum sup_type type,
		      const char *name)
{
	char hdr[SUP_NAME_MAX + 32];
	size_t i;
	bool ok;

	snprintf(hdr, sizeof(hdr), "[%s %.*s]", kind, SUP_NAME_MAX, name);
	if (!*name) {
		cfg_err(x, x->file, x->line, NULL, NULL, "[%s]: a %s section needs a name", kind,
			kind);
		x->skip_section = true;
		return;
	}
	ok = name_check(x, hdr, type, name);
	i = cfg_pnode_add(x, type, name);
	if (i == CFG_NONE) {
		x->oom = true;
		x->skip_section = true;
		return;
	}
	x->pn[i].bad = !ok;
	if (ok && cfg_pnode_index(x, i) < 0)
		x->oom = true;
	x->cur = i;
	x->sec = type == SUP_WORKER ? CFG_SEC_WORKER : CFG_SEC_SUP;
}

/* `inside` is what stands between '[' and ']'. */
void cfg_section_open(struct cfg_ctx *x, const char *inside)
{
	/* A copy on the heap, not an 8 KiB stack buffer (see parse.c). */
	char *buf = strdup(inside);
	char *kind, *name, *end;

	x->sec = CFG_SEC_NONE;
	x->cur = CFG_NONE;
	x->skip_section = false;
	if (!buf) {
		x->oom = true;
		x->skip_section = true;
		return;
	}
	kind = buf + strspn(buf, " \t");
	name = kind + strcspn(kind, " \t");
	if (*name)
		*name++ = '\0';
	name += strspn(name, " \t");
	for (end = name + strlen(name); end > name && isspace((unsigned char)end[-1]); end--)
		end[-1] = '\0';

	if (strcmp(kind, "otpd") == 0 && !*name)
		x->sec = CFG_SEC_OTPD;
	else if (strcmp(kind, "supervisor") == 0)
		node_open(x, "supervisor", SUP_SUPERVISOR, name);
	else if (strcmp(kind, "worker") == 0)
		node_open(x, "worker", SUP_WORKER, name);
	else {
		cfg_err(x, x->file, x->line, NULL, inside,
			"unknown section, expected [otpd], [supervisor NAME] or [worker NAME]");
		x->skip_section = true;
	}
	free(buf);
}
