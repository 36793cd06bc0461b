/*
 * internal.h: declarations shared by the files of config/.
 *
 * Loading runs in three steps, each in its own files:
 *   parse.c      inih drives our line reader (line numbers, section headers,
 *                syntax errors) and our key handler (keys.c dispatches to
 *                keys_*.c); every section becomes a struct cfg_pnode in
 *                declaration order.
 *   tree.c       resolves parents, orders nodes (parent first, siblings in
 *                declaration order), and validate.c checks OTP's rules.
 *   load.c       files and directories, then hands the result over.
 * Strings in nodes are owned by the node; node.file points into cfg->files.
 */
#ifndef OTPD_CONFIG_INTERNAL_H
#define OTPD_CONFIG_INTERNAL_H

#include <stdarg.h>

#include "config.h"
#include "../util/util.h"

#define CFG_MAX_LINE 8192               /* longest accepted line */
#define CFG_MAX_FILE (16 << 20)         /* largest accepted file */

/* readfile.c: the whole of `path`, NUL-terminated, at most `max` bytes
 * (-EFBIG past it; a directory is -EISDIR).  0 or -errno. */
int cfg_read_file(const char *path, size_t max, char **ret_text, size_t *ret_len);
#define CFG_ROOT "root"

/* Returned by key handlers on allocation failure (compared by address). */
extern const char cfg_oom[];

enum cfg_sec { CFG_SEC_NONE, CFG_SEC_OTPD, CFG_SEC_SUP, CFG_SEC_WORKER };
#define CFG_IN_OTPD (1u << CFG_SEC_OTPD)
#define CFG_IN_SUP (1u << CFG_SEC_SUP)
#define CFG_IN_WORKER (1u << CFG_SEC_WORKER)
#define CFG_IN_NODE (CFG_IN_SUP | CFG_IN_WORKER)

/* Key ids: index into cfg_keys[] and bit in struct cfg_seen. */
enum cfg_key_id {
	/* [otpd] */
	CFG_K_RUN_DIR, CFG_K_SOCKET, CFG_K_CONTROL_GROUP, CFG_K_CGROUP, CFG_K_CGROUP_BASE,
	CFG_K_SHUTDOWN_GRACE, CFG_K_LOG_LINES, CFG_K_EVENTS, CFG_K_LOG_TARGET,
	/* supervisors and workers */
	CFG_K_PARENT, CFG_K_RESTART, CFG_K_SHUTDOWN, CFG_K_SIGNIFICANT,
	/* supervisors */
	CFG_K_STRATEGY, CFG_K_INTENSITY, CFG_K_PERIOD, CFG_K_AUTO_SHUTDOWN, CFG_K_SHUTDOWN_ORDER,
	/* workers */
	CFG_K_EXEC, CFG_K_READY, CFG_K_READY_TIMEOUT, CFG_K_USER, CFG_K_GROUP, CFG_K_ENV,
	CFG_K_ENVIRONMENT_FILE, CFG_K_CLEAR_ENV, CFG_K_WORKDIR, CFG_K_STDOUT, CFG_K_STDERR,
	CFG_K_LOG_MAX_SIZE, CFG_K_LOG_KEEP,
	CFG_K_STOP_SIGNAL, CFG_K_SUCCESS_EXIT, CFG_K_RESTART_DELAY, CFG_K_WATCHDOG,
	CFG_K_FORWARD_SIGNALS, CFG_K_MAILBOX, CFG_K_MAILBOX_BACKLOG, CFG_K_MAILBOX_MODE,
	CFG_K_MAILBOX_GROUP, CFG_K_MONITORS, CFG_K_PING, CFG_K_PING_TIMEOUT, CFG_K_NO_NEW_PRIVS, CFG_K_SECCOMP_ALLOW,
	CFG_K_SECCOMP_DENY, CFG_K_SECCOMP_ACTION, CFG_K_UPGRADE, CFG_K_HANDOVER,
	/* limits, both */
	CFG_K_MEMORY_MAX, CFG_K_MEMORY_HIGH, CFG_K_MEMORY_SWAP_MAX, CFG_K_CPU_MAX,
	CFG_K_CPU_WEIGHT, CFG_K_PIDS_MAX, CFG_K_IO_WEIGHT, CFG_K_IO_MAX, CFG_K_CPUSET_CPUS,
	CFG_K_COUNT
};

