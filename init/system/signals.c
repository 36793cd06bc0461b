/*
 * signals.c: signals are fd events (signalfd).  The asynchronous signals
 * otpd acts on or passes on are blocked; synchronous faults never are.
 * Children get an empty mask and default dispositions back before execve
 * (child/child.c): execve resets caught signals itself, so the child only
 * has to reset the ones not left at SIG_DFL, listed once here.
 *
 * What a signal means (otpd(8), SIGNALS), first rule that applies:
 *   1. a worker that claimed it with forward_signals gets it;
 *   2. with `otpd -- CMD`, the main worker gets every signal, as tini
 *      gives its child every signal;
 *   3. SIGTERM, SIGINT: orderly shutdown; SIGHUP: reload; SIGUSR2 on a
 *      host (a service): re-execution (otpd(8), RE-EXECUTION);
 *   4. PID 1 of a machine: SIGUSR1 halts, SIGUSR2 and SIGPWR power off
 *      once the tree is stopped;
 *      in a container: passed on to the root's significant workers, or to
 *      every worker directly below the root when none is significant;
 *      elsewhere: ignored.
 * What otpd acts on is logged with the signal's name; what it ignores is
 * said once per signal; where passed-on signals go is said once at start.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "../../util/util.h"
#include "../base/base.h"
#include "../core.h"
#include "../worker/worker.h"
#include "system.h"

static sigset_t not_default;
static struct ev_source sig_src = { .fd = -1 };
static sigset_t said;           /* signals said to be ignored */

/* Read everywhere: what otpd acts on, and what it must not die of
 * (with every passable signal, signals_wanted()). */
static const int handled[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
			       SIGPWR, SIGWINCH, SIGALRM, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU };

/*
 * Never passed on: SIGKILL and SIGSTOP (cannot be caught), the faults of
 * otpd's own code (never blocked), SIGPIPE (ignored, so that a write to a
 * dead pipe is EPIPE), SIGCHLD (otpd's own), SIGTTIN and SIGTTOU (a
 * terminal's job control of otpd itself), and the real-time signals the C
 * library keeps below SIGRTMIN.
 */
static bool passable(int s)
{
	switch (s) {
	case SIGKILL: case SIGSTOP: case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL:
	case SIGTRAP: case SIGSYS: case SIGABRT: case SIGPIPE: case SIGCHLD: case SIGTTIN:
	case SIGTTOU:
		return false;
	default:
		return s < 32 || (s >= SIGRTMIN && s <= SIGRTMAX);
	}
}

/* Does otpd pass on the signals it does not act on? */
static bool passing_on(void)
{
	return core_config()->main_cmd || sys_place() == SYS_CONTAINER;
}

static const char *sig_name(int sig)
{
	const char *n = util_signal_name(sig);

	return n ? n : "signal";
}

static bool claims(const struct cfg_node *c, int sig)
{
	return c && c->spec.type == SUP_WORKER && (c->w.forward_signals & (1ull << sig));
}

/*
 * Workers that claimed `sig` with forward_signals get it instead of otpd,
 * dynamic children of a claiming template included.
 */
static bool forward_claimed(int sig)
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

/* The running process of worker node n, or NULL. */
static struct ws *running(struct sup_node *n)
{
	struct ws *w = n && sup_node_type(n) == SUP_WORKER ? sup_node_shell(n) : NULL;

	return w && w->pid > 0 ? w : NULL;
}

/* `otpd -- CMD`: every signal to the main worker, while it runs. */
static bool to_main(int sig)
{
	struct ws *w = core_config()->main_cmd ? running(core_find(CFG_MAIN_NAME)) : NULL;

	if (!w || !passable(sig))
		return false;
	log_debug("%s: passed on to %s", sig_name(sig), CFG_MAIN_NAME);
	(void)spawn_signal(w, sig);
	return true;
}

/* Send sig to the running workers below the root, the significant ones only
 * when `significant`; how many got it. */
static int to_top_workers(int sig, bool significant)
{
	int n = 0;

	for (struct sup_node *c = sup_node_first(core_root()); c; c = sup_node_next(c)) {
		struct ws *w = running(c);

		if (w && (!significant || sup_node_spec(c)->significant)) {
			(void)spawn_signal(w, sig);
			n++;
		}
	}
	return n;
}

