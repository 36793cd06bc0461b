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

#include <stdbool.h>
#include <stdint.h>

#include "../../supervisor/supervisor.h"

struct core_req;
struct core_talk;
struct st_buf;
struct st_rd;

/* Listen on `path` (group: who else may connect); watch the core for
 * waiters.  0 or -errno. */
int control_init(const char *path, const char *group);
void control_fini(void);
/* The tree is going away: finish every client with `code`. */
void control_close_all(int code);
/* The state otpctl shows: "failed" for failed nodes, "frozen", "stopping"
 * while leftovers are stopped, else sup_state_str. */
const char *ctl_node_state(const struct sup_node *n);

/*
 * Re-execution (otpd(8), RE-EXECUTION): the listening socket (clients that
 * connect meanwhile wait in its backlog), the events hook's connection,
 * and the client that asked (its answer comes from the new image) are
 * kept; every other client is told to retry.  control_restore replaces
 * control_init in the new image; *ret_asker: the asking client, waiting
 * for its answer (NULL: none).  0, or -errno with *why; dry only reads.
 */
void control_save(struct st_buf *b, const struct core_req *asker);
void control_close_for_reexec(const struct core_req *asker);
int control_restore(const struct st_rd *r, bool dry, struct core_talk **ret_asker,
		    const char **why);

#endif
