/*
 * otpctl_import.c: `otpctl import supervisord|procfile|systemd FILE`.
 *
 * Prints an otp.conf equivalent to another supervisor's configuration on
 * standard output; every source key without an equivalent is kept there
 * as a comment that says why.  Nothing talks to otpd: check the result
 * with `otpd --check -c FILE`.  FILE "-" is standard input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "otpctl_import.h"

static const struct {
	const char *kind;
	int (*fn)(struct imp_conf *c, const char *path);
	const char *what;
} imp_kinds[] = {
	{ "supervisord", imp_supervisord, "supervisord configuration (supervisord.conf)" },
	{ "procfile", imp_procfile, "Procfile" },
	{ "systemd", imp_systemd, "systemd service unit" },
};

const char *ctl_import_kind(size_t i, const char **ret_what)
{
	if (i >= sizeof(imp_kinds) / sizeof(imp_kinds[0]))
		return NULL;
	if (ret_what)
		*ret_what = imp_kinds[i].what;
	return imp_kinds[i].kind;
}

/* --json: {"ok":true,"config":"..."}. */
static int imp_print_json(struct imp_conf *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int r;

	if (!f)
		return -ENOMEM;
	r = imp_print(c, f);
	if (fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r == 0) {
		fputs("{\"ok\":true,\"config\":", stdout);
		ipc_json_string(stdout, text, len);
		fputs("}\n", stdout);
	}
	free(text);
	return r;
}

int ctl_import(const char *kind, const char *file)
{
	struct imp_conf *c;
	size_t i;
	int r;

	for (i = 0; i < sizeof(imp_kinds) / sizeof(imp_kinds[0]); i++)
		if (strcmp(kind, imp_kinds[i].kind) == 0)
			break;
	if (i == sizeof(imp_kinds) / sizeof(imp_kinds[0])) {
		ipc_say("usage", "import: unknown kind \"%s\" (supervisord, procfile or systemd)\n"
			"usage: otpctl import supervisord|procfile|systemd FILE", kind);
		return IPC_EXIT_USAGE;
	}
	c = imp_conf_new();
	if (!c) {
		ipc_say("out_of_memory", "import: out of memory");
		return IPC_EXIT_REFUSED;
	}
	imp_note(c, "otp.conf from the %s %s, by otpctl import.", imp_kinds[i].what, file);
	imp_note(c, "Keys without an equivalent are kept as comments (\"key = value: why\").");
	imp_note(c, "Check it with: otpd --check -c FILE");
	r = imp_kinds[i].fn(c, file);
	if (r == 0)
		r = ipc_json() ? imp_print_json(c) : imp_print(c, stdout);
	if (r == -EINVAL && ipc_json())     /* the importer said why on stderr */
		ipc_json_error("invalid", "import: the file is not valid (see stderr)");
	else if (r < 0 && r != -EINVAL)
		ipc_say("failed", "import: %s: %s", file, strerror(-r));
	imp_conf_free(c);
	return r == 0 ? IPC_EXIT_OK : IPC_EXIT_REFUSED;
}
