/*
 * otp_mailbox.h: gen_server-style workers and clients over otpd mailboxes.
 *
 * A worker with `mailbox = true` is started by otpd with a listening
 * SOCK_SEQPACKET socket as fd 3 (LISTEN_FDS=1, LISTEN_PID, and
 * LISTEN_FDNAMES=mailbox: the sd_listen_fds(3) convention).  otpd owns
 * the socket and keeps it across restarts, so callers wait in the kernel
 * while the worker restarts.
 *
 * Wire format (otpctl(1), call and cast): every message is one seqpacket datagram whose
 * first byte is its kind, then the payload:
 *   'c' call   (answered by one 'r')
 *   'a' cast   (no answer)
 *   'r' reply
 *   's' system call from otpd (answered by one 'r')
 *   'S' system cast from otpd (no answer)
 * A connection carries any number of messages; the server handles them
 * in the order sent and answers each call before it reads the next
 * message of that connection, so replies come back in the order of the
 * calls.  A payload is at most OTP_MB_MSG_MAX bytes.  A bigger message is
 * never sent (-EMSGSIZE at the sender); a server that receives a
 * truncated one, an empty one or one of another kind drops the
 * connection without a reply.
 *
 * System messages (otp.conf(5), "System messages"): otpd's own messages
 * to a worker, on a connection otpd opens to the mailbox it holds, kept
 * for the life of the worker's process (a worker serving one connection
 * at a time must serve otpd's beside its callers').  They are taken only
 * from otpd's user, the owner of the listening socket (SO_PEERCRED): from
 * anyone else a system message is dropped with its connection, as a kind
 * the server does not take, so a caller cannot forge a DOWN.  The payload is text: a
 * word, then arguments separated by single spaces.  The kind says whether
 * an answer is due; the word says what it is, so new words need no new
 * kinds.  A receiver ignores system casts whose word it does not know,
 * and answers a system call whose word it does not know with
 * "error unsupported".  Words today:
 *   's' "ping"                      liveness (otp.conf(5) ping): answer
 *                                   at once; this library answers "pong"
 *                                   by itself, otpd takes any 'r'
 *   'S' "DOWN NAME PID REASON"      a node this worker monitors stopped
 *                                   running: REASON as otpctl status shows
 *                                   it (exit:3, signal:SIGKILL, killed,
 *                                   shutdown, ping_timeout, ...: the rest of
 *                                   the message, it may hold spaces); PID 0
 *                                   when there was no process
 *   'S' "UP NAME PID"               ... is running again (started and ready)
 *   'S' "HANDOVER PID"              with a descriptor (SCM_RIGHTS), for
 *                                   process PID: hand the state over to
 *                                   the new process (below); another
 *                                   process drops it
 * A server built with an older version of this library closes a
 * connection that sends it a kind it does not know, without an answer:
 * otpd then counts a ping as answered (the worker took it) and sends its
 * next system message on a new connection.
 *
 * Clients find a worker's mailbox at $OTP_MAILBOX_DIR/NAME (otpd sets
 * OTP_MAILBOX_DIR for every worker; default /run/otp/mailbox).  A client
 * either makes one-shot calls and casts (otp_call, otp_cast: a connection
 * each, simplest, safe from any thread) or keeps a connection open for
 * many (otp_conn_*: the cost of a socketpair round trip per call).
 *
 * Errors, for every call below: functions return -errno on failure and
 * never raise SIGPIPE.  What a caller sees:
 *   -ETIMEDOUT      no reply within the timeout (the worker may still be
 *                   working on it)
 *   -ECONNRESET     the connection dropped before the reply: the callee
 *                   died, or its handler refused the call (as otpctl(1) says:
 *                   an immediate error, not a timeout)
 *   -ENOENT, -ECONNREFUSED   no such mailbox (noproc)
 *   -EACCES         the mailbox's mode and group do not let us in
 *   -EMSGSIZE       a request over OTP_MB_MSG_MAX (nothing sent), or a
 *                   reply bigger than the caller's cap
 *   -EPROTO         the peer answered with something other than a reply
 *   -EINVAL, -ENAMETOOLONG   bad arguments, a name with '/', a path too
 *                   long for a Unix socket
 *
 * Link with -lotp_mailbox (pkg-config otp_mailbox).  libc only.
 */
