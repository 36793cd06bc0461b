/*
 * config.h: INI configuration (inih) -> validated tree description.
 *
 * Loading is parse -> validate -> result; nothing is half-applied.  A file,
 * or a directory whose *.conf files are read in lexical order, becomes one
 * struct otp_config.  Every error is collected (not only the first) as
 * "FILE:LINE: KEY: what was wrong, got \"VALUE\"" and the load fails if
 * there is any.  The module does no NSS lookups: user and group names are
 * kept as strings for the spawner to resolve.
 *
 * Sections:  [otpd]  [supervisor NAME]  [worker NAME]
 * Section order is start order.  Node 0 of the result is always the root
 * supervisor (named "root", created with defaults when absent); every other
 * node names its parent (default "root") and appears after it.
 */
#ifndef OTPD_CONFIG_H
#define OTPD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "../supervisor/supervisor.h"

#define CFG_DEFAULT_PATH "/etc/otp/otp.conf"
#define CFG_DEFAULT_DIR "/etc/otp/otp.d"

enum cfg_cgroup_mode { CFG_CGROUP_AUTO, CFG_CGROUP_REQUIRED, CFG_CGROUP_OFF };
enum cfg_ready { CFG_READY_EXEC, CFG_READY_NOTIFY, CFG_READY_FD };
enum cfg_output { CFG_OUT_LOG, CFG_OUT_INHERIT, CFG_OUT_NULL, CFG_OUT_FILE };
enum cfg_seccomp_mode { CFG_SECCOMP_NONE, CFG_SECCOMP_ALLOW, CFG_SECCOMP_DENY };
enum cfg_seccomp_action { CFG_SECCOMP_KILL, CFG_SECCOMP_ERRNO, CFG_SECCOMP_LOG };

/* [otpd] */
struct cfg_otpd {
	char *run_dir;                  /* default /run/otp */
	char *socket;                   /* default <run_dir>/otpd.sock */
	char *control_group;            /* NULL: root only */
	enum cfg_cgroup_mode cgroup;    /* default auto */
	char *cgroup_base;              /* NULL: decided at run time */
	int64_t shutdown_grace_ms;      /* PID 1 orphan grace, default 3000 */
	unsigned log_lines;             /* per-child ring for otpctl logs, default 1000 */
};

/* Resource limits (workers and supervisors); -1 / NULL = not set. */
struct cfg_limits {
	int64_t memory_max;             /* bytes; "max" = INT64_MAX */
	int64_t memory_high;
	int64_t memory_swap_max;
	int64_t cpu_quota_us;           /* cpu_max: "50%" -> 50000 per 100000 */
	int64_t cpu_period_us;
	int64_t cpu_weight;             /* 1..10000 */
	int64_t pids_max;
	int64_t io_weight;              /* 1..10000 */
	char *io_max;                   /* "MAJ:MIN rbps=... wbps=..." as the kernel takes it */
	char *cpuset_cpus;              /* "0-1,3" */
};

struct cfg_output_spec {
	enum cfg_output mode;           /* default log */
	char *path;                     /* CFG_OUT_FILE */
};

/* What the spawner needs to run a worker. */
struct cfg_worker {
	char **argv;                    /* exec, split like a shell; NULL-terminated */
	int argc;
	char **env;                     /* "KEY=VALUE", NULL-terminated, in file order */
	int n_env;
	char *environment_file;
	bool clear_env;
	char *workdir;                  /* default "/" */
	enum cfg_ready ready;
	int ready_fd;                   /* CFG_READY_FD: N >= 3 */
	struct cfg_output_spec out, err;        /* stdout, stderr (stderr default: as stdout) */
	char *user, *group;             /* NULL: unchanged */
	bool no_new_privs;
	bool mailbox;
	int mailbox_backlog;             /* default 128 */
	unsigned mailbox_mode;          /* default 0660 */
	char *mailbox_group;            /* NULL: [otpd] control_group */
	uint64_t forward_signals;       /* bit (1 << signo) */
	enum cfg_seccomp_mode seccomp;
	char **seccomp_list;            /* names as written, NULL-terminated */
	enum cfg_seccomp_action seccomp_action;
	int seccomp_errno;              /* CFG_SECCOMP_ERRNO */
};

struct cfg_node {
	struct sup_spec spec;           /* spec.user points at this node */
	char parent[SUP_NAME_MAX + 1];  /* "" for the root */
	char *file;                     /* where the section was declared */
	int line;
	struct cfg_limits limits;
	struct cfg_worker w;            /* workers only */
};

struct otp_config {
	struct cfg_otpd otpd;
	struct cfg_node *nodes;         /* start order; nodes[0] is the root */
	size_t n_nodes;
	char **files;                   /* files read, in order */
	size_t n_files;
};

struct cfg_errors {
	char **msgs;
	size_t n;
};

/*
 * Load `path` (file or directory; NULL: the default file plus the default
 * directory).  On success returns 0 and *ret_cfg.  On failure returns
 * -EINVAL (errors in `errs`) or another -errno (file unreadable: also in
 * `errs`).  *ret_cfg is written only on success.
 */
int cfg_load(const char *path, struct otp_config **ret_cfg, struct cfg_errors *errs);

/* Same, from a string (tests); `name` is used as the file name in errors. */
int cfg_load_string(const char *text, const char *name, struct otp_config **ret_cfg,
		    struct cfg_errors *errs);

void cfg_free(struct otp_config *c);
void cfg_errors_clear(struct cfg_errors *e);

/* Build a supervision tree from a loaded config.  0 or -ENOMEM. */
int cfg_build_tree(const struct otp_config *c, struct sup_tree **ret_tree);

/* Print the tree (otpd --check) as an indented outline. */
void cfg_print_tree(const struct otp_config *c, FILE *f);

/* Find a node by name, or NULL. */
const struct cfg_node *cfg_find(const struct otp_config *c, const char *name);

/* --- value parsers, exported for otpctl and tests -------------------- */

/* "250" (ms), "250ms", "5s", "2min", "1h".  0 or -EINVAL. */
int cfg_parse_duration(const char *s, int64_t *ret_ms);
/* "512", "64K", "512M", "1G", "2T" (powers of 1024).  0 or -EINVAL. */
int cfg_parse_size(const char *s, int64_t *ret_bytes);
/*
 * Split like a POSIX shell would, without running one: whitespace separates
 * words; '...' is literal; "..." allows \" \\ \$ \`; a backslash outside
 * quotes escapes the next character.  No expansion.  Returns 0 and a
 * NULL-terminated vector, or -EINVAL (unterminated quote, trailing \).
 */
int cfg_split_words(const char *s, char ***ret_argv, int *ret_argc);
void cfg_strv_free(char **v);
/* "TERM", "SIGTERM", "15" -> 15.  0 or -EINVAL. */
int cfg_parse_signal(const char *s, int *ret_signo);
/* 15 -> "SIGTERM" (static string), or NULL. */
const char *cfg_signal_name(int signo);

#endif
