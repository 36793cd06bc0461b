/*
 * internal.h: the shell around the pure core, shared by the files of init/.
 *
 * One event loop (loop.c) watches every fd otpd holds; each source is a
 * struct ev_source whose handler does one bounded piece of work and
 * returns.  The monotonic clock is read once per wake-up (ev_now()).  The
 * core is fed events and its actions are executed by actions.c, the only
 * place that turns decisions into syscalls on children.
 */
#ifndef OTPD_INIT_INTERNAL_H
#define OTPD_INIT_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "../config/config.h"
#include "../ipc/ipc.h"
#include "../supervisor/supervisor.h"

/* --- loop.c ------------------------------------------------------------ */

struct ev_source;
typedef void (*ev_handler)(struct ev_source *s, uint32_t revents);

struct ev_source {
	int fd;
	uint32_t events;        /* EPOLLIN, EPOLLOUT ... */
	ev_handler fn;
	void *data;
	bool added;
};

int ev_init(void);
void ev_fini(void);
/* Watch s->fd for s->events.  0 or -errno. */
int ev_add(struct ev_source *s);
int ev_mod(struct ev_source *s, uint32_t events);
/* Stop watching (does not close the fd).  Safe on a source not added. */
void ev_del(struct ev_source *s);
/* Monotonic milliseconds, read once per wake-up. */
int64_t ev_now(void);
/* ev_now() + ms, saturated at INT64_MAX ("never"): durations come from
 * users and may be huge. */
int64_t ev_after(int64_t ms);
/* Sleep until an fd is ready or the core's next deadline; dispatch. */
int ev_run_once(void);

/* --- log.c: otpd's own messages, one line each on stderr ------------- */

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
void log_set_level(enum log_level lvl);

/* --- fd_private.c ------------------------------------------------------ */

struct stat;
/*
 * A descriptor for writing fd 1 or 2 (whose fstat is `st`) that never
 * blocks: a private non-blocking reopen, or `fd` itself; *ret_socket says
 * to write it with send(MSG_DONTWAIT).
 */
int fd_private_nonblock(int fd, const struct stat *st, bool *ret_socket);

/* --- output.c: children's output ------------------------------------ */

/*
 * A per-child ring of the last N lines for `otpctl logs`, with
 * subscribers (logs -f) told of each new line.
 */
struct log_ring;
typedef void (*log_sub_fn)(void *data, const char *line, size_t len);

struct log_ring *log_ring_new(unsigned max_lines);
void log_ring_free(struct log_ring *r);
void log_ring_push(struct log_ring *r, const char *line, size_t len);
/* Call fn for each of the last n lines (n = 0: all), oldest first. */
void log_ring_each(const struct log_ring *r, unsigned n, log_sub_fn fn, void *data);
/* Returns a subscription id > 0, or -ENOMEM. */
int log_ring_subscribe(struct log_ring *r, log_sub_fn fn, void *data);
void log_ring_unsubscribe(struct log_ring *r, int id);

/*
 * A pipe a child writes its stdout (or stderr) to.  otpd keeps the read
 * end across restarts (so nothing written by a dying child is lost) and
 * splits what arrives into lines; each line goes to otpd's stdout as
 * "name[pid]: line" and into the ring.  Lines longer than OUT_LINE_MAX are
 * cut into pieces; a partial last line is flushed when the pipe is idle at
 * EOF or when the child is replaced.  Binary bytes are passed through
 * except NUL and other control characters, which are escaped as \xNN.
 */
#define OUT_LINE_MAX 4096
struct out_pipe;

struct out_pipe *out_pipe_new(const char *name, struct log_ring *ring);
void out_pipe_free(struct out_pipe *p);
/* The write end to hand to a child (close-on-exec in otpd). */
int out_pipe_wfd(const struct out_pipe *p);
/* The pid prefixed to lines from now on (the current process). */
void out_pipe_set_pid(struct out_pipe *p, pid_t pid);

/*
 * otpd's stdout writer: never blocks.  Lines are queued up to a bound and
 * written when fd 1 is writable; past the bound they are dropped and
 * counted, and a marker "otpd: N lines dropped" line is written once the
 * queue drains.
 */
int out_stdout_init(void);
void out_stdout_line(const char *name, pid_t pid, const char *line, size_t len);
uint64_t out_stdout_dropped(void);
/* Flush as much as possible without blocking (shutdown). */
void out_stdout_flush(void);

