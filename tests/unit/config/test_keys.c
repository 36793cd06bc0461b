/* Every key, with a good value, and what it stores. */
#include <signal.h>
#include <stdint.h>

#include "cfgtest.h"

Test(cfg_keys, defaults)
{
	struct otp_config *c = load_ok("[worker w]\nexec = /bin/true\n");
	const struct cfg_node *r = &c->nodes[0], *w = &c->nodes[1];

	cr_assert_eq(c->n_nodes, 2);
	cr_assert_str_eq(c->otpd.run_dir, "/run/otp");
	cr_assert_str_eq(c->otpd.socket, "/run/otp/otpd.sock");
	cr_assert_null(c->otpd.control_group);
	cr_assert_null(c->otpd.cgroup_base);
	cr_assert_eq(c->otpd.cgroup, CFG_CGROUP_AUTO);
	cr_assert_eq(c->otpd.shutdown_grace_ms, 3000);
	cr_assert_eq(c->otpd.log_lines, 1000);
	cr_assert_str_eq(r->spec.name, "root");
	cr_assert_eq(r->spec.type, SUP_SUPERVISOR);
	cr_assert_eq(r->spec.shutdown_ms, SUP_SHUTDOWN_INFINITY);
	cr_assert_eq(r->spec.intensity, 1);
	cr_assert_eq(r->spec.period_ms, 5000);
	cr_assert_eq(r->spec.strategy, SUP_ONE_FOR_ONE);
	cr_assert_eq(r->spec.auto_shutdown, SUP_AUTO_NEVER);
	cr_assert_null(r->file);
	cr_assert_str_eq(w->parent, "root");
	cr_assert_str_eq(w->file, "t.conf");
	cr_assert_eq(w->line, 1);
	cr_assert_eq(w->spec.type, SUP_WORKER);
	cr_assert_eq(w->spec.restart, SUP_PERMANENT);
	cr_assert_eq(w->spec.shutdown_ms, 5000);
	cr_assert_eq(w->spec.stop_signal, SIGTERM);
	cr_assert_not(w->spec.significant);
	cr_assert_eq(w->spec.restart_delay_ms, 0);
	cr_assert_eq(w->spec.user, w);
	cr_assert_eq(r->spec.user, r);
	cr_assert_str_eq(w->w.workdir, "/");
	cr_assert_eq(w->w.ready, CFG_READY_EXEC);
	cr_assert_eq(w->w.out.mode, CFG_OUT_LOG);
	cr_assert_eq(w->w.err.mode, CFG_OUT_LOG);
	cr_assert_eq(w->w.n_env, 0);
	cr_assert_eq(w->w.seccomp, CFG_SECCOMP_NONE);
	cr_assert_eq(cfg_node_limits(w)->memory_max, -1);
	cr_assert_eq(cfg_node_limits(w)->cpu_quota_us, -1);
	cr_assert_eq(cfg_node_limits(w)->pids_max, -1);
	cr_assert_null(cfg_node_limits(w)->io_max);
	cfg_free(c);
}

Test(cfg_keys, otpd_section)
{
	struct otp_config *c = load_ok("[otpd]\nrun_dir = /tmp/o\ncontrol_group = 100\n"
				       "cgroup = required\ncgroup_base = /sys/fs/cgroup/x\n"
				       "shutdown_grace = 2min\nlog_lines = 1000000\n");

	cr_assert_str_eq(c->otpd.run_dir, "/tmp/o");
	cr_assert_str_eq(c->otpd.socket, "/tmp/o/otpd.sock");
	cr_assert_str_eq(c->otpd.control_group, "100");
	cr_assert_eq(c->otpd.cgroup, CFG_CGROUP_REQUIRED);
	cr_assert_str_eq(c->otpd.cgroup_base, "/sys/fs/cgroup/x");
	cr_assert_eq(c->otpd.shutdown_grace_ms, 120000);
	cr_assert_eq(c->otpd.log_lines, 1000000);
	cr_assert_eq(c->n_nodes, 1);
	cfg_free(c);
	c = load_ok("[otpd]\nsocket = /a/b.sock\ncgroup = off\nlog_lines = 1\n");
	cr_assert_str_eq(c->otpd.socket, "/a/b.sock");
	cr_assert_eq(c->otpd.cgroup, CFG_CGROUP_OFF);
	cr_assert_eq(c->otpd.log_lines, 1);
	cfg_free(c);
}

