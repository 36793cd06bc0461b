/*
 * tprobe: looks at its own sandbox from inside, for otpd's sandbox tests.
 *
 *   tprobe COMMAND... [sleep | exit N]
 *
 * Each command prints one line "probe: ..." on stdout, in order, then
 * "probe: done".  The last word decides what happens next: `sleep` waits
 * for a signal (the default), `exit N` exits with N.
 *
 *   ids                      uid=U gid=G groups=A,B (sorted)
 *   env NAME                 env NAME=VALUE, or env NAME unset
 *   umask                    umask=0022
 *   status KEY               the line KEY: of /proc/self/status
 *   limit TEXT               the line of /proc/self/limits starting with TEXT
 *   nice                     nice=N
 *   oom                      oom_score_adj=N
 *   affinity                 affinity=0,1
 *   cwd                      cwd=PATH
 *   try NAME                 try NAME ok, or try NAME ERRNO (a system call)
 *   write PATH / read PATH   write PATH ok|ERRNO / read PATH ok|ERRNO
 *   ifaces                   ifaces=lo (interfaces of the network namespace, up ones marked +)
 *   ls DIR                   ls DIR=a,b,c (sorted)
 *   once FILE                the rest runs only the first time (FILE absent: created)
 *   bind PORT                bind PORT ok|ERRNO (TCP on 127.0.0.1)
 *   line PATH                line PATH=first line of the file, or an error name
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SYS_mseal_nr 462        /* Linux 6.10: newer than libseccomp 2.5 knows */

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	va_list ap;

	printf("probe: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static const char *err_name(int e)
{
	static char buf[32];

	switch (e) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENOSYS: return "ENOSYS";
	case EROFS: return "EROFS";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case ESRCH: return "ESRCH";
	case EADDRINUSE: return "EADDRINUSE";
	}
	snprintf(buf, sizeof(buf), "errno%d", e);
	return buf;
}

static int cmp_gid(const void *a, const void *b)
{
	gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;

	return x < y ? -1 : x > y;
}

static void ids(void)
{
	gid_t g[256];
	int n = getgroups(256, g);
	char buf[2048] = "";
	size_t len = 0;

	qsort(g, n > 0 ? (size_t)n : 0, sizeof(g[0]), cmp_gid);
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%u", i ? "," : "", (unsigned)g[i]);
	out("uid=%u gid=%u groups=%s", (unsigned)getuid(), (unsigned)getgid(), buf);
}

/* The line of FILE starting with `prefix`. */
static void file_line(const char *file, const char *prefix)
{
	FILE *f = fopen(file, "re");
	char line[512];

	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, prefix, strlen(prefix)) == 0) {
			line[strcspn(line, "\n")] = '\0';
			out("%s", line);
			fclose(f);
			return;
		}
	}
	if (f)
		fclose(f);
	out("%s (none)", prefix);
}

/* One system call by name, with harmless arguments; errno or 0. */
static int try_call(const char *name)
{
	long r;

	if (!strcmp(name, "getpid"))
		r = syscall(SYS_getpid);
	else if (!strcmp(name, "ptrace"))
		r = syscall(SYS_ptrace, PTRACE_PEEKDATA, 0, 0, 0);     /* pid 0: ESRCH */
	else if (!strcmp(name, "chroot"))
		r = syscall(SYS_chroot, "/nonexistent-otpd-probe");
	else if (!strcmp(name, "swapoff"))
		r = syscall(SYS_swapoff, "/nonexistent-otpd-probe");
	else if (!strcmp(name, "umount2"))
		r = syscall(SYS_umount2, "/nonexistent-otpd-probe", 0);
	else if (!strcmp(name, "clone3"))
		r = syscall(SYS_clone3, NULL, 0);                       /* EINVAL when it runs */
	else if (!strcmp(name, "mseal"))
		r = syscall(SYS_mseal_nr, 0, 0, 0);
	else if (!strcmp(name, "uname"))
		r = syscall(SYS_uname, NULL);
	else
		return -1;
	return r < 0 ? errno : 0;
}

static void ls(const char *dir)
{
	struct dirent **v;
	char buf[4096] = "";
	size_t len = 0;
	int n = scandir(dir, &v, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		/* A crowded directory (/tmp) is cut, never overflows buf. */
		if (v[i]->d_name[0] != '.' && len < sizeof(buf) - 1)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? "," : "",
						v[i]->d_name);
		if (len > sizeof(buf) - 1)
			len = sizeof(buf) - 1;
		free(v[i]);
	}
	if (n >= 0)
		free(v);
	out("ls %s=%s", dir, n < 0 ? err_name(errno) : buf);
}