/* In a container: to the significant workers below the root, else to all of them. */
static void pass_on(int sig)
{
	int n = to_top_workers(sig, true);

	if (!n)
		n = to_top_workers(sig, false);
	log_debug("%s: passed on to %d worker%s", sig_name(sig), n, n == 1 ? "" : "s");
}

static void ignore(int sig, const char *why)
{
	if (sig == SIGCONT || sigismember(&said, sig) == 1)
		return;         /* SIGCONT did its work in the kernel already */
	sigaddset(&said, sig);
	log_info("%s: ignored (%s; said once)", sig_name(sig), why);
}

/* PID 1 of a machine: the power signals of busybox's and sysvinit's init. */
static void power_signal(int sig)
{
	switch (sig) {
	case SIGUSR1:
		log_info("SIGUSR1: halting once the tree is stopped");
		core_shutdown(RB_HALT_SYSTEM);
		break;
	case SIGUSR2:
	case SIGPWR:
		log_info("%s: powering off once the tree is stopped", sig_name(sig));
		core_shutdown(RB_POWER_OFF);
		break;
	default:
		ignore(sig, "no meaning for PID 1 of a machine");
		break;
	}
}

static void on_signal(int sig)
{
	if (sig == SIGCHLD)
		return;         /* reaped once the signalfd is drained */
	if (forward_claimed(sig) || to_main(sig))
		return;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("%s: shutting down", sig_name(sig));
		core_shutdown(0);
		return;
	case SIGHUP:
		log_info("SIGHUP: reopening output files, reloading the configuration");
		ws_reopen_logs();
		core_reload(NULL, false);
		return;
	case SIGUSR2:
		/* A service only: PID 1 of a machine powers off, a container passes it on. */
		if (sys_place() != SYS_HOST)
			break;
		log_info("SIGUSR2: re-executing otpd");
		core_reexec(NULL, NULL, NULL);
		return;
	}
	if (sys_place() == SYS_MACHINE && core_pid1())
		power_signal(sig);
	else if (passing_on() && passable(sig))
		pass_on(sig);
	else
		ignore(sig, "otpd passes signals on in a container only");
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

/*
 * What otpd reads from its signalfd: its own, every one it may pass on
 * (also where it does not: a stray SIGVTALRM or SIGRTMIN+3 must not end a
 * daemon either), and every claimed one.
 */
static void signals_wanted(sigset_t *set)
{
	const struct otp_config *cfg = core_config();

	sigemptyset(set);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(set, handled[i]);
	for (int s = 1; s < NSIG; s++)
		if (passable(s))
			sigaddset(set, s);
	for (size_t i = 1; cfg && i < cfg->n_nodes; i++)
		for (int s = 1; s < 64; s++)
			if ((cfg->nodes[i].w.forward_signals & (1ull << s)) && s != SIGKILL &&
			    s != SIGSTOP)
				sigaddset(set, s);
}

/* Say once where the signals otpd does not act on go. */
static void say_where(void)
{
	const struct otp_config *cfg = core_config();
	char names[256] = "";
	size_t len = 0, n_sig = 0;

	if (cfg->main_cmd) {
		log_info("signals go to %s (otpd -- CMD), SIGCHLD aside", CFG_MAIN_NAME);
		return;
	}
	if (!passing_on())
		return;
	for (int pass = 0; pass < 2 && !len; pass++)
		for (size_t i = 1; i < cfg->n_nodes; i++) {
			const struct cfg_node *c = &cfg->nodes[i];

			if (c->parent_index != 0 || c->spec.type != SUP_WORKER ||
			    (pass == 0 && !c->spec.significant))
				continue;
			n_sig += pass == 0;
			if (len < sizeof(names))
				len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
							len ? ", " : "", c->spec.name);
		}
	log_info("signals otpd does not act on go to %s%s%s",
		 n_sig ? "the significant workers below root: " :
		 len ? "every worker below root (none is significant): " : "the workers below root",
		 names, len ? "" : " (none now)");
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
	say_where();
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