Test(cfg_keys, supervisor_keys)
{
	struct otp_config *c = load_ok("[supervisor s]\nparent = root\nstrategy = one_for_all\n"
				       "intensity = 0\nperiod = 250\nauto_shutdown = any_significant\n"
				       "restart = transient\nshutdown = 3s\nsignificant = no\n"
				       "[worker w]\nparent = s\nexec = x\nrestart = temporary\n"
				       "significant = yes\n");
	const struct cfg_node *s = cfg_find(c, "s"), *w = cfg_find(c, "w");

	cr_assert_eq(s->spec.type, SUP_SUPERVISOR);
	cr_assert_eq(s->spec.strategy, SUP_ONE_FOR_ALL);
	cr_assert_eq(s->spec.intensity, 0);
	cr_assert_eq(s->spec.period_ms, 250);
	cr_assert_eq(s->spec.auto_shutdown, SUP_AUTO_ANY);
	cr_assert_eq(s->spec.restart, SUP_TRANSIENT);
	cr_assert_eq(s->spec.shutdown_ms, 3000);
	cr_assert_not(s->spec.significant);
	cr_assert_eq(w->spec.restart, SUP_TEMPORARY);
	cr_assert(w->spec.significant);
	cfg_free(c);
	c = load_ok("[supervisor s]\nstrategy = rest_for_one\nauto_shutdown = all_significant\n"
		    "shutdown = brutal_kill\n[supervisor t]\nstrategy = simple_one_for_one\n"
		    "shutdown = infinity\n[worker x]\nparent = t\nexec = x\n");
	s = cfg_find(c, "s");
	cr_assert_eq(s->spec.strategy, SUP_REST_FOR_ONE);
	cr_assert_eq(s->spec.auto_shutdown, SUP_AUTO_ALL);
	cr_assert_eq(s->spec.shutdown_ms, SUP_SHUTDOWN_BRUTAL);
	cr_assert_eq(cfg_find(c, "t")->spec.strategy, SUP_SIMPLE_ONE_FOR_ONE);
	cr_assert_eq(cfg_find(c, "t")->spec.shutdown_ms, SUP_SHUTDOWN_INFINITY);
	cfg_free(c);
}

Test(cfg_keys, worker_process_keys)
{
	struct otp_config *c = load_ok(
		"[worker w]\nexec = /bin/sh -c 'echo hi'\nready = fd:4\nready_timeout = 1h\n"
		"user = 1000\ngroup = staff\nenv = A=1\nenv = B=x=y\nenv = _C=\n"
		"environment_file = -/etc/default/w\nclear_env = true\nworkdir = /srv\n"
		"stdout = file:/var/log/w.log\nstop_signal = INT\nrestart_delay = 100ms\n"
		"watchdog = 2s\nmailbox = 1\nno_new_privs = 0\n");
	const struct cfg_node *w = cfg_find(c, "w");

	cr_assert_eq(w->w.argc, 3);
	cr_assert_str_eq(w->w.argv[2], "echo hi");
	cr_assert_eq(w->w.ready, CFG_READY_FD);
	cr_assert_eq(w->w.ready_fd, 4);
	cr_assert_eq(w->spec.ready_timeout_ms, 3600000);
	cr_assert_str_eq(w->w.user, "1000");
	cr_assert_str_eq(w->w.group, "staff");
	cr_assert_eq(w->w.n_env, 3);
	cr_assert_str_eq(w->w.env[0], "A=1");
	cr_assert_str_eq(w->w.env[1], "B=x=y");
	cr_assert_str_eq(w->w.env[2], "_C=");
	cr_assert_null(w->w.env[3]);
	cr_assert_str_eq(w->w.environment_file, "-/etc/default/w");
	cr_assert(w->w.clear_env);
	cr_assert_str_eq(w->w.workdir, "/srv");
	cr_assert_eq(w->w.out.mode, CFG_OUT_FILE);
	cr_assert_str_eq(w->w.out.path, "/var/log/w.log");
	/* stderr follows stdout when not given */
	cr_assert_eq(w->w.err.mode, CFG_OUT_FILE);
	cr_assert_str_eq(w->w.err.path, "/var/log/w.log");
	cr_assert_eq(w->spec.stop_signal, SIGINT);
	cr_assert_eq(w->spec.restart_delay_ms, 100);
	cr_assert_eq(w->spec.watchdog_ms, 2000);
	cr_assert(w->w.mailbox);
	cr_assert_not(w->w.no_new_privs);
	cfg_free(c);
}

