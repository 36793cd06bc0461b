/*
 * helpers.h: fixtures of the mailbox unit tests.
 *
 * Each test gets a fresh mkdtemp directory for its sockets, and at most one
 * test server: a forked child running otp_mb_serve_fd (or otp_mb_serve on
 * fd 3) with the callbacks below.  Requests the test server understands:
 *   "fail"  handle_call returns -1      "hang"  never returns (SIGKILL only)
 *   "die"   the server exits mid-call   "big"   a 100-byte reply of 'x'
 *   "last"  the payload of the last cast ("info:" + it for a system cast)
 *   anything else is echoed back (after opts.delay_ms).
 */
#ifndef MB_TEST_HELPERS_H
#define MB_TEST_HELPERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../../ipc/otp_mailbox.h"

struct mh_opts {
	int backlog;            /* listen(2) backlog; 0 means 16 */
	int delay_ms;           /* before each echo */
	int init_ret;           /* what init returns */
	bool via_env;           /* serve with otp_mb_serve on fd 3 + LISTEN_* */
	int start_delay_ms;     /* the server sleeps this long before serving */
	int fd_room;            /* > 0: RLIMIT_NOFILE leaves room for this many connections */
};

/* Exit codes of the server child besides serve's own result. */
enum { MH_EXIT_FD_LEAK = 100, MH_EXIT_MASK = 101, MH_EXIT_ERRNO = 102, MH_EXIT_FLAGS = 103 };

extern char mh_dir[64];

void mh_setup(void);
void mh_teardown(void);
const char *mh_path(const char *name);
int64_t mh_now_ms(void);

/*
 * Fork the test server listening at mh_path(name).  The socket is the
 * child's alone, unless mh_hold made it: then the test holds it as otpd
 * does, and a new server can be started on it after the last one ended.
 */
void mh_server_start(const char *name, const struct mh_opts *opts);
/* The running server's pid. */
pid_t mh_server_pid(void);
/* Bind and listen at mh_path(name) now, held by the test (closed at teardown). */
void mh_hold(const char *name, int backlog);
/* Close the held socket and remove its file, as otpd does for a deleted worker. */
void mh_unhold(void);
/*
 * Send sig to the server and reap it: its exit code, or 128 + the signal
 * that killed it.  ret_why gets terminate's argument, or INT32_MIN if
 * terminate was not called.
 */
int mh_server_stop(int sig, int *ret_why);

/* In test bodies, after stopping the server: no fd or child left over. */
void mh_assert_clean(void);

#endif
