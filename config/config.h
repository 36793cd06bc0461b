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

#include "../cgroups/cgroups.h"
#include "../supervisor/supervisor.h"

#define CFG_DEFAULT_PATH "/etc/otp/otp.conf"
#define CFG_DEFAULT_DIR "/etc/otp/otp.d"

enum cfg_cgroup_mode { CFG_CGROUP_AUTO, CFG_CGROUP_REQUIRED, CFG_CGROUP_OFF };
enum cfg_ready { CFG_READY_EXEC, CFG_READY_NOTIFY, CFG_READY_FD };
/*
 * CFG_OUT_STDOUT: stderr only, the same as stdout (one pipe).
 * CFG_OUT_WORKER: worker:NAME, the stdin of logger worker NAME.
 */
enum cfg_output {
	CFG_OUT_LOG, CFG_OUT_INHERIT, CFG_OUT_NULL, CFG_OUT_FILE, CFG_OUT_STDOUT, CFG_OUT_WORKER
};
enum cfg_log_target { CFG_LOG_AUTO, CFG_LOG_STDOUT, CFG_LOG_JOURNAL };
enum cfg_seccomp_mode { CFG_SECCOMP_NONE, CFG_SECCOMP_ALLOW, CFG_SECCOMP_DENY };
enum cfg_seccomp_action { CFG_SECCOMP_KILL, CFG_SECCOMP_ERRNO, CFG_SECCOMP_LOG };

/* [otpd] */
struct cfg_otpd {
	char *run_dir;                  /* default util_default_run_dir(): /run/otp for root */
	char *socket;                   /* default <run_dir>/otpd.sock */
	char *control_group;            /* NULL: root only */
	enum cfg_cgroup_mode cgroup;    /* default auto */
	char *cgroup_base;              /* NULL: decided at run time */
	int64_t shutdown_grace_ms;      /* PID 1 orphan grace, default 3000 */
	unsigned log_lines;             /* per-child ring for otpctl logs, default 1000 */
	char *events_worker;            /* events = worker:NAME: the events go to its
					   mailbox; NULL: nowhere */
	enum cfg_log_target log_target; /* where `log` output goes, default auto */
};

struct cfg_output_spec {
	enum cfg_output mode;           /* default log */
	char *path;                     /* CFG_OUT_FILE; CFG_OUT_WORKER: the logger's name */
};

/*
 * A worker's sandbox beyond user, group and seccomp (otp.conf(5),
 * SANDBOXING; parsed by keys_sandbox*.c).  What is unset changes nothing.
 * About 600 bytes (the rlimits, the affinity bitmap), so it is allocated
 * only for workers that set a sandbox key: a tree of a thousand plain
 * workers does not carry a thousand copies of the defaults.
 */
#define CFG_RLIMIT_N 16                 /* RLIMIT_NLIMITS: indexed by RLIMIT_* */
#define CFG_CPU_MAX 1024                /* cpu_affinity knows CPUs 0..1023 */
#define CFG_RLIM_INFINITY UINT64_MAX

struct cfg_rlimit {
	bool set;
	uint64_t cur, max;              /* CFG_RLIM_INFINITY: no limit */
};

struct cfg_sandbox {
	char **supplementary_groups;    /* names or numbers, NULL-terminated */
	bool groups_set;                /* false: the user's own groups */
	int umask;                      /* -1: unchanged */
	struct cfg_rlimit rlimit[CFG_RLIMIT_N];
	bool nice_set, oom_set, affinity_set, caps_set;
	int nice;                       /* -20..19 */
	int oom_score_adj;              /* -1000..1000 */
	uint64_t affinity[CFG_CPU_MAX / 64];    /* bit n: CPU n */
	uint64_t caps;                  /* bit (1 << CAP_*): capabilities kept */
	bool private_tmp, private_network, private_devices;
	char **read_only_paths;         /* absolute; "-/p": skipped when missing */
	char **inaccessible_paths;
};

/*
 * What the spawner needs to run a worker.  Pointers, then numbers, then
 * flags: the struct is kept for every worker of the tree, and holes add up.
 */
