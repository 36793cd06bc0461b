/*
 * sdnotify.c: telling our own supervisor (systemd, Type=notify) how we are.
 * Only when $NOTIFY_SOCKET was set for otpd; children never inherit it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "system.h"

void sd_report(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	(void)sd_notify(0, buf);
}