/* Where each key of a section was set, for duplicates and later checks. */
struct cfg_seen {
	uint64_t bits;
	int line[CFG_K_COUNT];
	const char *file[CFG_K_COUNT];
	const char *value[CFG_K_COUNT];         /* owned copy, for later messages */
};

/*
 * The sandbox keys (keys_sandbox.c) have a table of their own, so that the
 * main table stays within the 64 bits of struct cfg_seen.  Only in worker
 * sections, so the file is the section's.
 */
#define CFG_SB_KEYS_MAX 64
struct cfg_sb_seen {
	uint64_t bits;
	int line[CFG_SB_KEYS_MAX];
};

/* A node while parsing. */
struct cfg_pnode {
	struct cfg_node node;
	char parent_name[SUP_NAME_MAX + 1]; /* the `parent` key ("" if not given) */
	bool bad;                       /* section in error: keys checked, node dropped */
	bool err_set;                   /* stderr given explicitly */
	struct cfg_seen seen;
	struct cfg_sb_seen sb_seen;
	size_t parent;                  /* index into ctx->pn, after resolving */
	size_t first_child, next_sibling, last_child;   /* CFG_NONE-terminated */
	bool orphan;                    /* parent missing or not a supervisor */
	bool placed;                    /* reached from the root */
};

#define CFG_NONE CFG_NO_NODE

struct cfg_ctx {
	struct otp_config *cfg;
	struct cfg_errors *errs;
	bool oom;
	size_t errs_before;             /* errs->n when loading began */
	struct cfg_seen otpd_seen;
	struct cfg_pnode *pn;           /* declaration order */
	size_t n_pn, cap_pn;
	struct cfg_name_index pn_by_name;       /* sections that are not `bad` */
	/* the file being parsed */
	const char *file;
	const char *text;
	size_t len, pos;
	int line;
	enum cfg_sec sec;
	size_t cur;                     /* index of the section's pnode, or CFG_NONE */
	bool skip_section;              /* header was unusable: ignore its keys */
	int n_syntax;                   /* syntax errors found by our reader */
};

/* A key handler: NULL on success, else a message (or cfg_oom). */
typedef const char *(*cfg_key_fn)(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);

struct cfg_key {
	const char *name;
	unsigned in;                    /* CFG_IN_* */
	bool repeatable;
	cfg_key_fn set;
};

extern const struct cfg_key cfg_keys[CFG_K_COUNT];

