/*
 * otpctl_complete.c: `otpctl __complete WORD...`, what the shell
 * completions of otpctl (otpctl(1), COMPLETION) ask for.
 *
 * The words are the command line after the program name, the last one the
 * word being completed (possibly empty).  Everything is read from the one
 * table of verbs (verbs.c), as otpctl itself reads a command line: first
 * otpctl's own options (-s SOCKET, -H HOST, --json), then the verb, then
 * its words.  What may come next:
 *
 *   the verb                  the available verbs, with their summaries
 *   an option's value         the states (--state), ":file" (a file), or
 *                             nothing (durations, counts, words)
 *   a word starting with '-'  the verb's options not given yet, --json
 *   a positional argument     by its kind (enum ipc_arg): the nodes,
 *                             supervisors or workers of the running otpd,
 *                             signal names, import kinds, shells, ":file"
 *   after start-child's "--"  ":file" (the child's arguments)
 *
 * The names of the tree come from `status`, asked of the otpd at -s,
 * $OTP_SOCKET or the default socket (as otpctl finds it), with a short
 * timeout: an otpd that is not there, or does not answer in time, gives no
 * names and no message.  With -H the tree is on another machine: no names.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../util/util.h"
#include "ipc.h"
#include "otpctl.h"
#include "otpctl_import.h"

/* How long a completion waits for otpd's `status`. */
#define CMP_STATUS_MS 500

/* The command line as read so far. */
struct cmp {
	const char *cur;                /* the word being completed, as typed */
	const char *socket;             /* -s */
	const char *host;               /* -H */
	bool json;                      /* --json given */
};

/* What the words after the verb say. */
struct cmp_scan {
	bool given[IPC_OPTS_MAX];       /* by index in verb->opts */
	int npos;                       /* positional arguments before cur */
	const struct ipc_opt *value_of; /* cur is this option's value */
	bool rest;                      /* cur is after start-child's "--" */
};

/* What an option's value is, for its description. */
static const char *const cmp_val_what[] = {
	[IPC_VAL_FLAG] = NULL,
	[IPC_VAL_WORD] = "takes a name",
	[IPC_VAL_FILE] = "takes a file",
	[IPC_VAL_DURATION] = "takes a duration (500ms, 5s, 1min 30s)",
	[IPC_VAL_COUNT] = "takes a number",
	[IPC_VAL_STATE] = "takes a state",
	[IPC_VAL_SEQ] = "takes an event's sequence number",
};

/* Print `word` (and its description) when it begins with what was typed. */
static void cmp_offer(const struct cmp *c, const char *word, const char *desc)
{
	if (strncmp(word, c->cur, strlen(c->cur)) != 0)
		return;
	if (desc && desc[0])
		printf("%s\t%s\n", word, desc);
	else
		printf("%s\n", word);
}

static void cmp_file(void)
{
	puts(":file");
}

/* A socket path as typed: "~/" is the shell's, not expanded in the word. */
static const char *cmp_tilde(const char *path)
{
	static char buf[PATH_MAX];
	const char *home = getenv("HOME");

	if (strncmp(path, "~/", 2) != 0 || !home)
		return path;
	if (snprintf(buf, sizeof(buf), "%s/%s", home, path + 2) >= (int)sizeof(buf))
		return path;
	return buf;
}

/*
 * Read otpctl's own options before the verb (as ctl_globals does).  The
 * index of the verb in w (nw: cur is the verb), or -1 when nothing is to
 * be offered or it was already (the value of -s is a file).
 */
static int cmp_globals(struct cmp *c, int nw, char **w)
{
	int i;

	for (i = 0; i < nw && w[i][0] == '-'; i++) {
		const char *s = w[i];

		if (strcmp(s, "--json") == 0) {
			c->json = true;
		} else if (strcmp(s, "-s") == 0 || strcmp(s, "-H") == 0) {
			if (i + 1 == nw) {
				if (s[1] == 's')
					cmp_file();
				return -1;
			}
			*(s[1] == 's' ? &c->socket : &c->host) = w[++i];
		} else if (s[1] == 's' || s[1] == 'H') {
			*(s[1] == 's' ? &c->socket : &c->host) = s + 2;
		} else {
			return -1;      /* --help, --version, a typo: no verb follows */
		}
	}
	if (c->socket)
		c->socket = cmp_tilde(c->socket);
	return i;
}