#ifndef OTP_MAILBOX_H
#define OTP_MAILBOX_H

#include <stddef.h>
#include <stdbool.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OTP_MB_MSG_MAX 65536            /* payload bytes, kind byte not counted */
#define OTP_MB_CONN_MAX 256             /* connections a server keeps open at once */
#define OTP_MB_DEFAULT_DIR "/run/otp/mailbox"

enum otp_mb_kind {
	OTP_MB_CALL = 'c',
	OTP_MB_CAST = 'a',
	OTP_MB_REPLY = 'r',
	OTP_MB_SYS_CALL = 's',
	OTP_MB_SYS_CAST = 'S',
};

/* --- server: a worker ---------------------------------------------------- */

/*
 * What a worker does, gen_server style.  Every callback runs in the
 * thread that called otp_mb_serve, one at a time, with `state` as given
 * to it.  A callback may call other workers (otp_call, otp_conn_call),
 * never its own mailbox: nobody would answer until it returns.  While one
 * runs, the other callers wait (their messages queue in the kernel).
 */
struct otp_mb_callbacks {
	/* Before serving; non-zero stops at once (otp_mb_serve returns it). */
	int (*init)(void *state);
	/*
	 * A call: `req` holds `len` payload bytes (valid until the callback
	 * returns).  Write the reply (at most `cap` = OTP_MB_MSG_MAX bytes)
	 * into `reply` and return its length, or a negative value to close
	 * the connection without a reply (the caller gets -ECONNRESET, as
	 * if the callee had died; its next call reconnects).
	 */
	ssize_t (*handle_call)(void *state, const void *req, size_t len, void *reply, size_t cap);
	/* A cast: nothing to answer.  NULL drops casts. */
	void (*handle_cast)(void *state, const void *msg, size_t len);
	/*
	 * On the way out, after the open connections were retired: `why` is
	 * 0 for SIGTERM/SIGINT, else the -errno otp_mb_serve returns.
	 */
	void (*terminate)(void *state, int why);
	/*
	 * A system cast from otpd (gen_server's handle_info): `msg` holds
	 * `len` bytes of text, "DOWN ..." or "UP ..." today; otp_mb_sys_parse
	 * reads them.  Ignore words you do not know.  NULL drops them.
	 * System calls (ping) never reach a callback: the library answers.
	 */
	void (*handle_info)(void *state, const void *msg, size_t len);
	/*
	 * State handover (below): otpd started a new process of this worker
	 * that takes the state over.  The connections were retired (what
	 * they queued is answered); call otp_handover_send once with the
	 * state.  After it returns the server stops listening until otpd
	 * stops it (the new process serves), or serves again if the new
	 * process ends first.  NULL: this worker does not hand over (the new
	 * process starts without a state).
	 */
	void (*handover)(void *state);
};

/*
 * --- state handover (otpctl restart --overlap with handover = true) ------
 * OTP's code_change for processes.  During an overlapping restart of a
 * worker with `handover = true` (otp.conf(5)), otpd connects the two
 * processes: the new one gets OTP_HANDOVER_FD (a stream socket) and
 * OTP_TAKING_OVER=1; the old one gets the other end with a HANDOVER
 * system cast, and its handover callback runs.  The new process reads the
 * state BEFORE it serves and before it says ready (otpd requires
 * ready = notify or fd:N with handover; otp_mb_serve sends READY=1 when
 * NOTIFY_SOCKET is set):
 *
 *     if (otp_taking_over() && otp_handover_receive(&buf, &len, -1) == 0)
 *             restore(buf, len), free(buf);
 *     return otp_mb_serve(&cb, &st);
 *
 * A state may be of any size (it is a stream, not a message).
 */

/* Is this process the new one of an overlapping restart (OTP_TAKING_OVER=1)? */
bool otp_taking_over(void);
/*
 * Old side, from the handover callback only: send `len` bytes of state
 * (blocks until the new process has read them).  0, -EBADF outside the
 * callback or a second time, -EPIPE when the new process is gone.
 */
