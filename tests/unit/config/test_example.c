/* The full example of otp.conf(5), which follows the design contract's. */
#include <signal.h>

#include "cfgtest.h"

static const char design_example[] =
	"[otpd]\n"
	"run_dir = /run/otp                    ; sockets live here (mailbox/, notify)\n"
	"socket = /run/otp/otpd.sock          ; control socket (default <run_dir>/otpd.sock)\n"
	"control_group = wheel                 ; besides root, who may control otpd\n"
	"cgroup = auto                         ; auto | required | off\n"
	"cgroup_base = /sys/fs/cgroup/otp      ; default: the root when PID 1, else otpd's own cgroup\n"
	"                                      ; (never shared: two otpd instances on one machine\n"
	"                                      ; must not touch each other's cgroups)\n"
	"\n"
	"[supervisor root]                     ; the root; created with defaults if absent\n"
	"strategy = one_for_one                ; one_for_one | one_for_all | rest_for_one | simple_one_for_one\n"
	"intensity = 3                         ; OTP MaxR (default 1)\n"
	"period = 5s                           ; OTP MaxT (default 5s)\n"
	"auto_shutdown = never                 ; never | any_significant | all_significant\n"
	"\n"
	"[supervisor backend]\n"
	"parent = root\n"
	"strategy = rest_for_one\n"
	"memory_max = 1G                       ; limits on a supervisor cap its whole subtree\n"
	"\n"
	"[worker db]\n"
	"parent = backend                      ; default: root\n"
	"exec = /usr/sbin/mydb --data \"/var/lib/my db\"   ; argv split like a shell, no shell run\n"
	"restart = permanent                   ; permanent | transient | temporary\n"
	"shutdown = 10s                        ; brutal_kill | <duration> | infinity\n"
	"ready = notify                        ; exec | notify (sd_notify READY=1) | fd:N (s6 style)\n"
	"ready_timeout = 30s\n"
	"significant = false\n"
	"user = mydb\n"
	"env = MODE=prod                       ; repeatable; added to the environment otpd\n"
	"                                      ; was started with (as docker run -e expects),\n"
	"                                      ; unless clear_env = true\n"
	"stdout = log                          ; log | inherit | null | file:PATH\n"
	"memory_max = 512M\n"
	"cpu_max = 50%\n"
	"pids_max = 128\n"
	"seccomp_deny = @mount @reboot ptrace  ; or seccomp_allow = ...\n"
	"seccomp_action = errno:EPERM          ; kill | errno:NAME | log\n"
	"no_new_privs = true\n"
	"mailbox = true                        ; gen_server mailbox at <run_dir>/mailbox/db\n"
	"watchdog = 10s                        ; sd_notify WATCHDOG=1 expected at least this often\n";

Test(cfg_example, design_section_2_loads)
{
	struct otp_config *c = load_ok(design_example);
	const struct cfg_node *root, *backend, *db;

	cr_assert_eq(c->n_nodes, 3);
	root = &c->nodes[0];
	backend = &c->nodes[1];
	db = &c->nodes[2];
	cr_assert_str_eq(root->spec.name, "root");
	cr_assert_str_eq(root->parent, "");
	cr_assert_eq(root->spec.intensity, 3);
	cr_assert_eq(root->spec.period_ms, 5000);
	cr_assert_str_eq(backend->spec.name, "backend");
	cr_assert_eq(backend->spec.strategy, SUP_REST_FOR_ONE);
	cr_assert_eq(cfg_node_limits(backend)->memory_max, 1LL << 30);
	cr_assert_str_eq(db->spec.name, "db");
	cr_assert_str_eq(db->parent, "backend");
	cr_assert_eq(db->w.argc, 3);
	cr_assert_str_eq(db->w.argv[2], "/var/lib/my db");
	cr_assert_null(db->w.argv[3]);
	cr_assert_eq(db->spec.shutdown_ms, 10000);
	cr_assert_eq(db->w.ready, CFG_READY_NOTIFY);
	cr_assert_eq(db->spec.ready_timeout_ms, 30000);
	cr_assert_str_eq(db->w.user, "mydb");
	cr_assert_eq(db->w.n_env, 1);
	cr_assert_str_eq(db->w.env[0], "MODE=prod");
	cr_assert_eq(cfg_node_limits(db)->memory_max, 512LL << 20);
	cr_assert_eq(cfg_node_limits(db)->cpu_quota_us, 50000);
	cr_assert_eq(cfg_node_limits(db)->cpu_period_us, 100000);
	cr_assert_eq(cfg_node_limits(db)->pids_max, 128);
	cr_assert_eq(db->w.seccomp, CFG_SECCOMP_DENY);
	cr_assert_str_eq(db->w.seccomp_list[0], "@mount");
	cr_assert_str_eq(db->w.seccomp_list[2], "ptrace");
	cr_assert_null(db->w.seccomp_list[3]);
	cr_assert_eq(db->w.seccomp_action, CFG_SECCOMP_ERRNO);
	cr_assert_eq(db->w.seccomp_errno, EPERM);
	cr_assert(db->w.no_new_privs);
	cr_assert(db->w.mailbox);
	cr_assert_eq(db->spec.watchdog_ms, 10000);
	cr_assert_eq(db->spec.user, db);
	cr_assert_str_eq(c->otpd.control_group, "wheel");
	cr_assert_str_eq(c->otpd.cgroup_base, "/sys/fs/cgroup/otp");
	cr_assert_str_eq(c->otpd.socket, "/run/otp/otpd.sock");
	cfg_free(c);
}
