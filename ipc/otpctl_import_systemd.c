/*
 * otpctl_import_systemd.c: a systemd service unit as an otp.conf worker.
 *
 * The unit becomes one worker named after the file (web.service: web)
 * under a one_for_one root whose restart intensity is the unit's start
 * limit (StartLimitBurst= in StartLimitIntervalSec=, systemd's 5 in 10 s
 * by default).  [Service] keys with an equivalent are mapped (the
 * table below and otpctl_import_sd_keys.c); everything else, [Unit]'s
 * dependencies and [Install] included, is kept as a comment saying why.
 * Specifiers that depend only on the unit's name are expanded.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otpctl_import.h"

#define SD_STOP_DEFAULT_MS 90000        /* DefaultTimeoutStopSec= */
#define SD_BURST_DEFAULT 5              /* DefaultStartLimitBurst= */
#define SD_INTERVAL_DEFAULT_MS 10000    /* DefaultStartLimitIntervalSec= */

static const struct imp_section *sd_section(const struct imp_ini *ini, const char *name)
{
	for (size_t i = 0; i < ini->n; i++)
		if (strcmp(ini->s[i].name, name) == 0)
			return &ini->s[i];
	return NULL;
}

/* The last value of `key` in `s`, NULL when absent or reset (Key=). */
const char *imp_sd_get(const struct imp_section *s, const char *key)
{
	const char *v = NULL;

	for (size_t i = 0; s && i < s->n; i++)
		if (strcmp(s->kv[i].key, key) == 0)
			v = s->kv[i].value[0] ? s->kv[i].value : NULL;
	return v;
}

/* The root: one_for_one, with the unit's start limit as its intensity. */
static void sd_root(struct imp_conf *c, const struct imp_section *unit, const struct imp_section *svc)
{
	struct imp_node *root = imp_root(c);
	const char *burst = imp_sd_get(unit, "StartLimitBurst") ?: imp_sd_get(svc, "StartLimitBurst");
	const char *ival = imp_sd_get(unit, "StartLimitIntervalSec") ?:
			   imp_sd_get(svc, "StartLimitInterval");
	int64_t ms = SD_INTERVAL_DEFAULT_MS;
	char *end, buf[32];
	long n = burst ? strtol(burst, &end, 10) : SD_BURST_DEFAULT;

	if (burst && (*end || n < 0))
		n = SD_BURST_DEFAULT;
	if (ival && (imp_timespan_ms(ival, &ms) < 0 || ms <= 0))
		ms = SD_INTERVAL_DEFAULT_MS;
	imp_set(root, "strategy", "one_for_one");
	imp_comment(root, "the unit's start limit%s: give up after %ld restarts in %s",
		    burst || ival ? "" : " (systemd's default)", n,
		    imp_duration(ms, buf, sizeof(buf)));
	imp_set(root, "intensity", "%ld", n);
	imp_set(root, "period", "%s", buf);
}

/* [Unit]: the description as a comment, the rest unmapped. */
static void sd_unit(struct imp_node *w, const struct imp_section *unit)
{
	for (size_t i = 0; unit && i < unit->n; i++) {
		const char *k = unit->kv[i].key, *v = unit->kv[i].value;

		if (strcmp(k, "Description") == 0 || strcmp(k, "Documentation") == 0)
			imp_comment(w, "%s: %s", k, v);
		else if (strncmp(k, "StartLimit", 10) == 0)
			continue;       /* the root's intensity and period */
		else if (strcmp(k, "After") == 0 || strcmp(k, "Before") == 0 ||
			 strcmp(k, "Requires") == 0 || strcmp(k, "Wants") == 0 ||
			 strcmp(k, "BindsTo") == 0 || strcmp(k, "PartOf") == 0)
			imp_unmapped(w, k, v, "the order of sections is the start order; a worker "
					      "that needs another goes after it (rest_for_one to "
					      "restart it with it)");
		else
			imp_unmapped(w, k, v, "no equivalent in otpd");
	}
}

static int sd_exec(struct imp_node *w, const struct imp_section *svc)
{
	const char *cmd = imp_sd_get(svc, "ExecStart");
	char **words = NULL, *exec;
	size_t n = 0, skip;
	bool shell;
	int r;

	if (!cmd) {
		fprintf(stderr, "otpctl: import: %s: no ExecStart= in [Service]\n", svc->file);
		return -EINVAL;
	}
	/* Prefixes: - (failure ignored), @ (argv[0]), : (no expansion), + ! !! (privileges). */
	skip = strspn(cmd, "-@:+!");
	if (skip)
		imp_comment(w, "ExecStart prefix %.*s: no equivalent, left out", (int)skip, cmd);
	if ((r = imp_sd_words(cmd + skip, &words, &n)) < 0 || n == 0) {
		imp_words_free(words);
		if (r == -ENOMEM)
			return r;
		fprintf(stderr, "otpctl: import: %s: ExecStart= %s: %s\n", svc->file, cmd,
			n == 0 && r == 0 ? "empty" : "an unterminated quote");
		return -EINVAL;
	}
	exec = imp_sd_exec(words, n, &shell);
	imp_words_free(words);
	if (!exec)
		return -ENOMEM;
	if (shell)
		imp_comment(w, "ExecStart uses variables: exec expands none, /bin/sh does");
	imp_set(w, "exec", "%s", exec);
	free(exec);
	return 0;
}

