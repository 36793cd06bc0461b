/*
 * system.h: otpd and what is above it.
 *
 * Where otpd runs (place.c: a machine, a container, a host), signals
 * (signals.c: signalfd, forwarding to workers), the duties of process 1
 * (pid1.c: missing mounts, the OOM score, orphans at the end, power off),
 * and our own parent's notify socket when systemd started us
 * (sdnotify.c), with its watchdog (watchdog_self.c).
 */
#ifndef OTPD_INIT_SYSTEM_H
#define OTPD_INIT_SYSTEM_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct st_buf;
struct st_rd;

/* --- place.c ------------------------------------------------------------ */

enum sys_place {
	SYS_HOST,               /* a service on a machine, not its PID 1 */
	SYS_MACHINE,            /* PID 1 of the machine (a VM): reboot(2) is ours */
	SYS_CONTAINER,          /* a container, or a PID namespace of its own */
};

/* Decide where otpd runs, once, with /proc mounted (pid1_setup() calls it
 * for PID 1); says it in the log for a container. */
void sys_place_detect(void);
enum sys_place sys_place(void);
/* What told: "container=podman", "/.dockerenv", ... */
const char *sys_place_why(void);

/* --- signals.c ---------------------------------------------------------- */

int signals_init(void);
/* A reload may have claimed new signals for forward_signals. */
void signals_refresh(void);
/* The signals a child must set back to SIG_DFL before execve. */
const sigset_t *signals_not_default(void);

/* --- pid1.c -------------------------------------------------------------- */

/* Mount what is missing (as the place allows), detect the place, OOM score. */
int pid1_setup(void);
/* The oom_score_adj otpd had before it protected itself: what workers get back. */
int pid1_oom_back(void);
/* After the tree stopped: TERM+CONT orphans, KILL at the grace deadline. */
void pid1_reap_orphans(int64_t grace_ms);
/* PID 1 of a machine only: how is RB_POWER_OFF, RB_AUTOBOOT, RB_HALT_SYSTEM. */
void pid1_halt(int how, int code);

/* --- sdnotify.c: talking to our own parent (systemd) -------------------- */

void sd_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- sdstatus.c: READY=1, STATUS= and STOPPING=1 following the tree ----- */

/* Watch the core (when $NOTIFY_SOCKET is set; after core_init). */
void sd_status_init(void);
/* Something changed that no action of the core says (a shutdown asked):
 * the status is sent again, at most once per batch. */
void sd_status_changed(void);

/* --- watchdog_self.c: WATCHDOG=1 to systemd when WatchdogSec= is set ---- */

/* After ev_init(): when $WATCHDOG_USEC is for us, a loop source pings at
 * half the interval.  Logs its own failures, which are never fatal. */
void watchdog_self_start(void);

/*
 * --- state.c: re-execution (otpd(8), RE-EXECUTION) -------------------------
 * Where otpd runs and what it found there at its first start (the place,
 * the OOM score it took from workers, the signal mask it ran with), and
 * what systemd was told, so the new image does not detect, mount or
 * announce anything again.  sys_restore runs before signals_init; 0 or
 * -EBADMSG; dry only reads.
 */
void sys_save(struct st_buf *b);
int sys_restore(const struct st_rd *r, bool dry);
/* After sd_status_init() in the new image. */
void sys_restore_status(const struct st_rd *r);
void sys_place_set(enum sys_place place, const char *why);
void pid1_oom_back_set(int v);
void sd_status_save(struct st_buf *b);
void sd_status_restore(const struct st_rd *r);

#endif
