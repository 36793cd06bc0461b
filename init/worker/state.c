/*
 * state.c: the shell's per-worker state and the pid -> worker index.
 *
 * A struct ws lives as long as its node is in the tree: the output sink
 * and its ring survive restarts (each process has pipes of its own).  Freed sources are parked until the
 * end of the loop iteration, because the batch epoll returned may still
 * name them.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../core.h"
#include "spawn.h"

#define PID_SLOTS_MIN 256

static struct ws **slots;       /* open addressing on pid; NULL = empty */
static size_t n_slots, n_used;
static struct ws *limbo;        /* freed this iteration, via limbo_next */

static size_t slot_of(pid_t pid, size_t n)
{
	return ((size_t)pid * 2654435761u) & (n - 1);
}

static int index_grow(void)
{
	size_t n = n_slots ? n_slots * 2 : PID_SLOTS_MIN;
	struct ws **s = calloc(n, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < n_slots; i++) {
		if (!slots[i])
			continue;
		size_t j = slot_of(slots[i]->pid, n);

		while (s[j])
			j = (j + 1) & (n - 1);
		s[j] = slots[i];
	}
	free(slots);
	slots = s;
	n_slots = n;
	return 0;
}

int ws_index_pid(struct ws *w)
{
	if ((n_used + 1) * 2 > n_slots && index_grow() < 0)
		return -ENOMEM;
	size_t j = slot_of(w->pid, n_slots);

	while (slots[j])
		j = (j + 1) & (n_slots - 1);
	slots[j] = w;
	n_used++;
	return 0;
}

void ws_unindex_pid(struct ws *w)
{
	if (!n_slots || w->pid <= 0)
		return;
	size_t j = slot_of(w->pid, n_slots);

	while (slots[j] && slots[j] != w)
		j = (j + 1) & (n_slots - 1);
	if (!slots[j])
		return;
	slots[j] = NULL;
	n_used--;
	/* Re-insert the rest of the cluster (linear probing deletion). */
	for (j = (j + 1) & (n_slots - 1); slots[j]; j = (j + 1) & (n_slots - 1)) {
		struct ws *x = slots[j];

		slots[j] = NULL;
		n_used--;
		(void)ws_index_pid(x);
	}
}

struct ws *ws_by_pid(pid_t pid)
{
	if (!n_slots || pid <= 0)
		return NULL;
	for (size_t j = slot_of(pid, n_slots); slots[j]; j = (j + 1) & (n_slots - 1))
		if (slots[j]->pid == pid)
			return slots[j];
	return NULL;
}

/* The worker state of `n`, created on first use; NULL for supervisors. */
struct log_ring *ws_ring(const struct ws *w)
{
	return out_sink_ring(w->sink);
}

struct ws *ws_of(struct sup_node *n)
{
	struct ws *w = sup_node_shell(n);
	const struct sup_spec *spec = sup_node_spec(n);

	if (w || sup_node_type(n) != SUP_WORKER)
		return w;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->node = n;
	w->cfg = spec->user;
	w->exec_fd = w->ready_fd = w->mb_fd = w->ho_fd = -1;
	cgroup_worker_init(&w->cg, n);
	w->sink = out_sink_new(sup_node_name(n), core_config()->otpd.log_lines);
	sup_node_set_shell(n, w);
	return w;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void close_src(struct ev_source *s, int *fd)
{
	ev_del(s);
	close_fd(fd);
}

/* The process is gone: read what its pipes hold now; they drain by
 * themselves until whatever it left behind is gone too. */
static void ws_pipes_detach(struct ws *w)
{
	out_pipe_detach(w->out);
	out_pipe_detach(w->err);
	w->out = w->err = NULL;
}

/* Drop what refers to the current process (after it was reaped). */
void ws_process_done(struct ws *w)
{
	ws_pipes_detach(w);
	ws_unindex_pid(w);
	close_src(&w->ready_src, &w->ready_fd);
	w->last_pid = w->pid;
	w->pid = 0;
}

/* Free w at the end of the loop iteration (epoll may still name its sources). */
void ws_park(struct ws *w)
{
	w->limbo_next = limbo;
	limbo = w;
}

void ws_free(struct ws *w)
{
	if (!w)
		return;
	if (w->twin) {
		/* The core killed it (FORGET of a worker with an overlap). */
		overlap_signal(w, SIGKILL, false);
		overlap_release(w->twin);
	}
	ws_unindex_pid(w);
	close_src(&w->exec_src, &w->exec_fd);
	close_src(&w->ready_src, &w->ready_fd);
	mailbox_close(w);
	cgroup_worker_release(&w->cg);
	ws_pipes_detach(w);
	/* Pipes still draining keep the sink (and its ring) alive. */
	out_sink_release(w->sink);
	w->sink = NULL;
	sandbox_free(w);
	free(w->status);
	free(w->fail_why);
	w->status = w->fail_why = NULL;
	sup_node_set_shell(w->node, NULL);
	w->node = NULL;
	ws_park(w);
}

/* End of a loop iteration: nothing refers to parked states any more. */
void ws_collect(void)
{
	wsys_collect();
	while (limbo) {
		struct ws *nx = limbo->limbo_next;

		free(limbo);
		limbo = nx;
	}
}

/* otpd is leaving: remove every mailbox socket and cgroup it holds. */
void ws_close_mailboxes(void)
{
	for (struct sup_node *n = core_root(); n; n = sup_walk_next(core_root(), n)) {
		struct ws *w = sup_node_type(n) == SUP_WORKER ? sup_node_shell(n) : NULL;

		if (w) {
			mailbox_close(w);
			cgroup_worker_release(&w->cg);
		}
	}
}

void ws_reopen_logs(void)
{
	out_files_reopen();
}
