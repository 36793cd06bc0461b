/*
 * sdstatus.c: READY=1, STATUS= and STOPPING=1 for our own parent
 * (systemd, Type=notify), following the tree.
 *
 * A watcher of the core marks the status stale on every state change,
 * exit, restart or give-up, and posts one job per batch (core_post): the
 * job composes the line and sends it if it differs from the last one, so
 * a batch never costs more than one datagram, and a restart storm no more
 * than one per batch.  The line:
 *
 *   running: 12 workers, 1 restarting (web: exit:3); last crash: web exit:3
 *
 * The phase is starting, running (the root is running: READY=1 goes with
 * the first such line) or stopping (STOPPING=1 goes with the first one).
 * Nothing of this exists without $NOTIFY_SOCKET: no watcher, no walk.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/base.h"
#include "../core.h"
#include "system.h"

#define SDS_LINE_MAX 400

static struct {
	bool on, posted, ready_sent, stopping_sent;
	struct core_watcher watcher;
	char last[SDS_LINE_MAX];
	char crash[SUP_NAME_MAX + 1 + 200];     /* "web exit:3": the last crash */
} sds;

/* Counts of the workers by what status shows, and one name per kind. */
struct sds_counts {
	unsigned workers, running, starting, restarting, stopping, stopped, failed;
	const struct sup_node *first_restarting, *first_failed;
};

static void sds_count(struct sds_counts *k)
{
	const struct sup_node *top = core_root();

	memset(k, 0, sizeof(*k));
	for (const struct sup_node *n = top; n; n = sup_walk_next(top, n)) {
		if (sup_node_type(n) != SUP_WORKER)
			continue;
		k->workers++;
		if (sup_node_failed(n)) {
			k->failed++;
			k->first_failed = k->first_failed ? k->first_failed : n;
			continue;
		}
		switch (sup_node_state(n)) {
		case SUP_RUNNING: k->running++; break;
		case SUP_STARTING: k->starting++; break;
		case SUP_STOPPING: k->stopping++; break;
		case SUP_STOPPED: k->stopped++; break;
		case SUP_RESTARTING:
			k->restarting++;
			k->first_restarting = k->first_restarting ? k->first_restarting : n;
			break;
		}
	}
}

/* ", N what (name: last exit)" when N > 0. */
static size_t sds_part(char *buf, size_t len, unsigned count, const char *what,
		       const struct sup_node *example)
{
	struct sup_reason last;
	char why[200] = "";
	int n;

	if (!count)
		return 0;
	if (example && sup_node_last_exit(example, &last)->kind != SUP_R_NONE)
		sup_reason_format(&last, why, sizeof(why));
	if (example)
		n = snprintf(buf, len, ", %u %s (%s%s%s)", count, what, sup_node_name(example),
			     why[0] ? ": " : "", why);
	else
		n = snprintf(buf, len, ", %u %s", count, what);
	return n < 0 ? 0 : (size_t)n >= len ? len - 1 : (size_t)n;
}

static void sds_compose(char *buf, size_t len)
{
	const struct sup_node *root = core_root();
	const char *phase = core_stopping() ? "stopping"
			    : root && sup_node_state(root) == SUP_RUNNING ? "running" : "starting";
	struct sds_counts k;
	size_t at;
	int n;

	sds_count(&k);
	n = snprintf(buf, len, "%s: %u worker%s", phase, k.workers, k.workers == 1 ? "" : "s");
	at = n < 0 ? 0 : (size_t)n >= len ? len - 1 : (size_t)n;
	if (k.running != k.workers) {
		at += sds_part(buf + at, len - at, k.restarting, "restarting", k.first_restarting);
		at += sds_part(buf + at, len - at, k.failed, "failed", k.first_failed);
		at += sds_part(buf + at, len - at, k.starting, "starting", NULL);
		at += sds_part(buf + at, len - at, k.stopping, "stopping", NULL);
		at += sds_part(buf + at, len - at, k.stopped, "stopped", NULL);
	}
	if (sds.crash[0])
		snprintf(buf + at, len - at, "; last crash: %s", sds.crash);
}

/* The job: one datagram if anything is new. */
static void sds_send(void *unused)
{
	const struct sup_node *root = core_root();
	bool ready = !sds.ready_sent && root && sup_node_state(root) == SUP_RUNNING &&
		     !core_stopping();
	bool stopping = !sds.stopping_sent && core_stopping();
	char line[SDS_LINE_MAX];

	sds.posted = false;
	sds_compose(line, sizeof(line));
	if (!ready && !stopping && strcmp(line, sds.last) == 0)
		return;
	sd_report("%s%sSTATUS=%s", ready ? "READY=1\n" : "", stopping ? "STOPPING=1\n" : "", line);
	snprintf(sds.last, sizeof(sds.last), "%s", line);
	sds.ready_sent = sds.ready_sent || ready;
	sds.stopping_sent = sds.stopping_sent || stopping;
}

void sd_status_changed(void)
{
	if (!sds.on || sds.posted)
		return;
	sds.posted = true;
	if (core_post(sds_send, NULL) < 0)
		sds.posted = false;     /* out of memory: the next change tries again */
}

static void sds_action(struct core_watcher *w, const struct sup_action *a)
{
	char why[200];

	switch (a->kind) {
	case SUP_A_EXITED:
		if (a->counted && a->reason.kind != SUP_R_NORMAL &&
		    sup_node_type(a->node) == SUP_WORKER) {
			sup_reason_format(&a->reason, why, sizeof(why));
			snprintf(sds.crash, sizeof(sds.crash), "%s %s", sup_node_name(a->node), why);
		}
		sd_status_changed();
		break;
	case SUP_A_STATE:
	case SUP_A_RESTART:
	case SUP_A_GAVE_UP:
	case SUP_A_FORGET:
		sd_status_changed();
		break;
	default:
		break;
	}
}

void sd_status_init(void)
{
	const char *s = getenv("NOTIFY_SOCKET");

	if (!s || !*s || sds.on)
		return;
	sds.on = true;
	sds.watcher = (struct core_watcher){ .action = sds_action };
	core_watch(&sds.watcher);
}

/* --- re-execution ---------------------------------------------------------- */

enum { SD_READY = 1, SD_STOPPING, SD_LAST, SD_CRASH };

void sd_status_save(struct st_buf *b)
{
	st_put_u64(b, SD_READY, sds.ready_sent);
	st_put_u64(b, SD_STOPPING, sds.stopping_sent);
	st_put_str(b, SD_LAST, sds.last);
	st_put_str(b, SD_CRASH, sds.crash);
}

/* After sd_status_init(): what systemd was told already is not told again. */
void sd_status_restore(const struct st_rd *r)
{
	sds.ready_sent = st_flag(r, SD_READY);
	sds.stopping_sent = st_flag(r, SD_STOPPING);
	if (!st_str(r, SD_LAST, sds.last, sizeof(sds.last)))
		sds.last[0] = '\0';
	if (!st_str(r, SD_CRASH, sds.crash, sizeof(sds.crash)))
		sds.crash[0] = '\0';
}
