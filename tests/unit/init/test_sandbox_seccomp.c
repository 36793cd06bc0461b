/*
 * The seccomp filter otpd builds, loaded into a forked child of the test:
 * the configured action for known calls, ENOSYS for calls newer than
 * libseccomp knows in allow-list mode, clone3 falling back to clone.
 * Allow lists include @signal: the sanitizers' runtime calls sigaltstack.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../../init/worker/spawn.h"

#define NR_MSEAL 462            /* Linux 6.10: unknown to libseccomp 2.5 */
#define NOWHERE "/nonexistent-otpd-test"

struct expect {
	long nr;
	long arg;               /* first argument (a pointer to NOWHERE when 1) */
	int err;                /* expected errno, 0: success */
};

static struct otp_config *cfg;

static const struct cfg_worker *worker(const char *keys)
{
	struct cfg_errors e = { 0 };
	char text[1024];

	snprintf(text, sizeof(text), "[worker w]\nexec = /bin/true\n%s\n", keys);
	cr_assert_eq(cfg_load_string(text, "t.conf", &cfg, &e), 0, "%s", e.n ? e.msgs[0] : "");
	return &cfg_find(cfg, "w")->w;
}

static void teardown(void)
{
	cfg_free(cfg);
	cfg = NULL;
}

/* Run the calls under `keys`'s filter in a child; its wait status. */
static int run_filtered(const char *keys, const struct expect *ex, size_t n)
{
	struct sb_filter f;
	int status;
	pid_t pid;

	cr_assert_eq(sb_seccomp_build(worker(keys), &f), 0);
	cr_assert_gt(f.len, 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct sock_fprog prog = { .len = f.len, .filter = f.insns };

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			_exit(100);
		for (size_t i = 0; i < n; i++) {
			long r = syscall(ex[i].nr, ex[i].arg ? (long)NOWHERE : 0L, 0L, 0L);

			if ((ex[i].err == 0) != (r >= 0) || (r < 0 && errno != ex[i].err))
				_exit(1 + (int)i);
		}
		_exit(0);
	}
	sb_filter_release(&f);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static void expect_exit0(int status)
{
	cr_assert(WIFEXITED(status), "child died of signal %d", WTERMSIG(status));
	cr_assert_eq(WEXITSTATUS(status), 0, "check %d failed (100: no filter)",
		     WEXITSTATUS(status) - 1);
}

TestSuite(sandbox_seccomp, .fini = teardown);

Test(sandbox_seccomp, deny_list_refuses_with_the_errno)
{
	static const struct expect ex[] = {
		{ SYS_chroot, 1, EACCES },      /* @mount */
		{ SYS_umount2, 1, EACCES },
		{ SYS_getpid, 0, 0 },
		{ SYS_swapoff, 1, ENOENT },     /* not denied: the kernel answers */
	};

	expect_exit0(run_filtered("seccomp_deny = @mount ptrace\nseccomp_action = errno:EACCES",
				  ex, 4));
}

Test(sandbox_seccomp, allow_list_new_calls_get_enosys)
{
	static const struct expect ex[] = {
		{ SYS_getpid, 0, 0 },
		{ SYS_chroot, 1, EPERM },       /* known, not allowed: the action */
		{ NR_MSEAL, 0, ENOSYS },        /* unknown to libseccomp: ENOSYS */
		{ 1000, 0, ENOSYS },
	};

	expect_exit0(run_filtered("seccomp_allow = @basic-io @signal\nseccomp_action = errno:EPERM", ex, 4));
}

Test(sandbox_seccomp, kill_spares_unknown_calls)
{
	static const struct expect ex[] = {
		{ NR_MSEAL, 0, ENOSYS },        /* not killed */
		{ SYS_chroot, 1, 0 },           /* killed here */
	};
	int status = run_filtered("seccomp_allow = @basic-io @signal\nseccomp_action = kill", ex, 2);

	cr_assert(WIFSIGNALED(status), "exited %d", WEXITSTATUS(status));
	cr_assert_eq(WTERMSIG(status), SIGSYS);
}

Test(sandbox_seccomp, clone3_falls_back_to_clone)
{
	static const struct expect ex[] = {
		{ SYS_clone3, 0, ENOSYS },      /* clone allowed, clone3 not: ENOSYS */
		{ SYS_chroot, 1, EPERM },
	};

	expect_exit0(run_filtered("seccomp_allow = @basic-io @signal clone\nseccomp_action = errno:EPERM",
				  ex, 2));
}

Test(sandbox_seccomp, clone3_alone_gets_the_action)
{
	static const struct expect ex[] = {
		{ SYS_clone3, 0, EPERM },
	};

	expect_exit0(run_filtered("seccomp_allow = @basic-io @signal\nseccomp_action = errno:EPERM", ex, 1));
}

Test(sandbox_seccomp, log_refuses_nothing)
{
	static const struct expect ex[] = {
		{ SYS_chroot, 1, ENOENT },
		{ SYS_getpid, 0, 0 },
	};

	expect_exit0(run_filtered("seccomp_allow = @basic-io @signal\nseccomp_action = log", ex, 2));
}

Test(sandbox_seccomp, filter_facts)
{
	struct sb_filter f;

	cr_assert_eq(sb_seccomp_build(worker("seccomp_deny = @reboot ptrace"), &f), 0);
	cr_assert_eq(f.n_syscalls, 4);  /* kexec_file_load kexec_load reboot ptrace */
	cr_assert_geq(f.n_arches, 1);
	cr_assert_str_neq(sb_arch_name(f.arches[0]), "unknown");
	cr_assert_leq(f.len, BPF_MAXINSNS);
	sb_filter_release(&f);
	cr_assert_null(f.insns);
}

Test(sandbox_seccomp, allow_list_counts_default)
{
	struct sb_filter f;

	cr_assert_eq(sb_seccomp_build(worker("seccomp_allow = @system-service"), &f), 0);
	cr_assert_gt(f.n_syscalls, 300);
	cr_assert_leq(f.len, BPF_MAXINSNS, "%u instructions", f.len);
	sb_filter_release(&f);
}