static void ifaces(void)
{
	struct if_nameindex *v = if_nameindex();
	char buf[1024] = "";
	size_t len = 0;

	for (struct if_nameindex *i = v; i && i->if_name; i++) {
		struct ifaddrs *a = NULL;
		unsigned flags = 0;

		if (getifaddrs(&a) == 0)
			for (struct ifaddrs *x = a; x; x = x->ifa_next)
				if (!strcmp(x->ifa_name, i->if_name))
					flags = x->ifa_flags;
		freeifaddrs(a);
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s%s", len ? "," : "",
					i->if_name, flags & IFF_UP ? "+" : "");
	}
	if (v)
		if_freenameindex(v);
	out("ifaces=%s", buf);
}

static int bind_port(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r = 0;

	if (s < 0)
		return errno;
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		r = errno;
	close(s);
	return r;
}

static int rw(const char *path, bool write)
{
	int fd = write ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
		       : open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	if (write && dprintf(fd, "probe\n") < 0) {
		close(fd);
		return errno;
	}
	close(fd);
	return 0;
}

static void affinity(void)
{
	cpu_set_t s;
	char buf[1024] = "";
	size_t len = 0;

	if (sched_getaffinity(0, sizeof(s), &s) < 0) {
		out("affinity=%s", err_name(errno));
		return;
	}
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &s))
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%d", len ? "," : "", c);
	out("affinity=%s", buf);
}

/* Run argv[i] (with its argument); returns how many words it took, 0 when unknown. */
static int run(int argc, char **argv, int i, bool *stop)
{
	const char *cmd = argv[i], *arg = i + 1 < argc ? argv[i + 1] : NULL;
	char cwd[1024];
	mode_t m;
	int e;

	if (!strcmp(cmd, "ids")) {
		ids();
		return 1;
	} else if (!strcmp(cmd, "umask")) {
		m = umask(0);
		umask(m);
		out("umask=%04o", (unsigned)m);
		return 1;
	} else if (!strcmp(cmd, "nice")) {
		errno = 0;
		e = getpriority(PRIO_PROCESS, 0);
		out("nice=%d", e);
		return 1;
	} else if (!strcmp(cmd, "oom")) {
		FILE *f = fopen("/proc/self/oom_score_adj", "re");

		out("oom_score_adj=%d", f && fscanf(f, "%d", &e) == 1 ? e : -9999);
		if (f)
			fclose(f);
		return 1;
	} else if (!strcmp(cmd, "affinity")) {
		affinity();
		return 1;
	} else if (!strcmp(cmd, "cwd")) {
		out("cwd=%s", getcwd(cwd, sizeof(cwd)) ? cwd : "?");
		return 1;
	} else if (!strcmp(cmd, "ifaces")) {
		ifaces();
		return 1;
	}
	if (!arg)
		return 0;
	if (!strcmp(cmd, "env")) {
		out("env %s%s%s", arg, getenv(arg) ? "=" : " unset", getenv(arg) ? getenv(arg) : "");
	} else if (!strcmp(cmd, "status")) {
		char key[128];

		snprintf(key, sizeof(key), "%s:", arg);
		file_line("/proc/self/status", key);
	} else if (!strcmp(cmd, "limit")) {
		file_line("/proc/self/limits", arg);
	} else if (!strcmp(cmd, "try")) {
		e = try_call(arg);
		out("try %s %s", arg, e < 0 ? "unknown" : err_name(e));
	} else if (!strcmp(cmd, "write") || !strcmp(cmd, "read")) {
		out("%s %s %s", cmd, arg, err_name(rw(arg, cmd[0] == 'w')));
	} else if (!strcmp(cmd, "ls")) {
		ls(arg);
	} else if (!strcmp(cmd, "line")) {
		FILE *f = fopen(arg, "re");
		char buf[512] = "";

		if (f && fgets(buf, sizeof(buf), f))
			buf[strcspn(buf, "\n")] = '\0';
		out("line %s=%s", arg, f ? buf : err_name(errno));
		if (f)
			fclose(f);
	} else if (!strcmp(cmd, "bind")) {
		out("bind %s %s", arg, err_name(bind_port(atoi(arg))));
	} else if (!strcmp(cmd, "once")) {
		if (access(arg, F_OK) == 0)
			*stop = true;
		else
			close(open(arg, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	} else {
		return 0;
	}
	return 2;
}

int main(int argc, char **argv)
{
	bool stop = false;
	int i = 1, n, code = -1;

	while (i < argc && !stop) {
		if (!strcmp(argv[i], "sleep"))
			break;
		if (!strcmp(argv[i], "exit") && i + 1 < argc) {
			code = atoi(argv[i + 1]);
			break;
		}
		n = run(argc, argv, i, &stop);
		if (n == 0) {
			out("unknown command %s", argv[i]);
			return 2;
		}
		i += n;
	}
	out("done");
	if (code >= 0)
		return code;
	for (;;)
		pause();
}
