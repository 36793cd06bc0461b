/*
 * overlap.c: a worker's second process during an overlapping restart
 * (otpctl restart --overlap; the core's side is supervisor/overlap.c).
 *
 * The second process lives in a twin struct ws hung on the worker's own:
 * it has its own pid, pipes and exec/ready results, and borrows the rest
 * (output sink, mailbox socket, cgroup, prepared sandbox), which stays the
 * worker's.  Both processes share the listening mailbox socket, so a call
 * is accepted by one or the other, never refused.  Both live in the
 * worker's cgroup: its limits cover the two together.  When the new
 * process is ready the two swap their processes: the worker's state
 * (what the core, status and the mailbox follow) has the new one, the
 * twin the old one, which is then stopped; the twin goes when it is
 * reaped.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../core.h"
#include "spawn.h"

static void close_src(struct ev_source *s, int *fd)
{
	ev_del(s);
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static struct ws *twin_new(struct ws *w)
{
	struct ws *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->node = w->node;
	t->cfg = w->cfg;
	t->sink = w->sink;
	t->sb = w->sb;
	t->cg = w->cg;
	t->cg.wait_next = NULL;
	t->cg.waiting = t->cg.killed = false;
	t->cg.wd = -1;
	t->exec_fd = t->ready_fd = t->ho_fd = -1;
	t->mb_fd = w->mb_fd;
	t->is_twin = true;
	t->twin = w;
	return t;
}

static void twin_free(struct ws *t)
{
	ws_unindex_pid(t);
	close_src(&t->exec_src, &t->exec_fd);
	close_src(&t->ready_src, &t->ready_fd);
	out_pipe_detach(t->out);
	out_pipe_detach(t->err);
	free(t->status);
	free(t->fail_why);
	t->twin->twin = NULL;
	ws_park(t);
}

/*
 * handover = true: a channel between the two processes.  The old one's end
 * goes to it first, as a HANDOVER system cast on a connection of otpd's own
 * (it waits in the backlog ahead of whatever the new one could accept; the
 * message names the old pid, so the new one would drop it); the new one's
 * end is its OTP_HANDOVER_FD.  Without it (no mailbox socket, a full
 * backlog), the new process starts without a state.
 */
static void handover_prepare(struct ws *w, struct ws *t)
{
	char msg[48];
	int sp[2], c, len, r;

	if (!w->cfg->w.handover || w->mb_fd < 0 || w->pid <= 0)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		log_warn("%s: handover: socketpair: %s; overlapping without it",
			 sup_node_name(w->node), strerror(errno));
		return;
	}
	len = snprintf(msg, sizeof(msg), "%cHANDOVER %d", 'S', (int)w->pid);
	c = mailbox_connect(sup_node_name(w->node));
	r = c < 0 ? c : mailbox_send_fd(c, msg, (size_t)len, sp[1]);
	if (c >= 0)
		close(c);
	close(sp[1]);
	if (r < 0) {
		log_warn("%s: handover: cannot reach process %d: %s; overlapping without it",
			 sup_node_name(w->node), (int)w->pid, strerror(-r));
		close(sp[0]);
		return;
	}
	log_info("%s: handover: state asked of process %d", sup_node_name(w->node), (int)w->pid);
	t->ho_fd = sp[0];
}

int overlap_spawn(struct ws *w, const char **ret_why)
{
	struct ws *t;
	int r;

	*ret_why = "overlap";
	if (w->twin)
		return -EBUSY;
	if (!(t = twin_new(w)))
		return -ENOMEM;
	w->twin = t;
	handover_prepare(w, t);
	r = spawn_worker(t, ret_why);
	/* The new process has its end now (or never will). */
	if (t->ho_fd >= 0)
		close(t->ho_fd);
	t->ho_fd = -1;
	if (r < 0) {
		twin_free(t);
		return r;
	}
	/* The sandbox may have been prepared by this start: the worker's. */
	w->sb = t->sb;
	return 0;
}

static void swap_ptr(void **a, void **b)
{
	void *x = *a;

	*a = *b;
	*b = x;
}

void overlap_swap(struct ws *w)
{
	struct ws *t = w->twin;
	pid_t pid;
	bool ok;

	if (!t)
		return;
	/* It is ready: whatever its exec pipe would say, it ran. */
	close_src(&t->exec_src, &t->exec_fd);
	close_src(&t->ready_src, &t->ready_fd);
	t->exec_ok = true;
	t->swapped = true;
	ws_unindex_pid(w);
	ws_unindex_pid(t);
	pid = w->pid, w->pid = t->pid, t->pid = pid;
	ok = w->exec_ok, w->exec_ok = t->exec_ok, t->exec_ok = ok;
	swap_ptr((void **)&w->out, (void **)&t->out);
	swap_ptr((void **)&w->err, (void **)&t->err);
	swap_ptr((void **)&w->status, (void **)&t->status);
	if (w->pid > 0)
		(void)ws_index_pid(w);
	if (t->pid > 0)
		(void)ws_index_pid(t);
}

void overlap_signal(struct ws *w, int sig, bool cont)
{
	struct ws *t = w->twin;

	if (!t || t->pid <= 0)
		return;
	/* Its process group too, while the leader is not reaped (the group
	 * id cannot have been reused): what it forked goes with it. */
	if (sig == SIGKILL)
		(void)kill(-t->pid, SIGKILL);
	if (spawn_signal(t, sig) == 0 && cont && sig != SIGKILL && sig != SIGCONT)
		(void)spawn_signal(t, SIGCONT);
}

pid_t overlap_pid(const struct ws *w)
{
	return w && w->twin ? w->twin->pid : 0;
}

void overlap_release(struct ws *t)
{
	if (t && t->is_twin)
		twin_free(t);
}
