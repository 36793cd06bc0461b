/*
 * reexec_state.c: otpd's state for its re-execution, written by the image
 * that goes and read by the new one (otpd(8), RE-EXECUTION, describes it
 * for users).
 *
 *   "OTPDSTAT"  major (u32)  minor (u32)     then items (base.h: tag,
 *                                            length, value), one section
 *                                            per room:
 *   ABOUT     the writer's version, when it saved, when it was asked
 *   CONFIG    the configuration as loaded by the last load or reload: the
 *             path, each file's name and text, the program of otpd -- CMD,
 *             and the [otpd] keys fixed until otpd restarts
 *   CORE      the tree's runtime state (the core's own items, versioned
 *             by the core), PID 1 or not, the halt asked, file limits
 *   SYSTEM, RUNDIR, CGROUP, OUTPUT, EVENTS, WORKERS, CONTROL
 *             each room's own (its save/restore pair)
 *   REEXEC    the binary that goes (a descriptor: the rollback), a note
 *   FDS       every descriptor kept open across the exec
 *
 * A reader refuses another major version, and skips what it does not know
 * in a newer minor one (a minor version only adds items that may be
 * skipped).  The tree is rebuilt from CONFIG exactly as the image that
 * goes built it, then the runtime state is put on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "control/control.h"
#include "doorway.h"
#include "events/events.h"
#include "output/output.h"
#include "reexec.h"
#include "system/system.h"
#include "worker/worker.h"

enum { T_ABOUT = 1, T_FDS, T_CONFIG, T_CORE, T_SYSTEM, T_RUNDIR, T_CGROUP, T_OUTPUT, T_EVENTS,
       T_WORKERS, T_CONTROL, T_REEXEC };
enum { A_VERSION = 1, A_SAVED_AT, A_ASKED_AT, A_PID };
enum { F_FD = 1 };
enum { C_PATH = 1, C_FILE, C_ARG, C_RUN_DIR, C_SOCKET, C_CONTROL_GROUP, C_CGROUP_BASE,
       C_CGROUP_MODE };
enum { CF_NAME = 1, CF_TEXT };
enum { K_TREE = 1, K_PID1, K_HALT_HOW, K_NOFILE_SOFT, K_NOFILE_HARD };
enum { R_PREV_FD = 1, R_BINARY, R_NOTE };

#define HEADER_LEN 16

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- writing ---------------------------------------------------------------- */

static void header(struct st_buf *b)
{
	uint8_t h[HEADER_LEN] = { 0 };

	memcpy(h, REEXEC_MAGIC, 8);
	h[8] = REEXEC_MAJOR;
	h[12] = REEXEC_MINOR;
	st_raw(b, h, sizeof(h));
}

static void put_opt(struct st_buf *b, unsigned tag, const char *s)
{
	if (s)
		st_put_str(b, tag, s);
}

static void config_write(struct st_buf *b)
{
	const struct otp_config *c = core_config();
	const struct cfg_node *m = c->main_cmd ? cfg_find(c, CFG_MAIN_NAME) : NULL;

	put_opt(b, C_PATH, core_config_path());
	for (size_t i = 0; i < c->n_files; i++) {
		size_t at = st_open(b, C_FILE);

		st_put_str(b, CF_NAME, c->files[i]);
		st_put_str(b, CF_TEXT, c->texts[i]);
		st_close(b, at);
	}
	for (int i = 0; m && i < m->w.argc; i++)
		st_put_str(b, C_ARG, m->w.argv[i]);
	/* Kept as they were when otpd started, whatever a reload read since. */
	put_opt(b, C_RUN_DIR, c->otpd.run_dir);
	put_opt(b, C_SOCKET, c->otpd.socket);
	put_opt(b, C_CONTROL_GROUP, c->otpd.control_group);
	put_opt(b, C_CGROUP_BASE, c->otpd.cgroup_base);
	st_put_u64(b, C_CGROUP_MODE, (uint64_t)c->otpd.cgroup);
}

