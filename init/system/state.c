/*
 * state.c: the system room's part of otpd's saved state (system.h).
 *
 * What otpd decided or found at its first start is carried, not found
 * again: the new image runs on a system that otpd itself has changed
 * (its OOM score is -1000 as PID 1, its signals are blocked, the mounts
 * it made are there).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "../base/base.h"
#include "system.h"

enum { SY_PLACE = 1, SY_WHY, SY_OOM_BACK, SY_MASK, SY_SD };

/* Signals 1..64 of a set, as bits (bit n-1: signal n). */
static uint64_t mask_bits(const sigset_t *set)
{
	uint64_t m = 0;

	for (int s = 1; s <= 64 && s < NSIG; s++)
		if (sigismember(set, s) == 1)
			m |= 1ull << (s - 1);
	return m;
}

void sys_save(struct st_buf *b)
{
	sigset_t now;
	size_t at;

	st_put_u64(b, SY_PLACE, (uint64_t)sys_place());
	st_put_str(b, SY_WHY, sys_place_why());
	st_put_i64(b, SY_OOM_BACK, pid1_oom_back());
	/* The mask otpd runs with (the exec itself runs with every signal blocked). */
	if (sigprocmask(SIG_BLOCK, NULL, &now) == 0)
		st_put_u64(b, SY_MASK, mask_bits(&now));
	at = st_open(b, SY_SD);
	sd_status_save(b);
	st_close(b, at);
}

int sys_restore(const struct st_rd *r, bool dry)
{
	char why[96] = "";
	uint64_t place, mask;
	int oom = 0;
	sigset_t set;

	if (!st_u64(r, SY_PLACE, &place) || place > SYS_CONTAINER ||
	    !st_str(r, SY_WHY, why, sizeof(why)) || !st_int(r, SY_OOM_BACK, &oom))
		return -EBADMSG;
	if (dry)
		return 0;
	sys_place_set((enum sys_place)place, why);
	pid1_oom_back_set(oom);
	if (st_u64(r, SY_MASK, &mask)) {
		sigemptyset(&set);
		for (int s = 1; s <= 64 && s < NSIG; s++)
			if (mask & (1ull << (s - 1)))
				sigaddset(&set, s);
		(void)sigprocmask(SIG_SETMASK, &set, NULL);
	}
	return 0;
}

void sys_restore_status(const struct st_rd *r)
{
	struct st_rd v;

	if (st_find(r, SY_SD, &v))
		sd_status_restore(&v);
}
