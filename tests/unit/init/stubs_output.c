/*
 * stubs_output.c: weak stand-ins so the output and notify tests link
 * without the whole daemon.  main.c (which defines `otpd`) is not part of
 * libinit.a; the other symbols are replaced by the real ones whenever
 * their object is linked in (a strong definition wins over a weak one).
 */
#include <stdint.h>

#include "../../../init/internal.h"

__attribute__((weak)) struct otpd otpd;

__attribute__((weak)) void actions_run(void)
{
}

__attribute__((weak)) int64_t control_next_deadline(void)
{
	return INT64_MAX;
}

__attribute__((weak)) void control_timer(int64_t now)
{
}
