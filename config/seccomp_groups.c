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

/*
 * The table is one string, no pointers: it stays in .rodata, not relocated at
 * start (issue 19, bench/PROFILE.md).  A group is its name, what it is for,
 * and its members, each ended by a NUL; an empty member ends the group, an
 * empty name the table.  (No member begins with a digit: "\0" + digit would
 * be another escape.)
 */
#define G(name, about, members) name "\0" about "\0" members "\0\0"

static const char groups[] =
	G("@aio", "asynchronous I/O, io_uring included",
	  "io_cancel\0io_destroy\0io_getevents\0io_pgetevents\0io_pgetevents_time64\0io_setup\0"
	  "io_submit\0io_uring_enter\0io_uring_register\0io_uring_setup")
	G("@basic-io", "reading, writing, seeking and closing descriptors",
	  "_llseek\0close\0close_range\0dup\0dup2\0dup3\0lseek\0pread64\0preadv\0preadv2\0"
	  "pwrite64\0pwritev\0pwritev2\0read\0readv\0write\0writev")
	G("@chown", "changing file owners",
	  "chown\0chown32\0fchown\0fchown32\0fchownat\0lchown\0lchown32")
	G("@clock", "setting the system clock",
	  "adjtimex\0clock_adjtime\0clock_adjtime64\0clock_settime\0clock_settime64\0"
	  "settimeofday\0stime")
	G("@cpu-emulation", "CPU emulation (vm86 and the like)",
	  "modify_ldt\0subpage_prot\0switch_endian\0vm86\0vm86old")
	G("@debug", "debugging, tracing and performance monitoring",
	  "lookup_dcookie\0perf_event_open\0pidfd_getfd\0ptrace\0rtas\0s390_runtime_instr\0"
	  "sys_debug_setcontext")
	G("@default", "what any program needs to run, exec and exit; always allowed in allow-list mode",
	  "arch_prctl\0brk\0cacheflush\0clock_getres\0clock_getres_time64\0clock_gettime\0"
	  "clock_gettime64\0clock_nanosleep\0clock_nanosleep_time64\0execve\0exit\0exit_group\0"
	  "futex\0futex_time64\0futex_waitv\0get_robust_list\0get_thread_area\0getegid\0"
	  "getegid32\0geteuid\0geteuid32\0getgid\0getgid32\0getgroups\0getgroups32\0getpgid\0"
	  "getpgrp\0getpid\0getppid\0getrandom\0getresgid\0getresgid32\0getresuid\0getresuid32\0"
	  "getrlimit\0getsid\0gettid\0gettimeofday\0getuid\0getuid32\0membarrier\0mmap\0mmap2\0"
	  "mprotect\0munmap\0nanosleep\0pause\0prlimit64\0restart_syscall\0rseq\0rt_sigreturn\0"
	  "sched_getaffinity\0sched_yield\0set_robust_list\0set_thread_area\0set_tid_address\0"
	  "set_tls\0sigreturn\0time\0ugetrlimit")
	G("@file-system", "files and directories: open, stat, create, rename, remove",
	  "access\0chdir\0chmod\0close\0creat\0faccessat\0faccessat2\0fallocate\0fchdir\0fchmod\0"
	  "fchmodat\0fchmodat2\0fcntl\0fcntl64\0fgetxattr\0flistxattr\0fremovexattr\0fsetxattr\0"
	  "fstat\0fstat64\0fstatat64\0fstatfs\0fstatfs64\0ftruncate\0ftruncate64\0futimesat\0"
	  "getcwd\0getdents\0getdents64\0getxattr\0inotify_add_watch\0inotify_init\0"
	  "inotify_init1\0inotify_rm_watch\0lgetxattr\0link\0linkat\0listxattr\0llistxattr\0"
	  "lremovexattr\0lsetxattr\0lstat\0lstat64\0mkdir\0mkdirat\0mknod\0mknodat\0newfstatat\0"
	  "oldfstat\0oldlstat\0oldstat\0open\0openat\0openat2\0readlink\0readlinkat\0"
	  "removexattr\0rename\0renameat\0renameat2\0rmdir\0setxattr\0stat\0stat64\0statfs\0"
	  "statfs64\0statx\0symlink\0symlinkat\0truncate\0truncate64\0unlink\0unlinkat\0utime\0"
	  "utimensat\0utimensat_time64\0utimes")
	G("@io-event", "waiting for events on descriptors (poll, select, epoll, eventfd)",
	  "_newselect\0epoll_create\0epoll_create1\0epoll_ctl\0epoll_ctl_old\0epoll_pwait\0"
	  "epoll_pwait2\0epoll_wait\0epoll_wait_old\0eventfd\0eventfd2\0poll\0ppoll\0"
	  "ppoll_time64\0pselect6\0pselect6_time64\0select")
	G("@ipc", "pipes, SysV IPC, POSIX message queues, cross-process memory",
	  "ipc\0memfd_create\0mq_getsetattr\0mq_notify\0mq_open\0mq_timedreceive\0"
	  "mq_timedreceive_time64\0mq_timedsend\0mq_timedsend_time64\0mq_unlink\0msgctl\0msgget\0"
	  "msgrcv\0msgsnd\0pipe\0pipe2\0process_madvise\0process_vm_readv\0process_vm_writev\0"
	  "semctl\0semget\0semop\0semtimedop\0semtimedop_time64\0shmat\0shmctl\0shmdt\0shmget")
	G("@keyring", "the kernel keyring",
	  "add_key\0keyctl\0request_key")
	G("@memlock", "locking memory",
	  "mlock\0mlock2\0mlockall\0munlock\0munlockall")
	G("@module", "loading and unloading kernel modules",
	  "delete_module\0finit_module\0init_module")
	G("@mount", "mounting and unmounting, chroot and pivot_root",
	  "chroot\0fsconfig\0fsmount\0fsopen\0fspick\0mount\0mount_setattr\0move_mount\0"
	  "open_tree\0pivot_root\0umount\0umount2")
	G("@network-io", "sockets",
	  "accept\0accept4\0bind\0connect\0getpeername\0getsockname\0getsockopt\0listen\0recv\0"
	  "recvfrom\0recvmmsg\0recvmmsg_time64\0recvmsg\0send\0sendmmsg\0sendmsg\0sendto\0"
	  "setsockopt\0shutdown\0socket\0socketcall\0socketpair")
	G("@obsolete", "system calls no current program should use",
	  "_sysctl\0afs_syscall\0bdflush\0break\0create_module\0ftime\0get_kernel_syms\0getpmsg\0"
	  "gtty\0idle\0lock\0mpx\0prof\0profil\0putpmsg\0query_module\0security\0sgetmask\0"
	  "ssetmask\0stime\0stty\0sysfs\0tuxcall\0ulimit\0uselib\0ustat\0vserver")
	G("@pkey", "memory protection keys",
	  "pkey_alloc\0pkey_free\0pkey_mprotect")
	G("@privileged", "what needs privileges (capabilities) to succeed",
	  "@chown\0@clock\0@module\0@raw-io\0@reboot\0@swap\0_sysctl\0acct\0bpf\0capset\0chroot\0"
	  "fanotify_init\0fanotify_mark\0nfsservctl\0open_by_handle_at\0pivot_root\0quotactl\0"
	  "quotactl_fd\0setdomainname\0setfsuid\0setfsuid32\0setgroups\0setgroups32\0"
	  "sethostname\0setresuid\0setresuid32\0setreuid\0setreuid32\0setuid\0setuid32\0vhangup")
	G("@process", "processes and threads: create, signal, wait, control",
	  "capget\0clone\0clone3\0execveat\0fork\0getrusage\0kill\0pidfd_open\0"
	  "pidfd_send_signal\0prctl\0rt_sigqueueinfo\0rt_tgsigqueueinfo\0setns\0swapcontext\0"
	  "tgkill\0times\0tkill\0unshare\0vfork\0wait4\0waitid\0waitpid")
	G("@raw-io", "raw I/O ports and PCI configuration",
	  "ioperm\0iopl\0pciconfig_iobase\0pciconfig_read\0pciconfig_write\0s390_pci_mmio_read\0"
	  "s390_pci_mmio_write")
	G("@reboot", "rebooting and loading a new kernel",
	  "kexec_file_load\0kexec_load\0reboot")
	G("@resources", "changing scheduling, memory policy and resource limits",
	  "ioprio_set\0mbind\0migrate_pages\0move_pages\0nice\0sched_setaffinity\0sched_setattr\0"
	  "sched_setparam\0sched_setscheduler\0set_mempolicy\0set_mempolicy_home_node\0"
	  "setpriority\0setrlimit")
	G("@sandbox", "sandboxing a process further (seccomp, landlock)",
	  "landlock_add_rule\0landlock_create_ruleset\0landlock_restrict_self\0seccomp")
	G("@setuid", "changing user and group ids",
	  "setgid\0setgid32\0setgroups\0setgroups32\0setregid\0setregid32\0setresgid\0"
	  "setresgid32\0setresuid\0setresuid32\0setreuid\0setreuid32\0setuid\0setuid32")
	G("@signal", "signal handlers, masks and waiting for signals",
	  "rt_sigaction\0rt_sigpending\0rt_sigprocmask\0rt_sigsuspend\0rt_sigtimedwait\0"
	  "rt_sigtimedwait_time64\0sigaction\0sigaltstack\0signal\0signalfd\0signalfd4\0"
	  "sigpending\0sigprocmask\0sigsuspend")
	G("@swap", "enabling and disabling swap",
	  "swapoff\0swapon")
	G("@sync", "flushing files to storage",
	  "fdatasync\0fsync\0msync\0sync\0sync_file_range\0sync_file_range2\0syncfs")
	G("@system-service", "what a typical service needs: a good start for an allow list",
	  "@aio\0@basic-io\0@chown\0@default\0@file-system\0@io-event\0@ipc\0@keyring\0@memlock\0"
	  "@network-io\0@process\0@resources\0@setuid\0@signal\0@sync\0@timer\0arm_fadvise64_64\0"
	  "capget\0capset\0copy_file_range\0fadvise64\0fadvise64_64\0flock\0get_mempolicy\0"
	  "getcpu\0getpriority\0ioctl\0ioprio_get\0kcmp\0madvise\0mremap\0name_to_handle_at\0"
	  "oldolduname\0olduname\0personality\0readahead\0readdir\0remap_file_pages\0"
	  "sched_get_priority_max\0sched_get_priority_min\0sched_getattr\0sched_getparam\0"
	  "sched_getscheduler\0sched_rr_get_interval\0sched_rr_get_interval_time64\0sendfile\0"
	  "sendfile64\0setfsgid\0setfsgid32\0setfsuid\0setfsuid32\0setpgid\0setsid\0splice\0"
	  "sysinfo\0tee\0umask\0uname\0userfaultfd\0vmsplice")
	G("@timer", "timers and alarms",
	  "alarm\0getitimer\0setitimer\0timer_create\0timer_delete\0timer_getoverrun\0"
	  "timer_gettime\0timer_gettime64\0timer_settime\0timer_settime64\0timerfd_create\0"
	  "timerfd_gettime\0timerfd_gettime64\0timerfd_settime\0timerfd_settime64\0times")
	;