/* errors.c */
void cfg_err(struct cfg_ctx *x, const char *file, int line, const char *key, const char *value,
	     const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void cfg_err_at_key(struct cfg_ctx *x, const struct cfg_seen *s, enum cfg_key_id k,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void cfg_err_section(struct cfg_ctx *x, const struct cfg_node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* keys.c */
void cfg_key_dispatch(struct cfg_ctx *x, const char *name, const char *value);
void cfg_seen_free(struct cfg_seen *s);

/* keys_otpd.c, keys_node.c, keys_worker.c, keys_limits.c: handlers */
const char *cfg_set_run_dir(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_socket(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_control_group(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_cgroup(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_cgroup_base(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_shutdown_grace(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_log_lines(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_events(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_log_target(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);

const char *cfg_set_parent(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_restart(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_shutdown(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_significant(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_strategy(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_intensity(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_period(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_auto_shutdown(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_shutdown_order(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);

const char *cfg_set_exec(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_ready(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_ready_timeout(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_user(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_group(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_env(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_environment_file(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_clear_env(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_workdir(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_stdout(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_stderr(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_log_max_size(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_log_keep(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_stop_signal(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_success_exit(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_restart_delay(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_watchdog(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_forward_signals(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_mailbox(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_upgrade(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_handover(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_mailbox_backlog(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_mailbox_mode(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_mailbox_group(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_monitors(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_ping(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_ping_timeout(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_no_new_privs(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_seccomp_allow(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_seccomp_deny(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_seccomp_action(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);

const char *cfg_set_memory_max(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_memory_high(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_memory_swap_max(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_cpu_max(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_cpu_weight(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_pids_max(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_io_weight(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_io_max(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);
const char *cfg_set_cpuset_cpus(struct cfg_ctx *x, struct cfg_pnode *p, const char *v);

/* keys_sandbox.c: a sandbox key?  false: not one (the caller reports it). */
bool cfg_sb_dispatch(struct cfg_ctx *x, const char *name, const char *value);
/* Free a worker's own sandbox settings (NULL: none). */
void cfg_sandbox_free(struct cfg_sandbox *sb);
/* keys_sandbox_limits.c: rlimit_* values, for the table of keys_sandbox.c */
const char *cfg_sb_set_rlimit(struct cfg_sandbox *sb, const char *v, int resource);
/* seccomp_groups.c: NULL, or why `words` cannot be a filter (static text) */
const char *cfg_seccomp_check(char *const *words);

/* values.c */
int cfg_parse_uint(const char *s, uint64_t *ret);
int cfg_parse_int_range(const char *s, int64_t lo, int64_t hi, int64_t *ret);
int cfg_parse_bool(const char *s, bool *ret);
int cfg_parse_shutdown(const char *s, int64_t *ret_ms);
bool cfg_is_abs_path(const char *s);
bool cfg_is_account(const char *v);
int cfg_format_duration(int64_t ms, char *buf, size_t len);

/* words.c */
int cfg_strv_push(char ***v, int *n, const char *s);
int cfg_split_list(const char *s, char ***ret_v, int *ret_n);

/* signals.c */
int cfg_parse_errno(const char *s, int *ret_errno);

/* index.c: over an array of elements `stride` bytes apart that begin with a struct cfg_node */
size_t cfg_index_find(const struct cfg_name_index *ix, const char *name, const void *base,
		      size_t stride);
int cfg_index_add(struct cfg_name_index *ix, size_t i, const void *base, size_t stride);
void cfg_index_free(struct cfg_name_index *ix);

/* section.c */
void cfg_section_open(struct cfg_ctx *x, const char *header);
struct cfg_pnode *cfg_pnode_find(struct cfg_ctx *x, const char *name);
size_t cfg_pnode_add(struct cfg_ctx *x, enum sup_type type, const char *name);
int cfg_pnode_index(struct cfg_ctx *x, size_t i);
void cfg_node_init(struct cfg_node *n, enum sup_type type, const char *name);
void cfg_node_release(struct cfg_node *n);

/* parse.c */
void cfg_parse_text(struct cfg_ctx *x, const char *file, const char *text, size_t len);

/* main_cmd.c: the worker of `otpd -- CMD` (after the files) */
int cfg_main_add(struct cfg_ctx *x, char *const *argv);

/* tree.c, validate.c */
int cfg_ctx_finish(struct cfg_ctx *x);
/* The root's pnode: [supervisor root], or one made with defaults; CFG_NONE: ENOMEM. */
size_t cfg_root_get(struct cfg_ctx *x);
void cfg_validate_tree(struct cfg_ctx *x, const size_t *order, size_t n);
void cfg_validate_sections(struct cfg_ctx *x);
/* validate_run.c: after defaults are filled in */
void cfg_validate_run(struct cfg_ctx *x, const size_t *order, size_t n);
void cfg_ctx_release(struct cfg_ctx *x);

#endif
