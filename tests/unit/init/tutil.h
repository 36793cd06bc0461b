/*
 * tutil.h: helpers shared by the init/ unit tests.
 */
#ifndef OTPD_TESTS_INIT_TUTIL_H
#define OTPD_TESTS_INIT_TUTIL_H

#include <stddef.h>

#include "../../../init/base/base.h"
#include "../../../init/control/client.h"
#include "../../../init/core.h"
#include "../../../init/doorway.h"
#include "../../../init/output/output.h"
#include "../../../init/worker/spawn.h"

/* The tree a test builds by hand, and a configuration with the defaults
 * otpd needs (log_lines); tree_use() hands both to the doorway. */
extern struct sup_tree *ttree;
extern struct otp_config tcfg;
void tree_use(struct sup_tree *t);

/* Entries collected from a log ring (at most 64). */
struct lines {
	char *v[64];
	size_t len[64];
	pid_t pid[64];
	enum out_stream stream[64];
	int64_t time_ms[64];
	int n;
};

/* A log_sub_fn appending to the struct lines in `data`. */
void lines_add(void *data, const struct log_entry *e);
void lines_clear(struct lines *l);
/* The last n lines of `r` (0: all) into `out`, replacing what it held;
 * with_starts: the starts of processes too. */
void ring_lines(const struct log_ring *r, unsigned n, struct lines *out);
void ring_entries(const struct log_ring *r, unsigned n, struct lines *out);
/* Push a stdout line of pid 1 now. */
void ring_push(struct log_ring *r, const char *line, size_t len);
/* Open fds of this process (for leak checks). */
int fd_count(void);

#endif
