/*
 * group.c: group membership of a peer, group names, parent directories.
 * Group names are resolved without NSS (otpd may be PID 1): a number, or
 * /etc/group read directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"

/* Does `list` (n gids) hold `gid`? */
static bool gid_in(const gid_t *list, size_t n, gid_t gid)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == gid)
			return true;
	return false;
}

/*
 * The peer's supplementary groups: SO_PEERGROUPS (as of connect, no
 * race), else the Groups: line of /proc/PID/status.
 */
bool peer_in_group(int fd, pid_t pid, gid_t gid)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);
	char path[64], buf[8192], *p, *end;
	ssize_t n;
	int pfd;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
		return gid_in(groups, len / sizeof(gid_t), gid);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	pfd = open(path, O_RDONLY | O_CLOEXEC);
	if (pfd < 0)
		return false;
	n = read(pfd, buf, sizeof(buf) - 1);
	(void)close(pfd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strstr(buf, "\nGroups:");
	if (!p)
		return false;
	for (p += strlen("\nGroups:"); *p && *p != '\n'; p = end) {
		unsigned long g = strtoul(p, &end, 10);

		if (end == p)
			break;
		if ((gid_t)g == gid)
			return true;
	}
	return false;
}

/* "wheel" from /etc/group, parsed here: no NSS in PID 1. */
static int group_lookup(const char *group, gid_t *ret_gid)
{
	FILE *f = fopen("/etc/group", "re");
	char line[4096], *colon, *end;
	size_t nlen = strlen(group);
	unsigned long g;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, group, nlen) != 0 || line[nlen] != ':')
			continue;
		colon = strchr(line + nlen + 1, ':');       /* past the password */
		if (!colon)
			continue;
		errno = 0;
		g = strtoul(colon + 1, &end, 10);
		if (end == colon + 1 || *end != ':' || errno != 0 || g > (gid_t)-2)
			continue;
		(void)fclose(f);
		*ret_gid = (gid_t)g;
		return 0;
	}
	(void)fclose(f);
	return -ENOENT;
}

/* A group name or a numeric gid.  0, -ENOENT (unknown), or -errno. */
int group_resolve(const char *group, gid_t *ret_gid)
{
	unsigned long g;
	char *end;

	if (!group[0])
		return -ENOENT;
	errno = 0;
	g = strtoul(group, &end, 10);
	if (group[0] >= '0' && group[0] <= '9' && *end == '\0' && errno == 0 && g <= (gid_t)-2) {
		*ret_gid = (gid_t)g;
		return 0;
	}
	return group_lookup(group, ret_gid);
}

/* mkdir -p of the directory part of `path` (mode 0755). */
/* mkdir_parents() on a copy of the path otpd may change (NULL: ENOMEM). */
static int mkdir_parents_in(char *dir)
{
	char *p;

	if (!dir)
		return -ENOMEM;
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = c;
		if (c == '\0')
			return 0;
	}
}

int mkdir_parents(const char *path)
{
	char *dir = strdup(path);
	int r = mkdir_parents_in(dir);

	free(dir);
	return r;
}
