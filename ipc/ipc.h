/*
 * ipc.h: otpd's control protocol (server side codec and connections) and
 * the client used by otpctl.
 *
 * Wire format (documented in otpctl(1)); all integers big-endian:
 *
 *   frame  = u32 length | u8 version (= IPC_VERSION) | u8 type | payload
 *            `length` counts the payload only.
 *
 *   client -> otpd:  IPC_REQ    payload: argv strings, each NUL-terminated
 *                                (verb first, then its arguments as typed,
 *                                e.g. "status\0db\0--json\0"); at most
 *                                IPC_REQ_MAX bytes.  One request per
 *                                connection.
 *   otpd -> client:  IPC_OUT    bytes for the client's stdout
 *                    IPC_ERR    bytes for the client's stderr
 *                    IPC_END    u8 exit code (0 ok, 1 refused, 2 usage,
 *                                4 timeout/noproc), then otpd closes.
 *
 * A frame with another version, an unknown type, a length over the limit
 * or a request that is not NUL-terminated gets IPC_ERR + IPC_END(2) and the
 * connection is closed.  otpd itself is never disturbed by a client.
 */
#ifndef OTPD_IPC_H
#define OTPD_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define IPC_VERSION 1
#define IPC_HDR_LEN 6
#define IPC_REQ_MAX 65536               /* request payload limit */
#define IPC_FRAME_MAX (1u << 20)        /* any frame payload limit */
#define IPC_ARGS_MAX 256

enum ipc_type { IPC_REQ = 1, IPC_OUT = 2, IPC_ERR = 3, IPC_END = 4 };

/* Exit codes shared by otpd replies and otpctl (otpctl(1) EXIT STATUS). */
enum ipc_exit {
	IPC_EXIT_OK = 0,
	IPC_EXIT_REFUSED = 1,
	IPC_EXIT_USAGE = 2,
	IPC_EXIT_UNREACHABLE = 3,
	IPC_EXIT_TIMEOUT = 4,
	IPC_EXIT_ROLLBACK_FAILED = 5,   /* upgrade: its rollback failed too */
};

/* Append one frame to `buf` (capacity `cap`, used `*len`).  0 or -ENOSPC. */
int ipc_frame_put(uint8_t *buf, size_t cap, size_t *len, enum ipc_type type, const void *payload,
		  size_t plen);

/*
 * Look at the bytes in `buf`: if a whole frame is there, return its total
 * size and set *ret_type, *ret_payload, *ret_plen; 0 if more bytes are
 * needed; -EPROTO for a bad version or type, -EMSGSIZE over `max_payload`.
 */
ssize_t ipc_frame_get(const uint8_t *buf, size_t len, size_t max_payload, enum ipc_type *ret_type,
		      const uint8_t **ret_payload, size_t *ret_plen);

/*
 * Split a request payload into argv (pointers into `payload`, which must
 * stay alive).  Returns argc, or -EPROTO (not NUL-terminated, empty) or
 * -E2BIG (more than IPC_ARGS_MAX).
 */
int ipc_req_parse(const uint8_t *payload, size_t plen, const char **argv, int max);

/* --- server-side connection --------------------------------------------
 *
 * One per accepted client.  Input and output are bounded buffers; the
 * owner (init/) polls the fd and calls ipc_conn_on_readable/writable.  All
 * sends are non-blocking: bytes that cannot be written yet are queued, and
 * a queue over its limit either drops (streams: logs -f, counted) or
 * closes the connection.
 */
struct ipc_conn;

struct ipc_conn *ipc_conn_new(int fd, uid_t uid, gid_t gid, pid_t pid);
/* Closes the fd. Accepts NULL. */
void ipc_conn_free(struct ipc_conn *c);
int ipc_conn_fd(const struct ipc_conn *c);
uid_t ipc_conn_uid(const struct ipc_conn *c);
gid_t ipc_conn_gid(const struct ipc_conn *c);
pid_t ipc_conn_pid(const struct ipc_conn *c);

/*
 * Read what is available.  Returns 1 and fills argv/argc once the request
 * is complete, 0 if more is needed, -EPIPE on EOF before a request,
 * -EPROTO/-EMSGSIZE on bad input (the caller replies usage and closes), or
 * another -errno.  argv points into the connection's buffer.
 */
