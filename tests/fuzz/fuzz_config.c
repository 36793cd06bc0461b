/*
 * fuzz_config.c: the config loader and the reload diff.
 *
 * Input: one config file image, optionally followed by the separator line
 * "#--reload--" and a second image.  Each is loaded with cfg_load from a
 * file (a memfd, reached as /proc/self/fd/N: the real read path, NUL check
 * included).  When both load, the target does what a reload reads: every
 * node of either side looked up in the other, the ancestors of each old
 * node walked, cfg_node_changes on the pairs, both trees built and the new
 * specs applied to the old tree in place (sup_node_respec).
 *
 * Invariants: a config loaded twice from the same text has no changes
 * (cfg_node_changes == 0 for every node); a failed load leaves an error
 * message; a loaded config has a root, plain node names, a program for
 * every worker, prints (otpd --check) and builds a tree.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../config/config.h"
#include "../../supervisor/supervisor.h"
#include "fuzz.h"

#define SEP "\n#--reload--\n"

/* Load `s` as a file; NULL when it does not load (errors checked). */
static struct otp_config *load(struct fuzz_in s)
{
	struct cfg_errors e = { 0 };
	struct otp_config *c = NULL;
	char path[64];
	int fd = memfd_create("otp.conf", MFD_CLOEXEC), r;

	if (fd < 0)
		fuzz_fail("memfd_create: %s", strerror(errno));
	if (s.n && write(fd, s.p, s.n) != (ssize_t)s.n)
		fuzz_fail("write to memfd");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = cfg_load(path, &c, &e);
	close(fd);
	if (r < 0 && e.n == 0)
		fuzz_fail("cfg_load failed (%d) without an error message", r);
	if (r == 0 && e.n != 0)
		fuzz_fail("cfg_load succeeded with %zu error messages", e.n);
	if (r == 0 && (!c || c->n_nodes == 0 || c->nodes[0].parent[0] != '\0'))
		fuzz_fail("a loaded config without its root");
	cfg_errors_clear(&e);
	return r == 0 ? c : NULL;
}

/*
 * What --check accepts must be usable: names that are plain file names
 * (they become cgroup and mailbox names), a worker with a program (issue
 * 18 items 4 and 6).
 */
static void usable(const struct otp_config *c)
{
	for (size_t i = 0; i < c->n_nodes; i++) {
		const struct cfg_node *n = &c->nodes[i];
		const char *name = n->spec.name;

		if (!name[0] || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
			fuzz_fail("node name [%s] accepted", name);
		if (n->spec.type != SUP_WORKER)
			continue;
		if (n->w.argc < 1 || !n->w.argv || !n->w.argv[0])
			fuzz_fail("worker %s accepted without exec", name);
		if (!n->w.argv[0][0])
			fuzz_fail("worker %s accepted with an empty program name", name);
	}
}

/* What otpd --check and the start of otpd do with a loaded config. */
static void use(const struct otp_config *c)
{
	struct sup_tree *t = NULL;
	FILE *f = fopen("/dev/null", "we");

	if (f) {
		cfg_print_tree(c, f);
		fclose(f);
	}
	if (cfg_build_tree(c, &t) == 0)
		sup_tree_free(t);
}

/* The walks of init/reload.c over the two configs. */
static void diff(const struct otp_config *old, const struct otp_config *nw, bool same_text)
{
	for (size_t i = 0; i < old->n_nodes; i++) {
		const struct cfg_node *o = &old->nodes[i], *n = cfg_find(nw, o->spec.name);
		size_t depth = 0;

		for (const struct cfg_node *p = cfg_find(old, o->parent); p && p->parent[0];
		     p = cfg_find(old, p->parent))
			if (++depth > old->n_nodes)
				fuzz_fail("the parents of %s make a cycle", o->spec.name);
		if (!n) {
			if (same_text)
				fuzz_fail("%s lost in a second load of the same text", o->spec.name);
			continue;
		}
		unsigned ch = cfg_node_changes(o, n);

		if (same_text && ch != 0)
			fuzz_fail("%s changed (0x%x) between two loads of the same text",
				  o->spec.name, ch);
	}
	for (size_t i = 0; i < nw->n_nodes; i++)
		(void)cfg_find(old, nw->nodes[i].spec.name);
}

/* Build the old tree and give its nodes the new specs, as a reload does. */
static void respec(const struct otp_config *old, const struct otp_config *nw)
{
	struct sup_tree *t = NULL;

	if (cfg_build_tree(old, &t) != 0)
		return;
	for (size_t i = 0; i < nw->n_nodes; i++) {
		const struct cfg_node *c = &nw->nodes[i], *o = cfg_find(old, c->spec.name);
		struct sup_node *n = sup_find(t, c->spec.name);

		if (o && n && !(cfg_node_changes(o, c) & CFG_CHANGED_SHAPE))
			(void)sup_node_respec(n, &c->spec);
	}
	sup_tree_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct fuzz_in a = fuzz_until(&in, SEP);
	bool two = in.p != a.p + a.n || in.n > 0;
	struct otp_config *old = load(a);
	struct otp_config *nw = two ? load(in) : (old ? load(a) : NULL);

	if (!two && old && !nw)
		fuzz_fail("the same text loaded once and failed the second time");
	if (old) {
		usable(old);
		use(old);
	}
	if (old && nw) {
		diff(old, nw, !two);
		diff(nw, old, !two);
		respec(old, nw);
	}
	cfg_free(old);
	cfg_free(nw);
	return 0;
}
