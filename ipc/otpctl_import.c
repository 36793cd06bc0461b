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

int ctl_import(int argc, char **argv)
{
	struct imp_conf *c;
	size_t i;
	int r;

	for (i = 0; i < sizeof(imp_kinds) / sizeof(imp_kinds[0]); i++)
		if (argc == 2 && strcmp(argv[0], imp_kinds[i].kind) == 0)
			break;
	if (i == sizeof(imp_kinds) / sizeof(imp_kinds[0])) {
		fprintf(stderr, "otpctl: import: unknown kind \"%s\" (supervisord, procfile or "
				"systemd)\nusage: otpctl import supervisord|procfile|systemd FILE\n",
			argv[0]);
		return IPC_EXIT_USAGE;
	}
	c = imp_conf_new();
	if (!c) {
		fprintf(stderr, "otpctl: import: out of memory\n");
		return IPC_EXIT_REFUSED;
	}
	imp_note(c, "otp.conf from the %s %s, by otpctl import.", imp_kinds[i].what, argv[1]);
	imp_note(c, "Keys without an equivalent are kept as comments (\"key = value: why\").");
	imp_note(c, "Check it with: otpd --check -c FILE");
	r = imp_kinds[i].fn(c, argv[1]);
	if (r == 0)
		r = imp_print(c, stdout);
	if (r < 0 && r != -EINVAL)      /* -EINVAL: the importer said why */
		fprintf(stderr, "otpctl: import: %s: %s\n", argv[1], strerror(-r));
	imp_conf_free(c);
	return r == 0 ? IPC_EXIT_OK : IPC_EXIT_REFUSED;
}
