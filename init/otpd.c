/*
 * otpd.c: otpd's global state and the orderly shutdown every path into it
 * (signals, otpctl, the end of PID 1 duties) shares.  Kept out of main.c so
 * that the init library is whole without main().
 */
#include "internal.h"

struct otpd otpd;

void otpd_shutdown(int halt_how)
{
	if (halt_how)
		otpd.halt_how = halt_how;
	otpd.stopping = true;
	sd_report("STOPPING=1\nSTATUS=shutting down");
	sup_shutdown(otpd.tree, ev_now());
	actions_run();
}
