/*
 * otpctl_import_sd_keys.c: the [Service] keys of a systemd unit, one by
 * one, as otp.conf worker keys (mapped) or comments (why not).
 *
 * A value is written only when it is valid for otp.conf as well; one that
 * is not is kept as a comment instead, so the result always passes
 * `otpd --check`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otpctl_import.h"

typedef void (*sd_fn)(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v);

/* --- value kinds ---------------------------------------------------------- */

static void sd_duration(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v)
{
	int64_t ms;
	char buf[32];

	if (imp_timespan_ms(v, &ms) < 0)
		imp_unmapped(x->w, key, v, "not a time span");
	else if (ms < 0 && strcmp(otp, "shutdown") == 0)
		imp_set(x->w, otp, "infinity");
	else if (ms < 0 || (ms == 0 && strcmp(otp, "restart_delay") != 0))
		imp_unmapped(x->w, key, v, "no limit is otpd's default");
	else
		imp_set(x->w, otp, "%s", imp_duration(ms, buf, sizeof(buf)));
}

static void sd_timeout_start(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v)
{
	if (x->notify)
		sd_duration(x, "ready_timeout", key, v);
	else
		imp_unmapped(x->w, key, v, "ready = exec: a worker is started once its exec succeeded");
}

static void sd_timeout(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v)
{
	sd_timeout_start(x, otp, key, v);
	sd_duration(x, "shutdown", key, v);
}

static void sd_string(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v)
{
	imp_set(x->w, otp, "%s", v);
}

static void sd_boolean(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v)
{
	bool b;

	if (imp_bool(v, &b))
		imp_set(x->w, otp, "%s", b ? "true" : "false");
	else
		imp_unmapped(x->w, key, v, "not a boolean otpd knows (yes or no)");
}

/* A number in [lo, hi] ("infinity" as max for pids_max). */
static void sd_number(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v,
		      long lo, long hi)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (strcmp(v, "infinity") == 0 && strcmp(otp, "pids_max") == 0)
		imp_set(x->w, otp, "max");
	else if (end == v || *end || n < lo || n > hi)
		imp_unmapped(x->w, key, v, "not a number otpd takes here");
	else
		imp_set(x->w, otp, "%ld", n);
}

static void sd_nice(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v)
{
	sd_number(x, otp, key, v, -20, 19);
}

static void sd_oom(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v)
{
	sd_number(x, otp, key, v, -1000, 1000);
}

static void sd_weight(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v)
{
	sd_number(x, otp, key, v, 1, 10000);
}

static void sd_pids(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v)
{
	sd_number(x, otp, key, v, 1, 1L << 30);
}

static void sd_size(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v)
{
	char buf[32];

	if (strcmp(v, "infinity") == 0)
		imp_set(x->w, otp, "max");
	else if (imp_size(v, buf, sizeof(buf)))
		imp_set(x->w, otp, "%s", buf);
	else
		imp_unmapped(x->w, key, v, "not a size otpd takes (bytes, K, M, G, T)");
}

static void sd_cpu_quota(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v)
{
	size_t d = strspn(v, "0123456789");

	if (d > 0 && d < 7 && v[d] == '%' && !v[d + 1] && strtol(v, NULL, 10) > 0)
		imp_set(x->w, otp, "%s", v);
	else
		imp_unmapped(x->w, key, v, "not a percentage");
}

/* CPU lists: systemd separates with spaces or commas, otp.conf with commas. */
static void sd_cpus(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v)
{
	char *list = strdup(v);
	size_t n = 0;

	if (!list || strspn(v, "0123456789-, ") != strlen(v) || !*v) {
		imp_unmapped(x->w, key, v, "not a list of CPU numbers and ranges");
		free(list);
		return;
	}
	for (const char *p = v; *p; p++)
		if (*p != ' ' || (n > 0 && list[n - 1] != ','))
			list[n++] = *p == ' ' ? ',' : *p;
	while (n > 0 && list[n - 1] == ',')
		n--;
	list[n] = '\0';
	imp_set(x->w, otp, "%s", list);
	free(list);
}

static void sd_octal(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v)
{
	if (*v && strspn(v, "01234567") == strlen(v) && strlen(v) <= 4)
		imp_set(x->w, otp, "%s", v);
	else
		imp_unmapped(x->w, key, v, "not an octal mode");
}

