/*
 * main.c: otpd.  Load the configuration (and the program after --),
 * become PID 1 or a subreaper, start the tree and run the event loop until
 * the tree is done.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "cgroup/cgroup.h"
#include "control/control.h"
#include "core.h"
#include "events/events.h"
#include "output/output.h"
#include "reexec.h"
#include "system/system.h"
#include "worker/worker.h"

/*
 * What `make static` leaves out, said by --version.  A static glibc has
 * only the NSS sources built into libc ("files"); one it would dlopen()
 * for nsswitch.conf (systemd, sss, ldap) crashes a static binary, so the
 * static otpd never asks for them.
 */
#ifdef OTPD_STATIC
#include <nss.h>
#define OTPD_BUILD_NOTE " (static build: no shared libraries; user and group names " \
			"resolve from /etc/passwd and /etc/group only)"
static void nss_files_only(void)
{
	(void)__nss_configure_lookup("passwd", "files");
	(void)__nss_configure_lookup("group", "files");
	(void)__nss_configure_lookup("initgroups", "files");
}
#else
#define OTPD_BUILD_NOTE ""
static void nss_files_only(void) {}
#endif

struct opts {
	const char *config;
	char **cmd;             /* after --: the main program, NULL: none */
	bool check;
	int pid1;               /* -1 detect, 0 no, 1 yes */
	int restore;            /* --restore FD (re-execution), -1: none */
	int check_state;        /* --check-state FD, -1: none */
	bool no_fallback;       /* --no-fallback: the image that saved the state failed already */
};

/* A descriptor number given on the command line (re-execution). */
static int fd_arg(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s && !*end && v >= 0 && v < 1 << 20 ? (int)v : -1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: otpd [-c PATH] [--check] [--pid1|--no-pid1] [-- CMD [ARGS...]]\n"
		   "  -c, --config PATH  config file or directory (default %s + %s/*.conf;\n"
		   "                     with -- CMD: none)\n"
		   "  -- CMD [ARGS...]   run CMD as the tree's main worker: otpd passes signals\n"
		   "                     on to it and exits with its status when it ends\n"
		   "      --check        validate the config, print the tree, exit 0 or 2\n"
		   "      --pid1         act as process 1 (default: when pid is 1)\n"
		   "      --no-pid1      act as a subreaper daemon even as pid 1\n"
		   "  -h, --help         this text\n"
		   "      --version      print the version\n",
		CFG_DEFAULT_PATH, CFG_DEFAULT_DIR);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{ "config", required_argument, NULL, 'c' }, { "check", no_argument, NULL, 'k' },
		{ "pid1", no_argument, NULL, '1' },          { "no-pid1", no_argument, NULL, '0' },
		{ "help", no_argument, NULL, 'h' },          { "version", no_argument, NULL, 'V' },
		/* Re-execution (otpd(8), RE-EXECUTION): otpd gives them to itself. */
		{ "restore", required_argument, NULL, 'R' },
		{ "check-state", required_argument, NULL, 'S' },
		{ "no-fallback", no_argument, NULL, 'F' },
		{ "rescued", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->pid1 = -1;
	o->restore = o->check_state = -1;
	/* "+": options end at the first word that is none, CMD's own stay its own */
	while ((c = getopt_long(argc, argv, "+c:h", longs, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'k': o->check = true; break;
		case '1': o->pid1 = 1; break;
		case '0': o->pid1 = 0; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("otpd %s%s\n", otpd_version(), OTPD_BUILD_NOTE); exit(0);
		case 'R': case 'S':
			if (fd_arg(optarg) < 0) {
				fprintf(stderr, "otpd: --%s: expected a descriptor, got \"%s\"\n",
					c == 'R' ? "restore" : "check-state", optarg);
				return -EINVAL;
			}
			*(c == 'R' ? &o->restore : &o->check_state) = fd_arg(optarg);
			break;
		case 'F': o->no_fallback = true; break;
		case 'r': reexec_set_rescued(atoi(optarg)); break;
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind < argc && strcmp(argv[optind - 1], "--") == 0) {
		o->cmd = argv + optind;
		return 0;
	}
	if (optind < argc) {
		fprintf(stderr, "otpd: unexpected argument \"%s\" (a program to run goes "
			"after --: otpd -- CMD [ARGS...])\n", argv[optind]);
		return -EINVAL;
	}
	if (strcmp(argv[optind - 1], "--") == 0) {
		fprintf(stderr, "otpd: --: expected a program to run after it\n");
		return -EINVAL;
	}
	return 0;
}

/*
 * The program of `otpd -- CMD` is found as execvp(3) finds one, so that a
 * missing or unrunnable one ends otpd at once with the shell's status, as
 * tini does: 127 (not found), 126 (found, cannot be run).
 */
#define CMD_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* 0: a file we may execute; else ENOENT (nothing there) or EACCES. */
static int runnable(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno == EACCES ? EACCES : ENOENT;
	return S_ISREG(st.st_mode) && access(path, X_OK) == 0 ? 0 : EACCES;
}

static int cmd_check(const char *name)
{
	const char *path = getenv("PATH"), *s, *e;
	int found = ENOENT;
	char buf[4096];

	if (strchr(name, '/'))
		return runnable(name);
	if (!path || !*path)
		path = CMD_DEFAULT_PATH;
	for (s = path;; s = e + 1) {
		int r;

		e = strchrnul(s, ':');
		snprintf(buf, sizeof(buf), "%.*s/%s", e > s ? (int)(e - s) : 1, e > s ? s : ".",
			 name);
		if ((r = runnable(buf)) == 0)
			return 0;
		if (r == EACCES)
			found = EACCES;
		if (!*e)
			return found;
	}
}

static struct otp_config *load(const char *path, char *const *cmd)
{
	struct cfg_errors errs = { 0 };
	struct otp_config *cfg = NULL;

	if (cfg_load_main(path, cmd, &cfg, &errs) < 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "otpd: error: %s\n", errs.msgs[i]);
		if (!errs.n)
			fprintf(stderr, "otpd: error: cannot load %s\n", path ? path : CFG_DEFAULT_PATH);
		cfg_errors_clear(&errs);
		return NULL;
	}
	cfg_errors_clear(&errs);
	return cfg;
}

/*
 * fds 0-2 must be open: otherwise pipes and sockets would land there and a
 * child's stdout could be one of otpd's own descriptors.
 */
static void std_fds_ensure(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		int n = open("/dev/null", O_RDWR);

		if (n >= 0 && n != fd) {
			(void)dup2(n, fd);
			close(n);
		}
	}
}