Test(cfg_keys, outputs_and_ready)
{
	struct otp_config *c;
	const struct cfg_node *w;

	w = worker_with(&c, "stdout = inherit\nstderr = null\nready = exec");
	cr_assert_eq(w->w.out.mode, CFG_OUT_INHERIT);
	cr_assert_eq(w->w.err.mode, CFG_OUT_NULL);
	cr_assert_eq(w->w.ready, CFG_READY_EXEC);
	cfg_free(c);
	w = worker_with(&c, "stdout = null\nstderr = file:/e\nready = notify");
	cr_assert_eq(w->w.out.mode, CFG_OUT_NULL);
	cr_assert_eq(w->w.err.mode, CFG_OUT_FILE);
	cr_assert_str_eq(w->w.err.path, "/e");
	cr_assert_eq(w->w.ready, CFG_READY_NOTIFY);
	cfg_free(c);
	w = worker_with(&c, "stderr = log\nstdout = null");
	cr_assert_eq(w->w.err.mode, CFG_OUT_LOG);
	cfg_free(c);
	w = worker_with(&c, "stderr = stdout\nstdout = file:/o");
	cr_assert_eq(w->w.err.mode, CFG_OUT_STDOUT);
	cr_assert_eq(w->w.out.mode, CFG_OUT_FILE);
	cfg_free(c);
}

/* stdout = worker:NAME makes NAME a logger; stderr follows stdout. */
Test(cfg_keys, output_to_a_logger_worker)
{
	struct otp_config *c = load_ok("[worker log]\nexec = /bin/cat\n"
				       "[worker a]\nexec = /bin/true\nstdout = worker:log\n"
				       "[worker b]\nexec = /bin/true\nstdout = null\nstderr = worker:log\n");
	const struct cfg_node *log = cfg_find(c, "log"), *a = cfg_find(c, "a"), *b = cfg_find(c, "b");

	cr_assert_eq(a->w.out.mode, CFG_OUT_WORKER);
	cr_assert_str_eq(a->w.out.path, "log");
	cr_assert_eq(a->w.err.mode, CFG_OUT_WORKER);
	cr_assert_str_eq(a->w.err.path, "log");
	cr_assert_eq(b->w.err.mode, CFG_OUT_WORKER);
	cr_assert(log->w.is_logger);
	cr_assert(!a->w.is_logger && !b->w.is_logger);
	cfg_free(c);
}

Test(cfg_keys, log_rotation_and_target)
{
	struct otp_config *c;
	const struct cfg_node *w;

	w = worker_with(&c, "stdout = file:/o");
	cr_assert_eq(w->w.log_max_size, 10 * 1024 * 1024);
	cr_assert_eq(w->w.log_keep, 5);
	cr_assert_eq(c->otpd.log_target, CFG_LOG_AUTO);
	cfg_free(c);
	w = worker_with(&c, "stdout = file:/o\nlog_max_size = 64K\nlog_keep = 0");
	cr_assert_eq(w->w.log_max_size, 64 * 1024);
	cr_assert_eq(w->w.log_keep, 0);
	cfg_free(c);
	w = worker_with(&c, "log_max_size = infinity\nlog_keep = 1000");
	cr_assert_eq(w->w.log_max_size, 0);
	cr_assert_eq(w->w.log_keep, 1000);
	cfg_free(c);
	c = load_ok("[otpd]\nlog_target = journal\n");
	cr_assert_eq(c->otpd.log_target, CFG_LOG_JOURNAL);
	cfg_free(c);
	c = load_ok("[otpd]\nlog_target = stdout\n");
	cr_assert_eq(c->otpd.log_target, CFG_LOG_STDOUT);
	cfg_free(c);
}

Test(cfg_keys, success_exit_takes_any_number_of_codes)
{
	struct otp_config *c;
	const struct cfg_node *w;

	w = worker_with(&c, "success_exit = 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 200\n");
	for (int code = 0; code < 256; code++)
		cr_assert_eq(sup_success_has(&w->spec, true, code), (code >= 1 && code <= 20) || code == 200,
			     "code %d", code);
	cfg_free(c);
}

Test(cfg_keys, success_exit_and_forward_signals)
{
	struct otp_config *c;
	const struct cfg_node *w;

	w = worker_with(&c, "success_exit = 0 3 255 SIGUSR1 TERM 3\n"
			"forward_signals = SIGHUP USR2 10 SIGWINCH");
	for (int code = 0; code < 256; code++)
		cr_assert_eq(sup_success_has(&w->spec, true, code),
			     code == 0 || code == 3 || code == 255, "code %d", code);
	for (int sig = 1; sig <= 64; sig++)
		cr_assert_eq(sup_success_has(&w->spec, false, sig), sig == SIGUSR1 || sig == SIGTERM,
			     "signal %d", sig);
	cr_assert_eq(w->w.forward_signals,
		     (1ULL << SIGHUP) | (1ULL << SIGUSR2) | (1ULL << 10) | (1ULL << SIGWINCH));
	cfg_free(c);
}

