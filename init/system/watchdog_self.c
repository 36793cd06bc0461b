/*
 * watchdog_self.c: otpd's own keep-alive to the systemd watchdog.
 *
 * A unit with WatchdogSec= starts otpd with WATCHDOG_USEC (and
 * WATCHDOG_PID, which must then be ours, as sd_watchdog_enabled(3)
 * checks) and kills it when WATCHDOG=1 stops coming.  A periodic timerfd
 * at half that interval is one more source of the event loop, so a ping
 * proves that the loop itself still dispatches: a stuck loop stops
 * pinging and systemd restarts otpd, which is the point.  Nothing else is
 * needed from the loop: an idle otpd still sleeps in epoll_wait with no
 * timeout, woken only by this fd.
 *
 * Children never see WATCHDOG_USEC or WATCHDOG_PID (spawn_env.c drops
 * WATCHDOG_* and sets a worker's own from its `watchdog` key).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "../base/base.h"
#include "system.h"

static struct {
	int fd;
	struct ev_source src;
} wd = { .fd = -1 };

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

static void watchdog_self_fire(struct ev_source *s, uint32_t revents)
{
	uint64_t expirations;

	/* Drain the count: one ping stands for however many were missed. */
	while (read(s->fd, &expirations, sizeof(expirations)) > 0)
		;
	sd_report("WATCHDOG=1");
}

/* A timerfd that expires every `usec`, the first time after one interval. */
static int watchdog_self_timer(uint64_t usec)
{
	struct timespec t = { .tv_sec = usec / 1000000, .tv_nsec = (usec % 1000000) * 1000 };
	struct itimerspec its = { .it_interval = t, .it_value = t };
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
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
	/* Half the interval, as sd_watchdog_enabled(3) advises; at least 1 us. */
	r = watchdog_self_timer(usec / 2 ? usec / 2 : 1);
	if (r < 0) {
		log_warn("cannot arm the systemd watchdog timer: %s, ignoring", strerror(-r));
		return;
	}
	wd.fd = r;
	wd.src = (struct ev_source){ .fd = r, .events = EPOLLIN, .fn = watchdog_self_fire };
	if ((r = ev_add(&wd.src)) < 0) {
		log_warn("cannot watch the systemd watchdog timer: %s, ignoring", strerror(-r));
		close(wd.fd);
		wd.fd = -1;
		return;
	}
	log_debug("systemd watchdog: WATCHDOG=1 every %llu us",
		  (unsigned long long)(usec / 2));
}