int otp_handover_send(const void *state, size_t len);
/*
 * New side: the state the old process sent, malloc'd in *ret_buf (free
 * it), waiting at most timeout_ms (< 0: $OTP_HANDOVER_TIMEOUT_MS, else
 * 5 s).  0; -ENOENT: no handover (not taking over, or handover = false);
 * -ENODATA: the old process declined (an older library, no callback);
 * -ETIMEDOUT: it did not answer in time; -EPROTO: a state cut short.  On
 * an error start without a state: otpd logs which (the library tells it
 * through NOTIFY_SOCKET, as OTP_HANDOVER=received N or OTP_HANDOVER=none
 * WHY).
 */
int otp_handover_receive(void **ret_buf, size_t *ret_len, int timeout_ms);

/* --- system messages ------------------------------------------------------ */

enum otp_mb_sys_kind {
	OTP_MB_SYS_OTHER,               /* a word this version does not know */
	OTP_MB_SYS_DOWN,
	OTP_MB_SYS_UP,
};

#define OTP_MB_SYS_WORD_MAX 31
#define OTP_MB_SYS_NAME_MAX 64          /* otpd's node names */
#define OTP_MB_SYS_REASON_MAX 255

/* A system cast, read by otp_mb_sys_parse. */
struct otp_mb_sys {
	enum otp_mb_sys_kind kind;
	pid_t pid;                              /* DOWN: the process that ended, UP: the
	                                           one running; 0: none (a supervisor) */
	char word[OTP_MB_SYS_WORD_MAX + 1];     /* "DOWN", "UP", ... */
	char name[OTP_MB_SYS_NAME_MAX + 1];     /* DOWN, UP: the node */
	char reason[OTP_MB_SYS_REASON_MAX + 1]; /* DOWN: why, as otpctl status shows it */
};

/*
 * Read the system cast `msg` (len bytes, as handle_info gets it) into
 * *ret: 0, or -EINVAL when it is not a system message (empty, no word, a
 * NUL or newline in it, a word too long) or a DOWN/UP that does not have
 * its fields (NAME, a decimal PID; DOWN: a REASON).  A well-formed message
 * with another word is OTP_MB_SYS_OTHER, with only `word` set.  *ret is
 * written on success only.
 */
int otp_mb_sys_parse(const void *msg, size_t len, struct otp_mb_sys *ret);

/* The mailbox otpd passed (LISTEN_FDS, LISTEN_PID), made close-on-exec, or -ENOENT. */
int otp_mb_listen_fd(void);

/*
 * Serve the mailbox from otp_mb_listen_fd() until SIGTERM or SIGINT (a
 * clean stop: returns 0).  Returns init's non-zero result, or -errno
 * (-ENOENT: no mailbox on fd 3; -ENOMEM; the listening socket failed).
 * Callbacks may be NULL (a call to a server without handle_call is
 * dropped: its caller gets -ECONNRESET).
 *
 * Like a gen_server, one message is handled at a time, in the calling
 * thread, and a handler is never interrupted.  Up to OTP_MB_CONN_MAX
 * connections are kept open and watched together (one epoll instance,
 * with the listening socket and a signalfd; no thread per caller).  Each
 * round reads and answers one message of every connection that has one,
 * so a caller that connects and stays silent, sends slowly, or keeps its
 * connection busy holds nobody else up, and needs no timeout.  A reply is
 * never sent with a blocking write: one its caller does not take at once
 * waits in the server (at most one per connection, so at most
 * OTP_MB_CONN_MAX x 64 KiB), and that connection is not read again until
 * the caller takes it.
 *
 * With every slot taken, a new caller makes the server retire the
 * connection idle the longest: nothing more can be sent on it (the
 * client library then reconnects for its next message, see
 * otp_conn_call), what it queued already is answered, and it is closed.
 * A stop does the same to every open connection before terminate runs,
 * so SIGTERM (a restart or stop by otpd) loses no call that reached the
 * worker; callers that had not connected yet wait in the listen backlog
 * for the next start.  A worker that crashes closes its connections
 * unanswered: their in-flight calls fail with -ECONNRESET at once.
 *
 * Signals: SIGTERM and SIGINT are blocked in the calling thread and read
 * through a signalfd while serve runs (a multi-threaded worker blocks
 * them in its other threads); the mask is put back on return.
 * Once it serves (after init), it sends READY=1 to $NOTIFY_SOCKET when
 * that is set (otpd sets it for ready = notify), so such a worker needs
 * no code of its own for readiness.
 * Serve makes the listening socket non-blocking (O_NONBLOCK, a flag of
 * the open file otpd shares with every process of the worker) and leaves
 * it so when it returns: during an overlapping restart (otpctl restart
 * --overlap) the other process serves the same socket, and a socket made
 * blocking under it would hang its accept.  otpd makes it blocking again
 * before every plain start, so a worker that died while serving hands
 * nothing odd to the next one.
 */