/* restart (systemd's default Restart=no: temporary) and ready (Type=). */
static void sd_restart_ready(struct imp_sd_ctx *x, const struct imp_section *svc)
{
	const char *restart = imp_sd_get(svc, "Restart");
	const char *type = imp_sd_get(svc, "Type") ?: "simple";

	if (!restart || strcmp(restart, "no") == 0) {
		imp_comment(x->w, "Restart=no%s: never restarted, and a temporary worker leaves the "
				  "tree when it ends", restart ? "" : " (systemd's default)");
		imp_set(x->w, "restart", "temporary");
	} else if (strcmp(restart, "always") == 0) {
		imp_set(x->w, "restart", "permanent");
	} else if (strncmp(restart, "on-", 3) == 0 && strcmp(restart, "on-success") != 0) {
		if (strcmp(restart, "on-failure") != 0)
			imp_comment(x->w, "Restart=%s: transient restarts after any unclean exit", restart);
		imp_set(x->w, "restart", "transient");
	} else {
		imp_unmapped(x->w, "Restart", restart, "no equivalent restart type");
	}
	x->notify = strcmp(type, "notify") == 0 || strcmp(type, "notify-reload") == 0;
	if (x->notify)
		imp_set(x->w, "ready", "notify");
	else if (strcmp(type, "oneshot") == 0)
		imp_comment(x->w, "Type=oneshot: otpd does not wait for it to end before starting "
				  "the next worker");
	else if (strcmp(type, "forking") == 0)
		imp_comment(x->w, "Type=forking: otpd supervises the process it starts; run the "
				  "program in the foreground (its --foreground or -D option)");
	else if (strcmp(type, "simple") != 0 && strcmp(type, "exec") != 0)
		imp_unmapped(x->w, "Type", type, "ready = exec is used");
}

static void sd_shutdown_default(struct imp_sd_ctx *x, const struct imp_section *svc)
{
	if (imp_sd_get(svc, "TimeoutStopSec") || imp_sd_get(svc, "TimeoutSec"))
		return;
	imp_comment(x->w, "TimeoutStopSec=90s (systemd's default)");
	imp_set(x->w, "shutdown", "90s");
}

/* Every key of [Service] but those done above, then the other sections. */
static void sd_walk(struct imp_sd_ctx *x, const struct imp_ini *ini)
{
	for (size_t i = 0; i < ini->n; i++) {
		const struct imp_section *s = &ini->s[i];

		if (strcmp(s->name, "Unit") == 0)
			continue;
		for (size_t j = 0; j < s->n; j++) {
			bool unknown;
			char *v = imp_sd_specifiers(s->kv[j].value, x->unit, &unknown);

			if (!v) {
				imp_comment(x->w, "out of memory");
				continue;
			}
			if (unknown)
				imp_comment(x->w, "%s: a specifier that depends on more than the "
						  "unit's name, kept as is", s->kv[j].key);
			if (strcmp(s->name, "Service") == 0)
				imp_sd_key(x, s->kv[j].key, v);
			else if (strcmp(s->name, "Install") == 0)
				imp_unmapped(x->w, s->kv[j].key, v, "otpd starts every worker of its "
								    "tree: enable otpd.service");
			else
				imp_unmapped(x->w, s->kv[j].key, v, "not a [Service] key");
			free(v);
		}
	}
}

int imp_systemd(struct imp_conf *c, const char *path)
{
	struct imp_ini ini = { 0 };
	struct imp_sd_ctx x = { .c = c };
	const struct imp_section *svc;
	char file[4096], base[4096], name[4096];
	int r;

	snprintf(file, sizeof(file), "%s", strcmp(path, "-") == 0 ? "service.service" : path);
	snprintf(base, sizeof(base), "%s", basename(file));
	snprintf(name, sizeof(name), "%s", base);
	if (strrchr(name, '.') && strcmp(strrchr(name, '.'), ".service") == 0)
		*strrchr(name, '.') = '\0';
	x.unit = base;
	if ((r = imp_ini_load(&ini, path, IMP_INI_SYSTEMD)) < 0)
		goto out;
	svc = sd_section(&ini, "Service");
	r = -EINVAL;
	if (!svc) {
		fprintf(stderr, "otpctl: import: %s: no [Service] section\n", path);
		goto out;
	}
	imp_note(c, "The unit is one worker; [Unit] dependencies order sections, nothing else.");
	sd_root(c, sd_section(&ini, "Unit"), svc);
	r = -ENOMEM;
	if (!(x.w = imp_node_add(c, name, false, NULL)))
		goto out;
	sd_unit(x.w, sd_section(&ini, "Unit"));
	if ((r = sd_exec(x.w, svc)) < 0)
		goto out;
	sd_restart_ready(&x, svc);
	sd_shutdown_default(&x, svc);
	sd_walk(&x, &ini);
out:
	imp_ini_free(&ini);
	return r;
}