static int core_write(struct st_buf *b, int64_t now)
{
	const struct worker_setup *ws = worker_setup_get();
	void *tree = NULL;
	size_t len = 0;
	int r = core_save_tree(now, &tree, &len);

	if (r < 0)
		return r;
	st_put(b, K_TREE, tree, len);
	free(tree);
	st_put_u64(b, K_PID1, core_pid1());
	st_put_i64(b, K_HALT_HOW, core_halt_how());
	st_put_u64(b, K_NOFILE_SOFT, ws->nofile_soft);
	st_put_u64(b, K_NOFILE_HARD, ws->nofile_hard);
	return 0;
}

typedef void (*section_fn)(struct st_buf *b);

static void section(struct st_buf *b, unsigned tag, section_fn fn)
{
	size_t at = st_open(b, tag);

	fn(b);
	st_close(b, at);
}

int reexec_state_write(struct st_buf *b, const struct reexec_carry *c)
{
	int64_t now = mono_ms();
	size_t at;
	int r;

	header(b);
	at = st_open(b, T_ABOUT);
	st_put_str(b, A_VERSION, otpd_version());
	st_put_i64(b, A_SAVED_AT, now);
	st_put_i64(b, A_ASKED_AT, c->asked_at);
	st_put_i64(b, A_PID, getpid());
	st_close(b, at);
	section(b, T_CONFIG, config_write);
	at = st_open(b, T_CORE);
	if ((r = core_write(b, now)) < 0)
		return r;
	st_close(b, at);
	section(b, T_SYSTEM, sys_save);
	section(b, T_RUNDIR, rundir_save);
	section(b, T_CGROUP, cgroup_save);
	section(b, T_OUTPUT, out_save);
	section(b, T_EVENTS, events_save);
	section(b, T_WORKERS, worker_save);
	at = st_open(b, T_CONTROL);
	control_save(b, c->asker);
	st_close(b, at);
	at = st_open(b, T_REEXEC);
	st_put_fd(b, R_PREV_FD, c->prev_fd);
	put_opt(b, R_BINARY, c->binary);
	put_opt(b, R_NOTE, c->note);
	st_close(b, at);
	/* Last: every room has named its descriptors by now. */
	at = st_open(b, T_FDS);
	for (size_t i = 0; i < b->n_fds; i++)
		st_put_i64(b, F_FD, b->fds[i]);
	st_close(b, at);
	return b->oom ? -ENOMEM : 0;
}

/* --- reading ---------------------------------------------------------------- */

struct rd_ctx {
	struct st_rd all;
	bool dry;
	char *why;
	size_t why_len;
};

static int bad(struct rd_ctx *x, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int bad(struct rd_ctx *x, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->why, x->why_len, fmt, ap);
	va_end(ap);
	return err;
}

static int sec(struct rd_ctx *x, unsigned tag, const char *name, struct st_rd *ret)
{
	if (!st_find(&x->all, tag, ret) || !st_whole(ret))
		return bad(x, -EBADMSG, "the state has no whole %s section", name);
	return 0;
}

static int header_read(struct rd_ctx *x, const uint8_t *buf, size_t len)
{
	uint32_t major;

	if (len < HEADER_LEN || memcmp(buf, REEXEC_MAGIC, 8) != 0)
		return bad(x, -EBADMSG, "not an otpd state (no %s header)", REEXEC_MAGIC);
	major = (uint32_t)buf[8] | (uint32_t)buf[9] << 8 | (uint32_t)buf[10] << 16 |
		(uint32_t)buf[11] << 24;
	if (major != REEXEC_MAJOR)
		return bad(x, -EPROTONOSUPPORT, "state format %u, this otpd reads %d", major,
			   REEXEC_MAJOR);
	x->all = (struct st_rd){ buf + HEADER_LEN, len - HEADER_LEN };
	if (!st_whole(&x->all))
		return bad(x, -EBADMSG, "the state is cut short");
	return 0;
}

