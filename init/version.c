/*
 * version.c: otpd's version (reexec.h), for --version and for the saved
 * state of a re-execution; in libinit so that its tests link without main.c.
 */
#include "reexec.h"

#ifndef OTPD_VERSION
#define OTPD_VERSION "0.1.0"
#endif

const char *otpd_version(void)
{
	return OTPD_VERSION;
}
