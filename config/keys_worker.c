/*
 * keys_worker.c: what a worker runs and in which environment.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *set_str(char **dst, const char *v)
{
	char *copy = strdup(v);

	if (!copy)
		return cfg_oom;
	free(*dst);
	*dst = copy;
	return NULL;
}

const char *cfg_set_exec(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	struct cfg_worker *w = &p->node.w;
	char **argv;
	int argc, r;

	r = cfg_split_words(v, &argv, &argc);
	if (r == -ENOMEM)
		return cfg_oom;
	if (r < 0)
		return "unterminated quote or trailing backslash";
	if (argc == 0 || !argv[0][0]) {
		cfg_strv_free(argv);
		return argc ? "the program name is empty" : "expected a command";
	}
	cfg_strv_free(w->argv);
	w->argv = argv;
	w->argc = argc;
	return NULL;
}

const char *cfg_set_ready(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	struct cfg_worker *w = &p->node.w;
	int64_t fd;

	if (strcmp(v, "exec") == 0) {
		w->ready = CFG_READY_EXEC;
	} else if (strcmp(v, "notify") == 0) {
		w->ready = CFG_READY_NOTIFY;
	} else if (strncmp(v, "fd:", 3) == 0 &&
		   cfg_parse_int_range(v + 3, 3, CFG_READY_FD_MAX, &fd) == 0) {
		w->ready = CFG_READY_FD;
		w->ready_fd = (int)fd;
	} else {
		return "expected exec, notify or fd:N with N from 3 to 1023";
	}
	return NULL;
}

static const char *set_duration(int64_t *dst, const char *v)
{
	if (cfg_parse_duration(v, dst) < 0)
		return "expected a duration (250ms, 1.5s, 1min 30s, 2h, 1d; a bare number is ms)";
	return NULL;
}

const char *cfg_set_ready_timeout(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	return set_duration(&p->node.spec.ready_timeout_ms, v);
}

const char *cfg_set_restart_delay(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	return set_duration(&p->node.spec.restart_delay_ms, v);
}

const char *cfg_set_watchdog(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	return set_duration(&p->node.spec.watchdog_ms, v);
}

const char *cfg_set_user(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	if (!cfg_is_account(v))
		return "expected a user name or number";
	return set_str(&p->node.w.user, v);
}

const char *cfg_set_group(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	if (!cfg_is_account(v))
		return "expected a group name or number";
	return set_str(&p->node.w.group, v);
}

/* Repeatable; kept in file order, so for one KEY the last one wins. */
const char *cfg_set_env(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	const char *eq = strchr(v, '=');

	if (!eq || !util_is_env_name(v, (size_t)(eq - v)))
		return "expected KEY=VALUE with KEY a valid environment variable name";
	if (cfg_strv_push(&p->node.w.env, &p->node.w.n_env, v) < 0)
		return cfg_oom;
	return NULL;
}

/* "-/path" (systemd's EnvironmentFile=-): a missing file is not an error. */
const char *cfg_set_environment_file(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	if (!cfg_is_abs_path(v[0] == '-' ? v + 1 : v))
		return "expected an absolute path (prefixed with - when the file is optional)";
	return set_str(&p->node.w.environment_file, v);
}

const char *cfg_set_workdir(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	if (!cfg_is_abs_path(v))
		return "expected an absolute path";
	return set_str(&p->node.w.workdir, v);
}

static const char *set_bool(bool *dst, const char *v)
{
	if (cfg_parse_bool(v, dst) < 0)
		return "expected true or false";
	return NULL;
}

const char *cfg_set_clear_env(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	return set_bool(&p->node.w.clear_env, v);
}

const char *cfg_set_mailbox(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	return set_bool(&p->node.w.mailbox, v);
}

/* How a reload replaces its process when a process-level key changed. */
const char *cfg_set_upgrade(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	if (strcmp(v, "restart") == 0)
		p->node.w.upgrade_overlap = false;
	else if (strcmp(v, "overlap") == 0)
		p->node.w.upgrade_overlap = true;
	else
		return "expected restart or overlap";
	return NULL;
}

/* handover = true: an overlapping restart hands the state over (otp_mailbox.h). */
const char *cfg_set_handover(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	return set_bool(&p->node.w.handover, v);
}

