/*
 * otpctl_import.h: `otpctl import KIND FILE` (otpctl(1), IMPORT), shared by
 * the otpctl_import*.c files.  Not part of libipc; libc only (no config
 * loader: what is printed is valid by construction, and the tests run it
 * through `otpd --check`).
 *
 * An importer reads another supervisor's configuration (supervisord's INI
 * files, a Procfile, a systemd .service) into an `imp_conf`: nodes in
 * start order, each a list of lines that are either `key = value` or a
 * comment.  Every source key ends up as one of them: mapped, or kept as a
 * comment that says why it has no equivalent.  imp_print() writes the
 * otp.conf.
 */
#ifndef OTPD_IPC_OTPCTL_IMPORT_H
#define OTPD_IPC_OTPCTL_IMPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../util/util.h"

/* `otpctl import KIND FILE`.  The exit code. */
int ctl_import(const char *kind, const char *file);
/*
 * The i-th KIND import reads (0, 1, ...) and, in *ret_what, what kind of
 * file it is; NULL past the last one.  For the completions.
 */
const char *ctl_import_kind(size_t i, const char **ret_what);

/* --- otpctl_import_out.c: the otp.conf being built -------------------- */

struct imp_node;
struct imp_conf;

/* A new, empty output.  NULL: out of memory. */
struct imp_conf *imp_conf_new(void);
void imp_conf_free(struct imp_conf *c);
/* A comment line at the top of the file (printf format). */
void imp_note(struct imp_conf *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The root supervisor's lines (strategy, intensity ...). */
struct imp_node *imp_root(struct imp_conf *c);
/*
 * A node named after `name`, made valid (characters otp.conf refuses
 * become '_', at most 64) and unique (a suffix _2, _3 ...); a comment
 * says so when the name changed.  Appended in start order under `parent`
 * (NULL: root).  NULL: out of memory.
 */
struct imp_node *imp_node_add(struct imp_conf *c, const char *name, bool supervisor,
			      struct imp_node *parent);
const char *imp_node_name(const struct imp_node *n);
/* Sort key for start order among siblings (stable; default 0). */
void imp_node_order(struct imp_node *n, long order);
/* A `key = value` line (printf format for the value). */
void imp_set(struct imp_node *n, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A comment line (printf format), printed as "; ...". */
void imp_comment(struct imp_node *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The source's `key = value` kept as a comment, with why it is not mapped. */
void imp_unmapped(struct imp_node *n, const char *key, const char *value, const char *why);
/* Print the whole otp.conf.  0, or -ENOMEM if anything failed to build. */
int imp_print(struct imp_conf *c, FILE *f);

/* --- otpctl_import_value.c: values in otp.conf's syntax ---------------- */

/* `w` as one word of `exec` (quoted when needed).  NULL: out of memory. */
char *imp_quote_word(const char *w);
/* `/bin/sh -c 'CMD'` for `exec`, with "exec " before a simple command so
 * that the program is the worker's main process.  NULL: out of memory. */
char *imp_shell_exec(const char *cmd);
/* A signal name otpd knows ("TERM", "SIGTERM", "15") as "TERM"; NULL if not. */
const char *imp_signal(const char *s);
/* A systemd time span ("90", "1min 30s", "500ms", "infinity") in ms; -1
 * for infinity.  0 or -EINVAL. */
int imp_timespan_ms(const char *s, int64_t *ret_ms);
/* Milliseconds as an otp.conf duration ("90s", "1500ms"), in buf. */
const char *imp_duration(int64_t ms, char *buf, size_t len);
/* A systemd or supervisord size ("512M", "1G", "1024") normalised for
 * otp.conf (K, M, G, T suffixes); false if it is something else. */
bool imp_size(const char *s, char *buf, size_t len);
/* true for "true", "yes", "on", "1" (case-insensitive). */
bool imp_bool(const char *s, bool *ret);
/* A valid environment variable name. */

/* --- otpctl_import_ini.c: INI files (supervisord, systemd) ------------- */

struct imp_kv {
	char *key, *value;
	int line;
};

struct imp_section {
	char *name;
	char *file;                     /* where it came from */
	struct imp_kv *kv;
	size_t n;
};

struct imp_ini {
	struct imp_section *s;
	size_t n;
};

enum imp_ini_dialect {
	IMP_INI_SUPERVISORD,    /* ; and # comments, also inline after whitespace;
				   key = value or key: value; indented continuation
				   lines; keys lower-cased (Python's configparser) */
	IMP_INI_SYSTEMD,        /* ; and # comments at line start only; key=value;
				   a trailing backslash continues the line */
};

/* Append the sections of `path` to `ini`.  0, -errno (unreadable), or
 * -EINVAL with a message on stderr (a line that is not INI). */
int imp_ini_load(struct imp_ini *ini, const char *path, enum imp_ini_dialect d);
void imp_ini_free(struct imp_ini *ini);

/* --- the importers ---------------------------------------------------- */

/* supervisord (otpctl_import_supervisord.c, otpctl_import_sv_keys.c) */
struct imp_sv_ctx {
	struct imp_conf *c;
	const struct imp_ini *ini;
	const char *here;               /* %(here)s: the main file's directory */
	const char *global_env;         /* [supervisord] environment, or NULL */
};
/* The last value of `key` in `s` (NULL: none, or s is NULL). */
const char *imp_sv_get(const struct imp_section *s, const char *key);
/* The same as a number; `dflt` when absent or not a number. */
long imp_sv_get_long(const struct imp_section *s, const char *key, long dflt);
/* strategy, intensity and period of the supervisors the import makes. */
void imp_sv_supervisor_keys(struct imp_node *sup);
/* Process `num` of [program:x] `prog` as a worker below `parent` (NULL:
 * root); `group` is %(group_name)s.  0, -ENOMEM, or -EINVAL (said). */
int imp_sv_process(struct imp_sv_ctx *x, const struct imp_section *prog, struct imp_node *parent,
		   const char *group, long num, long numprocs);

/* systemd (otpctl_import_systemd.c, otpctl_import_sd_keys.c,
 * otpctl_import_sd_exec.c) */
struct imp_sd_ctx {
	struct imp_conf *c;
	struct imp_node *w;             /* the unit's worker */
	const char *unit;               /* the unit's file name, web.service */
	bool notify;                    /* Type=notify: ready = notify */
	bool envfile, caps;             /* environment_file, capabilities written */
};
/* The last value of `key` in `s`, NULL when absent or reset (Key=). */
const char *imp_sd_get(const struct imp_section *s, const char *key);
/* One [Service] key (specifiers expanded) as worker keys or a comment. */
void imp_sd_key(struct imp_sd_ctx *x, const char *key, const char *value);
/* Split as systemd splits a command line or an assignment list: quotes,
 * C escapes.  0 (a NULL-terminated vector and its length), -EINVAL
 * (an unterminated quote) or -ENOMEM. */
int imp_sd_words(const char *s, char ***ret_words, size_t *ret_n);
void imp_words_free(char **v);
/* The exec value for a split ExecStart (*ret_shell: wrapped in
 * /bin/sh -c for its $VARIABLES).  NULL: out of memory. */
char *imp_sd_exec(char **words, size_t n, bool *ret_shell);
/* `s` with the specifiers of unit name `unit` expanded (see the file). */
char *imp_sd_specifiers(const char *s, const char *unit, bool *ret_unknown);

int imp_supervisord(struct imp_conf *c, const char *path);
int imp_procfile(struct imp_conf *c, const char *path);
int imp_systemd(struct imp_conf *c, const char *path);

#endif
