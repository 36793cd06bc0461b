/*
 * find.c: where cgroup2 is mounted and where a process sits in it.
 *
 * mountinfo is read rather than assuming /sys/fs/cgroup: hybrid hosts put
 * cgroup2 at /sys/fs/cgroup/unified, containers may put it anywhere.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroups.h"

static const char *const cg_names[] = { "cpu", "memory", "pids", "io", "cpuset" };
#define CG_N_NAMES (sizeof(cg_names) / sizeof(cg_names[0]))

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* "36 35 0:30 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw": field 5 is
 * the mount point, the first field after " - " the type. */
static int mountinfo_line(char *line, char *buf, size_t len)
{
	char *sep = strstr(line, " - "), *f[5], *save = NULL;
	size_t i = 0;

	if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
		return -ENOENT;
	*sep = '\0';
	for (char *t = strtok_r(line, " ", &save); t && i < 5; t = strtok_r(NULL, " ", &save))
		f[i++] = t;
	if (i < 5)
		return -ENOENT;
	unescape_octal(f[4]);
	if (strlen(f[4]) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, f[4]);
	return 0;
}

int cg_find_mount(FILE *mountinfo, char *buf, size_t len)
{
	char *line = NULL;
	size_t cap = 0;
	int r = -ENOENT;

	while (r == -ENOENT && getline(&line, &cap, mountinfo) > 0) {
		line[strcspn(line, "\n")] = '\0';
		r = mountinfo_line(line, buf, len);
	}
	free(line);
	return r == -ENAMETOOLONG ? r : (r == 0 ? 0 : -ENOENT);
}

int cg_own_path(FILE *proc_cgroup, char *buf, size_t len)
{
	char *line = NULL;
	size_t cap = 0;
	int r = -ENOENT;

	while (getline(&line, &cap, proc_cgroup) > 0) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		/* A cgroup removed under us reads "/path (deleted)". */
		if (strlen(line + 3) >= len) {
			r = -ENAMETOOLONG;
			break;
		}
		strcpy(buf, line + 3);
		r = 0;
		break;
	}
	free(line);
	return r;
}

unsigned cg_controllers_parse(const char *s)
{
	unsigned mask = 0;

	while (*s) {
		size_t n;

		s += strspn(s, " \t\n");
		n = strcspn(s, " \t\n");
		for (size_t i = 0; i < CG_N_NAMES && n; i++)
			if (strlen(cg_names[i]) == n && strncmp(s, cg_names[i], n) == 0)
				mask |= 1u << i;
		s += n;
	}
	return mask;
}

bool cg_words_add(char *buf, size_t len, size_t *at, const char *word)
{
	int n = snprintf(buf + *at, len - *at, "%s%s", *at ? " " : "", word);

	if (n < 0 || (size_t)n >= len - *at) {
		buf[*at] = '\0';       /* whole words only, never half of one */
		return false;
	}
	*at += (size_t)n;
	return true;
}

void cg_controllers_format(unsigned mask, char *buf, size_t len)
{
	size_t at = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < CG_N_NAMES; i++)
		if ((mask & (1u << i)) && !cg_words_add(buf, len, &at, cg_names[i]))
			return;
}
