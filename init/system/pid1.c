/*
 * pid1.c: duties of process 1.
 *
 * Mounts: /proc first when it is missing (it tells a machine from a
 * container, place.c).  PID 1 of a machine (a VM) finds nothing mounted
 * and mounts /sys, /dev, /run and cgroup2 on /sys/fs/cgroup when they are
 * not mount points (cgroup2 not with cgroup = off, which promises never to
 * touch cgroupfs).  Anywhere else (a container, --pid1 on a host) the
 * engine has mounted what is needed, and what is below /run (secrets, -v
 * volumes, .containerenv) must stay visible: a file system is mounted only
 * when it is missing, that is not a mount point and an empty directory,
 * and otpd needs it (/run only when run_dir is below it and /run is not
 * writable); devtmpfs never (it would be the host's devices).  A mount not
 * needed is not tried, so it cannot warn.
 *
 * At the end of a shutdown every process left (orphans of dead workers)
 * gets TERM+CONT, and KILL at the grace deadline; the wait ends the moment
 * none remain.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../base/base.h"
#include "../core.h"
#include "system.h"

enum mnt_need { NEED_EMPTY, NEED_RUN, NEED_VM_ONLY };

struct mnt {
	const char *src, *dir, *type;
	unsigned long flags;
	const char *data;
	const char *data_fallback;      /* for kernels that refuse `data` */
	bool cgroup;                    /* skipped with cgroup = off */
	enum mnt_need need;             /* outside a machine: when it is needed */
};

static const struct mnt mnt_proc = {
	.src = "proc", .dir = "/proc", .type = "proc",
	.flags = MS_NOSUID | MS_NODEV | MS_NOEXEC,
};

static const struct mnt mounts[] = {
	{ .src = "sysfs", .dir = "/sys", .type = "sysfs",
	  .flags = MS_NOSUID | MS_NODEV | MS_NOEXEC },
	{ .src = "devtmpfs", .dir = "/dev", .type = "devtmpfs", .flags = MS_NOSUID,
	  .data = "mode=0755", .need = NEED_VM_ONLY },
	{ .src = "tmpfs", .dir = "/run", .type = "tmpfs", .flags = MS_NOSUID | MS_NODEV,
	  .data = "mode=0755", .need = NEED_RUN },
	/* memory_recursiveprot needs 5.7; nsdelegate keeps delegated subtrees
	 * (containers below us) from moving processes out of themselves. */
	{ .src = "cgroup2", .dir = "/sys/fs/cgroup", .type = "cgroup2",
	  .flags = MS_NOSUID | MS_NODEV | MS_NOEXEC,
	  .data = "nsdelegate,memory_recursiveprot", .data_fallback = "nsdelegate",
	  .cgroup = true },
};

/* Is `dir` a mount point already?  (Its device differs from its parent's.) */
static bool mounted(const char *dir)
{
	struct stat a, b;
	char parent[64];

	snprintf(parent, sizeof(parent), "%s/..", dir);
	if (stat(dir, &a) < 0 || stat(parent, &b) < 0)
		return false;
	return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

/*
 * The OOM killer must never pick process 1.  Children inherit the value,
 * and a worker the OOM killer may not kill would turn its cgroup's
 * memory_max into a livelock: the value we had goes back to each worker
 * (pid1_oom_back()).
 */
static int oom_back;

int pid1_oom_back(void)
{
	return oom_back;
}

void pid1_oom_back_set(int v)
{
	oom_back = v;
}

static void oom_protect_self(void)
{
	char old[16] = "";
	int fd = open("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	n = read(fd, old, sizeof(old) - 1);
	old[n > 0 ? strcspn(old, "\n") : 0] = '\0';
	if (n > 0 && strcmp(old, "-1000") != 0 && write(fd, "-1000", 5) == 5)
		oom_back = atoi(old);
	close(fd);
}

/* Missing, or a directory with no entry at all (so nothing to hide). */
static bool dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool empty = true;

	if (!d)
		return errno == ENOENT;
	while (empty && (e = readdir(d)))
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	return empty;
}

/* run_dir is below `dir`? */
static bool run_dir_below(const char *dir)
{
	const char *rd = core_config()->otpd.run_dir;
	size_t n = strlen(dir);

	return rd && strncmp(rd, dir, n) == 0 && rd[n] == '/';
}

/* Outside a machine: mount m only when it is missing and otpd needs it. */
static bool needed(const struct mnt *m)
{
	if (mounted(m->dir) || !dir_empty(m->dir))
		return false;
	switch (m->need) {
	case NEED_VM_ONLY:
		return false;
	case NEED_RUN:
		return run_dir_below(m->dir) && access(m->dir, W_OK) < 0;
	default:
		return true;
	}
}

static void mount_one(const struct mnt *m)
{
	(void)mkdir(m->dir, 0755);
	if (mount(m->src, m->dir, m->type, m->flags, m->data) == 0)
		return;
	if (errno == EINVAL && m->data_fallback &&
	    mount(m->src, m->dir, m->type, m->flags, m->data_fallback) == 0)
		return;
	log_warn("mount %s on %s: %s, ignoring", m->type, m->dir, strerror(errno));
}

int pid1_setup(void)
{
	if (!mounted(mnt_proc.dir) && dir_empty(mnt_proc.dir))
		mount_one(&mnt_proc);
	sys_place_detect();
	for (size_t i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		const struct mnt *m = &mounts[i];

		if (m->cgroup && core_config()->otpd.cgroup == CFG_CGROUP_OFF)
			continue;
		if (sys_place() == SYS_MACHINE ? !mounted(m->dir) : needed(m))
			mount_one(m);
	}
	oom_protect_self();
	return 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reap what is ready; true when no child at all remains. */
static bool reap_some(void)
{
	for (;;) {
		siginfo_t si = { 0 };

		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0)
			return errno == ECHILD;
		if (si.si_pid == 0)
			return false;
	}
}

void pid1_reap_orphans(int64_t grace_ms)
{
	int64_t deadline = mono_ms() + grace_ms;
	sigset_t chld;
	bool killed = false;

	if (reap_some())
		return;
	log_info("stopping leftover processes");
	/* kill(-1) reaches every process but us: nothing here can be a reused pid. */
	(void)kill(-1, SIGTERM);
	(void)kill(-1, SIGCONT);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	while (!reap_some()) {
		int64_t left = deadline - mono_ms();
		struct timespec ts;

		if (left <= 0 && !killed) {
			log_warn("leftover processes after %lld ms: killing them",
				 (long long)grace_ms);
			(void)kill(-1, SIGKILL);
			killed = true;
			deadline = mono_ms() + 60000;
			continue;
		}
		if (left <= 0)
			break;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		(void)sigtimedwait(&chld, NULL, &ts);
	}
}

static const char *halt_word(int how)
{
	switch (how) {
	case RB_POWER_OFF: return "powering off";
	case RB_AUTOBOOT: return "rebooting";
	default: return "halting";
	}
}

/*
 * The machine's end is where PID 1's exit status would get lost, so it is
 * said on the console first (a VM's test runner reads it from there), and
 * the console drained: reboot(2) does not wait for a tty's pending output.
 */
void pid1_halt(int how, int code)
{
	log_info("exit status %d, %s", code, halt_word(how));
	for (int fd = 1; fd <= 2; fd++)
		if (isatty(fd))
			(void)tcdrain(fd);
	sync();
	if (reboot(how) < 0)
		log_err("reboot: %s", strerror(errno));
}
