/*
 * test_spawn_child.c: the child's own text (spawn_child_text.c), and a
 * child that shares the test's memory (spawn_clone_vm) reporting a failed
 * step into the plan, or exec'ing.  AddressSanitizer warns once that it
 * ignores __asan_handle_no_return there: the child runs on a stack it does
 * not know (spawn_vm_arch.h cleans that stack up for it).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../../init/worker/spawn.h"

/* --- child_text_* ---------------------------------------------------------- */

Test(spawn_child_text, int_in_decimal)
{
	char buf[16];
	const struct { int v; const char *want; } cases[] = {
		{ 0, "0" }, { 7, "7" }, { -1, "-1" }, { 4242, "4242" },
		{ INT_MAX, "2147483647" }, { INT_MIN, "-2147483648" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = child_text_int(buf, cases[i].v);

		cr_assert(eq(str, buf, (char *)cases[i].want));
		cr_assert(eq(sz, n, strlen(cases[i].want)));
	}
}

Test(spawn_child_text, join_fits_or_says_so)
{
	char buf[8];

	cr_assert(child_text_join(buf, sizeof(buf), "/dev/", "nu"));
	cr_assert(eq(str, buf, "/dev/nu"));
	cr_assert(not(child_text_join(buf, sizeof(buf), "/dev/", "null")));
	cr_assert(child_text_join(buf, sizeof(buf), "", ""));
	cr_assert(eq(str, buf, ""));
}

/* --- spawn_clone_vm -------------------------------------------------------- */

static struct cfg_worker cfg;
static sigset_t no_signals;

/* The least a child needs: output inherited, nothing else configured. */
static void plan_for(struct child_plan *p, char **argv)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.argv = argv;
	cfg.out.mode = cfg.err.mode = CFG_OUT_INHERIT;
	sigemptyset(&no_signals);
	memset(p, 0, sizeof(*p));
	p->cfg = &cfg;
	p->argv = argv;
	p->envp = (char *[]){ NULL };
	p->exec_fd = p->out_fd = p->err_fd = p->ready_fd = p->mb_fd = p->cg_fd = -1;
	p->sig_reset = &no_signals;
}

/* Start the plan sharing our memory and reap the child: its exit code. */
static int run_vm(struct child_plan *p)
{
	int pidfd = -1, status;
	pid_t pid = spawn_clone_vm(p, &pidfd);

	if (pid == -ENOSYS)
		cr_skip("no clone3 with CLONE_VM here");
	cr_assert(gt(int, pid, 0));
	cr_assert(ge(int, pidfd, 0));
	close(pidfd);
	cr_assert(eq(int, waitpid(pid, &status, 0), pid));
	cr_assert(eq(int, status & 0x7f, 0), "killed by signal %d", status & 0x7f);
	return WEXITSTATUS(status);
}

Test(spawn_clone_vm, a_failed_step_lands_in_the_plan)
{
	struct child_plan p;

	plan_for(&p, (char *[]){ "/nonexistent-otpd/prog", NULL });
	cr_assert(eq(int, run_vm(&p), 127));
	cr_assert(eq(str, (char *)p.fail_step, "exec"));
	cr_assert(eq(int, p.fail_err, ENOENT));
}

Test(spawn_clone_vm, an_exec_leaves_the_plan_clean_and_the_stack_is_reused)
{
	struct child_plan p;

	for (int i = 0; i < 3; i++) {
		plan_for(&p, (char *[]){ "/bin/sh", "-c", "exit 3", NULL });
		cr_assert(eq(int, run_vm(&p), 3));
		cr_assert(eq(ptr, (void *)p.fail_step, NULL));
	}
}
