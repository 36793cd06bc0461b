/*
 * cgtest.h: helpers shared by the cgroups/ unit tests.
 *
 * Most tests run the library against a plain temporary directory whose
 * empty files stand in for cgroupfs control files: that shows exactly what
 * the library writes where.  test_live.c uses the machine's real cgroup2.
 */
#ifndef OTPD_TESTS_CGTEST_H
#define OTPD_TESTS_CGTEST_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <sys/types.h>

#include "../../../cgroups/cgroups.h"

extern char ct_dir[64];         /* the test's temporary directory */
extern int ct_fd;               /* ... open */

void ct_setup(void);
/* Removes ct_dir with everything in it; reaps children left by a failure. */
void ct_teardown(void);

/* Create ct_dir/rel holding `text` ("" for an empty stand-in file). */
void ct_put(const char *rel, const char *text);
/* ct_dir/rel's content (a static buffer, valid until the next call). */
const char *ct_get(const char *rel);
bool ct_exists(const char *rel);
void ct_mkdir(const char *rel);

/* `text` as a read-only FILE (mountinfo, /proc/PID/cgroup). */
FILE *ct_text(const char *text);

/* A child that sleeps in pause() until killed (dies with its parent). */
pid_t ct_sleeper(void);
/* Wait for `pid`; the signal that killed it, or -1 if it exited. */
int ct_reap(pid_t pid);

/* Limits with nothing set, as the config loader starts them. */
struct cg_limits ct_no_limits(void);

#endif
