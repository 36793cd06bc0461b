/* One error message per key and per rule; all errors reported together. */
#include "cfgtest.h"

struct bad_case {
	const char *text;
	const char *msg;
};

#define W "[worker w]\nexec = x\n"              /* the bad key is on line 3 */
#define S "[supervisor s]\n"                    /* ... on line 2 */
#define O "[otpd]\n"                            /* ... on line 2 */

static const struct bad_case key_cases[] = {
	{ O "run_dir = run", "t.conf:2: run_dir: expected an absolute path, got \"run\"" },
	{ O "socket = ", "t.conf:2: socket: expected an absolute path, got \"\"" },
	{ O "control_group = a b", "t.conf:2: control_group: expected a group name or number, got \"a b\"" },
	{ O "cgroup = yes", "t.conf:2: cgroup: expected auto, required or off, got \"yes\"" },
	{ O "cgroup_base = sys/fs", "t.conf:2: cgroup_base: expected an absolute path, got \"sys/fs\"" },
	{ O "shutdown_grace = -1", "t.conf:2: shutdown_grace: expected a duration, got \"-1\"" },
	{ O "log_lines = 0", "t.conf:2: log_lines: expected an integer from 1 to 1000000, got \"0\"" },
	{ O "log_lines = 1000001", "t.conf:2: log_lines: expected an integer from 1 to 1000000, got \"1000001\"" },
	{ O "log_target = syslog", "t.conf:2: log_target: expected auto, stdout or journal, got \"syslog\"" },
	{ S "parent = a b", "t.conf:2: parent: expected a supervisor name, got \"a b\"" },
	{ S "strategy = one_for_some", "t.conf:2: strategy: expected one_for_one, one_for_all, rest_for_one or simple_one_for_one, got \"one_for_some\"" },
	{ S "intensity = -1", "t.conf:2: intensity: expected an integer >= 0, got \"-1\"" },
	{ S "intensity = 1.5", "t.conf:2: intensity: expected an integer >= 0, got \"1.5\"" },
	{ S "intensity = 99999999999", "t.conf:2: intensity: expected an integer >= 0, got \"99999999999\"" },
	{ S "period = 0", "t.conf:2: period: expected a duration > 0, got \"0\"" },
	{ S "period = 5x", "t.conf:2: period: expected a duration > 0, got \"5x\"" },
	{ S "auto_shutdown = sometimes", "t.conf:2: auto_shutdown: expected never, any_significant or all_significant, got \"sometimes\"" },
	{ S "restart = always", "t.conf:2: restart: expected permanent, transient or temporary, got \"always\"" },
	{ W "shutdown = soon", "t.conf:3: shutdown: expected brutal_kill, infinity or a duration, got \"soon\"" },
	{ W "shutdown = -5s", "t.conf:3: shutdown: expected brutal_kill, infinity or a duration, got \"-5s\"" },
	{ W "significant = maybe", "t.conf:3: significant: expected true or false, got \"maybe\"" },
	{ "[worker w]\nexec =", "t.conf:2: exec: expected a command, got \"\"" },
	{ "[worker w]\nexec = ''", "t.conf:2: exec: the program name is empty, got \"''\"" },
	{ "[worker w]\nexec = \"\" -x", "t.conf:2: exec: the program name is empty, got \"\\\"\\\" -x\"" },
	{ "[worker w]\nexec = /bin/x 'a", "t.conf:2: exec: unterminated quote or trailing backslash, got \"/bin/x 'a\"" },
	{ W "ready = fd:2", "t.conf:3: ready: expected exec, notify or fd:N with N from 3 to 1023, got \"fd:2\"" },
	{ W "ready = socket", "t.conf:3: ready: expected exec, notify or fd:N with N from 3 to 1023, got \"socket\"" },
	{ W "ready_timeout = 5 S", "t.conf:3: ready_timeout: expected a duration (250ms, 1.5s, 1min 30s, 2h, 1d; a bare number is ms), got \"5 S\"" },
	{ W "ready = fd:1024", "t.conf:3: ready: expected exec, notify or fd:N with N from 3 to 1023, got \"fd:1024\"" },
	{ W "ready = fd:2147483647", "t.conf:3: ready: expected exec, notify or fd:N with N from 3 to 1023, got \"fd:2147483647\"" },
	{ W "ready = fd:99999999999999999999", "t.conf:3: ready: expected exec, notify or fd:N with N from 3 to 1023, got \"fd:99999999999999999999\"" },
	{ W "user = ", "t.conf:3: user: expected a user name or number, got \"\"" },
	{ W "group = a:b", "t.conf:3: group: expected a group name or number, got \"a:b\"" },
	{ W "env = NOEQUALS", "t.conf:3: env: expected KEY=VALUE with KEY a valid environment variable name, got \"NOEQUALS\"" },
	{ W "env = 1A=x", "t.conf:3: env: expected KEY=VALUE with KEY a valid environment variable name, got \"1A=x\"" },
	{ W "env = =x", "t.conf:3: env: expected KEY=VALUE with KEY a valid environment variable name, got \"=x\"" },
	{ W "environment_file = env", "t.conf:3: environment_file: expected an absolute path (prefixed with - when the file is optional), got \"env\"" },
	{ W "clear_env = on", "t.conf:3: clear_env: expected true or false, got \"on\"" },
	{ W "workdir = srv", "t.conf:3: workdir: expected an absolute path, got \"srv\"" },
	{ W "stdout = file:log.txt", "t.conf:3: stdout: expected log, inherit, null, file:/ABSOLUTE/PATH or worker:NAME, got \"file:log.txt\"" },
	{ W "stderr = journal", "t.conf:3: stderr: expected log, stdout, inherit, null, file:/ABSOLUTE/PATH or worker:NAME, got \"journal\"" },
	{ W "stdout = stdout", "t.conf:3: stdout: expected log, inherit, null, file:/ABSOLUTE/PATH or worker:NAME, got \"stdout\"" },
	{ W "log_max_size = big", "t.conf:3: log_max_size: expected a size (10M, 512K ...) or infinity, got \"big\"" },
	{ W "log_keep = -1", "t.conf:3: log_keep: expected an integer from 0 to 1000, got \"-1\"" },
	{ W "log_keep = 1001", "t.conf:3: log_keep: expected an integer from 0 to 1000, got \"1001\"" },
	{ W "stop_signal = SIGNOPE", "t.conf:3: stop_signal: expected a signal name or number, got \"SIGNOPE\"" },
	{ W "stop_signal = STOP", "t.conf:3: stop_signal: a stop signal must end the process, not suspend it, got \"STOP\"" },
	{ W "success_exit = 256", "t.conf:3: success_exit: exit codes go from 0 to 255, got \"256\"" },
	{ W "success_exit = 1 NOPE", "t.conf:3: success_exit: expected exit codes (0 to 255) and signal names, got \"1 NOPE\"" },
	{ W "restart_delay = 1y", "t.conf:3: restart_delay: expected a duration (250ms, 1.5s, 1min 30s, 2h, 1d; a bare number is ms), got \"1y\"" },
	{ W "restart_delay = 0.5ms", "t.conf:3: restart_delay: expected a duration (250ms, 1.5s, 1min 30s, 2h, 1d; a bare number is ms), got \"0.5ms\"" },
	{ W "watchdog = x", "t.conf:3: watchdog: expected a duration (250ms, 1.5s, 1min 30s, 2h, 1d; a bare number is ms), got \"x\"" },
	{ W "forward_signals = HUP KILL", "t.conf:3: forward_signals: SIGKILL, SIGSTOP and SIGCHLD cannot be forwarded, got \"HUP KILL\"" },
	{ W "forward_signals = CHLD", "t.conf:3: forward_signals: SIGKILL, SIGSTOP and SIGCHLD cannot be forwarded, got \"CHLD\"" },
	{ W "forward_signals = SIGSTOP", "t.conf:3: forward_signals: SIGKILL, SIGSTOP and SIGCHLD cannot be forwarded, got \"SIGSTOP\"" },
	{ W "forward_signals = HUP RTMAX", "t.conf:3: forward_signals: signals above 63 (RTMAX) cannot be forwarded, got \"HUP RTMAX\"" },
	{ W "stop_signal = RTMIN+99", "t.conf:3: stop_signal: expected a signal name or number, got \"RTMIN+99\"" },
	{ W "forward_signals = HUP BOGUS", "t.conf:3: forward_signals: expected signal names, got \"HUP BOGUS\"" },
	{ W "mailbox = 2", "t.conf:3: mailbox: expected true or false, got \"2\"" },
	{ W "mailbox_backlog = 0", "t.conf:3: mailbox_backlog: expected a number from 1 to 65535, got \"0\"" },
	{ W "mailbox_mode = 0644x", "t.conf:3: mailbox_mode: expected an octal mode from 0600 to 0777, as 0660, got \"0644x\"" },
	{ W "mailbox_mode = 0060", "t.conf:3: mailbox_mode: expected an octal mode from 0600 to 0777, as 0660, got \"0060\"" },
	{ W "mailbox_group = a b", "t.conf:3: mailbox_group: expected a group name or number, got \"a b\"" },
	{ W "mailbox = true\nready = fd:3", "t.conf:4: ready: fd 3 is the mailbox (mailbox = true): choose another fd, got \"fd:3\"" },
	{ W "monitors = a b/c", "t.conf:3: monitors: expected names of nodes (name must be 1 to 64 characters of [a-zA-Z0-9_.@-]), got \"a b/c\"" },
	{ W "monitors = a b a", "t.conf:3: monitors: a node is named twice, got \"a b a\"" },
	{ W "ping = soon", "t.conf:3: ping: expected a duration (250ms, 1.5s, 1min 30s, 2h, 1d; a bare number is ms), got \"soon\"" },
	{ W "ping_timeout = 0", "t.conf:3: ping_timeout: expected a duration above 0 (250ms, 1.5s, 1min; a bare number is ms), got \"0\"" },
	{ W "no_new_privs = y", "t.conf:3: no_new_privs: expected true or false, got \"y\"" },
	{ W "seccomp_allow =", "t.conf:3: seccomp_allow: expected a list of system call names or @groups, got \"\"" },
	{ W "seccomp_deny = ptrace\nseccomp_allow = read", "t.conf:4: seccomp_allow: seccomp_allow and seccomp_deny exclude each other, got \"read\"" },
	{ W "seccomp_allow = read\nseccomp_deny = ptrace", "t.conf:4: seccomp_deny: seccomp_allow and seccomp_deny exclude each other, got \"ptrace\"" },
	{ W "seccomp_action = errno:EWHAT", "t.conf:3: seccomp_action: expected kill, log or errno:NAME (as errno:EPERM), got \"errno:EWHAT\"" },
	{ W "seccomp_action = trap", "t.conf:3: seccomp_action: expected kill, log or errno:NAME (as errno:EPERM), got \"trap\"" },
	{ W "memory_max = 1.5G", "t.conf:3: memory_max: expected a size (bytes, or with K, M, G, T) or max, got \"1.5G\"" },
	{ S "memory_high = -1", "t.conf:2: memory_high: expected a size (bytes, or with K, M, G, T) or max, got \"-1\"" },
	{ W "memory_swap_max = 10P", "t.conf:3: memory_swap_max: expected a size (bytes, or with K, M, G, T) or max, got \"10P\"" },
	{ W "cpu_max = 0%", "t.conf:3: cpu_max: expected a percentage (50%), \"QUOTA_US PERIOD_US\" (quota 1000 to 17592186044415, period 1000 to 1000000) or max, got \"0%\"" },
	{ W "cpu_max = 500 100000", "t.conf:3: cpu_max: expected a percentage (50%), \"QUOTA_US PERIOD_US\" (quota 1000 to 17592186044415, period 1000 to 1000000) or max, got \"500 100000\"" },
	{ W "cpu_max = 50000 100000 1", "t.conf:3: cpu_max: expected a percentage (50%), \"QUOTA_US PERIOD_US\" (quota 1000 to 17592186044415, period 1000 to 1000000) or max, got \"50000 100000 1\"" },
	{ W "cpu_weight = 0", "t.conf:3: cpu_weight: expected an integer from 1 to 10000, got \"0\"" },
	{ S "io_weight = 10001", "t.conf:2: io_weight: expected an integer from 1 to 10000, got \"10001\"" },
	{ W "pids_max = 4194305", "t.conf:3: pids_max: expected an integer from 1 to 4194304 or max, got \"4194305\"" },
	{ W "cpu_max = 17592186044416 100000", "t.conf:3: cpu_max: expected a percentage (50%), \"QUOTA_US PERIOD_US\" (quota 1000 to 17592186044415, period 1000 to 1000000) or max, got \"17592186044416 100000\"" },
	{ W "pids_max = 0", "t.conf:3: pids_max: expected an integer from 1 to 4194304 or max, got \"0\"" },
	{ W "io_max = 8:0", "t.conf:3: io_max: expected \"MAJ:MIN KEY=VALUE...\" with KEY rbps, wbps, riops or wiops and VALUE a number or max, got \"8:0\"" },
	{ W "io_max = sda rbps=1", "t.conf:3: io_max: expected \"MAJ:MIN KEY=VALUE...\" with KEY rbps, wbps, riops or wiops and VALUE a number or max, got \"sda rbps=1\"" },
	{ W "io_max = 8:0 speed=1", "t.conf:3: io_max: expected \"MAJ:MIN KEY=VALUE...\" with KEY rbps, wbps, riops or wiops and VALUE a number or max, got \"8:0 speed=1\"" },
	{ W "cpuset_cpus = 3-1", "t.conf:3: cpuset_cpus: expected a CPU list such as 0-1,3, got \"3-1\"" },
	{ W "cpuset_cpus = 0,,1", "t.conf:3: cpuset_cpus: expected a CPU list such as 0-1,3, got \"0,,1\"" },
};

