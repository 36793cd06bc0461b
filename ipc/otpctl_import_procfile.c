/*
 * otpctl_import_procfile.c: a Procfile (Heroku, foreman, honcho) as otp.conf.
 *
 * Each "TYPE: COMMAND" line is a permanent worker named TYPE that runs
 * COMMAND with /bin/sh -c in the Procfile's directory, as foreman does,
 * with foreman's PORT (5000, 5100, ... in file order) and the directory's
 * .env file when there is one.  Heroku restarts a crashed dyno on its
 * own: one_for_one, each worker restarted alone.
 */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "otpctl_import.h"

#define PROC_PORT_BASE 5000     /* foreman's default base port */
#define PROC_PORT_STEP 100

struct proc_ctx {
	struct imp_conf *c;
	char dir[PATH_MAX];             /* the Procfile's directory; "" for stdin */
	bool dotenv;
	int count;
};

/* "TYPE: COMMAND" (foreman: ^([A-Za-z0-9_-]+):\s*(.+)$); false otherwise. */
static bool proc_split(char *line, char **ret_type, char **ret_cmd)
{
	size_t n = strspn(line, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
	char *cmd;
	size_t len;

	if (n == 0 || line[n] != ':')
		return false;
	line[n] = '\0';
	cmd = line + n + 1;
	while (isspace((unsigned char)*cmd))
		cmd++;
	len = strlen(cmd);
	while (len > 0 && isspace((unsigned char)cmd[len - 1]))
		cmd[--len] = '\0';
	if (len == 0)
		return false;
	*ret_type = line;
	*ret_cmd = cmd;
	return true;
}

static int proc_worker(struct proc_ctx *x, const char *type, const char *cmd)
{
	struct imp_node *w = imp_node_add(x->c, type, false, NULL);
	char *exec = imp_shell_exec(cmd);

	if (!w || !exec) {
		free(exec);
		return -ENOMEM;
	}
	imp_comment(w, "%s: %s", type, cmd);
	imp_set(w, "exec", "%s", exec);
	free(exec);
	if (x->dir[0])
		imp_set(w, "workdir", "%s", x->dir);
	if (x->dotenv)
		imp_set(w, "environment_file", "-%s/.env", x->dir);
	imp_set(w, "env", "PORT=%d", PROC_PORT_BASE + PROC_PORT_STEP * x->count);
	/* Heroku: SIGTERM, then SIGKILL 30 s later. */
	imp_set(w, "shutdown", "30s");
	x->count++;
	return 0;
}

static int proc_dir(struct proc_ctx *x, const char *path)
{
	char real[PATH_MAX], probe[PATH_MAX + 8];

	if (strcmp(path, "-") == 0)
		return 0;
	if (!realpath(path, real))
		return -errno;
	snprintf(x->dir, sizeof(x->dir), "%s", dirname(real));
	snprintf(probe, sizeof(probe), "%s/.env", x->dir);
	x->dotenv = access(probe, F_OK) == 0;
	return 0;
}

static void proc_root(struct imp_conf *c, const struct proc_ctx *x)
{
	struct imp_node *root = imp_root(c);

	imp_note(c, "Each process type is a permanent worker, restarted on its own; it runs");
	imp_note(c, "with /bin/sh -c%s%s, with PORT as foreman sets it (%d, %d, ...)%s.",
		 x->dir[0] ? " in " : "", x->dir, PROC_PORT_BASE, PROC_PORT_BASE + PROC_PORT_STEP,
		 x->dotenv ? " and the variables of .env" : "");
	imp_set(root, "strategy", "one_for_one");
	imp_comment(root, "a crashing dyno is restarted without end on Heroku: give up only "
			  "after 10 restarts in a minute");
	imp_set(root, "intensity", "10");
	imp_set(root, "period", "60s");
}

int imp_procfile(struct imp_conf *c, const char *path)
{
	struct proc_ctx x = { .c = c };
	FILE *f;
	char *line = NULL, *type, *cmd;
	size_t cap = 0;
	ssize_t len;
	int r, lineno = 0;

	if ((r = proc_dir(&x, path)) < 0)
		return r;
	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	if (!f)
		return -errno;
	proc_root(c, &x);
	while (r == 0 && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[strspn(line, " \t")] == '\0' || line[strspn(line, " \t")] == '#')
			continue;
		if (proc_split(line, &type, &cmd))
			r = proc_worker(&x, type, cmd);
		else
			imp_note(c, "line %d ignored (not \"TYPE: COMMAND\"): %s", lineno, line);
	}
	free(line);
	if (f != stdin)
		fclose(f);
	if (r == 0 && x.count == 0)
		imp_note(c, "no process types found: the tree is empty");
	return r;
}
