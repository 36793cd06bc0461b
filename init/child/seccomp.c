/*
 * seccomp.c: loading the filter otpd built (worker/seccomp.c), the last
 * step before execve.  libseccomp is not called here: the child only hands
 * the prepared BPF program to seccomp(2).
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"

void sb_seccomp_load(struct child_plan *p)
{
	struct sock_fprog prog;

	if (!p->filter)
		return;
	prog.len = p->filter->len;
	prog.filter = p->filter->insns;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		child_fail(p, "seccomp", errno);
}