static int fds_read(struct rd_ctx *x)
{
	struct st_rd s, it, v;
	unsigned tag;
	int *fds = NULL, r;
	size_t n = 0;

	if ((r = sec(x, T_FDS, "FDS", &s)) < 0)
		return r;
	it = s;
	while (st_next(&it, &tag, &v) == 1)
		n += tag == F_FD;
	if (n && !(fds = calloc(n, sizeof(*fds))))
		return bad(x, -ENOMEM, "out of memory");
	n = 0;
	it = s;
	while (st_next(&it, &tag, &v) == 1) {
		uint64_t fd;

		if (tag != F_FD)
			continue;
		if (!st_val_u64(&v, &fd) || fd > INT32_MAX) {
			free(fds);
			return bad(x, -EBADMSG, "FDS: a bad descriptor");
		}
		fds[n] = (int)fd;
		/* A descriptor the state names must have come through the exec. */
		if (!x->dry && fcntl(fds[n], F_GETFD) < 0) {
			r = fds[n];
			free(fds);
			return bad(x, -EBADF, "descriptor %d did not come through the exec", r);
		}
		n++;
	}
	r = st_fds_declare(fds, n);
	free(fds);
	return r < 0 ? bad(x, r, "out of memory") : 0;
}

/* The names, texts and main program of CONFIG, loaded. */
static int config_load(struct rd_ctx *x, const struct st_rd *s, struct otp_config **ret)
{
	struct st_rd it = *s, v;
	struct cfg_errors errs = { 0 };
	char **names = NULL, **texts = NULL, **argv = NULL;
	size_t n = 0, na = 0;
	unsigned tag;
	int r = 0;

	while (r == 0 && st_next(&it, &tag, &v) == 1) {
		if (tag == C_FILE) {
			char **nn = realloc(names, (n + 1) * sizeof(*nn));
			char **tt = nn ? realloc(texts, (n + 1) * sizeof(*tt)) : NULL;

			if (nn)
				names = nn;
			if (tt)
				texts = tt;
			if (!nn || !tt) {
				r = -ENOMEM;
				break;
			}
			names[n] = st_strdup(&v, CF_NAME);
			texts[n] = st_strdup(&v, CF_TEXT);
			n++;
			if (!names[n - 1] || !texts[n - 1])
				r = -EBADMSG;
		} else if (tag == C_ARG) {
			char **aa = realloc(argv, (na + 2) * sizeof(*aa));

			if (!aa) {
				r = -ENOMEM;
				break;
			}
			argv = aa;
			argv[na] = malloc(v.n + 1);
			if (!argv[na]) {
				r = -ENOMEM;
				break;
			}
			memcpy(argv[na], v.p, v.n);
			argv[na][v.n] = '\0';
			argv[++na] = NULL;
		}
	}
	if (r == 0)
		r = cfg_load_texts(names, texts, n, argv, ret, &errs);
	if (r < 0)
		bad(x, r, "CONFIG: %s", errs.n ? errs.msgs[0] : strerror(-r));
	cfg_errors_clear(&errs);
	for (size_t i = 0; i < n; i++) {
		free(names[i]);
		free(texts[i]);
	}
	for (size_t i = 0; i < na; i++)
		free(argv[i]);
	free(names);
	free(texts);
	free(argv);
	return r;
}

static void keep_str(char **dst, char *val)
{
	free(*dst);
	*dst = val;
}

/* The [otpd] keys that stay as otpd started with them (reload.c keep_fixed). */
static void config_fixed(const struct st_rd *s, struct otp_config *c)
{
	uint64_t mode;

	keep_str(&c->otpd.run_dir, st_strdup(s, C_RUN_DIR));
	keep_str(&c->otpd.socket, st_strdup(s, C_SOCKET));
	keep_str(&c->otpd.control_group, st_strdup(s, C_CONTROL_GROUP));
	keep_str(&c->otpd.cgroup_base, st_strdup(s, C_CGROUP_BASE));
	if (st_u64(s, C_CGROUP_MODE, &mode) && mode <= CFG_CGROUP_OFF)
		c->otpd.cgroup = (enum cfg_cgroup_mode)mode;
}

