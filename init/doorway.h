/*
 * doorway.h: what core.c lends reload.c, the other file of the doorway's
 * room (nobody else includes this but the unit tests).  Reload edits the
 * tree in place (insert, respec, place: no actions come of those) and
 * issues commands.
 */
#ifndef OTPD_INIT_DOORWAY_H
#define OTPD_INIT_DOORWAY_H

#include "core.h"

struct sup_tree *core_tree(void);
/* The reloaded configuration is in force; the old one is the caller's to free. */
void core_config_swap(struct otp_config *cfg);
/* Register r as waiting for a reply the caller will give (core_answer); its cookie. */
uint64_t core_request(struct core_req *r);
/* The requester still waiting under `cookie`, or NULL (answered, cancelled). */
struct core_req *core_pending(uint64_t cookie);
/* Answer the requester waiting under `cookie` (if still there) with `result`. */
void core_answer(uint64_t cookie, enum sup_result result);
/*
 * Unit tests only: run the doorway over a tree and a configuration built
 * by hand (the core frees neither); core_use(NULL, NULL) lets go.
 */
void core_use(struct sup_tree *t, struct otp_config *cfg);
/* Stop and remove a node for good (sup_cmd_remove). */
void core_cmd_remove(const char *name, struct core_req *r);

/*
 * Re-execution (reexec.c, reexec_state.c; otpd(8), RE-EXECUTION): the
 * tree's runtime state saved (sup_save) and restored on the tree core_init
 * built (sup_restore); is the tree settled (sup_tree_quiet, strict); the
 * timer armed again once every room is back.
 */
int core_save_tree(int64_t now, void **ret_buf, size_t *ret_len);
int core_restore_tree(const void *buf, size_t len, int64_t now, char *why, size_t why_len);
bool core_quiet(const struct sup_node **ret_node, const char **ret_why);
void core_restored(void);
/* reload.c: a reload is under way (loaded, removals not all done). */
bool reload_busy(void);

#endif
