/*
 * main.c: otpd.  Load the configuration, become PID 1 or a subreaper,
 * start the tree and run the event loop until the tree is done.
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
#include <unistd.h>

#include "internal.h"

#ifndef OTPD_VERSION
#define OTPD_VERSION "0.1.0"
#endif

struct opts {
	const char *config;
	bool check;
	int pid1;               /* -1 detect, 0 no, 1 yes */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: otpd [-c PATH] [--check] [--pid1|--no-pid1]\n"
		   "  -c, --config PATH  config file or directory (default %s + %s/*.conf)\n"
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
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->pid1 = -1;
	while ((c = getopt_long(argc, argv, "c:h", longs, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'k': o->check = true; break;
		case '1': o->pid1 = 1; break;
		case '0': o->pid1 = 0; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("otpd %s\n", OTPD_VERSION); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "otpd: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static struct otp_config *load(const char *path)
{
	struct cfg_errors errs = { 0 };
	struct otp_config *cfg = NULL;

	if (cfg_load(path, &cfg, &errs) < 0) {
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

/* Every worker costs otpd a few fds: take the hard limit, give children back the soft one. */
static void nofile_raise(void)
{
	struct rlimit rl;

	rlim_t soft;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	soft = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_warn("cannot raise the open file limit: %s, ignoring", strerror(errno));
		return;
	}
	otpd.nofile_soft = soft;
	otpd.nofile_hard = rl.rlim_max;
}

static int become_supervisor(bool pid1)
{
	otpd.pid1 = pid1;
	if (pid1)
		return pid1_setup();
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		log_warn("cannot become child subreaper (%s): orphans of workers will not be "
			 "reaped by otpd", strerror(errno));
	return 0;
}

static int setup(void)
{
	const struct cfg_otpd *o = &otpd.cfg->otpd;
	int r;

	if ((r = ev_init()) < 0 || (r = signals_init()) < 0 || (r = out_stdout_init()) < 0) {
		log_err("cannot set up the event loop: %s", strerror(-r));
		return r;
	}
	/* Refuse (cgroup = required) before creating sockets we would leave behind. */
	if ((r = cgroup_init()) < 0)
		return r;
	if ((r = notify_init(o->run_dir)) < 0) {
		log_err("cannot create the notify socket in %s: %s", o->run_dir, strerror(-r));
		return r;
	}
	if ((r = control_init(o->socket, o->control_group)) < 0) {
		log_err("cannot listen on %s: %s", o->socket, strerror(-r));
		return r;
	}
	if ((r = cfg_build_tree(otpd.cfg, &otpd.tree)) < 0) {
		log_err("cannot build the tree: %s", strerror(-r));
		return r;
	}
	return 0;
}

static void finish(void)
{
	sd_report("STOPPING=1\nSTATUS=stopped (exit %d)", otpd.exit_code);
	control_close_all(otpd.exit_code);
	control_fini();                 /* removes the socket file */
	ws_close_mailboxes();
	cgroup_fini();
	if (notify_path())
		(void)unlink(notify_path());
	if (otpd.pid1)
		pid1_reap_orphans(otpd.cfg->otpd.shutdown_grace_ms);
	out_stdout_flush();
	if (otpd.pid1 && otpd.halt_how)
		pid1_halt(otpd.halt_how, otpd.exit_code);
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };

	std_fds_ensure();
	if (parse_args(argc, argv, &o) < 0)
		return 2;
	otpd.config_path = o.config;
	otpd.cfg = load(o.config);
	if (!otpd.cfg)
		return 2;
	if (o.check) {
		cfg_print_tree(otpd.cfg, stdout);
		(void)cfg_print_warnings(otpd.cfg, stderr);
		cfg_free(otpd.cfg);
		return 0;
	}
	nofile_raise();
	if (become_supervisor(o.pid1 == 1 || (o.pid1 < 0 && getpid() == 1)) < 0 || setup() < 0) {
		/* A VM's init that returns panics the kernel: power off, saying why. */
		if (otpd.pid1 && pid1_in_vm())
			pid1_halt(RB_POWER_OFF, 2);
		return 2;
	}
	if (otpd.pid1 && pid1_in_vm())
		otpd.halt_how = RB_POWER_OFF;   /* a VM's init has nowhere to return to */
	sd_report("STATUS=starting");
	sup_boot(otpd.tree, ev_now());
	actions_run();
	while (!otpd.done) {
		if (ev_run_once() < 0)
			log_err("event loop: %s", strerror(errno));
		ws_collect();
	}
	finish();
	return otpd.exit_code;
}