Test(cfg_errors, one_per_key)
{
	for (size_t i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++)
		expect_error(key_cases[i].text, key_cases[i].msg);
}

#define CGFS(kind, name) { "[" kind " " name "]\nexec = x\n", "t.conf:1: [" kind " " name "]: " \
	"a name cannot start with a cgroup controller and a dot (cgroup., cpu., cpuset., dmem., " \
	"hugetlb., io., irq., memory., misc., pids., rdma.): cgroupfs has files of that name, got \"" \
	name "\"" }

static const struct bad_case rule_cases[] = {
	/* structure */
	{ "[service x]\n", "t.conf:1: unknown section, expected [otpd], [supervisor NAME] or [worker NAME], got \"service x\"" },
	{ "[otpd x]\n", "t.conf:1: unknown section, expected [otpd], [supervisor NAME] or [worker NAME], got \"otpd x\"" },
	{ "[worker]\n", "t.conf:1: [worker]: a worker section needs a name" },
	{ "[worker a b]\nexec = x\n", "t.conf:1: [worker a b]: name must be 1 to 64 characters of [a-zA-Z0-9_.@-], got \"a b\"" },
	/* names (issue 18.4): no directory entries, options or cgroupfs files */
	{ "[worker ..]\nexec = x\n", "t.conf:1: [worker ..]: \".\" and \"..\" are directories, not names, got \"..\"" },
	{ "[worker .]\nexec = x\n", "t.conf:1: [worker .]: \".\" and \"..\" are directories, not names, got \".\"" },
	{ "[supervisor ..]\n", "t.conf:1: [supervisor ..]: \".\" and \"..\" are directories, not names, got \"..\"" },
	{ "[worker a/b]\nexec = x\n", "t.conf:1: [worker a/b]: name must be 1 to 64 characters of [a-zA-Z0-9_.@-], got \"a/b\"" },
	{ "[worker ../x]\nexec = x\n", "t.conf:1: [worker ../x]: name must be 1 to 64 characters of [a-zA-Z0-9_.@-], got \"../x\"" },
	{ "[worker -n]\nexec = x\n", "t.conf:1: [worker -n]: a name cannot start with '-' (otpctl would take it for an option), got \"-n\"" },
	{ "[worker --json]\nexec = x\n", "t.conf:1: [worker --json]: a name cannot start with '-' (otpctl would take it for an option), got \"--json\"" },
	{ "[worker 0123456789012345678901234567890123456789012345678901234567890123x]\nexec = x\n", "t.conf:1: [worker 0123456789012345678901234567890123456789012345678901234567890123]: name must be 1 to 64 characters of [a-zA-Z0-9_.@-], got \"0123456789012345678901234567890123456789012345678901234567890123x\"" },
	CGFS("worker", "cgroup.procs"), CGFS("worker", "cgroup.kill"), CGFS("worker", "memory.max"),
	CGFS("worker", "cpu.weight"), CGFS("worker", "cpuset.cpus"), CGFS("worker", "io.max"),
	CGFS("worker", "pids.max"), CGFS("worker", "hugetlb.2MB.max"), CGFS("worker", "rdma.max"),
	CGFS("worker", "misc.max"), CGFS("worker", "irq.pressure"), CGFS("worker", "dmem.max"),
	CGFS("worker", "memory."),
	{ "[worker w]\nexec = x\nparent = ..\n", "t.conf:3: parent: expected a supervisor name, got \"..\"" },
	{ "[worker w]\nexec = x\nparent = cgroup.procs\n", "t.conf:3: parent: expected a supervisor name, got \"cgroup.procs\"" },
	{ "[worker x]\nexec = x\n[supervisor x]\n", "t.conf:3: [supervisor x]: duplicate name, first declared at t.conf:1, got \"x\"" },
	{ "[worker root]\nexec = x\n", "t.conf:1: [worker root]: \"root\" is the root supervisor and cannot be a worker, got \"root\"" },
	{ "[worker x\nexec = y\n", "t.conf:1: section header without ']', got \"[worker x\"" },
	{ "[worker x] y\nexec = y\n", "t.conf:1: text after the section header, got \"[worker x] y\"" },
	{ "[worker x]\nexec = y\nuser nobody\n", "t.conf:3: expected KEY = VALUE or a [section] header, got \"user nobody\"" },
	{ "exec = x\n", "t.conf:1: exec: key outside of any section, got \"x\"" },
	{ "[worker w]\nexec = x\nfoo = 1\n", "t.conf:3: foo: unknown key in a [worker] section, got \"1\"" },
	{ "[worker w]\nexec = x\nstrategy = one_for_one\n", "t.conf:3: strategy: invalid key in a [worker] section, got \"one_for_one\"" },
	{ "[supervisor s]\nexec = x\n", "t.conf:2: exec: invalid key in a [supervisor] section, got \"x\"" },
	{ "[otpd]\nparent = root\n", "t.conf:2: parent: invalid key in a [otpd] section, got \"root\"" },
	{ "[worker w]\nexec = x\nshutdown = 1s\nshutdown = 2s\n", "t.conf:4: shutdown: duplicate key, first set at t.conf:3, got \"2s\"" },
	{ "[otpd]\nlog_lines = 5\n[otpd]\nlog_lines = 6\n", "t.conf:4: log_lines: duplicate key, first set at t.conf:2, got \"6\"" },
	{ "[worker w]\nuser = x\n", "t.conf:1: [worker w]: exec is required" },
	/* parents */
	{ "[worker w]\nexec = x\nparent = nope\n", "t.conf:3: parent: no such supervisor, got \"nope\"" },
	{ "[worker a]\nexec = x\n[worker w]\nexec = x\nparent = a\n", "t.conf:5: parent: is a worker, not a supervisor, got \"a\"" },
	{ "[supervisor root]\nparent = root\n", "t.conf:2: parent: the root supervisor has no parent, got \"root\"" },
	{ "[supervisor a]\nparent = a\n", "t.conf:2: parent: parents form a cycle (a -> a), got \"a\"" },
	/* OTP rules */
	{ "[worker w]\nexec = x\nrestart = transient\nsignificant = true\n", "t.conf:4: significant: parent \"root\" has auto_shutdown = never, got \"true\"" },
	{ "[supervisor root]\nauto_shutdown = any_significant\n[worker w]\nexec = x\nsignificant = true\n", "t.conf:5: significant: a permanent child cannot be significant (set restart = transient or temporary), got \"true\"" },
	{ "[supervisor s]\nstrategy = simple_one_for_one\n", "t.conf:2: strategy: needs exactly one child (its template worker), has 0, got \"simple_one_for_one\"" },
	{ "[supervisor s]\nstrategy = simple_one_for_one\n[worker a]\nparent = s\nexec = x\n[worker b]\nparent = s\nexec = x\n", "t.conf:2: strategy: needs exactly one child (its template worker), has 2, got \"simple_one_for_one\"" },
	{ "[supervisor s]\nstrategy = simple_one_for_one\n[supervisor t]\nparent = s\n", "t.conf:3: [supervisor t]: the template of a simple_one_for_one supervisor must be a worker" },
	{ "[supervisor s]\nstrategy = simple_one_for_one\nauto_shutdown = all_significant\n[worker a]\nparent = s\nexec = x\n", "t.conf:3: auto_shutdown: must be never under strategy simple_one_for_one, got \"all_significant\"" },
	{ "[supervisor s]\nstrategy = simple_one_for_one\n[worker web]\nparent = s\nexec = x\n[worker web@2]\nexec = x\n", "t.conf:6: [worker web@2]: name is reserved for a dynamic child of a simple_one_for_one template" },
	/* monitors and ping */
	{ "[worker w]\nexec = x\nmailbox = true\nmonitors = root nope\n", "t.conf:4: monitors: no node named \"nope\", got \"root nope\"" },
	{ "[worker w]\nexec = x\nmailbox = true\nmonitors = w\n", "t.conf:4: monitors: a worker cannot monitor itself, got \"w\"" },
	{ "[worker w]\nexec = x\nmonitors = root\n", "t.conf:3: monitors: DOWN and UP come through the mailbox: set mailbox = true, got \"root\"" },
	{ "[supervisor s]\nstrategy = simple_one_for_one\n[worker t]\nparent = s\nexec = x\n[worker w]\nexec = x\nmailbox = true\nmonitors = t\n", "t.conf:9: monitors: \"t\" is a simple_one_for_one template, got \"t\"" },
	{ "[worker w]\nexec = x\nping = 1s\n", "t.conf:3: ping: the ping is a mailbox message: set mailbox = true, got \"1s\"" },
};