Test(cfg_keys, seccomp)
{
	struct otp_config *c;
	const struct cfg_node *w;

	w = worker_with(&c, "seccomp_allow = @system-service read write\nseccomp_action = log");
	cr_assert_eq(w->w.seccomp, CFG_SECCOMP_ALLOW);
	cr_assert_str_eq(w->w.seccomp_list[0], "@system-service");
	cr_assert_str_eq(w->w.seccomp_list[1], "read");
	cr_assert_str_eq(w->w.seccomp_list[2], "write");
	cr_assert_null(w->w.seccomp_list[3]);
	cr_assert_eq(w->w.seccomp_action, CFG_SECCOMP_LOG);
	cfg_free(c);
	w = worker_with(&c, "seccomp_deny = ptrace\nseccomp_action = kill");
	cr_assert_eq(w->w.seccomp, CFG_SECCOMP_DENY);
	cr_assert_eq(w->w.seccomp_action, CFG_SECCOMP_KILL);
	cfg_free(c);
	w = worker_with(&c, "seccomp_deny = ptrace\nseccomp_action = errno:ENOSYS");
	cr_assert_eq(w->w.seccomp_action, CFG_SECCOMP_ERRNO);
	cr_assert_eq(w->w.seccomp_errno, ENOSYS);
	cfg_free(c);
	w = worker_with(&c, "seccomp_deny = ptrace\nseccomp_action = errno:13");
	cr_assert_eq(w->w.seccomp_errno, EACCES);
	cfg_free(c);
}

Test(cfg_keys, limits)
{
	struct otp_config *c = load_ok(
		"[supervisor s]\nmemory_max = max\nmemory_high = 64K\nmemory_swap_max = 0\n"
		"cpu_max = 20000 50000\ncpu_weight = 10000\npids_max = max\nio_weight = 1\n"
		"io_max = 8:0 rbps=1048576 wiops=max\ncpuset_cpus = 0-1,3\n"
		"[worker w]\nparent = s\nexec = x\ncpu_max = 250%\npids_max = 1\n"
		"[worker v]\nexec = x\ncpu_max = max\n[worker u]\nexec = x\ncpu_max = max 20000\n");
	const struct cg_limits *l = cfg_node_limits(cfg_find(c, "s"));

	cr_assert_eq(l->memory_max, INT64_MAX);
	cr_assert_eq(l->memory_high, 65536);
	cr_assert_eq(l->memory_swap_max, 0);
	cr_assert_eq(l->cpu_quota_us, 20000);
	cr_assert_eq(l->cpu_period_us, 50000);
	cr_assert_eq(l->cpu_weight, 10000);
	cr_assert_eq(l->pids_max, INT64_MAX);
	cr_assert_eq(l->io_weight, 1);
	cr_assert_str_eq(l->io_max, "8:0 rbps=1048576 wiops=max");
	cr_assert_str_eq(l->cpuset_cpus, "0-1,3");
	l = cfg_node_limits(cfg_find(c, "w"));
	cr_assert_eq(l->cpu_quota_us, 250000);
	cr_assert_eq(l->cpu_period_us, 100000);
	cr_assert_eq(l->pids_max, 1);
	cr_assert_eq(l->memory_max, -1);
	l = cfg_node_limits(cfg_find(c, "v"));
	cr_assert_eq(l->cpu_quota_us, INT64_MAX);
	cr_assert_eq(l->cpu_period_us, 100000);
	l = cfg_node_limits(cfg_find(c, "u"));
	cr_assert_eq(l->cpu_quota_us, INT64_MAX);
	cr_assert_eq(l->cpu_period_us, 20000);
	cfg_free(c);
}

Test(cfg_keys, syntax_details)
{
	/* indented keys are keys (multi-line values are off), ':' separates too,
	 * inline " ;" comments go, ';' inside a word stays, CRLF is fine */
	struct otp_config *c = load_ok("\xEF\xBB\xBF# hash comment\r\n[worker w]  ; c\r\n"
				       "  exec = /bin/x a;b   ; comment\r\n"
				       "    user: nobody\r\n\t env = K=v#1\r\n");
	const struct cfg_node *w = cfg_find(c, "w");

	cr_assert_eq(w->w.argc, 2);
	cr_assert_str_eq(w->w.argv[1], "a;b");
	cr_assert_str_eq(w->w.user, "nobody");
	cr_assert_str_eq(w->w.env[0], "K=v#1");
	cfg_free(c);
}

