/*
 * base.h: what every room of init/ stands on.
 *
 * The one event loop (loop.c): epoll over every fd otpd holds, and one heap
 * of timers, the loop's only deadline source; each source is a struct
 * ev_source whose handler does one bounded piece of work and returns.  The
 * monotonic clock is read once per wake-up (ev_now()); an idle otpd sleeps
 * in epoll_wait with no timeout and makes no system call.
 *
 * otpd's own messages (log.c): one line each on stderr, never blocking.
 * Small helpers that several rooms need (group.c, fd_private.c).
 *
 * Nothing here knows of the supervision tree.
 */
#ifndef OTPD_INIT_BASE_H
#define OTPD_INIT_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct st_buf;
struct st_rd;

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
/*
 * A timer: fn(t, now) runs once `at` has passed (in a later loop
 * iteration).  Zero-initialised storage is a valid, unarmed timer; arming
 * an armed timer moves it; at = INT64_MAX just stops it.
 */
struct ev_timer {
	int64_t at;
	size_t idx;                     /* in the heap, while armed */
	bool armed;
	void (*fn)(struct ev_timer *t, int64_t now);
	void *data;
};
/* 0, or -ENOMEM (the timer is then not armed). */
int ev_timer_arm(struct ev_timer *t, int64_t at);
void ev_timer_stop(struct ev_timer *t);
/* Sleep until an fd is ready or the next timer is due; dispatch. */
int ev_run_once(void);

/* --- log.c: otpd's own messages, one line each on stderr ------------- */

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
void log_set_level(enum log_level lvl);
/* Hand each formatted message (one line, '\n' included) to fn instead of
 * writing stderr: the output room's queue, which never cuts a line. */
void log_set_writer(void (*fn)(const char *buf, size_t len));

/* --- fd_private.c ------------------------------------------------------ */

struct stat;
/*
 * A descriptor for writing fd 1 or 2 (whose fstat is `st`) that never
 * blocks: a private non-blocking reopen, or `fd` itself; *ret_socket says
 * to write it with send(MSG_DONTWAIT).
 */
int fd_private_nonblock(int fd, const struct stat *st, bool *ret_socket);

/* --- group.c: groups without NSS, directories ---------------------------- */

/* Is the peer on socket fd (process pid) in `gid`, supplementary groups included? */
bool peer_in_group(int fd, pid_t pid, gid_t gid);
/* A group name or number, without NSS.  0, or -ENOENT. */
int group_resolve(const char *group, gid_t *ret_gid);
/* mkdir -p of the directory holding `path` (0755). */
int mkdir_parents(const char *path);

/* --- rundir.c: run_dir, where otpd's sockets live ------------------------- */

/*
 * Make or check run_dir (a directory of otpd's user that nobody else may
 * write, not a symbolic link) and lock it for this otpd's life
 * (otpd.pid).  0, or -errno with *ret_why (-EBUSY: another otpd has it).
 */
int rundir_open(const char *path, const char **ret_why);
/* The same for a directory in it (mailbox/; `name` must live as long as
 * otpd: a directory made here is removed at exit when empty).  0, or
 * -errno with *ret_why. */
int rundir_subdir(const char *name, const char **ret_why);
/* Unlock; remove otpd.pid, and run_dir when otpd made it and it is empty. */
void rundir_close(void);
/* Re-execution: the open directory, its lock and what to remove at exit,
 * kept as they are (dry: only read).  0, or -errno with *ret_why. */
void rundir_save(struct st_buf *b);
int rundir_restore(const struct st_rd *r, bool dry, const char **ret_why);

/*
 * --- state.c: the bytes of otpd's saved state (otpd(8), RE-EXECUTION) ----
 * Items: a tag (u16), a length (u32), as many bytes; little-endian; an item
 * may hold items.  Each room writes and reads its own section with these.
 * Writing never fails half-way unnoticed: out of memory marks the buffer.
 * Readers skip tags they do not know (what a minor version adds).
 */
struct st_buf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
	int *fds;                       /* the descriptors written (st_put_fd) */
	size_t n_fds, cap_fds;
};
void st_put(struct st_buf *b, unsigned tag, const void *v, size_t n);
/* One value made of two pieces (a circular buffer's segments). */
void st_put2(struct st_buf *b, unsigned tag, const void *v1, size_t n1, const void *v2,
	     size_t n2);
void st_put_u64(struct st_buf *b, unsigned tag, uint64_t v);
void st_put_i64(struct st_buf *b, unsigned tag, int64_t v);
void st_put_str(struct st_buf *b, unsigned tag, const char *s);
/* An item holding items: st_open, the items, st_close(what st_open returned). */
size_t st_open(struct st_buf *b, unsigned tag);
void st_close(struct st_buf *b, size_t at);
void st_buf_free(struct st_buf *b);
/* Bytes that are no item (the state's header). */
void st_raw(struct st_buf *b, const void *v, size_t n);
/*
 * A descriptor the new image keeps: its number, and it joins b->fds, the
 * ones left open across the exec (-1 is written as none).
 */
void st_put_fd(struct st_buf *b, unsigned tag, int fd);

struct st_rd {
	const uint8_t *p;
	size_t n;
};
/* The next item of r: 1, 0 at the end, -EBADMSG when r is cut short. */
int st_next(struct st_rd *r, unsigned *ret_tag, struct st_rd *ret_v);
/* Is every item of r whole (none cut short)? */
bool st_whole(const struct st_rd *r);
/* The value of the first item `tag` of r.  false: none. */
bool st_find(const struct st_rd *r, unsigned tag, struct st_rd *ret_v);
bool st_u64(const struct st_rd *r, unsigned tag, uint64_t *ret);
/* A value read by st_next (repeated items) as a number. */
bool st_val_u64(const struct st_rd *v, uint64_t *ret);
bool st_i64(const struct st_rd *r, unsigned tag, int64_t *ret);
/* An int (a fd, a pid, a code); false when absent or out of range. */
bool st_int(const struct st_rd *r, unsigned tag, int *ret);
bool st_flag(const struct st_rd *r, unsigned tag);
/* A string without NUL of fewer than `len` bytes, into buf. */
bool st_str(const struct st_rd *r, unsigned tag, char *buf, size_t len);
/* A copy (malloc) of a string item; NULL: absent, has a NUL, or ENOMEM. */
char *st_strdup(const struct st_rd *r, unsigned tag);
/*
 * Restore side: the descriptors the state says were kept (its list of
 * them, before any room reads its part); st_fd reads one of them (-1:
 * none) and refuses a number that is not in the list.
 */
int st_fds_declare(const int *fds, size_t n);
bool st_fd(const struct st_rd *r, unsigned tag, int *ret);
/* Was fd declared kept? */
bool st_fd_declared(int fd);
/* Every declared descriptor close-on-exec again (FD_CLOEXEC: the only fd flag). */
void st_fds_cloexec(void);
void st_fds_forget(void);

#endif