Test(cfg_errors, one_per_rule)
{
	for (size_t i = 0; i < sizeof(rule_cases) / sizeof(rule_cases[0]); i++)
		expect_error(rule_cases[i].text, rule_cases[i].msg);
}

Test(cfg_errors, cycle_of_two_and_hangers_on)
{
	struct cfg_errors e = load_bad("[supervisor a]\nparent = b\n[supervisor b]\nparent = a\n"
				       "[worker w]\nparent = a\nexec = x\n");

	cr_assert_eq(e.n, 3);
	cr_assert(errs_has(&e, "t.conf:2: parent: parents form a cycle (a -> b -> a), got \"b\""));
	cr_assert(errs_has(&e, "t.conf:4: parent: parents form a cycle (b -> a -> b), got \"a\""));
	cr_assert(errs_has(&e, "t.conf:6: parent: not reachable from the root: an ancestor is in "
			   "a cycle, got \"a\""));
	cfg_errors_clear(&e);
	e = load_bad("[supervisor a]\nparent = b\n[supervisor b]\nparent = a\n"
		     "[supervisor c]\nparent = a\n");
	cr_assert_eq(e.n, 3);
	cr_assert(errs_has(&e, "t.conf:6: parent: not reachable from the root: an ancestor is in "
			   "a cycle, got \"a\""));
	cfg_errors_clear(&e);
}