/*
 * The most fds otpd takes for itself when it may (CAP_SYS_RESOURCE), as
 * systemd does for PID 1: 512 Ki, or the kernel's fs.nr_open if lower.
 */
#define NOFILE_HIGH 524288

static rlim_t nofile_high(void)
{
	FILE *f = fopen("/proc/sys/fs/nr_open", "re");
	unsigned long n = 0;

	if (f) {
		if (fscanf(f, "%lu", &n) != 1)
			n = 0;
		fclose(f);
	}
	return n > 0 && n < NOFILE_HIGH ? (rlim_t)n : NOFILE_HIGH;
}

/*
 * Every running worker costs otpd an fd or two (its output pipes): take
 * what the limits allow, and give children back the limit otpd was
 * started with.  A privileged otpd raises its hard limit too (10,000
 * workers do not fit the common 20,000 or 1,024:524,288); an unprivileged
 * one takes its hard limit as its soft one.
 */
static void nofile_raise(struct worker_setup *ws)
{
	struct rlimit rl, want;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < nofile_high()) {
		want.rlim_cur = want.rlim_max = nofile_high();
		if (setrlimit(RLIMIT_NOFILE, &want) == 0) {
			ws->nofile_soft = rl.rlim_cur;
			ws->nofile_hard = rl.rlim_max;
			return;
		}
	}
	if (rl.rlim_cur >= rl.rlim_max)
		return;
	want.rlim_cur = want.rlim_max = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &want) < 0) {
		log_warn("cannot raise the open file limit: %s, ignoring", strerror(errno));
		return;
	}
	ws->nofile_soft = rl.rlim_cur;
	ws->nofile_hard = rl.rlim_max;
}

/* Output pipes of one running process of w that otpd holds the read ends of. */
static unsigned pipes_of(const struct cfg_worker *w)
{
	unsigned n = w->out.mode == CFG_OUT_LOG || w->out.mode == CFG_OUT_FILE;

	return n + (w->err.mode == CFG_OUT_LOG || w->err.mode == CFG_OUT_FILE);
}

/*
 * The tree's static workers, all running, need about one fd per output
 * pipe: say so at the start when the open-file limit cannot hold them,
 * rather than at the worker whose start fails with EMFILE.
 */
static void nofile_check(const struct otp_config *c)
{
	struct rlimit rl;
	unsigned long need = 16 + WORKER_LEND_FDS;      /* otpd's own, the spawns' lending block */

	for (size_t i = 0; i < c->n_nodes; i++)
		if (c->nodes[i].spec.type == SUP_WORKER)
			need += pipes_of(&c->nodes[i].w);
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    need <= rl.rlim_cur)
		return;
	log_warn("the workers' output pipes need about %lu open files, the limit is %lu: some "
		 "starts will fail (EMFILE); raise it (LimitNOFILE=, ulimit -n) or set stderr = "
		 "stdout (one pipe a worker) or stdout = null where the lines are not wanted",
		 need, (unsigned long)rl.rlim_cur);
}

static int become_supervisor(bool pid1)
{
	if (pid1)
		return pid1_setup();
	sys_place_detect();
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		log_warn("cannot become child subreaper (%s): orphans of workers will not be "
			 "reaped by otpd", strerror(errno));
	return 0;
}

