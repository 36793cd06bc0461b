/*
 * control.h: the control socket (otpctl(1)).
 *
 * Clients connect to a Unix socket, are checked (SO_PEERCRED: root,
 * otpd's user, or control_group), send one request (argv, framed; ipc.h),
 * and get output frames and an END with the exit code.  Verbs (verbs.c)
 * read the tree, or hand commands to the core and wait for their reply, a
 * state, or log lines.  No client can block or disturb otpd: the table of
 * clients is bounded, output is queued and flushed when writable, and
 * every phase has a deadline.
 */
#ifndef OTPD_INIT_CONTROL_H
#define OTPD_INIT_CONTROL_H

#include <stdint.h>

#include "../../supervisor/supervisor.h"

/* Listen on `path` (group: who else may connect); watch the core for
 * waiters.  0 or -errno. */
int control_init(const char *path, const char *group);
void control_fini(void);
/* The tree is going away: finish every client with `code`. */
void control_close_all(int code);
/* The state otpctl shows: "failed" for failed nodes, "frozen", "stopping"
 * while leftovers are stopped, else sup_state_str. */
const char *ctl_node_state(const struct sup_node *n);

#endif
