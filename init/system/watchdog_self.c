/*
 * watchdog_self.c: otpd's own keep-alive to the systemd watchdog.
 *
 * A unit with WatchdogSec= starts otpd with WATCHDOG_USEC (and
 * WATCHDOG_PID, which must then be ours, as sd_watchdog_enabled(3)
 * checks) and kills it when WATCHDOG=1 stops coming.  A timer of the
 * loop at half that interval, armed again each time it fires, proves that
 * the loop itself still dispatches: a stuck loop stops pinging and systemd
 * restarts otpd, which is the point.  Without WatchdogSec= no timer is
 * armed and an idle otpd sleeps with no timeout.
 *
 * Children never see WATCHDOG_USEC or WATCHDOG_PID (spawn_env.c drops
 * WATCHDOG_* and sets a worker's own from its `watchdog` key).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/base.h"
#include "system.h"

static struct {
	struct ev_timer timer;
	int64_t every_ms;
} wd;

/*
 * The interval systemd asked for, in microseconds, when the watchdog is
 * armed for this process: 1 and *ret_usec; 0 when it is not for us; or
 * -EINVAL for a value that is not a positive number.
 */
static int watchdog_self_usec(uint64_t *ret_usec)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	unsigned long long v;
	char *end;

	if (!usec)
		return 0;
	if (pid && strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno || end == usec || *end || v == 0)
		return -EINVAL;
	*ret_usec = v;
	return 1;
}

static void watchdog_self_fire(struct ev_timer *t, int64_t now)
{
	sd_report("WATCHDOG=1");
	if (ev_timer_arm(&wd.timer, ev_after(wd.every_ms)) < 0)
		log_err("cannot arm the systemd watchdog timer again: out of memory");
}

void watchdog_self_start(void)
{
	uint64_t usec = 0;
	int r = watchdog_self_usec(&usec);

	if (r == 0)
		return;
	if (r < 0) {
		log_warn("WATCHDOG_USEC=%s is not a number of microseconds, ignoring",
			 getenv("WATCHDOG_USEC"));
		return;
	}
	/* Half the interval, as sd_watchdog_enabled(3) advises; the loop
	 * counts milliseconds, so at least 1 ms. */
	wd.every_ms = usec / 2000 ? (int64_t)(usec / 2000) : 1;
	wd.timer.fn = watchdog_self_fire;
	if (ev_timer_arm(&wd.timer, ev_after(wd.every_ms)) < 0) {
		log_warn("cannot arm the systemd watchdog timer: out of memory, ignoring");
		return;
	}
	log_debug("systemd watchdog: WATCHDOG=1 every %lld ms", (long long)wd.every_ms);
}
