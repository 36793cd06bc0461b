/*
 * worker.h: a worker's process, seen from otpd.
 *
 * A struct ws lives as long as its node is in the tree (the core's node
 * points at it, sup_node_shell()); what must survive restarts lives here:
 * the output sink and its ring, the mailbox socket, the cgroup, the
 * prepared sandbox.  This room starts processes (spawn.c: a child sharing
 * otpd's memory, or a copy of otpd; init/child/ runs in the child), turns
 * what the kernel says of them into events for the core (reap.c: exits and
 * exec results; notify.c: sd_notify messages), signals them through their
 * pidfds only, and holds their mailboxes (mailbox.c).
 */
#ifndef OTPD_INIT_WORKER_H
#define OTPD_INIT_WORKER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../config/config.h"
#include "../../supervisor/supervisor.h"
#include "../base/base.h"
#include "../cgroup/cgroup.h"
#include "../child/child.h"
#include "../output/output.h"

/* What otpd keeps of a worker's sandbox for its starts (sandbox.c). */
struct sb_prep {
	struct sb_filter filter;
	bool built;
	int *node_fds;                  /* the child's slots for inaccessible_paths */
};

struct wsys;

/*
 * Pointers, then 64-bit numbers, then ints, then flags: one of these lives
 * for every worker of the tree, and padding holes add up.
 */
struct ws {
	struct sup_node *node;
	const struct cfg_node *cfg;     /* NULL for supervisors */
	struct ev_source exec_src;
	struct ev_source ready_src;
	struct out_sink *sink;          /* where its lines go; kept across restarts */
	struct out_pipe *out, *err;     /* the current process's pipes, or NULL */
	char *status;                   /* last STATUS= (WS_STATUS_MAX), NULL: none yet */
	char *fail_why;                 /* set-up step that failed in the child, or NULL */
	struct ws *limbo_next;
	struct sb_prep *sb;             /* built at the first start */
	struct wsys *sys;               /* monitors and ping (sys.h), NULL: neither */
	struct ws *twin;                /* an overlapping restart: the worker's second
	                                   process (overlap.c); in that twin: the worker */
	struct cg_worker cg;            /* its cgroup, kept across restarts */
	pid_t pid;                      /* 0: none (reaping is waitid(P_ALL)) */
	pid_t last_pid;                 /* the last process reaped (events' exits), 0: none */
	int exec_fd;                    /* exec-result pipe, -1 when done */
	int ready_fd;                   /* fd:N readiness pipe (read end), -1 */
	int mb_fd;                      /* listening mailbox socket, -1: none */
	int ho_fd;                      /* twin: its end of the handover channel until
	                                   it is spawned, -1: none */
	bool exec_ok;                   /* execve succeeded */
	bool is_twin;                   /* this is the second process of twin */
	bool swapped;                   /* twin: it holds the old process now */
};

/* Both strings are allocated when needed: most workers never send STATUS=
 * or fail a start, and 288 bytes inline were an eighth of a worker's cost. */
#define WS_STATUS_MAX 128

/* What workers get from otpd's own start (main.c), for every spawn. */
struct worker_setup {
	unsigned long nofile_soft;      /* RLIMIT_NOFILE otpd was started with, */
	unsigned long nofile_hard;      /* given back to workers; 0, 0: not raised */
	int oom_back;                   /* oom_score_adj a worker of PID 1 gets back */
	const sigset_t *sig_reset;      /* dispositions a child sets back to SIG_DFL */
};
void worker_setup(const struct worker_setup *s);
/* What worker_setup() was given (re-execution carries it). */
const struct worker_setup *worker_setup_get(void);

/* Descriptors otpd keeps for lending to the children it starts (clone.c):
 * a block of slots and the /dev/null placeholder. */
#define WORKER_LEND_SLOTS 8
#define WORKER_LEND_FDS (WORKER_LEND_SLOTS + 1)

/* --- state.c ------------------------------------------------------------ */

/* The worker state of `n`, created on first use; NULL for supervisors. */
struct ws *ws_of(struct sup_node *n);
/* Its output's ring, for `otpctl logs` (the sink's; NULL: none yet). */
struct log_ring *ws_ring(const struct ws *w);
/* Find the worker whose current main process is `pid`. */
struct ws *ws_by_pid(pid_t pid);
/* Drop what refers to the current process (after it was reaped). */
void ws_process_done(struct ws *w);
void ws_free(struct ws *w);
/* Free states parked by ws_free (end of each loop iteration). */
void ws_collect(void);
/* otpd is leaving: remove every mailbox socket and cgroup it holds. */
void ws_close_mailboxes(void);
/* Close the files workers' output goes to; each is opened again at its
 * next line (SIGHUP, `otpctl logs --reopen --all`). */
void ws_reopen_logs(void);

