/*
 * sys.h: otpd's system messages to its workers (otp_mailbox.h, otp.conf(5)
 * MAILBOX PROTOCOL), shared by the files of init/worker/ that send them:
 * sys.c (the connection and the doorway's watcher), monitor.c (DOWN and
 * UP for `monitors`), ping.c (`ping`).
 *
 * A worker with monitors or ping has a struct wsys.  otpd connects to the
 * worker's mailbox (the listening socket it holds itself) when it has
 * something to send after each spawn, and keeps that connection for the
 * life of the process: system casts keep their order on it, and ping
 * answers come back on it.  Nothing blocks: connect and send are
 * non-blocking; a message the socket does not take is lost (counted), and
 * once there is room the monitors' state is sent whole again.  Nothing is
 * sent between an exit and the next spawn: a process gets the state as it
 * is at its start, never what happened before.
 */
#ifndef OTPD_INIT_WORKER_SYS_H
#define OTPD_INIT_WORKER_SYS_H

#include <stdbool.h>
#include <stdint.h>

#include "worker.h"

/* The kinds of otp_mailbox.h's wire format (ipc/ is not for otpd's rooms). */
#define WSYS_CALL 's'           /* a system call: one 'r' answers it */
#define WSYS_CAST 'S'           /* a system cast */
#define WSYS_REPLY 'r'

/* What the monitoring worker's process was last told of one node. */
struct wmon {
	char name[SUP_NAME_MAX + 1];
	bool known;                     /* told at all since the spawn (or the last loss) */
	bool up;
	pid_t pid;                      /* up: the process it was told of */
};

struct wsys {
	struct ws *w;
	struct wsys *next;              /* every wsys: monitors look through them */
	struct ev_source src;           /* the connection: EPOLLIN for an answer,
	                                   EPOLLOUT for room after a loss */
	struct ev_timer ping_timer;     /* next ping, or the answer's deadline */
	struct ev_timer retry_timer;    /* no connection could be made: try again */
	struct wmon *mon;
	uint64_t lost;                  /* system casts lost: socket full, no connection */
	size_t n_mon;
	int fd;                         /* otpd's connection to the mailbox, -1: none */
	bool live;                      /* the worker's process runs: SPAWN .. EXITED */
	bool resync;                    /* casts were lost: send the whole state when
	                                   there is room */
	bool ping_out;                  /* a ping waits for its answer */
};

/* --- sys.c ---------------------------------------------------------------- */

/* Every wsys (monitor.c looks for those that monitor a node). */
struct wsys *wsys_first(void);
/*
 * Send one system message (kind 'S' or 's', then text) on w's connection,
 * connecting first if need be: 0, -EAGAIN (the socket is full: EPOLLOUT
 * is watched, a resync follows), or -errno (no connection could be made,
 * or the process closed it twice over).
 */
int wsys_send(struct wsys *s, char kind, const char *text);
/* Watch the connection for `events` (EPOLLIN, EPOLLOUT, both, 0). */
void wsys_watch(struct wsys *s);
/* Close the connection (the process it served is gone). */
void wsys_disconnect(struct wsys *s);

/* --- monitor.c -------------------------------------------------------------- */

/* Follow w's config: its list of monitored nodes (kept state for kept names). */
int monitor_follow(struct wsys *s);
/* A new process of the monitoring worker: it is told the state of every node. */
void monitor_spawned(struct wsys *s);
/* Send the whole state again (after a loss, once there is room). */
void monitor_resync(struct wsys *s);
/* Node n is running (UP) / ended (DOWN): tell those that monitor it. */
void monitor_up(struct sup_node *n);
void monitor_down(struct sup_node *n, const struct sup_reason *why);

/* --- ping.c ------------------------------------------------------------------ */

/* The worker became running / stopped running (or its ping settings changed). */
void ping_running(struct wsys *s);
void ping_stop(struct wsys *s);
/* Read what came on the connection: a ping's answer. */
void ping_readable(struct wsys *s);
/* The connection ended (EOF): a ping waiting for its answer counts as answered. */
void ping_closed(struct wsys *s);
/* Re-execution: the ping timer again with `left` ms (-1: not armed). */
void ping_resume(struct wsys *s, int64_t left);

#endif