/* Nesting is at most this deep (@system-service -> @default is 1). */
#define GROUP_DEPTH_MAX 4

/* The string after s in a run of NUL-terminated strings. */
static const char *next_str(const char *s)
{
	return s + strlen(s) + 1;
}

const char *cfg_seccomp_member_next(const char *m)
{
	return next_str(m);
}

bool cfg_seccomp_group_next(struct cfg_seccomp_group *g)
{
	const char *p = groups;

	if (g->name) {          /* past g's members and the empty one ending them */
		for (p = g->members; *p; p = next_str(p))
			;
		p++;
	}
	if (!*p)
		return false;
	g->name = p;
	g->about = next_str(g->name);
	g->members = next_str(g->about);
	return true;
}

bool cfg_seccomp_group_find(const char *name, struct cfg_seccomp_group *ret_g)
{
	struct cfg_seccomp_group g = { NULL, NULL, NULL };

	while (cfg_seccomp_group_next(&g))
		if (strcmp(g.name, name) == 0) {
			*ret_g = g;
			return true;
		}
	return false;
}

bool cfg_seccomp_word_known(const char *word)
{
	const struct util_scmp *L;
	struct cfg_seccomp_group g;

	if (word[0] == '@')
		return cfg_seccomp_group_find(word, &g);
	/* Without libseccomp no name is known (cfg_seccomp_check says why).
	 * A negative number that is not an error: a call of another architecture. */
	return (L = util_libseccomp(NULL)) && L->resolve_name(word) != __NR_SCMP_ERROR;
}

