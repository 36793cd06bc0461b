/*
 * keys_otpd.c: the [otpd] section.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *set_path(char **dst, const char *v)
{
	char *copy;

	if (!cfg_is_abs_path(v))
		return "expected an absolute path";
	copy = strdup(v);
	if (!copy)
		return cfg_oom;
	free(*dst);
	*dst = copy;
	return NULL;
}

const char *cfg_set_run_dir(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	return set_path(&x->cfg->otpd.run_dir, v);
}

const char *cfg_set_socket(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	return set_path(&x->cfg->otpd.socket, v);
}

const char *cfg_set_cgroup_base(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	return set_path(&x->cfg->otpd.cgroup_base, v);
}

/* A user or group name or number: one word, printable. */
bool cfg_is_account(const char *v)
{
	if (!*v)
		return false;
	for (const unsigned char *s = (const unsigned char *)v; *s; s++)
		if (*s <= ' ' || *s == 0x7f || *s == ':')
			return false;
	return true;
}

const char *cfg_set_control_group(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	char *copy;

	if (!cfg_is_account(v))
		return "expected a group name or number";
	copy = strdup(v);
	if (!copy)
		return cfg_oom;
	free(x->cfg->otpd.control_group);
	x->cfg->otpd.control_group = copy;
	return NULL;
}

const char *cfg_set_cgroup(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	if (strcmp(v, "auto") == 0)
		x->cfg->otpd.cgroup = CFG_CGROUP_AUTO;
	else if (strcmp(v, "required") == 0)
		x->cfg->otpd.cgroup = CFG_CGROUP_REQUIRED;
	else if (strcmp(v, "off") == 0)
		x->cfg->otpd.cgroup = CFG_CGROUP_OFF;
	else
		return "expected auto, required or off";
	return NULL;
}

const char *cfg_set_shutdown_grace(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	if (cfg_parse_duration(v, &x->cfg->otpd.shutdown_grace_ms) < 0)
		return "expected a duration";
	return NULL;
}

const char *cfg_set_log_lines(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	int64_t n;

	if (cfg_parse_int_range(v, 1, 1000000, &n) < 0)
		return "expected an integer from 1 to 1000000";
	x->cfg->otpd.log_lines = (unsigned)n;
	return NULL;
}

/* events = worker:NAME (the worker is checked once the tree is known). */
const char *cfg_set_events(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	const char *name = v + strlen("worker:"), *why;
	char *copy;

	if (strncmp(v, "worker:", strlen("worker:")) != 0)
		return "expected worker:NAME";
	if (!sup_name_valid(name, &why))
		return why;
	if (!(copy = strdup(name)))
		return cfg_oom;
	free(x->cfg->otpd.events_worker);
	x->cfg->otpd.events_worker = copy;
	return NULL;
}

const char *cfg_set_log_target(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	if (strcmp(v, "auto") == 0)
		x->cfg->otpd.log_target = CFG_LOG_AUTO;
	else if (strcmp(v, "stdout") == 0)
		x->cfg->otpd.log_target = CFG_LOG_STDOUT;
	else if (strcmp(v, "journal") == 0)
		x->cfg->otpd.log_target = CFG_LOG_JOURNAL;
	else
		return "expected auto, stdout or journal";
	return NULL;
}
