/*
 * signals.c: signals are fd events (signalfd).  The asynchronous signals
 * otpd acts on are blocked; synchronous faults never are.  Children get an
 * empty mask and default dispositions back before execve (spawn_child.c):
 * execve resets caught signals itself, so the child only has to reset the
 * ones not left at SIG_DFL, listed once here.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "../base/base.h"
#include "../core.h"
#include "../worker/worker.h"
#include "system.h"

static sigset_t not_default;
static struct ev_source sig_src = { .fd = -1 };

static const int handled[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
			       SIGPWR, SIGWINCH, SIGALRM, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU };

static bool claims(const struct cfg_node *c, int sig)
{
	return c && c->spec.type == SUP_WORKER && (c->w.forward_signals & (1ull << sig));
}

/*
 * Workers that claimed `sig` with forward_signals get it instead of otpd,
 * dynamic children of a claiming template included.
 */
static bool forward(int sig)
{
	const struct otp_config *cfg = core_config();
	bool claimed = false;

	for (size_t i = 1; i < cfg->n_nodes; i++)
		claimed |= claims(&cfg->nodes[i], sig);
	if (!claimed)
		return false;
	for (struct sup_node *n = core_root(); n; n = sup_walk_next(core_root(), n)) {
		struct ws *w = sup_node_type(n) == SUP_WORKER ? sup_node_shell(n) : NULL;

		if (w && w->pid > 0 && claims(w->cfg, sig))
			(void)spawn_signal(w, sig);
	}
	return true;
}

static void on_signal(int sig)
{
	if (sig == SIGCHLD)
		return;         /* reaped once the signalfd is drained */
	if (forward(sig))
		return;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("%s: shutting down", sigabbrev_np(sig));
		core_shutdown(0);
		break;
	case SIGHUP:
		log_info("SIGHUP: reloading the configuration");
		core_reload(NULL, false);
		break;
	case SIGUSR1:
		if (core_pid1())
			core_shutdown(RB_HALT_SYSTEM);
		break;
	case SIGUSR2:
	case SIGPWR:
		if (core_pid1())
			core_shutdown(RB_POWER_OFF);
		break;
	default:
		break;
	}
}

static void on_readable(struct ev_source *s, uint32_t revents)
{
	struct signalfd_siginfo si;

	for (;;) {
		ssize_t n = read(s->fd, &si, sizeof(si));

		if (n != (ssize_t)sizeof(si))
			break;  /* EAGAIN: drained */
		on_signal((int)si.ssi_signo);
	}
	/* SIGCHLD coalesces: whatever woke us, collect every exit. */
	reap_all();
}

/*
 * Signals whose disposition is not SIG_DFL: SIGPIPE, and whatever otpd was
 * started with ignored (nohup).  otpd sets no other disposition later.
 */
static void list_not_default(void)
{
	struct sigaction sa;

	sigemptyset(&not_default);
	for (int s = 1; s < NSIG; s++)
		if (sigaction(s, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL)
			sigaddset(&not_default, s);
}

const sigset_t *signals_not_default(void)
{
	return &not_default;
}

/* What otpd reads from its signalfd: its own, and every forwarded one. */
static void signals_wanted(sigset_t *set)
{
	const struct otp_config *cfg = core_config();

	sigemptyset(set);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(set, handled[i]);
	for (size_t i = 1; cfg && i < cfg->n_nodes; i++)
		for (int s = 1; s < 64; s++)
			if ((cfg->nodes[i].w.forward_signals & (1ull << s)) && s != SIGKILL &&
			    s != SIGSTOP)
				sigaddset(set, s);
}

int signals_init(void)
{
	sigset_t set;

	signals_wanted(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	/* Writes to a dead pipe or socket must be EPIPE, not death. */
	signal(SIGPIPE, SIG_IGN);
	list_not_default();
	sig_src.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sig_src.fd < 0)
		return -errno;
	sig_src.events = EPOLLIN;
	sig_src.fn = on_readable;
	return ev_add(&sig_src);
}

/* Signals claimed before stay blocked and read: unclaimed, they are ignored. */
void signals_refresh(void)
{
	sigset_t set;

	signals_wanted(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 || signalfd(sig_src.fd, &set, 0) < 0)
		log_warn("reload: cannot claim the new forward_signals: %s", strerror(errno));
}