/* cur is the verb, or one of otpctl's own options before it. */
static void cmp_first(const struct cmp *c)
{
	if (c->cur[0] != '-') {
		for (const struct ipc_verb *v = ipc_verbs; v->name[0]; v++)
			if (v->available)
				cmp_offer(c, v->name, v->summary);
		return;
	}
	if (!c->socket)
		cmp_offer(c, "-s", "otpd's control socket");
	if (!c->host)
		cmp_offer(c, "-H", "run otpctl on [user@]host through ssh");
	if (!c->json)
		cmp_offer(c, "--json", "every outcome as one JSON document");
	cmp_offer(c, "--help", "the verbs");
	cmp_offer(c, "--version", "otpctl's version and protocol");
}

/* Read the words between the verb and cur (as ipc_verb_parse would). */
static void cmp_scan_words(struct cmp *c, const struct ipc_verb *v, int nw, char **w,
			   struct cmp_scan *s)
{
	int k;

	for (int i = 0; i < nw; i++) {
		if (strcmp(w[i], "--json") == 0) {
			c->json = true;
		} else if (v->rest && strcmp(w[i], "--") == 0) {
			s->rest = true;
			return;
		} else if (w[i][0] == '-' && w[i][1] != '\0') {
			if ((k = ipc_verb_opt(v, w[i])) < 0)
				continue;       /* a typo: otpctl will say so */
			s->given[k] = true;
			if (v->opts[k].val == IPC_VAL_FLAG)
				continue;
			if (i + 1 == nw)
				s->value_of = &v->opts[k];
			i++;
		} else {
			s->npos++;
		}
	}
}

/* cur is the value of an option of this kind. */
static void cmp_value(const struct cmp *c, enum ipc_val val)
{
	if (val == IPC_VAL_FILE)
		cmp_file();
	else if (val == IPC_VAL_STATE)
		for (const char *const *p = ipc_states; *p; p++)
			cmp_offer(c, *p, NULL);
}

/* cur begins with '-': the verb's options not given yet. */
static void cmp_options(const struct cmp *c, const struct ipc_verb *v, const struct cmp_scan *s)
{
	for (int k = 0; k < IPC_OPTS_MAX && v->opts[k].name[0]; k++)
		if (!s->given[k])
			cmp_offer(c, v->opts[k].name, cmp_val_what[v->opts[k].val]);
	if (!c->json)
		cmp_offer(c, "--json", "every outcome as one JSON document");
	if (v->rest)
		cmp_offer(c, "--", "the rest are the child's arguments");
}

/*
 * Signal names as `kill` takes them: "TERM", or "SIGTERM" once "SIG" is
 * typed; the real-time ones ("RTMIN+3") only once "RT" is, as there are
 * 31 of them.
 */
static void cmp_signals(const struct cmp *c)
{
	bool full = strncmp(c->cur, "SIG", 3) == 0;
	bool rt = strncmp(c->cur + (full ? 3 : 0), "RT", 2) == 0;
	const char *name;

	for (int s = 1; s < _NSIG; s++) {
		if (!(name = util_signal_name(s)) || (s >= SIGRTMIN && !rt))
			continue;
		cmp_offer(c, full ? name : name + 3, strsignal(s));
	}
}

/* Move fd `from` onto fd `to`, keeping the old `to` in *ret_saved. */
static int cmp_swap_fd(int from, int to, int *ret_saved)
{
	int saved = fcntl(to, F_DUPFD_CLOEXEC, 3);

	if (saved < 0)
		return -errno;
	if (dup2(from, to) < 0) {
		int r = -errno;

		(void)close(saved);
		return r;
	}
	*ret_saved = saved;
	return 0;
}

static void cmp_restore_fd(int saved, int to)
{
	(void)dup2(saved, to);
	(void)close(saved);
}

/*
 * otpd's `status` table, as otpctl prints it, in a memory file (the
 * request's stdout; its stderr goes to /dev/null), rewound.  -errno, or
 * -ECONNREFUSED when otpd did not answer (in time).
 */