static int setup(void)
{
	const struct cfg_otpd *o = &core_config()->otpd;
	const char *why;
	int r;

	if ((r = ev_init()) < 0 || (r = signals_init()) < 0 || (r = out_std_init()) < 0) {
		log_err("cannot set up the event loop: %s", strerror(-r));
		return r;
	}
	watchdog_self_start();
	/* First: a second otpd on this run_dir leaves here, touching nothing. */
	if ((r = rundir_open(o->run_dir, &why)) < 0) {
		log_err("run_dir %s: %s", o->run_dir, why);
		return r;
	}
	/* Refuse (cgroup = required) before creating sockets we would leave behind. */
	if ((r = cgroup_init()) < 0)
		return r;
	if ((r = notify_init(o->run_dir)) < 0) {
		log_err("cannot create the notify socket in %s: %s", o->run_dir, strerror(-r));
		return r;
	}
	/* Before the control socket: the first client may follow events. */
	if ((r = events_init()) < 0) {
		log_err("cannot record events: %s", strerror(-r));
		return r;
	}
	sd_status_init();
	if ((r = control_init(o->socket, o->control_group)) < 0) {
		log_err("cannot listen on %s: %s", o->socket, strerror(-r));
		return r;
	}
	return 0;
}

static const char *halt_verb(int how)
{
	return how == RB_POWER_OFF ? "poweroff" : how == RB_AUTOBOOT ? "reboot" : "halt";
}

static void finish(void)
{
	int code = core_exit_code();

	sd_report("STOPPING=1\nSTATUS=stopped (exit %d)", code);
	control_close_all(code);
	control_fini();                 /* removes the socket file */
	events_fini();
	ws_close_mailboxes();
	cgroup_fini();
	if (notify_path())
		(void)unlink(notify_path());
	rundir_close();
	if (core_pid1())
		pid1_reap_orphans(core_config()->otpd.shutdown_grace_ms);
	out_flush();
	if (core_pid1() && sys_place() == SYS_MACHINE && core_halt_how())
		pid1_halt(core_halt_how(), code);
	else if (core_halt_how())
		log_info("exit status %d (%s asked for: only otpd ends, the machine is not its "
			 "to stop here)", code, halt_verb(core_halt_how()));
	else if (core_pid1())
		log_info("exit status %d", code);
}

static int run(void)
{
	while (!core_done()) {
		if (ev_run_once() < 0)
			log_err("event loop: %s", strerror(errno));
		ws_collect();
	}
	finish();
	return core_exit_code();
}


/* otpd --restore FD: this image goes on from the state the one before left. */
static int run_restored(int fd, bool fallback)
{
	if (reexec_start(fd, fallback) < 0) {
		/* A VM's init that returns panics the kernel: power off, saying why. */
		if (core_pid1() && sys_place() == SYS_MACHINE)
			pid1_halt(RB_POWER_OFF, 2);
		return 2;
	}
#ifdef OTPD_TEST_CRASH_AFTER_RESTORE
	/* The test build of upgrade --binary's way back (Makefile: otpd-crash). */
	if (!reexec_rescued())
		raise(SIGSEGV);
#endif
	/* From the first turn of the loop on, descriptors the saved state names
	 * may close: a crash can no longer go back to that state. */
	upgrade_binary_running();
	return run();
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct worker_setup ws = { 0 };
	struct core_setup cs = { 0 };
	int r;

	std_fds_ensure();
	nss_files_only();
	if (parse_args(argc, argv, &o) < 0)
		return 2;
	if (o.check_state >= 0)
		return reexec_check(o.check_state);
	if (o.restore >= 0)
		return run_restored(o.restore, !o.no_fallback);
	cs.config_path = o.config;
	cs.cfg = load(o.config, o.cmd);
	if (!cs.cfg)
		return 2;
	if (o.cmd && !o.check && (r = cmd_check(o.cmd[0])) != 0) {
		fprintf(stderr, "otpd: %s: %s\n", o.cmd[0], strerror(r));
		cfg_free(cs.cfg);
		return r == ENOENT ? 127 : 126;
	}
	if (o.check) {
		cfg_print_tree(cs.cfg, stdout);
		(void)cfg_print_warnings(cs.cfg, stderr);
		cfg_free(cs.cfg);
		return 0;
	}
	cs.pid1 = o.pid1 == 1 || (o.pid1 < 0 && getpid() == 1);
	if ((r = core_init(&cs)) < 0) {
		log_err("cannot build the tree: %s", strerror(-r));
		return 2;
	}
	nofile_raise(&ws);
	nofile_check(core_config());
	if (become_supervisor(cs.pid1) < 0 || setup() < 0) {
		/* A VM's init that returns panics the kernel: power off, saying why. */
		if (cs.pid1 && sys_place() == SYS_MACHINE)
			pid1_halt(RB_POWER_OFF, 2);
		return 2;
	}
	ws.oom_back = cs.pid1 ? pid1_oom_back() : 0;
	ws.sig_reset = signals_not_default();
	worker_setup(&ws);
	if (cs.pid1 && sys_place() == SYS_MACHINE)
		core_halt_on_exit(RB_POWER_OFF);        /* a VM's init has nowhere to return to */
	sd_report("STATUS=starting");
	core_boot();
	return run();
}
