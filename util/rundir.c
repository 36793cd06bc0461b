/*
 * rundir.c: the run_dir otpd takes when the configuration names none, which
 * is also where otpctl looks for otpd's socket.
 */
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

int util_default_run_dir(unsigned uid, char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (uid == 0)
		return snprintf(buf, len, "/run/otp");
	if (xdg && xdg[0] == '/')
		return snprintf(buf, len, "%s/otp", xdg);
	return snprintf(buf, len, "/tmp/otp-%u", uid);
}