/* --- spawn.c ------------------------------------------------------------ */

/* Start w's process.  0, or -errno with *ret_why set (nothing left running). */
int spawn_worker(struct ws *w, const char **ret_why);
/* Send `sig` through a pidfd of w's process (never to a bare pid). */
int spawn_signal(struct ws *w, int sig);

/* --- overlap.c: a worker's second process (otpctl restart --overlap) ----- */

/*
 * Start w's second process (in a twin state that borrows w's sink, mailbox
 * socket, cgroup and sandbox; it gets OTP_TAKING_OVER=1).  0, or -errno
 * with *ret_why.
 */
int overlap_spawn(struct ws *w, const char **ret_why);
/* The second process is ready: it becomes w's process, the old one the twin's. */
void overlap_swap(struct ws *w);
/* `sig` (+SIGCONT when cont) to the second process; KILL: also its process group. */
void overlap_signal(struct ws *w, int sig, bool cont);
/* The second process of w, 0: none. */
pid_t overlap_pid(const struct ws *w);
/* The twin's process was reaped: the twin goes. */
void overlap_release(struct ws *w);

/* --- reap.c ------------------------------------------------------------- */

/* Reap every exited child, known ones become core events. */
void reap_all(void);
/* The exit of `pid`, a child otpd started that is no worker (one at a
 * time: reexec's check), goes to fn once reaped; pid 0 lets go. */
void reap_claim(pid_t pid, void (*fn)(int wstatus, void *data), void *data);

/* --- notify.c: $NOTIFY_SOCKET for children ------------------------------ */

int notify_init(const char *run_dir);
const char *notify_path(void);

/*
 * --- save.c: re-execution (otpd(8), RE-EXECUTION) -------------------------
 * Every worker's shell state goes into the saved state and comes back on
 * the restored tree: its process (pid: signals and reaping go on), the
 * pipes of a start not yet settled (exec result, fd:N readiness), its
 * mailbox socket (callers wait in it meanwhile), STATUS=, its cgroup's
 * flags, its output pipes and ring; and the notify socket (READY=1 sent
 * meanwhile waits in it).  Restores: 0, or -errno with *why; dry only
 * reads.
 */
void worker_save(struct st_buf *b);
int worker_restore(const struct st_rd *r, bool dry, const char **why);
void notify_save(struct st_buf *b);
int notify_restore(const struct st_rd *r, bool dry);

/* --- mailbox.c ---------------------------------------------------------- */

/* Close and remove w's mailbox (the worker left the tree: callers get noproc). */
void mailbox_close(struct ws *w);
/* Apply a reloaded config to an open mailbox, keeping queued callers
 * (and to the worker's monitors and ping). */
int mailbox_update(struct ws *w);
/*
 * otpd's own connection to worker NAME's mailbox (the socket otpd holds):
 * a non-blocking, close-on-exec fd, or -errno (-EAGAIN: the backlog is
 * full; -ENOENT: no such mailbox).  It waits in the backlog until the
 * worker accepts; what is sent meanwhile waits with it.
 */
int mailbox_connect(const char *name);
/* Send one datagram (kind byte first) without blocking: 0, -EAGAIN (full),
 * or -errno (-EPIPE, -ECONNRESET: the process that took it closed it). */
int mailbox_send(int fd, const void *msg, size_t len);
/* The same, passing descriptor `pass` along (SCM_RIGHTS). */
int mailbox_send_fd(int fd, const void *msg, size_t len, int pass);

/* --- sys.c: system messages (monitors, ping; otp.conf(5)) ----------------- */

/* Watch the doorway for what monitors and pings follow (at worker_setup). */
void wsys_init(void);
/* w's config changed (reload): its monitors and ping follow it.  0 or -ENOMEM. */
int wsys_follow(struct ws *w);
/* w's mailbox goes: so do its monitors and ping. */
void wsys_drop(struct ws *w);
/* Free what wsys_drop parked (with ws_collect). */
void wsys_collect(void);
/* DOWN and UP casts lost for w (socket full, no connection), -1 when w
 * monitors nothing: otpctl metrics. */
int64_t wsys_lost(const struct ws *w);
/* Re-execution (save.c): w's connection, what its process was told of the
 * nodes it monitors, the ping and retry timers with the time they had
 * left.  w->sys must exist to save; restore: 0 or -errno, dry only reads. */
void wsys_save(const struct ws *w, struct st_buf *b);
int wsys_restore(struct ws *w, const struct st_rd *r, bool dry);

/* --- sandbox.c, seccomp.c ----------------------------------------------- */

/* Release what the first start prepared of w's sandbox (a reload rebuilds it). */
void sandbox_free(struct ws *w);
/* "x86_64", "x86", ... for SCMP_ARCH_* (status). */
const char *sb_arch_name(uint32_t arch);

#endif
