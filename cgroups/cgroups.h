/*
 * cgroups.h: cgroup v2 for otpd.
 *
 * The library knows cgroupfs, not the supervision tree: it finds the
 * cgroup2 mount and otpd's own cgroup, creates and removes directories,
 * writes limits, kills, freezes and reads stats.  Everything after set-up
 * works on directory descriptors, so nothing depends on where cgroup2 is
 * mounted.  Errors are -errno; no function logs (the caller knows what a
 * failure means for the user).
 */
#ifndef OTPD_CGROUPS_H
#define OTPD_CGROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>


/* Controllers, as bits. */
enum {
	CG_CPU = 1u << 0,
	CG_MEMORY = 1u << 1,
	CG_PIDS = 1u << 2,
	CG_IO = 1u << 3,
	CG_CPUSET = 1u << 4,
};
#define CG_ALL (CG_CPU | CG_MEMORY | CG_PIDS | CG_IO | CG_CPUSET)

/* --- find.c: where things are --------------------------------------- */

/* Mount point of the first cgroup2 mount in mountinfo text.  0 or -ENOENT. */
int cg_find_mount(FILE *mountinfo, char *buf, size_t len);
/* The "0::PATH" entry of /proc/PID/cgroup text.  0 or -ENOENT. */
int cg_own_path(FILE *proc_cgroup, char *buf, size_t len);
/* "cpu memory pids" -> bits (unknown names ignored). */
unsigned cg_controllers_parse(const char *s);
/* "cpu memory" for `mask` into buf (space separated; whole names only
 * when buf is short). */
void cg_controllers_format(unsigned mask, char *buf, size_t len);
/* Append `word` to the space-separated list in buf (`*at` used): false,
 * with the list as it was, when it does not fit whole. */
bool cg_words_add(char *buf, size_t len, size_t *at, const char *word);

/* --- fs.c: reading and writing cgroup files ------------------------- */

/* Write `val` to dirfd/file in one write(2).  0 or -errno. */
int cg_write(int dirfd, const char *file, const char *val);
/* Read dirfd/file into buf (NUL-terminated).  Length or -errno. */
ssize_t cg_read(int dirfd, const char *file, char *buf, size_t len);
/* The number after "key " in flat-keyed text ("populated 1\nfrozen 0\n").
 * 0, -ENOENT (no such key) or -EINVAL (not a number). */
int cg_kv(const char *text, const char *key, int64_t *ret);
/* Open (creating if needed) the cgroup `name` under parentfd.
 * *ret_created says whether it is new.  Returns a directory fd or -errno. */
int cg_open_child(int parentfd, const char *name, bool create, bool *ret_created);
/* Enable `mask` in dirfd's cgroup.subtree_control.  0 or -errno. */
int cg_enable(int dirfd, unsigned mask);
/* Move the calling process into dirfd's cgroup.  0 or -errno. */
int cg_move_self(int dirfd);

/* --- limits.c ----------------------------------------------------------- */

/* Resource limits of a node (workers and supervisors); -1 / NULL = not set.
 * The configuration fills them (config/, otp.conf(5) RESOURCE LIMITS). */
struct cg_limits {
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

/* Every limit unset. */
extern const struct cg_limits cg_limits_none;

/* Controllers the limits `l` need. */
unsigned cg_limits_need(const struct cg_limits *l);
/*
 * Write every limit set in `l` whose controller is in `mask` to dirfd.  On
 * failure returns -errno and names the file that refused in *ret_file.
 */
int cg_limits_apply(int dirfd, const struct cg_limits *l, unsigned mask, const char **ret_file);
/*
 * Limits changed by a reload, in place: files whose value changed are
 * written, limits no longer configured go back to the kernel's default.
 */
int cg_limits_update(int dirfd, const struct cg_limits *old, const struct cg_limits *l,
		     unsigned mask, const char **ret_file);
/* "memory_max cpu_max" for the keys of `l` set and needing a controller in
 * `mask` (for messages). */
void cg_limits_keys(const struct cg_limits *l, unsigned mask, char *buf, size_t len);

/* --- ops.c: kill, freeze, emptiness, removal ------------------------ */

/* 1 populated, 0 empty, or -errno. */
int cg_populated(int dirfd);
/* 1 frozen, 0 not, or -errno. */
int cg_frozen(int dirfd);
int cg_freeze(int dirfd, bool on);
/* SIGKILL every process in the cgroup and below (cgroup.kill, or one by
 * one on kernels before 5.14).  0 or -errno. */
int cg_kill(int dirfd);
/* Send sig to every process listed in cgroup.procs (not below).  The
 * number of processes signalled, or -errno. */
int cg_signal(int dirfd, int sig);
/* Remove parentfd/name and every cgroup below it (all must be empty).
 * 0 (also when absent) or -errno. */
int cg_remove(int parentfd, const char *name);

/* --- stats.c ------------------------------------------------------------ */

struct cg_stats {
	int64_t memory_current;         /* bytes; -1 where not available */
	int64_t memory_peak;
	int64_t cpu_usage_usec;
	int64_t pids_current;
};
void cg_stats_read(int dirfd, struct cg_stats *s);
/* Same, reading only the files of controllers in `mask` (and cpu.stat,
 * always there): looking up an absent cgroupfs file costs as much as
 * reading one. */
void cg_stats_read_mask(int dirfd, unsigned mask, struct cg_stats *s);
/* memory.events oom_kill (0 when there is no memory controller). */
int64_t cg_oom_kills(int dirfd);

#endif
