/*
 * mailbox_internal.h: declarations shared between the files of
 * libotp_mailbox only (ipc/mailbox_*.c).  Users include otp_mailbox.h,
 * never this.  Symbols start with otp_mbi_ so that they cannot collide
 * with a worker's own names in the static library.
 */
#ifndef OTP_MAILBOX_INTERNAL_H
#define OTP_MAILBOX_INTERNAL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "otp_mailbox.h"

/* --- server ---------------------------------------------------------------- */

/* An accepted connection of the server (a caller, one-shot or kept). */
struct otp_mbi_peer {
	int fd;                 /* non-blocking, close-on-exec */
	uint64_t used;          /* server tick of its last message or flushed reply */
	uint8_t *out;           /* a reply the caller has not taken yet, or NULL */
	size_t out_len;
};

/*
 * The server.  pfd[0] is the listening socket, pfd[1] the signalfd, and
 * pfd[2 + i] belongs to peers[i]: the two arrays move together.
 */
struct otp_mbi_server {
	const struct otp_mb_callbacks *cb;
	void *state;
	int listen_fd;
	int sig_fd;
	uint8_t *req;                   /* kind byte + OTP_MB_MSG_MAX */
	uint8_t *rep;                   /* kind byte + OTP_MB_MSG_MAX */
	struct pollfd *pfd;             /* 2 + OTP_MB_CONN_MAX */
	struct otp_mbi_peer *peers;     /* OTP_MB_CONN_MAX */
	size_t npeers;
	uint64_t tick;                  /* counts messages: the eviction order */
	bool draining;                  /* the last look for a waiting connection found one */
	bool paused;                    /* no fd for another connection: listen again soon */
	unsigned wakeups;
};

/* Take an accepted connection and serve what it sent already. */
void otp_mbi_peer_add(struct otp_mbi_server *s, int fd);
/*
 * Act on poll's revents for peers[i]: one message read and answered, or
 * a pending reply flushed.  True if the peer was closed: peers[i] is
 * then the one that was last (not yet looked at this round).
 */
bool otp_mbi_peer_event(struct otp_mbi_server *s, size_t i, short revents);
/*
 * Close peers[i] gracefully: no new message can reach it (its caller's
 * next send fails with EPIPE, which the client library takes for "send
 * again on a new connection"), what it queued already is answered, then
 * it is closed.  peers[i] is then the one that was last.
 */
void otp_mbi_peer_retire(struct otp_mbi_server *s, size_t i);
/* The peer idle the longest; npeers must not be 0. */
size_t otp_mbi_peer_oldest(const struct otp_mbi_server *s);

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
