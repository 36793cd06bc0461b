/*
 * status_sandbox.c: the sandbox of a worker in `otpctl status NAME`.
 *
 * What is in force is read from the running process when there is one
 * (after its execve): ids, no_new_privs, seccomp mode, capability sets
 * from /proc/PID/status, namespaces by comparing /proc/PID/ns with otpd's
 * own.  The rest (and everything while the worker is not running) comes
 * from its configuration, which the process cannot have changed without
 * the privileges the sandbox took away.  No NSS here: otpd may be PID 1,
 * so users are shown as configured plus the numbers the kernel reports.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../worker/worker.h"
#include "client.h"
#include "json.h"

#define SB_GROUPS_MAX 64

/* Facts read from /proc/PID. */
struct sb_seen {
	bool live;                      /* read from the process */
	unsigned uid, gid;
	unsigned groups[SB_GROUPS_MAX];
	int n_groups;
	int nnp, seccomp;               /* -1: unknown */
	uint64_t cap_bnd, cap_eff, cap_amb;
	bool mnt_ns, net_ns;            /* a namespace of its own */
};

static bool ns_differs(pid_t pid, const char *ns)
{
	char a[64], b[64], pa[64], pb[64];
	ssize_t na, nb;

	snprintf(pa, sizeof(pa), "/proc/%d/ns/%s", (int)pid, ns);
	snprintf(pb, sizeof(pb), "/proc/self/ns/%s", ns);
	na = readlink(pa, a, sizeof(a));
	nb = readlink(pb, b, sizeof(b));
	return na > 0 && nb > 0 && (na != nb || memcmp(a, b, (size_t)na) != 0);
}

static void status_line(struct sb_seen *s, const char *line)
{
	unsigned long long x;
	const char *p;
	int n;

	if (sscanf(line, "Uid: %*u %u", &s->uid) == 1 || sscanf(line, "Gid: %*u %u", &s->gid) == 1)
		return;
	if (sscanf(line, "NoNewPrivs: %d", &s->nnp) == 1 || sscanf(line, "Seccomp: %d", &s->seccomp) == 1)
		return;
	if (sscanf(line, "CapBnd: %llx", &x) == 1)
		s->cap_bnd = x;
	else if (sscanf(line, "CapEff: %llx", &x) == 1)
		s->cap_eff = x;
	else if (sscanf(line, "CapAmb: %llx", &x) == 1)
		s->cap_amb = x;
	else if (strncmp(line, "Groups:", 7) == 0)
		for (p = line + 7; s->n_groups < SB_GROUPS_MAX &&
		     sscanf(p, "%u%n", &s->groups[s->n_groups], &n) == 1; p += n)
			s->n_groups++;
}

/* Only a process past its execve shows the sandbox it runs in. */
static void seen_read(struct ws *w, struct sb_seen *s)
{
	char path[64], line[512];
	FILE *f;

	memset(s, 0, sizeof(*s));
	s->nnp = s->seccomp = -1;
	if (!w || w->pid <= 0 || !w->exec_ok)
		return;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)w->pid);
	if (!(f = fopen(path, "re")))
		return;
	while (fgets(line, sizeof(line), f))
		status_line(s, line);
	fclose(f);
	s->mnt_ns = ns_differs(w->pid, "mnt");
	s->net_ns = ns_differs(w->pid, "net");
	s->live = s->nnp >= 0;
}

static const struct cfg_sandbox *sb_of(struct ws *w)
{
	return cfg_worker_sandbox(&w->cfg->w);
}

static bool mount_ns_configured(const struct cfg_sandbox *sb)
{
	return sb->private_tmp || sb->private_devices || sb->read_only_paths || sb->inaccessible_paths;
}

static void caps_json(struct jbuf *b, uint64_t mask)
{
	json_arr_begin(b);
	for (int c = 0; c < 64; c++)
		if (mask & (1ULL << c))
			json_str(b, cfg_cap_name(c) ? cfg_cap_name(c) : "CAP_UNKNOWN");
	json_arr_end(b);
}

static void strv_json(struct jbuf *b, char *const *v)
{
	json_arr_begin(b);
	for (; v && *v; v++)
		json_str(b, *v);
	json_arr_end(b);
}