Test(cfg_keys, long_line)
{
	char text[6000];
	struct otp_config *c;
	int n = snprintf(text, sizeof(text), "[worker w]\nexec = /bin/echo");

	while (n < 5000)
		n += snprintf(text + n, sizeof(text) - (size_t)n, " word");
	snprintf(text + n, sizeof(text) - (size_t)n, "\nuser = u\n");
	c = load_ok(text);
	cr_assert_gt(cfg_find(c, "w")->w.argc, 900);
	cr_assert_str_eq(cfg_find(c, "w")->w.user, "u");
	cfg_free(c);
}

Test(cfg_keys, mailbox_keys_and_defaults)
{
	struct otp_config *c = load_ok("[worker a]\nexec = /a\nmailbox = true\n"
				       "[worker b]\nexec = /b\nmailbox = true\nmailbox_backlog = 16\n"
				       "mailbox_mode = 0600\nmailbox_group = staff\n");
	const struct cfg_node *a = cfg_find(c, "a"), *b = cfg_find(c, "b");

	cr_assert_eq(a->w.mailbox_backlog, 128);
	cr_assert_eq(a->w.mailbox_mode, 0660);
	cr_assert_null(a->w.mailbox_group);
	cr_assert_eq(b->w.mailbox_backlog, 16);
	cr_assert_eq(b->w.mailbox_mode, 0600);
	cr_assert_str_eq(b->w.mailbox_group, "staff");
	cfg_free(c);
}

Test(cfg_keys, monitors_and_ping)
{
	struct otp_config *c = load_ok("[worker a]\nexec = /a\nmailbox = true\n"
				       "monitors = b  root\tsub\nping = 1.5s\n"
				       "[worker b]\nexec = /b\nmailbox = true\nping = 10s\nping_timeout = 250ms\n"
				       "[supervisor sub]\n[worker c]\nexec = /c\nmonitors =\n");
	const struct cfg_node *a = cfg_find(c, "a"), *b = cfg_find(c, "b"), *w = cfg_find(c, "c");

	cr_assert_eq(a->w.n_monitors, 3);
	cr_assert_str_eq(a->w.monitors[0], "b");
	cr_assert_str_eq(a->w.monitors[1], "root");
	cr_assert_str_eq(a->w.monitors[2], "sub");
	cr_assert_null(a->w.monitors[3]);
	cr_assert_eq(a->w.ping_ms, 1500);
	cr_assert_eq(a->w.ping_timeout_ms, 5000, "the default: OTP's call timeout");
	cr_assert_eq(b->w.n_monitors, 0);
	cr_assert_eq(b->w.ping_ms, 10000);
	cr_assert_eq(b->w.ping_timeout_ms, 250);
	cr_assert_eq(w->w.n_monitors, 0, "an empty list monitors nothing (no mailbox needed)");
	cr_assert_eq(w->w.ping_ms, 0, "off by default");
	cfg_free(c);
}

Test(cfg_keys, real_time_signals_and_time_spans)
{
	struct otp_config *c;
	const struct cfg_node *w = worker_with(&c, "stop_signal = RTMIN+3\n"
					       "success_exit = SIGRTMAX-2 0\n"
					       "forward_signals = RTMIN HUP SIGRTMAX-1\n"
					       "restart_delay = 1min 30s\nready_timeout = 1.5s\n"
					       "watchdog = 90 s\nshutdown = 2h");

	cr_assert_eq(w->spec.stop_signal, SIGRTMIN + 3);
	cr_assert(sup_success_has(&w->spec, false, SIGRTMAX - 2));
	cr_assert(!sup_success_has(&w->spec, false, SIGRTMAX - 1));
	cr_assert_eq(w->w.forward_signals,
		     (1ULL << SIGRTMIN) | (1ULL << SIGHUP) | (1ULL << (SIGRTMAX - 1)));
	cr_assert_eq(w->spec.restart_delay_ms, 90000);
	cr_assert_eq(w->spec.ready_timeout_ms, 1500);
	cr_assert_eq(w->spec.watchdog_ms, 90000);
	cr_assert_eq(w->spec.shutdown_ms, 7200000);
	cfg_free(c);
}