/* --- worker shell state ------------------------------------------------ */

/*
 * Pointers, then 64-bit numbers, then ints, then flags: one of these lives
 * for every worker of the tree, and padding holes add up (issue 7).
 */
struct ws {
	struct sup_node *node;
	const struct cfg_node *cfg;     /* NULL for supervisors */
	struct ev_source exec_src;
	struct ev_source ready_src;
	struct log_ring *ring;
	struct out_pipe *out, *err;
	char *status;                   /* last STATUS= (WS_STATUS_MAX), NULL: none yet */
	char *fail_why;                 /* set-up step that failed in the child, or NULL */
	struct ws *limbo_next;
	struct ws *drain_next;
	struct sb_prep *sb;             /* sandbox.h: built at the first start */
	int64_t cg_ooms;                /* memory.events oom_kill seen so far */
	int64_t drain_deadline;         /* cgroup.kill then; INT64_MAX: none */
	pid_t pid;                      /* 0: none */
	int pidfd;                      /* -1: none (reaping is waitid(P_ALL)) */
	int exec_fd;                    /* exec-result pipe, -1 when done */
	int ready_fd;                   /* fd:N readiness pipe (read end), -1 */
	int mb_fd;                      /* listening mailbox socket, -1: none */
	/* cgroup (cgroup*.c); cg_fd -1 without one.  Kept across restarts. */
	int cg_fd;
	int cg_wd;                      /* inotify watch while draining, -1 */
	int cg_mem_fd;                  /* the cgroup counting its OOM kills, -1 */
	int drain_status;               /* the main process's wait status */
	bool exec_ok;                   /* execve succeeded */
	bool reaped;
	bool draining;                  /* main gone, leftovers being stopped */
	bool cg_killed;                 /* cgroup.kill was used: make a new one */
};

/* Both strings are allocated when needed: most workers never send STATUS=
 * or fail a start, and 288 bytes inline were an eighth of a worker's cost. */
#define WS_STATUS_MAX 128

struct ws *ws_of(struct sup_node *n);
int ws_index_pid(struct ws *w);
void ws_unindex_pid(struct ws *w);
void ws_process_done(struct ws *w);
/* Depth-first walk of the tree (templates and removed nodes skipped). */
struct sup_node *tree_walk_next(struct sup_node *n);
void ws_close_mailboxes(void);
/* Free states parked by ws_free (end of each loop iteration). */
void ws_collect(void);
/* Find the worker whose current main process is `pid`. */
struct ws *ws_by_pid(pid_t pid);
void ws_free(struct ws *w);

/* --- spawn.c ----------------------------------------------------------- */

/* Start w's process.  0, or -errno with *ret_why set (nothing left running). */
int spawn_worker(struct ws *w, const char **ret_why);
/* Room for a pid in LISTEN_PID=, filled by the child itself. */
#define SPAWN_PID_ROOM "                    "
int spawn_env_build(struct ws *w, char ***ret_env, const char **ret_why);
void spawn_env_free(char **v);
/* Send `sig` through the pidfd (never to a bare pid). */
int spawn_signal(struct ws *w, int sig);

/* --- cgroup*.c: the tree's cgroups (DESIGN §3 "a worker is its cgroup") */

#define CG_DEPTH_MAX 64                 /* supervision depth with cgroups */

struct cg_freezing {
	struct sup_node *node;
	int wd;
};

struct cg_shell {
	bool on;                        /* workers get cgroups */
	int base_fd;
	char base[4096];
	size_t mount_len;               /* base + mount_len: as /proc/PID/cgroup says */
	bool moved;                     /* otpd moved itself into <base>/otpd */
	bool private_base;              /* <own>/otpd.PID: removed at exit */
	unsigned needed, usable, missing;       /* controllers (cgroups.h bits) */
	unsigned *own, *kids;           /* per config node: its limits, its children's */
	int ino_fd;
	struct ev_source ino_src;
	struct ws *draining;            /* workers whose leftovers are being stopped */
	struct sup_node **frozen;       /* nodes otpctl froze */
	size_t n_frozen;
	struct cg_freezing *freezing;   /* freeze requested, not yet frozen */
	size_t n_freezing;
};
extern struct cg_shell cgs;