Test(cfg_errors, all_reported_together)
{
	struct cfg_errors e = load_bad("[otpd]\ncgroup = maybe\n"
				       "[worker a]\nshutdown = soon\nready = fd:1\n"
				       "[worker a]\nexec = x\nbogus = 1\n"
				       "[worker b]\nexec = x\nparent = nowhere\n"
				       "[thing]\nkey = ignored\n");

	cr_assert_eq(e.n, 8);
	cr_assert_str_eq(e.msgs[0], "t.conf:2: cgroup: expected auto, required or off, got \"maybe\"");
	cr_assert_str_eq(e.msgs[1], "t.conf:4: shutdown: expected brutal_kill, infinity or a duration, got \"soon\"");
	cr_assert_str_eq(e.msgs[2], "t.conf:5: ready: expected exec, notify or fd:N with N from 3 to 1023, got \"fd:1\"");
	cr_assert_str_eq(e.msgs[3], "t.conf:6: [worker a]: duplicate name, first declared at t.conf:3, got \"a\"");
	cr_assert_str_eq(e.msgs[4], "t.conf:8: bogus: unknown key in a [worker] section, got \"1\"");
	cr_assert_str_eq(e.msgs[5], "t.conf:12: unknown section, expected [otpd], [supervisor NAME] or [worker NAME], got \"thing\"");
	cr_assert(errs_has(&e, "t.conf:3: [worker a]: exec is required"));
	cr_assert(errs_has(&e, "t.conf:11: parent: no such supervisor, got \"nowhere\""));
	cfg_errors_clear(&e);
}

Test(cfg_errors, errors_append_and_clear)
{
	struct cfg_errors e = { 0 };
	struct otp_config *c = NULL;

	cr_assert_eq(cfg_load_string("[x]\n", "a.conf", &c, &e), -EINVAL);
	cr_assert_eq(cfg_load_string("[y]\n", "b.conf", &c, &e), -EINVAL);
	cr_assert_eq(e.n, 2);
	cr_assert_null(c);
	cfg_errors_clear(&e);
	cr_assert_eq(e.n, 0);
	cr_assert_null(e.msgs);
	cfg_errors_clear(&e);
	cfg_errors_clear(NULL);
	cfg_free(NULL);
}

Test(cfg_errors, value_quoting)
{
	expect_error("[worker w]\nexec = x\nuser = a\"b\\c\tz\n",
		     "t.conf:3: user: expected a user name or number, got \"a\\\"b\\\\c\\x09z\"");
}