static void action_fmt(const struct cfg_worker *c, char *buf, size_t len)
{
	if (c->seccomp_action == CFG_SECCOMP_KILL)
		snprintf(buf, len, "kill");
	else if (c->seccomp_action == CFG_SECCOMP_LOG)
		snprintf(buf, len, "log");
	else if (strerrorname_np(c->seccomp_errno))
		snprintf(buf, len, "errno:%s", strerrorname_np(c->seccomp_errno));
	else
		snprintf(buf, len, "errno:%d", c->seccomp_errno);
}

static void seccomp_json(struct jbuf *b, struct ws *w, const struct sb_seen *s)
{
	const struct cfg_worker *c = &w->cfg->w;
	const struct sb_filter *f = w->sb && w->sb->built ? &w->sb->filter : NULL;
	char act[32];

	if (c->seccomp == CFG_SECCOMP_NONE) {
		json_null(b);
		return;
	}
	action_fmt(c, act, sizeof(act));
	json_obj_begin(b);
	json_key(b, "mode");
	json_str(b, c->seccomp == CFG_SECCOMP_ALLOW ? "allow" : "deny");
	json_key(b, "action");
	json_str(b, act);
	json_key(b, "syscalls");
	f ? json_int(b, f->n_syscalls) : json_null(b);
	json_key(b, "arches");
	json_arr_begin(b);
	for (unsigned i = 0; f && i < f->n_arches; i++)
		json_str(b, sb_arch_name(f->arches[i]));
	json_arr_end(b);
	json_key(b, "loaded");
	s->live ? json_bool(b, s->seccomp == 2) : json_null(b);
	json_obj_end(b);
}

static void rl_fmt(uint64_t v, char *buf, size_t len)
{
	if (v == CFG_RLIM_INFINITY)
		snprintf(buf, len, "infinity");
	else
		snprintf(buf, len, "%" PRIu64, v);
}

/* "nofile=100:200 nice=5 ..." of what is configured (text and JSON alike). */
static void limits_fmt(struct jbuf *b, const struct cfg_sandbox *sb, bool json)
{
	char cur[24], max[24];

	for (int r = 0; r < CFG_RLIMIT_N; r++) {
		if (!sb->rlimit[r].set)
			continue;
		rl_fmt(sb->rlimit[r].cur, cur, sizeof(cur));
		rl_fmt(sb->rlimit[r].max, max, sizeof(max));
		if (json) {
			json_key(b, cfg_rlimit_key(r) + 7);
			jbuf_printf(b, "\"%s:%s\"", cur, max);
		} else {
			jbuf_printf(b, " %s=%s:%s", cfg_rlimit_key(r), cur, max);
		}
	}
}

static void affinity_fmt(struct jbuf *b, const struct cfg_sandbox *sb)
{
	bool first = true;

	for (int c = 0; c < CFG_CPU_MAX; c++) {
		int e = c;

		if (!(sb->affinity[c / 64] & (1ULL << (c % 64))))
			continue;
		while (e + 1 < CFG_CPU_MAX && (sb->affinity[(e + 1) / 64] & (1ULL << ((e + 1) % 64))))
			e++;
		jbuf_printf(b, e > c ? "%s%d-%d" : "%s%d", first ? "" : ",", c, e);
		first = false;
		c = e;
	}
}

static void json_opt_int(struct jbuf *b, const char *key, bool set, int64_t v)
{
	json_key(b, key);
	set ? json_int(b, v) : json_null(b);
}

static void ids_json(struct jbuf *b, const struct cfg_worker *c, const struct sb_seen *s)
{
	json_key(b, "user");
	json_str(b, c->user);
	json_key(b, "group");
	json_str(b, c->group);
	json_opt_int(b, "uid", s->live, s->uid);
	json_opt_int(b, "gid", s->live, s->gid);
	json_key(b, "groups");
	if (!s->live) {
		json_null(b);
		return;
	}
	json_arr_begin(b);
	for (int i = 0; i < s->n_groups; i++)
		json_int(b, s->groups[i]);
	json_arr_end(b);
}

static void ns_json(struct jbuf *b, const struct cfg_sandbox *sb, const struct sb_seen *s)
{
	json_key(b, "namespaces");
	json_arr_begin(b);
	if (s->live ? s->mnt_ns : mount_ns_configured(sb))
		json_str(b, "mount");
	if (s->live ? s->net_ns : sb->private_network)
		json_str(b, "network");
	json_arr_end(b);
	json_key(b, "private_tmp");
	json_bool(b, sb->private_tmp);
	json_key(b, "private_devices");
	json_bool(b, sb->private_devices);
	json_key(b, "private_network");
	json_bool(b, sb->private_network);
	json_key(b, "read_only_paths");
	strv_json(b, sb->read_only_paths);
	json_key(b, "inaccessible_paths");
	strv_json(b, sb->inaccessible_paths);
}

