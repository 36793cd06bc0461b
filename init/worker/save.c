/*
 * save.c: the worker room's part of otpd's saved state (worker.h).
 *
 * One item per worker that has shell state, named by its node, in the
 * order of a walk of the whole tree (hidden nodes too: a deleted child
 * keeps its ring and pipes).  The descriptors are kept open across the
 * exec and adopted as they are; what they carry (output, datagrams,
 * callers) waits in the kernel meanwhile.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "../core.h"
#include "spawn.h"

enum { WK_WORKER = 1, WK_NOTIFY };
/* Tags 11-13 held the pipes and ring of format 1: not used again. */
enum { WS_NAME = 1, WS_PID, WS_LAST_PID, WS_EXEC_FD, WS_EXEC_OK, WS_READY_FD, WS_MB_FD, WS_STATUS,
       WS_FAIL_WHY, WS_CG, WS_SINK = 14, WS_SYS };

static void ws_save(const struct ws *w, struct st_buf *b)
{
	size_t at = st_open(b, WK_WORKER), in;

	st_put_str(b, WS_NAME, sup_node_name(w->node));
	st_put_i64(b, WS_PID, w->pid);
	st_put_i64(b, WS_LAST_PID, w->last_pid);
	st_put_fd(b, WS_EXEC_FD, w->exec_fd);
	st_put_u64(b, WS_EXEC_OK, w->exec_ok);
	st_put_fd(b, WS_READY_FD, w->ready_fd);
	st_put_fd(b, WS_MB_FD, w->mb_fd);
	if (w->status)
		st_put_str(b, WS_STATUS, w->status);
	if (w->fail_why)
		st_put_str(b, WS_FAIL_WHY, w->fail_why);
	in = st_open(b, WS_CG);
	cgroup_worker_save(&w->cg, b);
	st_close(b, in);
	/* Its sink, ring and pipes are in OUTPUT, under this number. */
	st_put_u64(b, WS_SINK, out_sink_saved_id(w->sink));
	if (w->sys) {
		in = st_open(b, WS_SYS);
		wsys_save(w, b);
		st_close(b, in);
	}
	st_close(b, at);
}

void worker_save(struct st_buf *b)
{
	struct sup_node *root = core_root();
	size_t at = st_open(b, WK_NOTIFY);

	notify_save(b);
	st_close(b, at);
	for (struct sup_node *n = root; n; n = sup_walk_all(root, n)) {
		const struct ws *w = sup_node_type(n) == SUP_WORKER ? sup_node_shell(n) : NULL;

		if (w)
			ws_save(w, b);
	}
}

/* --- restore -------------------------------------------------------------- */

static void watch(struct ev_source *s, int fd, ev_handler fn, struct ws *w)
{
	*s = (struct ev_source){ .fd = fd, .events = EPOLLIN, .fn = fn, .data = w };
	if (ev_add(s) < 0)
		log_warn("%s: cannot watch a pipe of its start again", sup_node_name(w->node));
}

/* The sink OUTPUT restored for w, with its running process's pipes. */
static int sink_back(struct ws *w, const struct st_rd *r, bool dry)
{
	struct out_pipe *out, *err;
	struct out_sink *s;
	uint64_t id = 0;

	if (!st_u64(r, WS_SINK, &id))
		return -EBADMSG;
	if (dry || id == 0)
		return 0;
	if (!(s = out_sink_adopt(id, &out, &err)))
		return -EBADMSG;
	out_sink_release(w->sink);
	w->sink = s;
	w->out = out;
	w->err = err;
	return 0;
}

/* Fields of w that need no descriptor. */
static int ws_plain(struct ws *w, const struct st_rd *r, bool dry)
{
	struct st_rd v;
	int pid = 0, last = 0, k;

	if (!st_int(r, WS_PID, &pid) || pid < 0 || !st_int(r, WS_LAST_PID, &last))
		return -EBADMSG;
	if (st_find(r, WS_CG, &v) && (k = cgroup_worker_restore(&w->cg, &v, dry)) < 0)
		return k;
	if (dry)
		return 0;
	w->pid = pid;
	w->last_pid = last;
	w->exec_ok = st_flag(r, WS_EXEC_OK);
	free(w->status);
	w->status = st_strdup(r, WS_STATUS);
	free(w->fail_why);
	w->fail_why = st_strdup(r, WS_FAIL_WHY);
	if (w->pid > 0 && ws_index_pid(w) < 0)
		return -ENOMEM;
	return 0;
}

static int ws_restore(const struct st_rd *r, bool dry, const char **why)
{
	static char name[SUP_NAME_MAX + 1];
	struct sup_node *n;
	int exec_fd, ready_fd, mb_fd, k;
	struct st_rd v;
	struct ws *w;

	*why = "worker: a worker without a name";
	if (!st_str(r, WS_NAME, name, sizeof(name)))
		return -EBADMSG;
	*why = name;
	if (!(n = core_find_any(name)) || sup_node_type(n) != SUP_WORKER)
		return -ENOENT;
	if (!st_fd(r, WS_EXEC_FD, &exec_fd) || !st_fd(r, WS_READY_FD, &ready_fd) ||
	    !st_fd(r, WS_MB_FD, &mb_fd))
		return -EBADMSG;
	if (!(w = ws_of(n)))
		return -ENOMEM;
	if ((k = ws_plain(w, r, dry)) < 0 || (k = sink_back(w, r, dry)) < 0)
		return k;
	if (st_find(r, WS_SYS, &v) && (k = wsys_restore(w, &v, dry)) < 0) {
		*why = "monitors and ping";
		return k;
	}
	if (dry)
		return 0;
	w->mb_fd = mb_fd;
	if (exec_fd >= 0) {
		w->exec_fd = exec_fd;
		watch(&w->exec_src, exec_fd, reap_exec_result, w);
	}
	if (ready_fd >= 0) {
		w->ready_fd = ready_fd;
		watch(&w->ready_src, ready_fd, reap_ready_fd, w);
	}
	return 0;
}

int worker_restore(const struct st_rd *r, bool dry, const char **why)
{
	struct st_rd it = *r, v;
	unsigned tag;
	int k = 0;

	while (k == 0 && st_next(&it, &tag, &v) == 1) {
		if (tag == WK_NOTIFY) {
			*why = "the notify socket";
			k = notify_restore(&v, dry);
		} else if (tag == WK_WORKER) {
			k = ws_restore(&v, dry, why);
		}
	}
	return k;
}
