/*
 * seccomp_groups.c: named groups of system calls for seccomp_allow and
 * seccomp_deny, modelled on systemd's system call sets (systemd.exec(5),
 * SystemCallFilter=), and the check of the words a filter names.
 *
 * A group lists system calls of every architecture; those an architecture
 * lacks (or libseccomp does not know) are skipped when a filter is built.
 * Members may be other groups (@system-service holds most of them).  The
 * table is documented in otp.conf(5); tests/unit/config checks that both
 * agree and that every member is a system call libseccomp knows.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define G(...) (const char *const[]){ __VA_ARGS__, NULL }

const struct cfg_seccomp_group cfg_seccomp_groups[] = {
	{ "@aio", "asynchronous I/O, io_uring included",
	  G("io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64",
	    "io_setup", "io_submit", "io_uring_enter", "io_uring_register", "io_uring_setup") },
	{ "@basic-io", "reading, writing, seeking and closing descriptors",
	  G("_llseek", "close", "close_range", "dup", "dup2", "dup3", "lseek", "pread64",
	    "preadv", "preadv2", "pwrite64", "pwritev", "pwritev2", "read", "readv", "write",
	    "writev") },
	{ "@chown", "changing file owners",
	  G("chown", "chown32", "fchown", "fchown32", "fchownat", "lchown", "lchown32") },
	{ "@clock", "setting the system clock",
	  G("adjtimex", "clock_adjtime", "clock_adjtime64", "clock_settime", "clock_settime64",
	    "settimeofday", "stime") },
	{ "@cpu-emulation", "CPU emulation (vm86 and the like)",
	  G("modify_ldt", "subpage_prot", "switch_endian", "vm86", "vm86old") },
	{ "@debug", "debugging, tracing and performance monitoring",
	  G("lookup_dcookie", "perf_event_open", "pidfd_getfd", "ptrace", "rtas",
	    "s390_runtime_instr", "sys_debug_setcontext") },
	{ "@default", "what any program needs to run, exec and exit; always allowed in allow-list mode",
	  G("arch_prctl", "brk", "cacheflush", "clock_getres", "clock_getres_time64",
	    "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64",
	    "execve", "exit", "exit_group", "futex", "futex_time64", "futex_waitv",
	    "get_robust_list", "get_thread_area", "getegid", "getegid32", "geteuid",
	    "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getpgid", "getpgrp",
	    "getpid", "getppid", "getrandom", "getresgid", "getresgid32", "getresuid",
	    "getresuid32", "getrlimit", "getsid", "gettid", "gettimeofday", "getuid",
	    "getuid32", "membarrier", "mmap", "mmap2", "mprotect", "munmap", "nanosleep",
	    "pause", "prlimit64", "restart_syscall", "rseq", "rt_sigreturn", "sched_getaffinity",
	    "sched_yield", "set_robust_list", "set_thread_area", "set_tid_address", "set_tls",
	    "sigreturn", "time", "ugetrlimit") },
	{ "@file-system", "files and directories: open, stat, create, rename, remove",
	  G("access", "chdir", "chmod", "close", "creat", "faccessat", "faccessat2", "fallocate",
	    "fchdir", "fchmod", "fchmodat", "fchmodat2", "fcntl", "fcntl64", "fgetxattr",
	    "flistxattr", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64",
	    "fstatfs", "fstatfs64", "ftruncate", "ftruncate64", "futimesat", "getcwd",
	    "getdents", "getdents64", "getxattr", "inotify_add_watch", "inotify_init",
	    "inotify_init1", "inotify_rm_watch", "lgetxattr", "link", "linkat", "listxattr",
	    "llistxattr", "lremovexattr", "lsetxattr", "lstat", "lstat64", "mkdir", "mkdirat",
	    "mknod", "mknodat", "newfstatat", "oldfstat", "oldlstat", "oldstat", "open",
	    "openat", "openat2", "readlink", "readlinkat", "removexattr", "rename", "renameat",
	    "renameat2", "rmdir", "setxattr", "stat", "stat64", "statfs", "statfs64", "statx",
	    "symlink", "symlinkat", "truncate", "truncate64", "unlink", "unlinkat", "utime",
	    "utimensat", "utimensat_time64", "utimes") },
	{ "@io-event", "waiting for events on descriptors (poll, select, epoll, eventfd)",
	  G("_newselect", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
	    "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
	    "poll", "ppoll", "ppoll_time64", "pselect6", "pselect6_time64", "select") },
	{ "@ipc", "pipes, SysV IPC, POSIX message queues, cross-process memory",
	  G("ipc", "memfd_create", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
	    "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink",
	    "msgctl", "msgget", "msgrcv", "msgsnd", "pipe", "pipe2", "process_madvise",
	    "process_vm_readv", "process_vm_writev", "semctl", "semget", "semop", "semtimedop",
	    "semtimedop_time64", "shmat", "shmctl", "shmdt", "shmget") },
	{ "@keyring", "the kernel keyring",
	  G("add_key", "keyctl", "request_key") },
	{ "@memlock", "locking memory",
	  G("mlock", "mlock2", "mlockall", "munlock", "munlockall") },
	{ "@module", "loading and unloading kernel modules",
	  G("delete_module", "finit_module", "init_module") },
	{ "@mount", "mounting and unmounting, chroot and pivot_root",
	  G("chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr",
	    "move_mount", "open_tree", "pivot_root", "umount", "umount2") },
	{ "@network-io", "sockets",
	  G("accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt",
	    "listen", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "send",
	    "sendmmsg", "sendmsg", "sendto", "setsockopt", "shutdown", "socket", "socketcall",
	    "socketpair") },
	{ "@obsolete", "system calls no current program should use",
	  G("_sysctl", "afs_syscall", "bdflush", "break", "create_module", "ftime",
	    "get_kernel_syms", "getpmsg", "gtty", "idle", "lock", "mpx", "prof", "profil",
	    "putpmsg", "query_module", "security", "sgetmask", "ssetmask", "stime", "stty",
	    "sysfs", "tuxcall", "ulimit", "uselib", "ustat", "vserver") },
	{ "@pkey", "memory protection keys",
	  G("pkey_alloc", "pkey_free", "pkey_mprotect") },
	{ "@privileged", "what needs privileges (capabilities) to succeed",
	  G("@chown", "@clock", "@module", "@raw-io", "@reboot", "@swap", "_sysctl", "acct",
	    "bpf", "capset", "chroot", "fanotify_init", "fanotify_mark", "nfsservctl",
	    "open_by_handle_at", "pivot_root", "quotactl", "quotactl_fd", "setdomainname",
	    "setfsuid", "setfsuid32", "setgroups", "setgroups32", "sethostname", "setresuid",
	    "setresuid32", "setreuid", "setreuid32", "setuid", "setuid32", "vhangup") },
	{ "@process", "processes and threads: create, signal, wait, control",
	  G("capget", "clone", "clone3", "execveat", "fork", "getrusage", "kill", "pidfd_open",
	    "pidfd_send_signal", "prctl", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "setns",
	    "swapcontext", "tgkill", "times", "tkill", "unshare", "vfork", "wait4", "waitid",
	    "waitpid") },
	{ "@raw-io", "raw I/O ports and PCI configuration",
	  G("ioperm", "iopl", "pciconfig_iobase", "pciconfig_read", "pciconfig_write",
	    "s390_pci_mmio_read", "s390_pci_mmio_write") },
	{ "@reboot", "rebooting and loading a new kernel",
	  G("kexec_file_load", "kexec_load", "reboot") },
	{ "@resources", "changing scheduling, memory policy and resource limits",
	  G("ioprio_set", "mbind", "migrate_pages", "move_pages", "nice", "sched_setaffinity",
	    "sched_setattr", "sched_setparam", "sched_setscheduler", "set_mempolicy",
	    "set_mempolicy_home_node", "setpriority", "setrlimit") },
	{ "@sandbox", "sandboxing a process further (seccomp, landlock)",
	  G("landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
	    "seccomp") },
	{ "@setuid", "changing user and group ids",
	  G("setgid", "setgid32", "setgroups", "setgroups32", "setregid", "setregid32",
	    "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32",
	    "setuid", "setuid32") },
	{ "@signal", "signal handlers, masks and waiting for signals",
	  G("rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigsuspend",
	    "rt_sigtimedwait", "rt_sigtimedwait_time64", "sigaction", "sigaltstack", "signal",
	    "signalfd", "signalfd4", "sigpending", "sigprocmask", "sigsuspend") },
	{ "@swap", "enabling and disabling swap",
	  G("swapoff", "swapon") },
	{ "@sync", "flushing files to storage",
	  G("fdatasync", "fsync", "msync", "sync", "sync_file_range", "sync_file_range2",
	    "syncfs") },
	{ "@system-service", "what a typical service needs: a good start for an allow list",
	  G("@aio", "@basic-io", "@chown", "@default", "@file-system", "@io-event", "@ipc",
	    "@keyring", "@memlock", "@network-io", "@process", "@resources", "@setuid",
	    "@signal", "@sync", "@timer", "arm_fadvise64_64", "capget", "capset",
	    "copy_file_range", "fadvise64", "fadvise64_64", "flock", "get_mempolicy", "getcpu",
	    "getpriority", "ioctl", "ioprio_get", "kcmp", "madvise", "mremap",
	    "name_to_handle_at", "oldolduname", "olduname", "personality", "readahead",
	    "readdir", "remap_file_pages", "sched_get_priority_max", "sched_get_priority_min",
	    "sched_getattr", "sched_getparam", "sched_getscheduler", "sched_rr_get_interval",
	    "sched_rr_get_interval_time64", "sendfile", "sendfile64", "setfsgid", "setfsgid32",
	    "setfsuid", "setfsuid32", "setpgid", "setsid", "splice", "sysinfo", "tee", "umask",
	    "uname", "userfaultfd", "vmsplice") },
	{ "@timer", "timers and alarms",
	  G("alarm", "getitimer", "setitimer", "timer_create", "timer_delete",
	    "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
	    "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
	    "timerfd_settime", "timerfd_settime64", "times") },
	{ NULL, NULL, NULL },
};

/* Nesting is at most this deep (@system-service -> @default is 1). */
#define GROUP_DEPTH_MAX 4

