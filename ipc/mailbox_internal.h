/*
 * mailbox_internal.h: declarations shared between the files of
 * libotp_mailbox only (ipc/mailbox_*.c).  Users include otp_mailbox.h,
 * never this.  Symbols start with otp_mbi_ so that they cannot collide
 * with a worker's own names in the static library.
 */
#ifndef OTP_MAILBOX_INTERNAL_H
#define OTP_MAILBOX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "otp_mailbox.h"

/* --- server ---------------------------------------------------------------- */

/* epoll tags besides peer slots 0 .. OTP_MB_CONN_MAX - 1. */
#define OTP_MBI_TAG_LISTEN OTP_MB_CONN_MAX
#define OTP_MBI_TAG_SIGNAL (OTP_MB_CONN_MAX + 1)
#define OTP_MBI_TAG_HANDOVER (OTP_MB_CONN_MAX + 2)

/* An accepted connection of the server (a caller, one-shot or kept). */
struct otp_mbi_peer {
	int fd;                 /* non-blocking, close-on-exec; -1: a free slot */
	uint64_t used;          /* server tick of its last message or flushed reply */
	uint8_t *out;           /* a reply the caller has not taken yet, or NULL */
	size_t out_len;
};

/*
 * The server.  One epoll instance watches the listening socket, the
 * signalfd and every open connection (its slot is the event's tag), so a
 * round costs what is ready, not what is open.
 */
struct otp_mbi_server {
	const struct otp_mb_callbacks *cb;
	void *state;
	int listen_fd;
	int sig_fd;
	int ep_fd;
	uint8_t *req;                   /* kind byte + OTP_MB_MSG_MAX */
	uint8_t *rep;                   /* kind byte + OTP_MB_MSG_MAX */
	struct otp_mbi_peer *peers;     /* OTP_MB_CONN_MAX slots */
	uint16_t *free_slots;           /* a stack of the free ones */
	size_t nfree;
	uint64_t tick;                  /* counts messages: the eviction order */
	bool draining;                  /* the last look for a waiting connection found one */
	bool paused;                    /* no fd for another connection: listen again soon */
	unsigned wakeups;
	uid_t sys_uid;                  /* otpd's: system messages come from it; -1: none */
	int ho_fd;                      /* a HANDOVER's channel to the new process, -1 */
	bool handed_over;               /* state sent: not listening, ho_fd watched */
	/*
	 * Small replies of the current round, sent together when it ends
	 * (otp_mbi_round_send): a reply sent at once wakes its caller, which
	 * then competes for the CPU with the rest of the round; held, the
	 * round ends first and the callers run while the next one waits
	 * (issue 19: calls on kept connections, 8 callers).
	 */
	struct otp_mbi_held *held;      /* OTP_MBI_HELD_MAX */
	uint8_t *held_buf;              /* OTP_MBI_HELD_BYTES */
	size_t n_held, held_len;
	bool holding;                   /* inside a round's peer events */
};

#define OTP_MBI_EVENTS 64               /* events taken per wait (the rest come next round) */
#define OTP_MBI_HELD_MAX OTP_MBI_EVENTS /* a reply per event of a round at most */
#define OTP_MBI_HELD_BYTES (16 * 1024)  /* larger replies, or more, go at once */

struct otp_mbi_held {
	uint32_t slot, len;
};

/* Whether every slot is taken. */
static inline bool otp_mbi_full(const struct otp_mbi_server *s)
{
	return s->nfree == 0;
}

/* Take an accepted connection (a slot must be free) and serve what it sent already. */
void otp_mbi_peer_add(struct otp_mbi_server *s, int fd);
/*
 * Act on epoll's events for the peer in `slot`: one message read and
 * answered, or a pending reply flushed; the peer is closed when it ends
 * or breaks the protocol.
 */
void otp_mbi_peer_event(struct otp_mbi_server *s, size_t slot, uint32_t events);
/* Send the replies the round held, in the order they were made. */
void otp_mbi_round_send(struct otp_mbi_server *s);
/*
 * Close the peer in `slot` gracefully: no new message can reach it (its
 * caller's next send fails with EPIPE, which the client library takes
 * for "send again on a new connection"), what it queued already is
 * answered, then it is closed.
 */
void otp_mbi_peer_retire(struct otp_mbi_server *s, size_t slot);
/* The slot of the peer idle the longest; some slot must be in use. */
size_t otp_mbi_peer_oldest(const struct otp_mbi_server *s);

/* --- system messages (mailbox_sys.c) -------------------------------------- */

/* The user that made the listening socket (otpd), or (uid_t)-1. */
uid_t otp_mbi_sys_owner(int listen_fd);
/*
 * mailbox_handover.c: the old side of a state handover (otp_mailbox.h).
 * A HANDOVER system cast arrived with its fd (s->ho_fd): retire every
 * connection, let the worker send its state, stop listening and watch the
 * channel; or, without a handover callback, close it and go on.
 */
void otp_mbi_handover_give(struct otp_mbi_server *s);
/* The new process closed the channel before we were stopped: serve again. */
void otp_mbi_handover_resume(struct otp_mbi_server *s);
/* One datagram to $NOTIFY_SOCKET (sd_notify(3)), when it is set. */
void otp_mbi_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Is the system cast (len bytes of text) "HANDOVER PID"?  1: for this
 * process, -1: for another one (the fd is dropped), 0: another word. */
int otp_mbi_handover_word(const uint8_t *msg, size_t len);
/* Whether the peer on fd may send system messages (it runs as s->sys_uid). */
bool otp_mbi_sys_trusted(const struct otp_mbi_server *s, int fd);
/* The answer to the system call req (len payload bytes) into rep (cap bytes): its length. */
size_t otp_mbi_sys_answer(const uint8_t *req, size_t len, uint8_t *rep, size_t cap);

/* --- client ---------------------------------------------------------------- */

/* A connection to a mailbox (otp_conn_* keep it; otp_call_path uses one once). */
struct otp_conn {
	int fd;                 /* -1: not connected (connects on the next message) */
	bool keep;              /* blocking socket + SO_RCVTIMEO, else non-blocking + poll */
	int rcv_ms;             /* the SO_RCVTIMEO set on fd, -1 for none (wait forever) */
	socklen_t salen;
	struct sockaddr_un sa;
};

/* Set up c for path, not connected: 0, -EINVAL or -ENAMETOOLONG. */
int otp_mbi_conn_init(struct otp_conn *c, const char *path, bool keep);
/* Connect now, waiting at most timeout_ms for room in the backlog. */
int otp_mbi_conn_connect(struct otp_conn *c, int timeout_ms);
/* The call and cast of otp_mailbox.h on c. */
ssize_t otp_mbi_conn_call(struct otp_conn *c, const void *req, size_t len, void *reply,
			  size_t cap, int timeout_ms);
int otp_mbi_conn_cast(struct otp_conn *c, const void *msg, size_t len);
/* Close c's socket if it has one; c can connect again. */
void otp_mbi_conn_drop(struct otp_conn *c);

#endif