static int config_read(struct rd_ctx *x, char **ret_path, struct otp_config **ret)
{
	struct st_rd s;
	int r;

	if ((r = sec(x, T_CONFIG, "CONFIG", &s)) < 0 || (r = config_load(x, &s, ret)) < 0)
		return r;
	config_fixed(&s, *ret);
	if (!(*ret)->otpd.run_dir || !(*ret)->otpd.socket)
		return bad(x, -EBADMSG, "CONFIG: no run_dir or socket");
	*ret_path = st_strdup(&s, C_PATH);
	return 0;
}

/* The tree built from CONFIG, with its runtime state from CORE. */
static int core_read(struct rd_ctx *x, int64_t saved_at, struct otp_config *cfg, char *path)
{
	struct core_setup cs = { .cfg = cfg, .config_path = path };
	struct st_rd s, tree;
	uint64_t pid1 = 0;
	int64_t halt = 0;
	char why[200] = "";
	int r;

	if ((r = sec(x, T_CORE, "CORE", &s)) < 0)
		return r;
	if (!st_find(&s, K_TREE, &tree))
		return bad(x, -EBADMSG, "CORE: no tree");
	(void)st_u64(&s, K_PID1, &pid1);
	cs.pid1 = pid1;
	if ((r = core_init(&cs)) < 0)
		return bad(x, r, "CORE: cannot build the tree: %s", strerror(-r));
	if ((r = core_restore_tree(tree.p, tree.n, saved_at, why, sizeof(why))) < 0)
		return bad(x, r, "CORE: %s", why);
	if (!x->dry && st_i64(&s, K_HALT_HOW, &halt) && halt)
		core_halt_on_exit((int)halt);
	return 0;
}

static void setup_read(const struct st_rd *s, struct worker_setup *ws)
{
	uint64_t soft = 0, hard = 0;

	(void)st_u64(s, K_NOFILE_SOFT, &soft);
	(void)st_u64(s, K_NOFILE_HARD, &hard);
	ws->nofile_soft = soft;
	ws->nofile_hard = hard;
}

static int about_read(struct rd_ctx *x, struct reexec_found *f)
{
	struct st_rd s;
	int r;

	if ((r = sec(x, T_ABOUT, "ABOUT", &s)) < 0)
		return r;
	if (!st_str(&s, A_VERSION, f->version, sizeof(f->version)) ||
	    !st_i64(&s, A_SAVED_AT, &f->saved_at))
		return bad(x, -EBADMSG, "ABOUT: no version or time");
	if (!st_i64(&s, A_ASKED_AT, &f->asked_at))
		f->asked_at = f->saved_at;
	/* The same boot's monotonic clock; never in the future. */
	if (f->saved_at > mono_ms())
		f->saved_at = mono_ms();
	return 0;
}

static int reexec_read(struct rd_ctx *x, struct reexec_found *f)
{
	struct st_rd s;
	int r;

	f->prev_fd = -1;
	if ((r = sec(x, T_REEXEC, "REEXEC", &s)) < 0)
		return r;
	if (!st_fd(&s, R_PREV_FD, &f->prev_fd))
		return bad(x, -EBADMSG, "REEXEC: a bad descriptor");
	f->binary = st_strdup(&s, R_BINARY);
	f->note = st_strdup(&s, R_NOTE);
	return 0;
}

/* One room's section read with `fn` (dry: only read). */
static int room(struct rd_ctx *x, unsigned tag, const char *name,
		int (*fn)(const struct st_rd *r, bool dry, const char **why))
{
	const char *why = name;
	struct st_rd s;
	int r;

	if ((r = sec(x, tag, name, &s)) < 0)
		return r;
	if ((r = fn(&s, x->dry, &why)) < 0)
		return bad(x, r, "%s: %s (%s)", name, why, strerror(-r));
	return 0;
}

static int sys_fn(const struct st_rd *r, bool dry, const char **why)
{
	*why = "the place";
	return sys_restore(r, dry);
}