static void limits_json(struct jbuf *b, const struct cfg_sandbox *sb)
{
	char um[16];

	json_key(b, "umask");
	snprintf(um, sizeof(um), "%04o", (unsigned)(sb->umask >= 0 ? sb->umask : 0));
	json_str(b, sb->umask >= 0 ? um : NULL);
	json_opt_int(b, "nice", sb->nice_set, sb->nice);
	json_opt_int(b, "oom_score_adj", sb->oom_set, sb->oom_score_adj);
	json_key(b, "cpu_affinity");
	if (sb->affinity_set) {
		jbuf_puts(b, "\"");
		affinity_fmt(b, sb);
		jbuf_puts(b, "\"");
	} else {
		json_null(b);
	}
	json_key(b, "rlimits");
	json_obj_begin(b);
	limits_fmt(b, sb, true);
	json_obj_end(b);
}

/* w's configuration, with what its process shows in s; NULL: nothing to show. */
static const struct cfg_worker *seen_begin(struct ws *w, struct sb_seen *s)
{
	if (!w || !w->cfg)
		return NULL;
	seen_read(w, s);
	return &w->cfg->w;
}

void status_sandbox_json(struct jbuf *b, struct ws *w)
{
	struct sb_seen s;
	const struct cfg_worker *c = seen_begin(w, &s);

	if (!c)
		return;
	json_key(b, "sandbox");
	json_obj_begin(b);
	json_key(b, "source");
	json_str(b, s.live ? "process" : "config");
	ids_json(b, c, &s);
	json_key(b, "no_new_privs");
	json_bool(b, s.live ? s.nnp == 1 : c->no_new_privs);
	json_key(b, "capabilities");
	if (s.live)
		caps_json(b, s.cap_bnd);
	else if (sb_of(w)->caps_set)
		caps_json(b, sb_of(w)->caps);
	else
		json_null(b);
	json_key(b, "ambient");
	s.live ? caps_json(b, s.cap_amb) : json_null(b);
	json_key(b, "seccomp");
	seccomp_json(b, w, &s);
	ns_json(b, sb_of(w), &s);
	limits_json(b, sb_of(w));
	json_obj_end(b);
}

/* --- text ---------------------------------------------------------------- */

static void caps_text(struct jbuf *b, uint64_t mask)
{
	bool any = false;

	for (int c = 0; c < 64; c++) {
		if (!(mask & (1ULL << c)))
			continue;
		jbuf_printf(b, "%s%s", any ? "," : "", cfg_cap_name(c) ? cfg_cap_name(c) : "CAP_UNKNOWN");
		any = true;
	}
	if (!any)
		jbuf_puts(b, "none");
}

/* otpd's own sets: a worker's equal to them is shown as "as otpd". */
static void own_caps(struct sb_seen *s)
{
	char line[512];
	FILE *f = fopen("/proc/self/status", "re");

	memset(s, 0, sizeof(*s));
	while (f && fgets(line, sizeof(line), f))
		status_line(s, line);
	if (f)
		fclose(f);
}

static void caps_item(struct jbuf *b, const char *what, uint64_t mask, uint64_t own)
{
	jbuf_printf(b, "%s: ", what);
	if (mask == own && mask)
		jbuf_puts(b, "as otpd");
	else
		caps_text(b, mask);
}

static void ids_text(struct jbuf *b, const struct cfg_worker *c, const struct sb_seen *s)
{
	jbuf_printf(b, "  user          %s", c->user ? c->user : "(as otpd)");
	if (c->group)
		jbuf_printf(b, ", group %s", c->group);
	if (s->live) {
		jbuf_printf(b, ": uid %u, gid %u, groups ", s->uid, s->gid);
		for (int i = 0; i < s->n_groups; i++)
			jbuf_printf(b, "%s%u", i ? "," : "", s->groups[i]);
		if (s->n_groups == 0)
			jbuf_puts(b, "none");
	}
	jbuf_puts(b, "\n");
}