static void sd_signal(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v)
{
	const char *sig = imp_signal(v);

	if (sig)
		imp_set(x->w, otp, "%s", sig);
	else
		imp_unmapped(x->w, key, v, "not a signal otpd knows");
}

/* A resource limit: numbers, K/M/G/T, "infinity", SOFT:HARD. */
static void sd_rlimit(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v)
{
	const char *p = v;
	bool ok = *v != '\0';

	while (ok && *p) {
		size_t len = strcspn(p, ":");

		ok = (len == 8 && strncmp(p, "infinity", 8) == 0) ||
		     (len > 0 && strspn(p, "0123456789") >= len - 1 &&
		      (strspn(p, "0123456789") == len || strchr("KMGT", p[len - 1])));
		p += len + (p[len] == ':');
	}
	if (ok)
		imp_set(x->w, otp, "%s", v);
	else
		imp_unmapped(x->w, key, v, "not a limit otpd takes (a number, K/M/G/T, infinity, "
					   "SOFT:HARD)");
}

/* --- lists ---------------------------------------------------------------- */

/* Apply `fn` to each word of v (systemd's splitting); false: bad quoting. */
static bool sd_each_word(const char *v, void (*fn)(struct imp_sd_ctx *x, const char *w, void *d),
			 struct imp_sd_ctx *x, void *d)
{
	char **words = NULL;
	size_t n = 0;