static int cmp_status(const char *path, int *ret_fd)
{
	char *argv[] = { (char *)"status", NULL };
	int mfd, null, out = -1, err = -1, r;

	(void)fflush(stdout);
	mfd = memfd_create("otpctl-status", MFD_CLOEXEC);
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	r = mfd < 0 || null < 0 ? -errno : 0;
	if (r == 0 && (r = cmp_swap_fd(mfd, 1, &out)) == 0 && (r = cmp_swap_fd(null, 2, &err)) == 0)
		r = ipc_client_run_timeout(path, 1, argv, CMP_STATUS_MS) == 0 ? 0 : -ECONNREFUSED;
	if (err >= 0)
		cmp_restore_fd(err, 2);
	if (out >= 0)
		cmp_restore_fd(out, 1);
	if (null >= 0)
		(void)close(null);
	if (r == 0 && lseek(mfd, 0, SEEK_SET) == 0) {
		*ret_fd = mfd;
		return 0;
	}
	if (mfd >= 0)
		(void)close(mfd);
	return r < 0 ? r : -EIO;
}

static bool cmp_node_fits(enum ipc_arg kind, const char *type)
{
	return kind == IPC_ARG_NODE || (kind == IPC_ARG_SUP && strcmp(type, "supervisor") == 0) ||
	       (kind == IPC_ARG_WORKER && strcmp(type, "worker") == 0);
}

/*
 * The nodes of the running tree that fit `kind`, described by their type
 * and state: the rows "NAME TYPE STATE ..." of the status table after its
 * header.
 */
static void cmp_nodes(const struct cmp *c, enum ipc_arg kind)
{
	char *line = NULL, name[128], type[32], state[32], desc[80];
	size_t cap = 0;
	FILE *f;
	int fd;

	if (c->host || cmp_status(ctl_socket_path(c->socket), &fd) < 0)
		return;
	f = fdopen(fd, "r");
	if (!f) {
		(void)close(fd);
		return;
	}
	if (getline(&line, &cap, f) > 0 && strncmp(line, "NAME", 4) == 0) {
		while (getline(&line, &cap, f) > 0) {
			if (sscanf(line, "%127s %31s %31s", name, type, state) != 3 ||
			    !cmp_node_fits(kind, type))
				continue;
			snprintf(desc, sizeof(desc), "%s, %s", type, state);
			cmp_offer(c, name, desc);
		}
	}
	free(line);
	(void)fclose(f);
}

/* cur is a positional argument of this kind. */
static void cmp_arg(const struct cmp *c, enum ipc_arg kind)
{
	const char *name, *what;

	switch (kind) {
	case IPC_ARG_NODE:
	case IPC_ARG_SUP:
	case IPC_ARG_WORKER:
		cmp_nodes(c, kind);
		break;
	case IPC_ARG_SIGNAL:
		cmp_signals(c);
		break;
	case IPC_ARG_KIND:
		for (size_t i = 0; (name = ctl_import_kind(i, &what)); i++)
			cmp_offer(c, name, what);
		break;
	case IPC_ARG_SHELL:
		for (size_t i = 0; (name = ctl_completion_shell(i)); i++)
			cmp_offer(c, name, NULL);
		break;
	case IPC_ARG_FILE:
		cmp_file();
		break;
	case IPC_ARG_MSG:
		break;
	}
}

/* cur is one of verb v's words; w: the nw words between v and cur. */
static void cmp_verb(struct cmp *c, const struct ipc_verb *v, int nw, char **w)
{
	struct cmp_scan s = { 0 };

	cmp_scan_words(c, v, nw, w, &s);
	if (s.rest)
		cmp_file();
	else if (s.value_of)
		cmp_value(c, s.value_of->val);
	else if (c->cur[0] == '-')
		cmp_options(c, v, &s);
	else if (s.npos < v->max && v->args[s.npos])
		cmp_arg(c, v->args[s.npos]);
}

int ctl_complete(int argc, char **argv)
{
	struct cmp c = { .cur = argc > 0 ? argv[argc - 1] : "" };
	int nw = argc > 0 ? argc - 1 : 0, i = cmp_globals(&c, nw, argv);
	const struct ipc_verb *v;

	if (i == nw)
		cmp_first(&c);
	else if (i >= 0 && (v = ipc_verb_find(argv[i])) && v->available)
		cmp_verb(&c, v, nw - i - 1, argv + i + 1);
	return fflush(stdout) == 0 ? IPC_EXIT_OK : IPC_EXIT_REFUSED;
}