struct cfg_worker {
	char **argv;                    /* exec, split like a shell; NULL-terminated */
	char **env;                     /* "KEY=VALUE", NULL-terminated, in file order */
	char *environment_file;
	char *workdir;                  /* default "/" */
	struct cfg_output_spec out, err;        /* stdout, stderr (stderr default: as stdout) */
	char *user, *group;             /* NULL: unchanged */
	char *mailbox_group;            /* NULL: [otpd] control_group */
	char **seccomp_list;            /* names as written, NULL-terminated */
	char **monitors;                /* nodes it monitors (DOWN/UP casts), NULL-terminated */
	/* NULL when no sandbox key is set (most workers): read it through
	 * cfg_worker_sandbox(), never directly. */
	struct cfg_sandbox *sb;
	uint64_t forward_signals;       /* bit (1 << signo) */
	int64_t log_max_size;           /* file: rotated at this size, 0: never; default 10M */
	int64_t ping_ms;                /* mailbox ping interval, 0: off */
	int64_t ping_timeout_ms;        /* default 5 s */
	int log_keep;                   /* rotated files kept, default 5 */
	int argc;
	int n_env;
	int n_monitors;
	enum cfg_ready ready;
	int ready_fd;                   /* CFG_READY_FD: N >= 3 */
	int mailbox_backlog;            /* default 128 */
	unsigned mailbox_mode;          /* default 0660 */
	enum cfg_seccomp_mode seccomp;
	enum cfg_seccomp_action seccomp_action;
	int seccomp_errno;              /* CFG_SECCOMP_ERRNO */
	bool clear_env;
	bool no_new_privs;
	bool mailbox;
	bool is_logger;                 /* some worker's output is worker:<this one> */
	bool upgrade_overlap;           /* upgrade = overlap: reload replaces the process
	                                   with an overlapping restart */
	bool handover;                  /* handover = true: overlaps hand the state over */
};

/*
 * A worker's sandbox settings: its own when it set any sandbox key, else
 * one shared instance with every default (nothing changed).  Never NULL.
 */
const struct cfg_sandbox *cfg_worker_sandbox(const struct cfg_worker *w);

/* ping_timeout when only ping is set: OTP's default call timeout. */
#define CFG_PING_TIMEOUT_MS 5000

/* No such node: an index into otp_config.nodes that is none. */
#define CFG_NO_NODE ((size_t)-1)

struct cfg_node {
	struct sup_spec spec;           /* spec.user points at this node */
	/* The parent's name: its node's spec.name ("" for the root), not a
	 * copy (64 bytes a node: issue 19, memory per child). */
	const char *parent;
	char *file;                     /* where the section was declared */
	/*
	 * Where the node sits, as indexes into otp_config.nodes, so that no
	 * walk over the tree needs a search: its parent (CFG_NO_NODE for the
	 * root) and the sibling just before it in start order (CFG_NO_NODE
	 * for a first child).  Nodes are in pre-order, so a node's first
	 * child, if any, is the node right after it.
	 */
	size_t parent_index, prev_sibling;
	unsigned depth;                 /* 0 for the root, at most CFG_DEPTH_MAX */
	int line;                       /* next to depth: no padding hole */
	/*
	 * A hash of the section's KEY=VALUE lines as written, one per class,
	 * so that a reload can tell what changed (cfg_node_changes): keys
	 * whose change needs a new process, and limits (applied in place).
	 * Keys of neither class (restart, shutdown, intensity, ...) are read
	 * from the spec at every event and take effect in place.  A hash, not
	 * the text: 16 bytes per worker instead of an allocation.
	 */
	uint64_t fp_run, fp_limits;     /* FNV-1a 64; 0: no such key */
	/* NULL when no limit key is set (most nodes; 80 bytes each otherwise):
	 * read it through cfg_node_limits(), never directly. */
	struct cg_limits *limits;
	struct cfg_worker w;            /* workers only */
};

/* n's cgroup limits (cg_limits_none when it sets none). */
const struct cg_limits *cfg_node_limits(const struct cfg_node *n);