	if (imp_sd_words(v, &words, &n) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		fn(x, words[i], d);
	imp_words_free(words);
	return true;
}

static void sd_env_word(struct imp_sd_ctx *x, const char *w, void *d)
{
	const char *eq = strchr(w, '=');

	if (eq && util_is_env_name(w, (size_t)(eq - w)))
		imp_set(x->w, "env", "%s", w);
	else
		imp_comment(x->w, "Environment: %s is not NAME=VALUE, left out", w);
}

static void sd_environment(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v)
{
	if (!sd_each_word(v, sd_env_word, x, NULL))
		imp_unmapped(x->w, key, v, "an unterminated quote");
}

static void sd_environment_file(struct imp_sd_ctx *x, const char *otp, const char *key,
				const char *v)
{
	if (x->envfile)
		imp_unmapped(x->w, key, v, "otp.conf takes one environment_file");
	else if (v[v[0] == '-'] != '/')
		imp_unmapped(x->w, key, v, "not an absolute path");
	else
		imp_set(x->w, otp, "%s", v);
	x->envfile = true;
}

static void sd_workdir(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v)
{
	if (v[0] == '-') {
		imp_comment(x->w, "WorkingDirectory=%s: otpd fails the start when it is missing", v);
		v++;
	}
	if (v[0] == '/')
		imp_set(x->w, otp, "%s", v);
	else
		imp_unmapped(x->w, key, v, "otp.conf takes an absolute path (~ is the user's home "
					   "under systemd)");
}

/* Paths: systemd's "-" (ignore a missing one) and "+" prefixes dropped. */
static void sd_paths(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v)
{
	char *list = strdup(v), *o = list;

	if (!list)
		return;
	for (const char *p = v; *p;) {
		p += strspn(p, " \t");
		p += strspn(p, "-+");
		size_t len = strcspn(p, " \t");

		if (!len)
			break;
		o += sprintf(o, "%s%.*s", o == list ? "" : " ", (int)len, p);
		p += len;
	}
	if (strcmp(list, v) != 0)
		imp_comment(x->w, "%s=%s: the - and + prefixes have no equivalent", key, v);
	if (list[0])
		imp_set(x->w, otp, "%s", list);
	free(list);
}

static void sd_success_word(struct imp_sd_ctx *x, const char *w, void *d)
{
	char *list = d, *end;
	long n = strtol(w, &end, 10);
	const char *sig = (*end || end == w) ? imp_signal(w) : NULL;

	if ((!*end && end != w && n >= 0 && n <= 255) || sig)
		snprintf(list + strlen(list), 256 - strlen(list), "%s%s", list[0] ? " " : "",
			 sig ? sig : w);
	else
		imp_comment(x->w, "SuccessExitStatus: %s is neither an exit code nor a signal, "
				  "left out", w);
}

static void sd_success(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v)
{
	char list[256] = "";

	if (sd_each_word(v, sd_success_word, x, list) && list[0])
		imp_set(x->w, otp, "%s", list);
}

static void sd_output(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v)
{
	if (strcmp(v, "null") == 0)
		imp_set(x->w, otp, "null");
	else if (strcmp(v, "inherit") == 0 || strncmp(v, "journal", 7) == 0 ||
		 strcmp(v, "syslog") == 0 || strcmp(v, "kmsg") == 0)
		imp_comment(x->w, "%s=%s: otpd keeps the lines (otpctl logs) and writes them to "
				  "its own %s, the journal under systemd", key, v, otp);
	else if (strncmp(v, "append:/", 8) == 0 || strncmp(v, "file:/", 6) == 0)
		imp_set(x->w, otp, "file:%s", strchr(v, ':') + 1);
	else
		imp_unmapped(x->w, key, v, "no equivalent output");
}

/* Capabilities: one list in otp.conf (bounding set, and ambient for non-root). */
static void sd_caps(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v)
{
	bool ok = v[0] != '~' && *v;

	for (const char *p = v; ok && *p; p++)
		ok = (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == ' ';
	if (x->caps)
		imp_unmapped(x->w, key, v, "otp.conf's capabilities is one list, already set");
	else if (!ok)
		imp_unmapped(x->w, key, v, "only a list of CAP_ names maps (no ~)");
	else
		imp_set(x->w, otp, "%s", v);
	x->caps = x->caps || ok;
}

static void sd_kill_mode(struct imp_sd_ctx *x, const char *otp, const char *key, const char *v)
{
	imp_comment(x->w, "KillMode=%s: otpd always stops the worker's whole cgroup (as "
			  "control-group)%s", v, strcmp(v, "control-group") == 0 ? "" : ", no equivalent");
}

/* --- the table ------------------------------------------------------------ */

static const struct {
	const char *key, *otp;
	sd_fn fn;
} sd_keys[] = {
	{ "User", "user", sd_string },
	{ "Group", "group", sd_string },
	{ "SupplementaryGroups", "supplementary_groups", sd_string },
	{ "WorkingDirectory", "workdir", sd_workdir },
	{ "Environment", "env", sd_environment },
	{ "EnvironmentFile", "environment_file", sd_environment_file },
	{ "UMask", "umask", sd_octal },
	{ "Nice", "nice", sd_nice },
	{ "OOMScoreAdjust", "oom_score_adj", sd_oom },
	{ "CPUAffinity", "cpu_affinity", sd_cpus },
	{ "RestartSec", "restart_delay", sd_duration },
	{ "WatchdogSec", "watchdog", sd_duration },
	{ "TimeoutStopSec", "shutdown", sd_duration },
	{ "TimeoutStartSec", "ready_timeout", sd_timeout_start },
	{ "TimeoutSec", "shutdown", sd_timeout },
	{ "KillSignal", "stop_signal", sd_signal },
	{ "KillMode", NULL, sd_kill_mode },
	{ "SuccessExitStatus", "success_exit", sd_success },
	{ "StandardOutput", "stdout", sd_output },
	{ "StandardError", "stderr", sd_output },
	{ "NoNewPrivileges", "no_new_privs", sd_boolean },
	{ "PrivateTmp", "private_tmp", sd_boolean },
	{ "PrivateDevices", "private_devices", sd_boolean },
	{ "PrivateNetwork", "private_network", sd_boolean },
	{ "ReadOnlyPaths", "read_only_paths", sd_paths },
	{ "InaccessiblePaths", "inaccessible_paths", sd_paths },
	{ "CapabilityBoundingSet", "capabilities", sd_caps },
	{ "AmbientCapabilities", "capabilities", sd_caps },
	{ "MemoryMax", "memory_max", sd_size },
	{ "MemoryLimit", "memory_max", sd_size },
	{ "MemoryHigh", "memory_high", sd_size },
	{ "MemorySwapMax", "memory_swap_max", sd_size },
	{ "CPUQuota", "cpu_max", sd_cpu_quota },
	{ "CPUWeight", "cpu_weight", sd_weight },
	{ "IOWeight", "io_weight", sd_weight },
	{ "TasksMax", "pids_max", sd_pids },
	{ "AllowedCPUs", "cpuset_cpus", sd_cpus },
	{ "LimitCPU", "rlimit_cpu", sd_rlimit },
	{ "LimitFSIZE", "rlimit_fsize", sd_rlimit },
	{ "LimitDATA", "rlimit_data", sd_rlimit },
	{ "LimitSTACK", "rlimit_stack", sd_rlimit },
	{ "LimitCORE", "rlimit_core", sd_rlimit },
	{ "LimitRSS", "rlimit_rss", sd_rlimit },
	{ "LimitNOFILE", "rlimit_nofile", sd_rlimit },
	{ "LimitAS", "rlimit_as", sd_rlimit },
	{ "LimitNPROC", "rlimit_nproc", sd_rlimit },
	{ "LimitMEMLOCK", "rlimit_memlock", sd_rlimit },
	{ "LimitLOCKS", "rlimit_locks", sd_rlimit },
	{ "LimitSIGPENDING", "rlimit_sigpending", sd_rlimit },
	{ "LimitMSGQUEUE", "rlimit_msgqueue", sd_rlimit },
	{ "LimitRTPRIO", "rlimit_rtprio", sd_rlimit },
	{ "LimitRTTIME", "rlimit_rttime", sd_rlimit },
};

/* Keys with no equivalent and a better reason than "none". */
static const struct {
	const char *key, *why;
} sd_why[] = {
	{ "ExecStartPre", "no equivalent: put the step before exec (/bin/sh -c 'step && exec "
			  "prog') or in a temporary worker before this one" },
	{ "ExecStartPost", "no equivalent: a temporary worker after this one" },
	{ "ExecStop", "otpd stops a worker with stop_signal, then SIGKILL at the shutdown deadline" },
	{ "ExecStopPost", "no equivalent" },
	{ "ExecReload", "otpctl kill NAME HUP (or forward_signals = HUP)" },
	{ "PIDFile", "otpd supervises the process it started: run it in the foreground" },
	{ "RemainAfterExit", "no equivalent: a temporary worker leaves the tree when it ends" },
	{ "NotifyAccess", "otpd hears READY=1 from the worker's main process" },
	{ "DynamicUser", "no dynamic users: set user" },
	{ "ProtectSystem", "read_only_paths = /usr /boot /etc is the closest" },
	{ "ProtectHome", "inaccessible_paths = /home /root /run/user is the closest" },
	{ "SystemCallFilter", "seccomp_allow and seccomp_deny take the same names and groups; "
			      "check the groups in otp.conf(5)" },
	{ "Slice", "the worker's cgroup is below otpd's; put limits on a supervisor" },
	{ "Delegate", "the worker's cgroup is otpd's" },
	{ "OOMPolicy", "otpd restarts a worker the OOM killer killed (last_exit oom) by its "
		       "restart type" },
	{ "RuntimeDirectory", "otpd creates no directories" },
	{ "StateDirectory", "otpd creates no directories" },
	{ "LogsDirectory", "otpd creates no directories" },
	{ "CacheDirectory", "otpd creates no directories" },
	{ "ConfigurationDirectory", "otpd creates no directories" },
	{ "RestartPreventExitStatus", "success_exit keeps a transient worker from restarting" },
	{ "SyslogIdentifier", "otpd prefixes each line with the worker's name" },
};

/* Keys the importer wrote before the walk. */
static bool sd_key_done(const char *key)
{
	static const char *const done[] = { "ExecStart",      "Restart", "Type",
					    "StartLimitBurst", "StartLimitInterval",
					    "StartLimitIntervalSec" };

	for (size_t i = 0; i < sizeof(done) / sizeof(done[0]); i++)
		if (strcmp(key, done[i]) == 0)
			return true;
	return false;
}

void imp_sd_key(struct imp_sd_ctx *x, const char *key, const char *value)
{
	size_t i;

	if (sd_key_done(key))
		return;
	if (!value[0]) {
		imp_comment(x->w, "%s= (a reset) left out", key);
		return;
	}
	for (i = 0; i < sizeof(sd_keys) / sizeof(sd_keys[0]); i++) {
		if (strcmp(key, sd_keys[i].key) == 0) {
			sd_keys[i].fn(x, sd_keys[i].otp, key, value);
			return;
		}
	}
	for (i = 0; i < sizeof(sd_why) / sizeof(sd_why[0]); i++) {
		if (strcmp(key, sd_why[i].key) == 0) {
			imp_unmapped(x->w, key, value, sd_why[i].why);
			return;
		}
	}
	imp_unmapped(x->w, key, value, "no equivalent in otpd");
}