static int expand_group(const struct cfg_seccomp_group *g, int depth,
			int (*fn)(const char *name, void *data), void *data)
{
	struct cfg_seccomp_group sub;
	int r;

	if (depth > GROUP_DEPTH_MAX)
		return -ELOOP;
	for (const char *m = g->members; *m; m = next_str(m)) {
		if (m[0] != '@')
			r = fn(m, data);
		else if (cfg_seccomp_group_find(m, &sub))
			r = expand_group(&sub, depth + 1, fn, data);
		else
			return -ENOENT;
		if (r)
			return r;
	}
	return 0;
}

int cfg_seccomp_expand(char *const *words, int (*fn)(const char *name, void *data), void *data)
{
	struct cfg_seccomp_group g;
	int r;

	for (; words && *words; words++) {
		if ((*words)[0] != '@') {
			r = fn(*words, data);
		} else if (cfg_seccomp_group_find(*words, &g)) {
			r = expand_group(&g, 0, fn, data);
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

	/* Groups too: the filter is libseccomp's to build. */
	if (*words && !util_libseccomp(&why))
		return why;
	for (; *words; words++) {
		if (cfg_seccomp_word_known(*words))
			continue;
		if ((*words)[0] == '@')
			snprintf(msg, sizeof(msg), "unknown system call group \"%.64s\" "
				 "(otp.conf(5) lists them)", *words);
		else
			snprintf(msg, sizeof(msg), "unknown system call \"%.64s\"", *words);
		return msg;
	}
	return NULL;
}