/* Find the base, clean stale cgroups, enable controllers.  <0: exit 2. */
int cgroup_init(void);
void cgroup_fini(void);
int cgroup_relpath(const struct sup_node *n, char *buf, size_t len);
unsigned cgroup_node_controllers(const struct sup_node *n);
/* n's cgroup directory fd (created with its ancestors if `create`). */
int cgroup_node_open(const struct sup_node *n, bool create, const char **why);
/* Give w its cgroup before a spawn (no-op without cgroups). */
int cgroup_worker_prepare(struct ws *w, const char **why);
/*
 * w's main process was reaped with `wstatus`.  false: report the exit now
 * with *ret_flags; true: leftovers are being stopped, the exit is reported
 * once the cgroup is empty.
 */
bool cgroup_exit_held(struct ws *w, int wstatus, unsigned *ret_flags);
void cgroup_kill(struct ws *w);
/* While draining, signal the leftovers too. */
void cgroup_signal_leftovers(struct ws *w, int sig);
void cgroup_worker_release(struct ws *w);
void cgroup_node_release(struct sup_node *n);
int64_t cgroup_next_deadline(void);
void cgroup_timer(int64_t now);
int cgroup_watch_init(void);
int cgroup_watch_add(int dirfd);
void cgroup_watch_drop(int wd);
/* Wait (blocking, bounded) for dirfd's cgroup to be empty. */
int cgroup_wait_empty(int dirfd, int timeout_ms);
/* otpd.cfg was replaced by a reload (`old` still readable): controllers
 * and limits of existing cgroups follow the new config in place. */
void cgroup_reload(const struct otp_config *old);
int cgroup_freeze(struct sup_node *n, bool on);
void cgroup_freeze_check(void);
struct sup_node *cgroup_frozen_by(const struct sup_node *n);
bool cgroup_worker_frozen(const struct ws *w);
void cgroup_frozen_forget(struct sup_node *n);

/* --- signals.c --------------------------------------------------------- */

int signals_init(void);
/* A reload may have claimed new signals for forward_signals. */
void signals_refresh(void);
/* The signals a child must set back to SIG_DFL before execve. */
const sigset_t *signals_not_default(void);

/* --- mailbox.c -------------------------------------------------------- */

/* Create w's mailbox socket if it needs one and has none.  0 or -errno. */
int mailbox_open(struct ws *w);
/* Close and remove it (the worker left the tree: callers get noproc). */
void mailbox_close(struct ws *w);
/* Apply a reloaded config to an open mailbox, keeping queued callers. */
int mailbox_update(struct ws *w);

/* --- reap.c ------------------------------------------------------------ */

/* Reap every exited child, known ones become core events. */
void reap_all(void);
/* The exec-result pipe of w became readable. */
void reap_exec_result(struct ev_source *s, uint32_t revents);
/* w's child failed `step` with `err`: start_failed:STEP:<errno text> once reaped. */
void reap_exec_failed(struct ws *w, const char *step, int err);
void reap_ready_fd(struct ev_source *s, uint32_t revents);

/* --- actions.c --------------------------------------------------------- */

/* Execute the core's pending actions (and clear them). */
void actions_run(void);

/* --- notify.c: $NOTIFY_SOCKET for children ------------------------------ */

int notify_init(const char *run_dir);
const char *notify_path(void);

/* --- sdnotify.c: talking to our own parent (systemd) -------------------- */

void sd_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- watchdog_self.c: WATCHDOG=1 to systemd when WatchdogSec= is set ---- */

/* After ev_init(): when $WATCHDOG_USEC is for us, a loop source pings at
 * half the interval.  Logs its own failures, which are never fatal. */
void watchdog_self_start(void);

/* --- control.c: the control socket -------------------------------------- */

int control_init(const char *path, const char *group);
void control_fini(void);
/* Earliest instant control wants control_timer() (idle clients, wait
 * timeouts), or INT64_MAX. */