const struct cfg_seccomp_group *cfg_seccomp_group_find(const char *name)
{
	for (const struct cfg_seccomp_group *g = cfg_seccomp_groups; g->name; g++)
		if (strcmp(g->name, name) == 0)
			return g;
	return NULL;
}

bool cfg_seccomp_word_known(const char *word)
{
	const struct util_scmp *L;

	if (word[0] == '@')
		return cfg_seccomp_group_find(word) != NULL;
	/* Without libseccomp no name is known (cfg_seccomp_check says why).
	 * A negative number that is not an error: a call of another architecture. */
	return (L = util_libseccomp(NULL)) && L->resolve_name(word) != __NR_SCMP_ERROR;
}

static int expand_group(const struct cfg_seccomp_group *g, int depth,
			int (*fn)(const char *name, void *data), void *data)
{
	int r;

	if (depth > GROUP_DEPTH_MAX)
		return -ELOOP;
	for (const char *const *m = g->members; *m; m++) {
		const struct cfg_seccomp_group *sub = (*m)[0] == '@' ? cfg_seccomp_group_find(*m) : NULL;

		if ((*m)[0] == '@' && !sub)
			return -ENOENT;
		r = sub ? expand_group(sub, depth + 1, fn, data) : fn(*m, data);
		if (r)
			return r;
	}
	return 0;
}

int cfg_seccomp_expand(char *const *words, int (*fn)(const char *name, void *data), void *data)
{
	const struct cfg_seccomp_group *g;
	int r;

	for (; words && *words; words++) {
		if ((*words)[0] != '@') {
			r = fn(*words, data);
		} else if ((g = cfg_seccomp_group_find(*words))) {
			r = expand_group(g, 0, fn, data);
		} else {
			r = -ENOENT;
		}
		if (r)
			return r;
	}
	return 0;
}

const char *cfg_seccomp_check(char *const *words)
{
	static _Thread_local char msg[160];
	const char *why;

	for (; *words; words++) {
		if (cfg_seccomp_word_known(*words))
			continue;
		if ((*words)[0] != '@' && !util_libseccomp(&why))
			return why;
		if ((*words)[0] == '@')
			snprintf(msg, sizeof(msg), "unknown system call group \"%.64s\" "
				 "(otp.conf(5) lists them)", *words);
		else
			snprintf(msg, sizeof(msg), "unknown system call \"%.64s\"", *words);
		return msg;
	}
	return NULL;
}
