/*
 * cgroup.h: the tree's cgroups (otp.conf(5): "A worker is its cgroup").
 *
 * The tree lives in <base>/root/<sup>/.../<worker> (base.c finds and locks
 * the base, makes directories with their limits, follows reloads); a
 * worker's cgroup is kept across restarts.  When a worker's main process
 * ends, what it left behind is stopped before the exit counts (run.c),
 * and cgroup.events is watched with inotify, never polled.  freeze.c is
 * `otpctl freeze`/`thaw`.  With cgroups off (or unavailable) every call is
 * a cheap no-op.
 */
#ifndef OTPD_INIT_CGROUP_H
#define OTPD_INIT_CGROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "../../config/config.h"
#include "../../supervisor/supervisor.h"
#include "../base/base.h"

#define CG_DEPTH_MAX 64                 /* supervision depth with cgroups */

/*
 * A worker's cgroup, kept in its shell state (worker.h) across restarts.
 * fd -1: none (cgroups off, or not made yet).
 */
struct cg_worker {
	struct sup_node *node;
	struct cg_worker *wait_next;    /* cgs.waiting */
	int64_t ooms;                   /* memory.events oom_kill at the start, -1: none */
	int wd;                         /* inotify watch while waiting for empty, -1 */
	bool made;                      /* its directory exists */
	bool waiting;                   /* main process gone, cgroup not yet empty */
	bool killed;                    /* cgroup.kill was used: make a new one */
};
/* A worker's cgroup before its first start. */
void cgroup_worker_init(struct cg_worker *c, struct sup_node *n);

struct cg_freezing {
	struct sup_node *node;
	int wd;
};

struct cg_shell {
	bool on;                        /* workers get cgroups */
	int base_fd;
	char *base;                     /* the path (heap: 4 KiB of .bss was a page more) */
	size_t mount_len;               /* base + mount_len: as /proc/PID/cgroup says */
	bool moved;                     /* otpd moved itself into <base>/otpd */
	bool private_base;              /* <own>/otpd.PID: removed at exit */
	unsigned needed, usable, missing;       /* controllers (cgroups.h bits) */
	unsigned *own, *kids;           /* per config node: its limits, its children's */
	int ino_fd;
	struct ev_source ino_src;
	struct cg_worker *waiting;      /* workers whose leftovers the core is stopping */
	struct sup_node **frozen;       /* nodes otpctl froze */
	size_t n_frozen;
	struct cg_freezing *freezing;   /* freeze requested, not yet frozen */
	size_t n_freezing;
};
extern struct cg_shell cgs;

/* --- base.c ------------------------------------------------------------- */

/* Find the base, clean stale cgroups, enable controllers.  <0: exit 2. */
int cgroup_init(void);
void cgroup_fini(void);
int cgroup_relpath(const struct sup_node *n, char *buf, size_t len);
/* The same in a new string (free it); NULL with errno.  On the heap: a
 * PATH_MAX buffer on the spawn path's stack is otpd's memory for good. */
char *cgroup_relpath_dup(const struct sup_node *n);
unsigned cgroup_node_controllers(const struct sup_node *n);
/* n's cgroup directory fd (created with its ancestors if `create`). */
int cgroup_node_open(const struct sup_node *n, bool create, const char **why);
/* otpd's config was replaced by a reload (`old` still readable): controllers
 * and limits of existing cgroups follow the new config in place. */
void cgroup_reload(const struct otp_config *old);

/* --- state.c: re-execution (otpd(8), RE-EXECUTION) -------------------------
 * The base (its descriptor, whose lock goes through the exec), the frozen
 * nodes and each worker's cgroup flags are saved; directories and limits
 * are the kernel's and stay as they are.  The new image opens a new
 * inotify descriptor and watches again what was being frozen.  Restores:
 * 0, or -errno with *why; dry only reads.
 */
void cgroup_save(struct st_buf *b);
int cgroup_restore(const struct st_rd *r, bool dry, const char **why);
/* After the tree is restored: the nodes that were frozen. */
int cgroup_restore_frozen(const struct st_rd *r, bool dry, const char **why);
void cgroup_worker_save(const struct cg_worker *c, struct st_buf *b);
int cgroup_worker_restore(struct cg_worker *c, const struct st_rd *r, bool dry);
/* base.c: the controller masks, from the configuration in force. */
int cgroup_masks_setup(void);

/* --- run.c -------------------------------------------------------------- */

/*
 * Before a spawn: the worker's cgroup, made when needed (and made anew
 * after a cgroup.kill); *ret_fd is its directory for the spawn (the caller
 * closes it), or -1 without cgroups.  0, or -errno with *why.
 */
int cgroup_worker_prepare(struct cg_worker *c, int *ret_fd, const char **why);
/* The worker's main process was reaped with `wstatus`: SUP_EXIT_OOM when
 * its cgroup saw an OOM kill and it died by SIGKILL, else 0. */
unsigned cgroup_exit_flags(struct cg_worker *c, int wstatus);
/*
 * Did the main process leave processes in the cgroup?  Then the cgroup is
 * watched, and core_child_gone() is called once it is empty.
 */
bool cgroup_leftovers_watch(struct cg_worker *c);
/* cgroup.kill (the cgroup is replaced before its next use). */
void cgroup_kill(struct cg_worker *c);
/* `sig` to every process in the cgroup (the main process is gone).  How many, or -errno. */
int cgroup_signal_leftovers(struct cg_worker *c, int sig);
void cgroup_worker_release(struct cg_worker *c);
void cgroup_node_release(struct sup_node *n);
int cgroup_watch_init(void);
int cgroup_watch_add(int dirfd);
void cgroup_watch_drop(int wd);
/* Wait (blocking, bounded) for dirfd's cgroup to be empty. */
int cgroup_wait_empty(int dirfd, int timeout_ms);

/* --- freeze.c ----------------------------------------------------------- */

int cgroup_freeze(struct sup_node *n, bool on);
void cgroup_freeze_check(void);
struct sup_node *cgroup_frozen_by(const struct sup_node *n);
void cgroup_frozen_forget(struct sup_node *n);
/* Would a process started in the cgroup open as dirfd be frozen at birth? */
bool cgroup_worker_frozen(const struct cg_worker *c, int dirfd);

#endif