int64_t control_next_deadline(void);
void control_timer(int64_t now);
/* A core reply for the command with `cookie` (see actions.c). */
void control_reply(uint64_t cookie, const struct sup_action *a);
/* A node entered `state`: wake `otpctl wait` clients. */
void control_state_changed(struct sup_node *n, enum sup_state state);
/* A node is now shown as `shown` (e.g. "frozen"): wake waiters. */
void control_state_notify(struct sup_node *n, const char *shown);
/* A node left the tree (SUP_A_FORGET), before its shell state is freed. */
void control_node_forgotten(struct sup_node *n);
/* The tree is going away: finish every client with `code`. */
void control_close_all(int code);
/* Status and count, text or JSON, appended to a client's output. */
void status_render(struct ipc_conn *c, struct sup_node *n, bool json);
void count_render(struct ipc_conn *c, struct sup_node *n, bool json);
/* logs --json: {"name": NAME, "lines": [...]}, the last n lines of r (0: all; r NULL: none). */
void logs_render_json(struct ipc_conn *c, struct sup_node *n, const struct log_ring *r,
		      unsigned n_lines);

/* --- control.c <-> control_verbs.c ----------------------------------------- */

struct ctl_client;
struct ipc_conn *ctl_client_conn(struct ctl_client *cl);
/* Queue END(code); the client is freed once it is flushed. */
void ctl_client_end(struct ctl_client *cl, int code);
/* One line "otpctl: ..." on the client's stderr, then END(code). */
void ctl_client_fail(struct ctl_client *cl, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Wait for the core's reply to `cookie` (register before calling the
 * core).  On success print "ok", or the reply node's name if print_node.
 */
void ctl_client_await_reply(struct ctl_client *cl, uint64_t cookie, const char *name,
			    bool print_node);
/* Wait until node `name` is in rendered state `state`, until `deadline`;
 * then print "ok" if say_ok. */
void ctl_client_await_state(struct ctl_client *cl, const char *name, const char *state,
			    int64_t deadline, bool say_ok);
/*
 * Stream new lines of `ring` (node `name`) until the client goes, as text
 * or (json) one JSON string per line.  0 or -errno.
 */
int ctl_client_follow(struct ctl_client *cl, struct log_ring *ring, const char *name, bool json);
/* Queue `line` + "\n" on the client's stdout; -ENOBUFS when full. */
int ctl_client_line(struct ctl_client *cl, const char *line, size_t len);

/* control_peer.c: is the peer in `gid` (supplementary groups included)? */
bool ctl_peer_in_group(int fd, pid_t pid, gid_t gid);
/* A group name or number, without NSS.  0, or -ENOENT. */
int ctl_group_resolve(const char *group, gid_t *ret_gid);
/* mkdir -p of the directory holding `path` (0755). */
int ctl_mkdir_parents(const char *path);

/* Handle one request (control_verbs.c).  The client may be freed on return. */
void ctl_dispatch(struct ctl_client *cl, int argc, const char **argv);
/* The state otpctl shows: "failed" for failed nodes, else sup_state_str. */
const char *ctl_node_state(const struct sup_node *n);

/* --- reload.c: otpctl reload, SIGHUP (DESIGN §7) --------------------------- */

/* Load the config again and apply the difference; cl NULL for SIGHUP. */
void reload_begin(struct ctl_client *cl, bool keep_running);
/* A core reply: true if it answered one of reload's own commands. */
bool reload_reply(uint64_t cookie);
/* Run what a finished batch made due (called at the end of actions_run). */
void reload_poll(void);

/* --- pid1.c -------------------------------------------------------------- */

int pid1_setup(void);
/* After the tree stopped: TERM+CONT orphans, KILL at the grace deadline. */
void pid1_reap_orphans(int64_t grace_ms);
void pid1_halt(int how, int code);   /* how: RB_POWER_OFF, RB_AUTOBOOT, RB_HALT_SYSTEM */
/* Process 1 of a machine (not of a container's PID namespace)? */
bool pid1_in_vm(void);

/* --- main.c: the daemon ------------------------------------------------- */

struct otpd {
	struct otp_config *cfg;
	const char *config_path;        /* -c PATH, NULL: the defaults (reload reads it again) */
	struct sup_tree *tree;
	bool stopping;                  /* the tree is being shut down */
	bool pid1;
	bool done;
	int exit_code;
	int halt_how;           /* 0: just exit */
	uint64_t next_cookie;
	unsigned long nofile_soft;      /* RLIMIT_NOFILE soft limit we started with, */
	unsigned long nofile_hard;      /* and the hard one; 0, 0: not raised */
	char oom_score_adj[8];          /* PID 1: ours before -1000, for workers; or "" */
};
extern struct otpd otpd;

/* Ask for an orderly shutdown (signal or otpctl). */
void otpd_shutdown(int halt_how);

#endif
