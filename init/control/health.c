/*
 * health.c: `otpctl health`, for liveness and readiness probes
 * (Kubernetes exec probes, podman healthchecks; otpctl(1) HEALTH).
 *
 * The tree is up when every permanent node (worker or supervisor) shows
 * "running" (a worker: started and ready; frozen is not running), no
 * supervisor is starting or restarting, and otpd is not shutting down.
 * Transient and temporary workers may be anything.  Exit 0 and "ok" when
 * up; else exit 1 and one line per node that is not ("web: restarting
 * (last exit exit:3)"); --json says the same as
 * {"ok":false,"error":"unhealthy","message":...,"problems":[...]}.
 */
#include <stdio.h>
#include <string.h>

#include "../core.h"
#include "client.h"
#include "json.h"

/* Is n in the way of a healthy tree?  Its shown state in *ret_state. */
static bool hl_problem(const struct sup_node *n, const char **ret_state)
{
	const char *state = ctl_node_state(n);
	bool sup = sup_node_type(n) == SUP_SUPERVISOR;

	*ret_state = state;
	if (sup && (sup_node_state(n) == SUP_RESTARTING || sup_node_state(n) == SUP_STARTING))
		return true;
	return sup_node_spec(n)->restart == SUP_PERMANENT && strcmp(state, "running") != 0;
}

static void hl_json_problem(struct jbuf *b, const struct sup_node *n, const char *state,
			    const char *last_exit)
{
	json_obj_begin(b);
	json_kv_str(b, "name", sup_node_name(n));
	json_kv_str(b, "type", sup_node_type(n) == SUP_WORKER ? "worker" : "supervisor");
	json_kv_str(b, "state", state);
	json_kv_str(b, "last_exit", last_exit[0] ? last_exit : NULL);
	json_obj_end(b);
}

/* The problems, as text lines or JSON array elements; how many. */
static unsigned hl_walk(struct jbuf *b, bool json)
{
	const struct sup_node *top = core_root();
	const char *state;
	struct sup_reason last;
	char why[200];
	unsigned k = 0;

	for (const struct sup_node *n = top; n; n = sup_walk_next(top, n)) {
		if (!hl_problem(n, &state))
			continue;
		k++;
		why[0] = '\0';
		if (sup_node_last_exit(n, &last)->kind != SUP_R_NONE)
			sup_reason_format(&last, why, sizeof(why));
		if (json)
			hl_json_problem(b, n, state, why);
		else if (why[0])
			jbuf_printf(b, "%s: %s (last exit %s)\n", sup_node_name(n), state, why);
		else
			jbuf_printf(b, "%s: %s\n", sup_node_name(n), state);
	}
	return k;
}

int health_render(struct ipc_conn *c, bool json)
{
	struct jbuf b = { 0 }, list = { 0 };
	bool stopping = core_stopping();
	unsigned k = hl_walk(&list, json);
	bool up = k == 0 && !stopping;
	char msg[120];

	if (stopping && !k)
		snprintf(msg, sizeof(msg), "otpd is shutting down");
	else
		snprintf(msg, sizeof(msg), "%s%u node%s not up", stopping ? "otpd is shutting down, " : "",
			 k, k == 1 ? "" : "s");
	if (json) {
		if (up)
			json_ok(&b);
		else
			json_error(&b, "unhealthy", msg);
		json_key(&b, "healthy");
		json_bool(&b, up);
		json_key(&b, "problems");
		json_arr_begin(&b);
		if (list.len)
			jbuf_putn(&b, list.p, list.len);
		json_arr_end(&b);
		json_obj_end(&b);
		jbuf_puts(&b, "\n");
	} else {
		jbuf_puts(&b, up ? "ok\n" : "unhealthy: ");
		if (!up)
			jbuf_printf(&b, "%s\n", msg);
		if (list.len)
			jbuf_putn(&b, list.p, list.len);
	}
	if (b.failed || list.failed || ipc_conn_out(c, IPC_OUT, b.p, b.len) < 0)
		(void)ipc_conn_printf(c, IPC_ERR, "otpctl: health: out of memory\n");
	jbuf_free(&b);
	jbuf_free(&list);
	return up ? IPC_EXIT_OK : IPC_EXIT_REFUSED;
}
