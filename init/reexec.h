/*
 * reexec.h: otpd's re-execution, seen from main.c (otpd(8), RE-EXECUTION).
 *
 * reexec.c runs it in the image that goes (wait until the tree is settled,
 * have the new binary check the state, exec it); reexec_state.c writes
 * and reads the state, one section per room; reexec_start.c is the new
 * image's start from the state (otpd --restore FD) and the check
 * (otpd --check-state FD).
 */
#ifndef OTPD_INIT_REEXEC_H
#define OTPD_INIT_REEXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "core.h"

/* The state's header: a magic, then its major and minor versions (u32 each, LE). */
#define REEXEC_MAGIC "OTPDSTAT"
#define REEXEC_MAJOR 2
#define REEXEC_MINOR 1

/* main.c: otpd's version, said in the state and in the answer. */
const char *otpd_version(void);

/* What the image that goes hands the new one besides the rooms' state. */
struct reexec_carry {
	const struct core_req *asker;   /* the requester answered by the new image */
	int prev_fd;                    /* O_PATH of the binary that goes (rollback) */
	const char *binary;             /* what is exec'd (said in the answer) */
	const char *note;               /* for the new image (core_reexec_note), or NULL */
	int64_t asked_at;               /* monotonic ms of the request */
};

/* reexec_state.c: the whole state into b (its b->fds: what the exec keeps).
 * 0 or -errno (-EBUSY: the tree cannot be saved now). */
int reexec_state_write(struct st_buf *b, const struct reexec_carry *c);

/* What reexec_state_read found besides the rooms' state. */
struct reexec_found {
	char version[64];               /* the otpd that wrote it */
	int64_t saved_at, asked_at;     /* monotonic ms */
	int prev_fd;
	char *binary, *note;
	size_t n_workers;
	struct core_talk *asker;        /* restored, waiting for its answer */
};
/*
 * Read a state (`len` bytes at buf) and restore every room from it, or
 * with `dry` only read it all (the tree is built and restored in memory:
 * the check).  0, or -errno with why.
 */
int reexec_state_read(const uint8_t *buf, size_t len, bool dry, struct reexec_found *f,
		      char *why, size_t why_len);

/* reexec_start.c: `otpd --check-state FD`: prints "ok" (exit 0) or why not (exit 1). */
int reexec_check(int fd);
/*
 * `otpd --restore FD`: this image starts from the state in FD.  0: running,
 * enter the loop.  On failure it execs the image that wrote the state
 * (unless `fallback` is false: that image failed already) and returns
 * only when that fails too: <0 (main ends otpd as a failed start does).
 */
int reexec_start(int fd, bool fallback);
/* reexec.c: the new image is up; the asker gets its answer. */
void reexec_restored(const struct reexec_found *f);

#endif
