/*
 * otp_mailbox.h: gen_server-style workers and clients over otpd mailboxes.
 *
 * A worker with `mailbox = true` is started by otpd with a listening
 * SOCK_SEQPACKET socket as fd 3 (LISTEN_FDS=1, LISTEN_PID, and
 * LISTEN_FDNAMES=mailbox: the sd_listen_fds(3) convention).  otpd owns
 * the socket and keeps it across restarts, so callers wait in the kernel
 * while the worker restarts.
 *
 * Wire format (DESIGN §6): every message is one seqpacket datagram whose
 * first byte is its kind, then the payload:
 *   'c' call   (one per connection, answered by one 'r')
 *   'a' cast   (no answer)
 *   'r' reply
 * A payload is at most OTP_MB_MSG_MAX bytes.  A bigger message is never
 * sent (-EMSGSIZE at the sender); a server that receives a truncated one
 * drops the connection without a reply.
 *
 * Clients find a worker's mailbox at $OTP_MAILBOX_DIR/NAME (otpd sets
 * OTP_MAILBOX_DIR for every worker; default /run/otp/mailbox).
 *
 * Link with -lotp_mailbox (pkg-config otp_mailbox).  Functions return
 * -errno on failure and never raise SIGPIPE.
 */
#ifndef OTP_MAILBOX_H
#define OTP_MAILBOX_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OTP_MB_MSG_MAX 65536            /* payload bytes, kind byte not counted */
#define OTP_MB_DEFAULT_DIR "/run/otp/mailbox"

enum otp_mb_kind { OTP_MB_CALL = 'c', OTP_MB_CAST = 'a', OTP_MB_REPLY = 'r' };

/* --- server: a worker ---------------------------------------------------- */

struct otp_mb_callbacks {
	/* Before serving; non-zero stops at once (otp_mb_serve returns it). */
	int (*init)(void *state);
	/*
	 * A call: write the reply (at most `cap` bytes) into `reply` and
	 * return its length, or a negative value to close the connection
	 * without a reply (the caller sees the callee fail).
	 */
	ssize_t (*handle_call)(void *state, const void *req, size_t len, void *reply, size_t cap);
	/* A cast. */
	void (*handle_cast)(void *state, const void *msg, size_t len);
	/* On the way out: `why` is 0 for SIGTERM/SIGINT, else -errno. */
	void (*terminate)(void *state, int why);
};

/* The mailbox otpd passed (LISTEN_FDS, LISTEN_PID), or -ENOENT. */
int otp_mb_listen_fd(void);

/*
 * Serve the mailbox from otp_mb_listen_fd() until SIGTERM or SIGINT (a
 * clean stop: returns 0), one connection at a time, like a gen_server.
 * Callbacks may be NULL.  Returns init's non-zero result, or -errno.
 * While it serves, the listening socket is non-blocking (O_NONBLOCK, a
 * flag of the open file otpd shares with every start of the worker); it
 * is put back when serve returns, and otpd makes it blocking again
 * before every start, so a worker that died while serving hands nothing
 * odd to the next one.
 */
int otp_mb_serve(const struct otp_mb_callbacks *cb, void *state);

/* Same, on a listening seqpacket socket of the caller's choosing. */
int otp_mb_serve_fd(int listen_fd, const struct otp_mb_callbacks *cb, void *state);

/* --- clients ------------------------------------------------------------- */

/*
 * Call worker `name` and wait at most timeout_ms (< 0: forever) for the
 * reply, copied into `reply` (cap bytes).  Returns the reply length, or
 * -ETIMEDOUT (no reply in time), -ECONNRESET (the callee died before
 * replying), -ENOENT or -ECONNREFUSED (no such mailbox: noproc),
 * -EMSGSIZE (request over OTP_MB_MSG_MAX, or reply bigger than cap).
 */
ssize_t otp_call(const char *name, const void *req, size_t len, void *reply, size_t cap,
		 int timeout_ms);
/* Send a cast; returns 0 once the message is queued (-ETIMEDOUT when the
 * backlog stays full for 5 s; otherwise the errors of otp_call). */
int otp_cast(const char *name, const void *msg, size_t len);

/* The same, given the mailbox socket's path. */
ssize_t otp_call_path(const char *path, const void *req, size_t len, void *reply, size_t cap,
		      int timeout_ms);
int otp_cast_path(const char *path, const void *msg, size_t len);

#ifdef __cplusplus
}
#endif

#endif
