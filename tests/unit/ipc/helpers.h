/*
 * helpers.h: shared fixtures of the ipc unit tests (temp dirs, fd and
 * zombie accounting, stdout/stderr capture, a scriptable fake otpd).
 */
#ifndef OTPD_TESTS_IPC_HELPERS_H
#define OTPD_TESTS_IPC_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../../ipc/ipc.h"

/*
 * Per-test state set up by th_setup and checked by th_teardown (no leaked
 * fds, no unreaped children, temp dir removed).  Suites set no .timeout:
 * with criterion 2.4 per-suite timeouts made the runner itself leak under
 * LeakSanitizer; `make check-unit` passes --timeout to every test instead.
 */
extern char th_dir[64];

void th_setup(void);
void th_teardown(void);
/* "<th_dir>/<name>" in a static buffer (the last 8 results stay valid). */
const char *th_path(const char *name);

/* Everything written to fd 1 and fd 2 between begin and end. */
struct th_capture {
	int saved_out, saved_err;
	int out_fd, err_fd;
	char *out, *err;
	size_t out_len, err_len;
};
void th_capture_begin(struct th_capture *cap);
void th_capture_end(struct th_capture *cap);
void th_capture_free(struct th_capture *cap);

/* What the fake server does after sending its script. */
enum th_after { TH_CLOSE, TH_HOLD };

/*
 * Fork a server that accepts one client on `lfd`, reads its REQ, sends
 * an OUT frame "argv:a|b|c\n" if echo is set, then the bytes of `script`,
 * then closes (TH_CLOSE) or waits for the client to go away (TH_HOLD).
 * It exits 0, or 1 if the request was not a well-formed REQ.
 */
pid_t th_server_start(int lfd, bool echo, const uint8_t *script, size_t len,
		      enum th_after after);
/* Reap the server: its exit code, or 128+signal. */
int th_server_wait(pid_t pid);

/* Append a frame to a script buffer (aborts the test on overflow). */
void th_put(uint8_t *buf, size_t cap, size_t *len, enum ipc_type type, const void *p, size_t n);

/*
 * --- the otpctl binary, run for real -------------------------------------
 * $OTPCTL, else otpctl next to this test's build directory ($(BUILD)/otpctl),
 * else build/otpctl from the current directory.
 */
struct th_run {
	int status;                     /* exit code (a signal fails the test) */
	char *out, *err;
};

/* Run otpctl with `args` (NULL-terminated, without argv[0]), with
 * PATH=/usr/bin:/bin and OTP_SOCKET=env_socket (empty if NULL) only. */
struct th_run th_otpctl_run(const char *const *args, const char *env_socket);
void th_run_free(struct th_run *r);

#define TH_ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

#endif