const char *cfg_set_mailbox_backlog(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	int64_t n;

	if (cfg_parse_int_range(v, 1, 65535, &n) < 0)
		return "expected a number from 1 to 65535";
	p->node.w.mailbox_backlog = (int)n;
	return NULL;
}

/* Octal, as chmod takes it; the owner (root) always keeps read and write. */
const char *cfg_set_mailbox_mode(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	char *end;
	unsigned long m;

	errno = 0;
	m = strtoul(v, &end, 8);
	if (!*v || *end || errno || m > 0777 || (m & 0600) != 0600)
		return "expected an octal mode from 0600 to 0777, as 0660";
	p->node.w.mailbox_mode = (unsigned)m;
	return NULL;
}

const char *cfg_set_mailbox_group(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	if (!cfg_is_account(v))
		return "expected a group name or number";
	return set_str(&p->node.w.mailbox_group, v);
}

/* Names of other nodes, checked once the tree is known (validate.c). */
const char *cfg_set_monitors(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	struct cfg_worker *w = &p->node.w;
	char **names;
	int n;

	if (cfg_split_list(v, &names, &n) < 0)
		return cfg_oom;
	for (int i = 0; i < n; i++) {
		const char *why;

		if (!sup_name_valid(names[i], &why)) {
			cfg_strv_free(names);
			return "expected names of nodes (" SUP_NAME_RULE ")";
		}
		for (int j = 0; j < i; j++) {
			if (strcmp(names[i], names[j]) == 0) {
				cfg_strv_free(names);
				return "a node is named twice";
			}
		}
	}
	cfg_strv_free(w->monitors);
	w->monitors = names;
	w->n_monitors = n;
	return NULL;
}

const char *cfg_set_ping(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	return set_duration(&p->node.w.ping_ms, v);
}

const char *cfg_set_ping_timeout(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	int64_t ms;

	if (cfg_parse_duration(v, &ms) < 0 || ms <= 0)
		return "expected a duration above 0 (250ms, 1.5s, 1min; a bare number is ms)";
	p->node.w.ping_timeout_ms = ms;
	return NULL;
}

const char *cfg_set_no_new_privs(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	return set_bool(&p->node.w.no_new_privs, v);
}

static const char *set_output(struct cfg_output_spec *o, const char *v, bool is_err)
{
	const char *msg;

	if (is_err && strcmp(v, "stdout") == 0)
		o->mode = CFG_OUT_STDOUT;
	else if (strcmp(v, "log") == 0)
		o->mode = CFG_OUT_LOG;
	else if (strcmp(v, "inherit") == 0)
		o->mode = CFG_OUT_INHERIT;
	else if (strcmp(v, "null") == 0)
		o->mode = CFG_OUT_NULL;
	else if (strncmp(v, "file:", 5) == 0 && cfg_is_abs_path(v + 5))
		o->mode = CFG_OUT_FILE;
	else if (strncmp(v, "worker:", 7) == 0 && v[7])
		o->mode = CFG_OUT_WORKER;
	else if (is_err)
		return "expected log, stdout, inherit, null, file:/ABSOLUTE/PATH or worker:NAME";
	else
		return "expected log, inherit, null, file:/ABSOLUTE/PATH or worker:NAME";
	if (o->mode != CFG_OUT_FILE && o->mode != CFG_OUT_WORKER)
		return NULL;
	msg = set_str(&o->path, v + (o->mode == CFG_OUT_FILE ? 5 : 7));
	if (msg)
		o->mode = CFG_OUT_LOG;
	return msg;
}

const char *cfg_set_stdout(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	return set_output(&p->node.w.out, v, false);
}

const char *cfg_set_stderr(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	p->err_set = true;
	return set_output(&p->node.w.err, v, true);
}

const char *cfg_set_log_max_size(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	int64_t n;

	if (strcmp(v, "infinity") == 0) {
		p->node.w.log_max_size = 0;
		return NULL;
	}
	if (cfg_parse_size(v, &n) < 0 || n < 0)
		return "expected a size (10M, 512K ...) or infinity";
	p->node.w.log_max_size = n;
	return NULL;
}

const char *cfg_set_log_keep(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	int64_t n;

	if (cfg_parse_int_range(v, 0, 1000, &n) < 0)
		return "expected an integer from 0 to 1000";
	p->node.w.log_keep = (int)n;
	return NULL;
}