int ipc_conn_on_readable(struct ipc_conn *c, const char **argv, int max, int *ret_argc);

/* Queue output.  0, or -ENOBUFS if the queue limit would be exceeded. */
int ipc_conn_out(struct ipc_conn *c, enum ipc_type type, const void *data, size_t len);
int ipc_conn_printf(struct ipc_conn *c, enum ipc_type type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Queue IPC_END(code); the connection closes once it is flushed. */
int ipc_conn_end(struct ipc_conn *c, int code);
/* Write queued bytes.  0 (all flushed or would block) or -errno (drop it). */
int ipc_conn_flush(struct ipc_conn *c);
bool ipc_conn_wants_write(const struct ipc_conn *c);
/* END queued and flushed: the owner may free it. */
bool ipc_conn_finished(const struct ipc_conn *c);
/* Bytes queued for output. */
size_t ipc_conn_queued(const struct ipc_conn *c);
/* Bytes held by the output buffers of every connection (one may hold up
 * to 4 MiB): their owner bounds the sum. */
size_t ipc_out_total(void);

/* Opaque per-connection slot for the owner. */
void *ipc_conn_data(const struct ipc_conn *c);
void ipc_conn_set_data(struct ipc_conn *c, void *p);

/* --- server socket ------------------------------------------------------ */

/*
 * Create, bind and listen on a SOCK_STREAM Unix socket at `path` (mode
 * 0660; a stale socket file is replaced, a live one is -EADDRINUSE),
 * non-blocking and close-on-exec.  Returns the fd or -errno.
 */
int ipc_listen(const char *path, int backlog);

/* --- $NOTIFY_SOCKET datagrams (sd_notify(3)) ------------------------------
 *
 * A datagram is newline-separated KEY=VALUE assignments.  READY=1,
 * WATCHDOG=1, STOPPING=1, STATUS=... and OTP_HANDOVER=... are understood (the last one of a
 * key wins; "READY=0" or "READY=yes" clear it); every other line, with or
 * without '=', is ignored.  The bytes need no NUL terminator.
 */
struct ipc_notify_msg {
	bool ready, watchdog, stopping;
	const char *status;     /* points into the datagram; NULL: no STATUS= */
	size_t status_len;
	const char *handover;   /* OTP_HANDOVER=... (libotp_mailbox's state handover:
	                           "received N" or "none WHY"); NULL: none */
	size_t handover_len;
};

/* Parse `len` bytes of `buf` into *ret_msg (always written; never fails). */
void ipc_notify_parse(const char *buf, size_t len, struct ipc_notify_msg *ret_msg);

/* --- client (otpctl) ------------------------------------------------------ */

/*
 * Send argv to otpd at `socket_path`, copy IPC_OUT to fd 1 and IPC_ERR to
 * fd 2 as they come, and return the IPC_END code; IPC_EXIT_UNREACHABLE
 * (with a message on stderr) when otpd cannot be reached or the
 * connection breaks before IPC_END.
 */
int ipc_client_run(const char *socket_path, int argc, char *const *argv);

/*
 * The same, giving up after `timeout_ms` (< 0: never) without IPC_END:
 * "otpctl: timed out" on stderr and IPC_EXIT_TIMEOUT.
 */
int ipc_client_run_timeout(const char *socket_path, int argc, char *const *argv,
			   int64_t timeout_ms);

/*
 * --- json_out.c: otpctl's own --json output (otpctl(1) JSON OUTPUT) ------
 * With ipc_json_set(true), otpctl's own failures are one JSON object on
 * stdout, {"ok":false,"error":ERROR,"message":MESSAGE}, instead of a line
 * "otpctl: MESSAGE" on stderr; and a reply from otpd that failed with
 * nothing on stdout (an otpd that answered in text) becomes one too.
 */
void ipc_json_set(bool on);
bool ipc_json(void);
/* `s` (n bytes) as a JSON string: escaped, invalid UTF-8 as U+FFFD. */
void ipc_json_string(FILE *f, const char *s, size_t n);
/* {"ok":false,"error":...,"message":...} and a newline on stdout. */
void ipc_json_error(const char *error, const char *message);
/* A failure otpctl saw itself, as the mode says (ERROR: "usage", ...). */
void ipc_say(const char *error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The ERROR word of an exit code: usage, unreachable, timeout, failed. */
const char *ipc_exit_error(int code);

/*
 * --- verbs.c: the one table of otpctl's verbs ----------------------------
 * otpctl checks usage against it before sending; otpd parses every request
 * with it again; the shell completions are made from it.
 */
enum ipc_where { IPC_AT_OTPD, IPC_AT_MAILBOX, IPC_AT_LOCAL };    /* who answers */
enum ipc_val { IPC_VAL_FLAG, IPC_VAL_WORD, IPC_VAL_FILE, IPC_VAL_DURATION, IPC_VAL_COUNT,
	       IPC_VAL_STATE, IPC_VAL_SEQ /* an event's sequence number: any u64 */ };
/*
 * What a positional argument is, for the completions (otpctl __complete):
 * 0 none; a node, supervisor or worker of the running tree; a signal
 * name; a mailbox message; an import kind; a file; a shell (completion).
 */
enum ipc_arg { IPC_ARG_NODE = 1, IPC_ARG_SUP, IPC_ARG_WORKER, IPC_ARG_SIGNAL, IPC_ARG_MSG,
	       IPC_ARG_KIND, IPC_ARG_FILE, IPC_ARG_SHELL };
#define IPC_OPTS_MAX 6
#define IPC_POS_MAX 2

/*
 * The strings are arrays, not pointers: the table holds no pointers, so it
 * stays in .rodata and is not relocated at start (issue 19, bench/PROFILE.md).
 * tests/unit/ipc checks that every string fits with its NUL.
 */
#define IPC_OPT_NAME_MAX 16             /* "--keep-running" and its NUL */
#define IPC_VERB_NAME_MAX 16            /* "delete-child" */

struct ipc_opt {
	char name[IPC_OPT_NAME_MAX];    /* "--timeout", "-n"; "" ends the list */
	enum ipc_val val;
};

struct ipc_verb {
	char name[IPC_VERB_NAME_MAX];   /* "" ends the table */
	enum ipc_where where;
	bool available;                 /* false: "not available in this version" */
	int min, max;                   /* positional arguments */
	enum ipc_arg args[IPC_POS_MAX];
	struct ipc_opt opts[IPC_OPTS_MAX + 1];  /* ends with an empty name */
	char required[IPC_OPT_NAME_MAX];        /* an option that must be given, or "" */
	char guard[IPC_OPT_NAME_MAX];   /* a duration option otpctl also enforces itself, or "" */
	bool rest;                      /* "--" ends options; the rest is the child's */
	char usage[64];                 /* "kill NAME [SIG]" */
	char summary[80];               /* one line, for --help and completions */
};

extern const struct ipc_verb ipc_verbs[];       /* ends with an empty name */
/* The states `wait --state` takes (what status shows), NULL-terminated. */
extern const char *const ipc_states[];

const struct ipc_verb *ipc_verb_find(const char *name);
/* The index of option `name` in v->opts, or -1. */
int ipc_verb_opt(const struct ipc_verb *v, const char *name);
bool ipc_state_valid(const char *s);
bool ipc_value_valid(enum ipc_val kind, const char *v);

/* A request, parsed: pointers into the argv it was parsed from. */
struct ipc_req {
	const struct ipc_verb *verb;
	const char *pos[IPC_POS_MAX];
	int npos;
	const char *opt[IPC_OPTS_MAX];  /* by index in verb->opts; a flag: its name */
	bool json;
	int nrest;
	char *const *rest;              /* after "--" */
};

/*
 * Parse argv (argv[0] the verb) against the table.  0; -ENOENT for an
 * unknown verb; -EINVAL for a usage error; either with *ret_why (and
 * *ret_arg, the offending argument, or NULL).
 */
int ipc_verb_parse(int argc, char *const *argv, struct ipc_req *q, const char **ret_why,
		  const char **ret_arg);
/* The value of option `name` in q (a flag: its name), or NULL. */
const char *ipc_req_opt(const struct ipc_req *q, const char *name);

#endif