static int output_fn(const struct st_rd *r, bool dry, const char **why)
{
	*why = "workers' output";
	return out_restore(r, core_config()->otpd.log_lines, dry);
}

static int events_fn(const struct st_rd *r, bool dry, const char **why)
{
	*why = "the events";
	return events_restore(r, dry);
}

static int count_workers(const struct st_rd *r)
{
	struct st_rd it = *r, v;
	unsigned tag;
	int n = 0;

	while (st_next(&it, &tag, &v) == 1)
		n += tag == 1;  /* WK_WORKER (worker/save.c) */
	return n;
}

/* The rooms, in the order the new image starts them (main.c's setup()). */
static int rooms_read(struct rd_ctx *x, struct reexec_found *f)
{
	struct worker_setup ws = { 0 };
	struct st_rd s;
	const char *why;
	int r;

	if ((r = room(x, T_SYSTEM, "SYSTEM", sys_fn)) < 0)
		return r;
	if (!x->dry) {
		if (!core_pid1())
			(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
		if ((r = ev_init()) < 0 || (r = signals_init()) < 0 || (r = out_std_init()) < 0)
			return bad(x, r, "the event loop: %s", strerror(-r));
	}
	if ((r = room(x, T_OUTPUT, "OUTPUT", output_fn)) < 0 ||
	    (r = room(x, T_RUNDIR, "RUNDIR", rundir_restore)) < 0 ||
	    (r = room(x, T_CGROUP, "CGROUP", cgroup_restore)) < 0)
		return r;
	if (!x->dry && (r = events_init()) < 0)
		return bad(x, r, "events: %s", strerror(-r));
	if ((r = room(x, T_EVENTS, "EVENTS", events_fn)) < 0 ||
	    (r = room(x, T_WORKERS, "WORKERS", worker_restore)) < 0 ||
	    (r = sec(x, T_CGROUP, "CGROUP", &s)) < 0)
		return r;
	if (!x->dry)
		out_restore_done();
	if ((r = cgroup_restore_frozen(&s, x->dry, &why)) < 0)
		return bad(x, r, "CGROUP: %s", why);
	if ((r = sec(x, T_WORKERS, "WORKERS", &s)) < 0)
		return r;
	f->n_workers = (size_t)count_workers(&s);
	if ((r = sec(x, T_SYSTEM, "SYSTEM", &s)) < 0)
		return r;
	if (!x->dry) {
		sd_status_init();
		sys_restore_status(&s);
	}
	if ((r = sec(x, T_CONTROL, "CONTROL", &s)) < 0)
		return r;
	if ((r = control_restore(&s, x->dry, &f->asker, &why)) < 0)
		return bad(x, r, "%s (%s)", why, strerror(-r));
	if ((r = sec(x, T_CORE, "CORE", &s)) < 0)
		return r;
	setup_read(&s, &ws);
	if (!x->dry) {
		ws.oom_back = core_pid1() ? pid1_oom_back() : 0;
		ws.sig_reset = signals_not_default();
		worker_setup(&ws);
	}
	return 0;
}

int reexec_state_read(const uint8_t *buf, size_t len, bool dry, struct reexec_found *f,
		      char *why, size_t why_len)
{
	struct rd_ctx x = { .dry = dry, .why = why, .why_len = why_len };
	struct otp_config *cfg = NULL;
	char *path = NULL;
	int r;

	memset(f, 0, sizeof(*f));
	f->prev_fd = -1;
	if ((r = header_read(&x, buf, len)) < 0 || (r = about_read(&x, f)) < 0 ||
	    (r = fds_read(&x)) < 0 || (r = reexec_read(&x, f)) < 0 ||
	    (r = config_read(&x, &path, &cfg)) < 0)
		return r;
	/* The core owns cfg from here on, path as long as otpd lives. */
	if ((r = core_read(&x, f->saved_at, cfg, path)) < 0)
		return r;
	return rooms_read(&x, f);
}