static void caps_line(struct jbuf *b, const struct cfg_sandbox *sb, const struct sb_seen *s)
{
	struct sb_seen own;

	jbuf_puts(b, "  capabilities  ");
	if (s->live) {
		own_caps(&own);
		caps_item(b, "bounding", s->cap_bnd, own.cap_bnd);
		caps_item(b, "; effective", s->cap_eff, own.cap_eff);
		caps_item(b, "; ambient", s->cap_amb, own.cap_amb);
	} else if (sb->caps_set) {
		jbuf_puts(b, "keeps: ");
		caps_text(b, sb->caps);
	} else {
		jbuf_puts(b, "unchanged");
	}
	jbuf_puts(b, "\n");
}

static void seccomp_text(struct jbuf *b, struct ws *w, const struct sb_seen *s)
{
	const struct cfg_worker *c = &w->cfg->w;
	const struct sb_filter *f = w->sb && w->sb->built ? &w->sb->filter : NULL;
	char act[32];

	jbuf_puts(b, "  seccomp       ");
	if (c->seccomp == CFG_SECCOMP_NONE) {
		jbuf_puts(b, s->live && s->seccomp == 2 ? "none from otpd (a filter is loaded)\n" : "none\n");
		return;
	}
	action_fmt(c, act, sizeof(act));
	jbuf_printf(b, "%s list", c->seccomp == CFG_SECCOMP_ALLOW ? "allow" : "deny");
	if (f)
		jbuf_printf(b, ", %u system calls", f->n_syscalls);
	jbuf_printf(b, ", action %s", act);
	for (unsigned i = 0; f && i < f->n_arches; i++)
		jbuf_printf(b, "%s%s", i ? " " : ", arches ", sb_arch_name(f->arches[i]));
	if (s->live)
		jbuf_puts(b, s->seccomp == 2 ? ", loaded" : ", NOT loaded");
	jbuf_puts(b, "\n");
}

static void strv_text(struct jbuf *b, const char *key, char *const *v)
{
	if (!v)
		return;
	jbuf_printf(b, " %s=", key);
	for (size_t i = 0; v[i]; i++)
		jbuf_printf(b, "%s%s", i ? "," : "", v[i]);
}

static void ns_text(struct jbuf *b, const struct cfg_sandbox *sb, const struct sb_seen *s)
{
	bool mnt = s->live ? s->mnt_ns : mount_ns_configured(sb);
	bool net = s->live ? s->net_ns : sb->private_network;

	jbuf_printf(b, "  namespaces    %s%s%s\n", mnt ? "mount" : "", mnt && net ? ", " : "",
		    net ? "network" : (mnt ? "" : "none"));
	if (!mount_ns_configured(sb) && !sb->private_network)
		return;
	jbuf_puts(b, "  isolation    ");
	if (sb->private_tmp)
		jbuf_puts(b, " private_tmp");
	if (sb->private_devices)
		jbuf_puts(b, " private_devices");
	if (sb->private_network)
		jbuf_puts(b, " private_network");
	strv_text(b, "read_only_paths", sb->read_only_paths);
	strv_text(b, "inaccessible_paths", sb->inaccessible_paths);
	jbuf_puts(b, "\n");
}

static void limits_text(struct jbuf *b, const struct cfg_sandbox *sb)
{
	size_t start;

	jbuf_puts(b, "  limits       ");
	start = b->len;
	limits_fmt(b, sb, false);
	if (sb->nice_set)
		jbuf_printf(b, " nice=%d", sb->nice);
	if (sb->oom_set)
		jbuf_printf(b, " oom_score_adj=%d", sb->oom_score_adj);
	if (sb->affinity_set) {
		jbuf_puts(b, " cpu_affinity=");
		affinity_fmt(b, sb);
	}
	if (sb->umask >= 0)
		jbuf_printf(b, " umask=%04o", (unsigned)sb->umask);
	if (b->len == start)
		jbuf_puts(b, " none");
	jbuf_puts(b, "\n");
}

void status_sandbox_text(struct jbuf *b, struct ws *w)
{
	struct sb_seen s;
	const struct cfg_worker *c = seen_begin(w, &s);

	if (!c)
		return;
	if (s.live)
		jbuf_printf(b, "sandbox of %s (in force in process %d):\n", sup_node_name(w->node),
			    (int)w->pid);
	else
		jbuf_printf(b, "sandbox of %s (as configured; not running):\n", sup_node_name(w->node));
	ids_text(b, c, &s);
	jbuf_printf(b, "  no_new_privs  %s\n", (s.live ? s.nnp == 1 : c->no_new_privs) ? "yes" : "no");
	caps_line(b, sb_of(w), &s);
	seccomp_text(b, w, &s);
	ns_text(b, sb_of(w), &s);
	limits_text(b, sb_of(w));
}
