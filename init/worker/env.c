/*
 * env.c: the environment a worker starts with.  Built in otpd before
 * the clone, so the child only has to exec.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core.h"
#include "spawn.h"

extern char **environ;

struct envv {
	char **v;
	size_t n, cap;
};

static int env_set(struct envv *e, const char *kv)
{
	size_t klen = strcspn(kv, "=");
	char *copy = strdup(kv);

	if (!copy)
		return -ENOMEM;
	for (size_t i = 0; i < e->n; i++) {
		if (strncmp(e->v[i], kv, klen) == 0 && e->v[i][klen] == '=') {
			free(e->v[i]);
			e->v[i] = copy;
			return 0;
		}
	}
	if (e->n + 2 > e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 32;
		char **v = realloc(e->v, cap * sizeof(*v));

		if (!v) {
			free(copy);
			return -ENOMEM;
		}
		e->v = v;
		e->cap = cap;
	}
	e->v[e->n++] = copy;
	e->v[e->n] = NULL;
	return 0;
}

static int env_setf(struct envv *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int env_setf(struct envv *e, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int r;

	/* On the heap, not a 4 KiB stack buffer kept by otpd's stack. */
	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = env_set(e, s);
	free(s);
	return r;
}

static int env_file_var(const char *kv, void *data)
{
	return env_set(data, kv);
}

/* KEY=VALUE lines (config/env_file.c parses them, whole, up to 1 MiB). */
static int env_file(struct envv *e, const char *path)
{
	return cfg_env_file_load(path, env_file_var, e);
}

/* otpd's own HOME, USER, LOGNAME, SHELL: the child sets the worker user's. */
static bool identity_var(const char *kv)
{
	static const char *const keys[] = { "HOME=", "USER=", "LOGNAME=", "SHELL=" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strncmp(kv, keys[i], strlen(keys[i])) == 0)
			return true;
	return false;
}

void spawn_env_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

/*
 * Build the environment of `w`: otpd's own (unless clear_env), then
 * environment_file, then env= lines, then what otpd adds.  Returns 0 and
 * *ret_env, or -errno with *ret_why naming the step.
 */
int spawn_env_build(struct ws *w, char ***ret_env, const char **ret_why)
{
	const struct cfg_worker *c = &w->cfg->w;
	struct envv e = { 0 };
	int r = 0;

	for (char **p = environ; !c->clear_env && p && *p && r == 0; p++)
		if (strncmp(*p, "NOTIFY_SOCKET=", 14) && strncmp(*p, "LISTEN_", 7) &&
		    strncmp(*p, "WATCHDOG_", 9) &&
		    strncmp(*p, "OTP_TAKING_OVER=", 16) && strncmp(*p, "OTP_HANDOVER_", 13) && !(c->user && identity_var(*p)))
			r = env_set(&e, *p);
	if (r == 0 && c->environment_file) {
		/* "-PATH": a missing file is fine (systemd's EnvironmentFile=-). */
		bool optional = c->environment_file[0] == '-';

		r = env_file(&e, c->environment_file + optional);
		if (r == -ENOENT && optional)
			r = 0;
		if (r < 0)
			*ret_why = "environment_file";
	}
	for (int i = 0; r == 0 && i < c->n_env; i++)
		r = env_set(&e, c->env[i]);
	if (r == 0 && (c->ready == CFG_READY_NOTIFY || sup_node_spec(w->node)->watchdog_ms > 0) &&
	    notify_path())
		r = env_setf(&e, "NOTIFY_SOCKET=%s", notify_path());
	if (r == 0 && sup_node_spec(w->node)->watchdog_ms > 0)
		r = env_setf(&e, "WATCHDOG_USEC=%lld", (long long)sup_node_spec(w->node)->watchdog_ms * 1000);
	if (r == 0)
		r = env_setf(&e, "OTP_NAME=%s", sup_node_name(w->node));
	if (r == 0)
		r = env_setf(&e, "OTP_MAILBOX_DIR=%s/mailbox", core_config()->otpd.run_dir);
	/* The second process of an overlapping restart (otpd(8)). */
	if (r == 0 && w->is_twin)
		r = env_set(&e, "OTP_TAKING_OVER=1");
	if (r == 0 && w->is_twin && w->ho_fd >= 0)
		r = env_setf(&e, "OTP_HANDOVER_FD=%d", CHILD_HANDOVER_FD(c));
	/* sd_listen_fds(3): the child writes its own pid into LISTEN_PID's room. */
	if (r == 0 && c->mailbox && (r = env_set(&e, "LISTEN_FDS=1")) == 0 &&
	    (r = env_set(&e, "LISTEN_FDNAMES=mailbox")) == 0)
		r = env_set(&e, "LISTEN_PID=" SPAWN_PID_ROOM);
	if (r < 0) {
		if (!*ret_why)
			*ret_why = "environment";
		spawn_env_free(e.v);
		return r;
	}
	*ret_env = e.v;
	return 0;
}