/* Private to config/: node indexes by name (index.c), read through cfg_find. */
struct cfg_name_index {
	size_t *slot;                   /* index + 1; 0: empty */
	size_t cap, n;
};

struct otp_config {
	struct cfg_otpd otpd;
	struct cfg_node *nodes;         /* start order; nodes[0] is the root */
	size_t n_nodes;
	char **files;                   /* files read, in order */
	char **texts;                   /* ... and their text as read (otpd's re-execution
					   carries it: otpd(8), RE-EXECUTION) */
	size_t n_files;
	struct cfg_name_index by_name;
	bool main_cmd;                  /* has the worker CFG_MAIN_NAME of `otpd -- CMD` */
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

/*
 * `otpd [-c PATH] -- CMD ARGS...`: load `path` (NULL: no file at all, not
 * the defaults), then add the worker CFG_MAIN_NAME that runs argv as is:
 * a significant, temporary child of the root, whose output is otpd's
 * own; the root's auto_shutdown becomes any_significant unless the file
 * set one (otpd(8), "RUNNING ONE PROGRAM").  argv NULL: cfg_load(path).
 */
#define CFG_MAIN_NAME "main"
int cfg_load_main(const char *path, char *const *argv, struct otp_config **ret_cfg,
		  struct cfg_errors *errs);

/*
 * The configuration as loaded before, from the texts of its files (`n`
 * names and texts, in the order they were read) and, for `otpd -- CMD`,
 * the main program's argv (NULL: none): what otpd's re-execution carries,
 * so the new image rebuilds the same tree without reading any file.
 */
int cfg_load_texts(char *const *names, char *const *texts, size_t n, char *const *argv,
		   struct otp_config **ret_cfg, struct cfg_errors *errs);

/* Same as cfg_load, from a string (tests); `name` is used as the file name in errors. */
int cfg_load_string(const char *text, const char *name, struct otp_config **ret_cfg,
		    struct cfg_errors *errs);

void cfg_free(struct otp_config *c);
void cfg_errors_clear(struct cfg_errors *e);

/* Build a supervision tree from a loaded config.  0 or -ENOMEM. */
int cfg_build_tree(const struct otp_config *c, struct sup_tree **ret_tree);

/* Print the tree (otpd --check) as an indented outline. */
void cfg_print_tree(const struct otp_config *c, FILE *f);

/*
 * Advice on a valid config (otpd --check), one "otpd: warning: ..." line
 * each on `f`: a supervisor with shutdown_order = reverse whose children
 * may take more than 10 s to stop (container engines' SIGKILL timeout).
 * Returns the number of lines, or -ENOMEM.
 */
int cfg_print_warnings(const struct otp_config *c, FILE *f);

/* What differs between two versions of one node (reload: otpctl(1), "Reloading the configuration"). */
#define CFG_CHANGED_RUN 0x1             /* a key that only a new process picks up */
#define CFG_CHANGED_LIMITS 0x2          /* a cgroup limit */
#define CFG_CHANGED_SPEC 0x4            /* anything in the core's spec */
#define CFG_CHANGED_SHAPE 0x8           /* type, parent or simple_one_for_one-ness */
unsigned cfg_node_changes(const struct cfg_node *a, const struct cfg_node *b);

/* Find a node by name, or NULL.  O(1). */
const struct cfg_node *cfg_find(const struct otp_config *c, const char *name);

/*
 * Limits checked at load, so that what --check accepts can start
 * (otp.conf(5), VALIDATION).  Supervision depth: every level is a nested
 * cgroup (the shell walks at most 64); ready = fd:N: below the usual
 * soft RLIMIT_NOFILE of 1024; a Unix socket path (mailbox, control
 * socket, notify socket): sizeof(sun_path) - 1 bytes.
 */
#define CFG_DEPTH_MAX 32
#define CFG_READY_FD_MAX 1023
#define CFG_SOCKET_PATH_MAX 107

/* --- value parsers, exported for otpd's shell and tests --------------- */

/* util_parse_duration (util/util.h): "250" (ms), "1.5s", "1min 30s", "2h".  0 or -EINVAL. */
int cfg_parse_duration(const char *s, int64_t *ret_ms);
/* util_parse_size: "512", "64K", "512M", "1G", "2T" (powers of 1024).  0 or -EINVAL. */
int cfg_parse_size(const char *s, int64_t *ret_bytes);
/*
 * Split like a POSIX shell would, without running one: whitespace separates
 * words; '...' is literal; "..." allows \" \\ \$ \`; a backslash outside
 * quotes escapes the next character.  No expansion.  Returns 0 and a
 * NULL-terminated vector, or -EINVAL (unterminated quote, trailing \).
 */
int cfg_split_words(const char *s, char ***ret_argv, int *ret_argc);
void cfg_strv_free(char **v);
/* util_parse_signal: "TERM", "SIGTERM", "15" -> 15; "RTMIN+3".  0 or -EINVAL. */
int cfg_parse_signal(const char *s, int *ret_signo);
/* util_signal_name: 15 -> "SIGTERM" (static string), or NULL. */
const char *cfg_signal_name(int signo);

/* --- environment_file (env_file.c) ------------------------------------ */

/* The largest environment_file read; a larger one is refused (-EFBIG), never cut. */
#define CFG_ENV_FILE_MAX (1 << 20)
/*
 * Call fn("KEY=VALUE", data) for each variable of an environment file's
 * text, in order (otp.conf(5), environment_file): lines of any length;
 * blank lines, '#' lines, lines without '=' and lines with nothing
 * before it ("=VALUE") skipped; matching quotes
 * around a value removed.  `text` holds `len` bytes and a NUL after them;
 * it is changed in place.  0, the first non-zero fn result, or -EINVAL (a
 * NUL byte within the `len` bytes).
 */
int cfg_env_file_parse(char *text, size_t len, int (*fn)(const char *kv, void *data),
		       void *data);
/* Read `path` (at most CFG_ENV_FILE_MAX bytes, else -EFBIG) and parse it.  -errno. */
int cfg_env_file_load(const char *path, int (*fn)(const char *kv, void *data), void *data);

/* --- sandbox names (keys_sandbox*.c, caps.c, seccomp_groups.c) ------- */

/* "CAP_NET_BIND_SERVICE" or "net_bind_service" -> 10.  0 or -EINVAL. */
int cfg_parse_cap(const char *s, int *ret_cap);
/* 10 -> "CAP_NET_BIND_SERVICE" (static string), or NULL. */
const char *cfg_cap_name(int cap);
/* RLIMIT_NOFILE -> "rlimit_nofile" (the key, also the failing step), or NULL. */
const char *cfg_rlimit_key(int resource);

/*
 * Named groups of system calls for seccomp_allow and seccomp_deny, modelled
 * on systemd's sets.  Members are system call names or other @groups.
 */
struct cfg_seccomp_group {
	const char *name;               /* "@mount" */
	const char *about;              /* one line for otp.conf(5) */
	const char *members;            /* each NUL-terminated; an empty one ends them */
};
/*
 * The table is one string in .rodata (issue 19: no pointers to relocate at
 * start); these read it.  The group after *g, the first if g->name is NULL:
 * true, false after the last.
 */
bool cfg_seccomp_group_next(struct cfg_seccomp_group *g);
/* The member after m: `for (m = g.members; *m; m = cfg_seccomp_member_next(m))`. */
const char *cfg_seccomp_member_next(const char *m);
/* Always allowed in allow-list mode: what a process needs to exec and exit. */
#define CFG_SECCOMP_BASE "@default"
/* Group `name` in *ret_g: true, or false. */
bool cfg_seccomp_group_find(const char *name, struct cfg_seccomp_group *ret_g);
/* Is `word` a group or a system call libseccomp knows (on any architecture)? */
bool cfg_seccomp_word_known(const char *word);
/*
 * Call fn(name, data) for each system call `words` name, groups expanded
 * (nested ones too); a name may come more than once.  Stops at and returns
 * the first non-zero fn result; 0 when done.
 */
int cfg_seccomp_expand(char *const *words, int (*fn)(const char *name, void *data),
		       void *data);

#endif
