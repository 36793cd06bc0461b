/*
 * place.c: where otpd runs, decided once at start (otpd(8), MODES).
 *
 *   machine    PID 1 in the initial PID namespace (a VM's init): it mounts
 *              what is missing, signals USR1/USR2/PWR are power actions,
 *              and reboot(2) ends the machine when the tree is done;
 *   container  otpd is in a PID namespace of its own (Docker, Podman,
 *              Kubernetes, unshare), or the engine says so (container=):
 *              nothing is mounted over existing content, signals otpd does
 *              not act on are passed on to the workers, and reboot(2) is
 *              never called (poweroff, reboot, halt: plain shutdowns);
 *   host       anything else (a service on a machine, a user's own tree).
 *
 * The initial PID namespace has a fixed inode number
 * (PROC_PID_INIT_INO of the kernel, since Linux 3.8); /proc must be
 * mounted, which pid1_setup() sees to first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/base.h"
#include "system.h"

#define PID_NS_INIT_INO 0xEFFFFFFCu

static struct {
	enum sys_place place;
	char why[96];
} pl;

/* true: the initial PID namespace; also when it cannot be told (no /proc). */
static bool pid_ns_initial(void)
{
	struct stat st;

	if (stat("/proc/self/ns/pid", &st) < 0)
		return true;
	return st.st_ino == PID_NS_INIT_INO;
}

/*
 * The container interface's variable (podman, systemd-nspawn, LXC set it).
 * The engines' files (/run/.containerenv, /.dockerenv) are not trusted: a
 * machine's image made from a container image keeps them.
 */
static bool engine_says(void)
{
	const char *c = getenv("container");

	if (!c || !*c)
		return false;
	snprintf(pl.why, sizeof(pl.why), "container=%.64s", c);
	return true;
}

void sys_place_detect(void)
{
	bool initial = pid_ns_initial();

	if (getpid() == 1 && initial) {
		pl.place = SYS_MACHINE;
		snprintf(pl.why, sizeof(pl.why), "PID 1 of the machine");
	} else if (engine_says()) {
		pl.place = SYS_CONTAINER;
	} else if (!initial) {
		pl.place = SYS_CONTAINER;
		snprintf(pl.why, sizeof(pl.why), "a PID namespace of its own");
	} else {
		pl.place = SYS_HOST;
		snprintf(pl.why, sizeof(pl.why), "a service of the machine");
	}
	if (pl.place == SYS_CONTAINER)
		log_info("in a container (%s): nothing is mounted over existing content, "
			 "power actions end otpd only", pl.why);
}

enum sys_place sys_place(void)
{
	return pl.place;
}

const char *sys_place_why(void)
{
	return pl.why;
}

void sys_place_set(enum sys_place place, const char *why)
{
	pl.place = place;
	snprintf(pl.why, sizeof(pl.why), "%s", why);
}