int otp_mb_serve(const struct otp_mb_callbacks *cb, void *state);

/* Same, on a listening seqpacket socket of the caller's choosing (-EINVAL
 * if fd is not one, -EBADF if negative).  The socket stays open. */
int otp_mb_serve_fd(int listen_fd, const struct otp_mb_callbacks *cb, void *state);

/* --- clients: one connection per message ------------------------------- */

/*
 * Call worker `name` and wait at most timeout_ms (< 0: forever) for the
 * reply, copied into `reply` (cap bytes; left alone unless a reply fits).
 * Returns the reply's length, or -errno (see the top of this file).
 * A call made while the worker restarts waits for the new one (within
 * the timeout).  Thread-safe: each call has its own connection.
 */
ssize_t otp_call(const char *name, const void *req, size_t len, void *reply, size_t cap,
		 int timeout_ms);
/* Send a cast; returns 0 once the message is queued (-ETIMEDOUT when the
 * backlog or the worker's queue stays full for 5 s; otherwise the errors
 * of otp_call).  Thread-safe. */
int otp_cast(const char *name, const void *msg, size_t len);

/* The same, given the mailbox socket's path. */
ssize_t otp_call_path(const char *path, const void *req, size_t len, void *reply, size_t cap,
		      int timeout_ms);
int otp_cast_path(const char *path, const void *msg, size_t len);

/* --- clients: a kept connection ---------------------------------------- */

/*
 * A connection to one mailbox kept open across calls: a call costs one
 * send and one recv instead of a connect, an accept and a close.  Not
 * thread-safe: use one per thread, or one at a time.  Its socket is
 * close-on-exec; a child after fork() must not use its parent's.
 */
struct otp_conn;

/*
 * Open a kept connection to worker `name` ($OTP_MAILBOX_DIR/name) or to
 * the socket at `path`: 0 and *ret_conn, or -errno with *ret_conn left
 * alone: -ENOENT or -ECONNREFUSED (noproc), -EACCES, -EINVAL,
 * -ENAMETOOLONG, -ENOMEM.  Connects at once; when the backlog is full,
 * the first call connects (within its timeout).
 */
int otp_conn_open(const char *name, struct otp_conn **ret_conn);
int otp_conn_open_path(const char *path, struct otp_conn **ret_conn);

/*
 * Call over the kept connection; arguments, result and errors as
 * otp_call.  Reconnection, decided here once for every caller:
 *   - A request whose send fails because the server side had closed the
 *     connection (the worker restarted or stopped since the last call,
 *     or retired this connection to make room) reached no worker: it is
 *     sent again, once, on a new connection, without the caller knowing.
 *     The new connection waits in the backlog otpd holds if the worker is
 *     still down.  This is never a second delivery.
 *   - A call sent and then unanswered (-ECONNRESET: the worker died or
 *     refused it; -ETIMEDOUT; -EPROTO) is NOT sent again: the worker may
 *     have acted on it.  The connection is closed, so that a late reply
 *     can never answer a later call, and the next call opens a new one.
 *   - -EMSGSIZE for a reply over cap keeps the connection (the reply was
 *     taken off it).
 * A noproc (-ENOENT, -ECONNREFUSED) can come from a reconnection, when
 * the worker left the tree.
 */
ssize_t otp_conn_call(struct otp_conn *c, const void *req, size_t len, void *reply, size_t cap,
		      int timeout_ms);
/* A cast over the kept connection, handled in order with its calls;
 * returns as otp_cast, and reconnects as otp_conn_call. */
int otp_conn_cast(struct otp_conn *c, const void *msg, size_t len);
/* Close and free c (NULL is fine).  Casts already sent stay queued. */
void otp_conn_close(struct otp_conn *c);

#ifdef __cplusplus
}
#endif

#endif
