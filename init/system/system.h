/*
 * system.h: otpd and what is above it.
 *
 * Signals (signals.c: signalfd, forwarding to workers that claimed them),
 * the duties of process 1 (pid1.c: mounts in a VM, the OOM score, orphans
 * at the end, power off), and our own parent's notify socket when systemd
 * started us (sdnotify.c), with its watchdog (watchdog_self.c).
 */
#ifndef OTPD_INIT_SYSTEM_H
#define OTPD_INIT_SYSTEM_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* --- signals.c ---------------------------------------------------------- */

int signals_init(void);
/* A reload may have claimed new signals for forward_signals. */
void signals_refresh(void);
/* The signals a child must set back to SIG_DFL before execve. */
const sigset_t *signals_not_default(void);

/* --- pid1.c -------------------------------------------------------------- */

int pid1_setup(void);
/* The oom_score_adj otpd had before it protected itself: what workers get back. */
int pid1_oom_back(void);
/* After the tree stopped: TERM+CONT orphans, KILL at the grace deadline. */
void pid1_reap_orphans(int64_t grace_ms);
void pid1_halt(int how, int code);   /* how: RB_POWER_OFF, RB_AUTOBOOT, RB_HALT_SYSTEM */
/* Process 1 of a machine (not of a container's PID namespace)? */
bool pid1_in_vm(void);

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

#endif
