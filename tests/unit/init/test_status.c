/*
 * test_status.c: `otpctl status` and `otpctl count` rendering (status.c)
 * of a small tree driven through the real core with a fake clock; no
 * process runs.  Output goes through a real ipc_conn over a socketpair and
 * is decoded frame by frame, as otpctl would.
 *
 *   root (one_for_one)
 *   ├── db        worker
 *   └── backend   supervisor (rest_for_one)
 *       └── cache worker
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tutil.h"

#define UPTIME_MS 3200

static struct sup_node *db, *backend, *cache;
static int64_t t0;              /* boot instant: ev_now() - UPTIME_MS */

static struct sup_node *add(struct sup_node *parent, enum sup_type type, const char *name)
{
	struct sup_spec s;
	enum sup_result err;
	struct sup_node *n;

	sup_spec_init(&s, type, name);
	if (type == SUP_SUPERVISOR)
		s.strategy = SUP_REST_FOR_ONE;
	n = sup_tree_add(ttree, parent, &s, &err);
	cr_assert(n != NULL, "add %s: %d", name, err);
	return n;
}

/* Answer every SPAWN with "ready" until the core asks for nothing more. */
static void run_ready(int64_t now)
{
	for (int round = 0; round < 16; round++) {
		size_t n, i, spawned = 0;
		const struct sup_action *a = sup_actions(ttree, &n);
		struct sup_node *ready[16];

		for (i = 0; i < n && spawned < 16; i++)
			if (a[i].kind == SUP_A_SPAWN)
				ready[spawned++] = a[i].node;
		sup_actions_clear(ttree);
		if (spawned == 0)
			return;
		for (i = 0; i < spawned; i++)
			sup_child_ready(ttree, ready[i], now);
	}
	cr_fatal("the core kept spawning");
}

static void setup(void)
{
	struct sup_spec root;

	cr_assert(eq(int, ev_init(), 0));
	t0 = ev_now() - UPTIME_MS;
	sup_spec_init(&root, SUP_SUPERVISOR, "root");
	tree_use(sup_tree_new(&root));
	cr_assert(ttree != NULL);
	db = add(sup_tree_root(ttree), SUP_WORKER, "db");
	backend = add(sup_tree_root(ttree), SUP_SUPERVISOR, "backend");
	cache = add(backend, SUP_WORKER, "cache");
	sup_boot(ttree, t0);
	run_ready(t0);
	cr_assert(eq(str, (char *)sup_state_str(sup_node_state(cache)), "running"));
}

static void teardown(void)
{
	ws_free(sup_node_shell(db));
	ws_free(sup_node_shell(cache));
	ws_collect();
	sup_tree_free(ttree);
	tree_use(NULL);
	ev_fini();
}

TestSuite(status, .init = setup, .fini = teardown, .timeout = 10);
TestSuite(count, .init = setup, .fini = teardown, .timeout = 10);

/* What a client received: stdout, stderr and the END code. */
struct reply {
	char out[8192], err[1024];
	size_t out_len, err_len;
	int code;
};

/* Render with `fn` into a connection and read it back as otpctl would. */
static void render(void (*fn)(struct ipc_conn *, struct sup_node *, bool), struct sup_node *n,
		   bool json, struct reply *r)
{
	static uint8_t buf[16384];
	size_t len = 0, off = 0;
	struct ipc_conn *c;
	int sv[2];
	ssize_t got;

	cr_assert(eq(int, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0));
	c = ipc_conn_new(sv[0], 0, 0, getpid());
	cr_assert(c != NULL);
	fn(c, n, json);
	cr_assert(eq(int, ipc_conn_end(c, 0), 0));
	cr_assert(eq(int, ipc_conn_flush(c), 0));
	cr_assert(ipc_conn_finished(c), "the reply fits the socket buffer");
	ipc_conn_free(c);
	while ((got = read(sv[1], buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)got;
	close(sv[1]);
	*r = (struct reply){ .code = -1 };
	while (off < len) {
		enum ipc_type type;
		const uint8_t *p;
		size_t plen;
		ssize_t fl = ipc_frame_get(buf + off, len - off, IPC_FRAME_MAX, &type, &p, &plen);

		cr_assert(gt(sz, (size_t)(fl > 0 ? fl : 0), 0), "a whole frame");
		if (type == IPC_OUT) {
			cr_assert(lt(sz, r->out_len + plen, sizeof(r->out)));
			memcpy(r->out + r->out_len, p, plen);
			r->out_len += plen;
		} else if (type == IPC_ERR) {
			cr_assert(lt(sz, r->err_len + plen, sizeof(r->err)));
			memcpy(r->err + r->err_len, p, plen);
			r->err_len += plen;
		} else if (type == IPC_END) {
			r->code = p[0];
		}
		off += (size_t)fl;
	}
}

Test(status, json_of_the_whole_tree)
{
	struct ws *w = ws_of(db);
	struct reply r;

	cr_assert(w != NULL);
	w->pid = 4242;
	w->status = strdup("serving \"x\"\n");      /* freed by ws_free */
	render(status_render, sup_tree_root(ttree), true, &r);
	cr_assert(eq(int, r.code, 0));
	cr_assert(eq(sz, r.err_len, 0));
	cr_assert(eq(str, r.out,
		     "{\"ok\":true,\"name\":\"root\",\"type\":\"supervisor\",\"state\":\"running\",\"pid\":null,"
		     "\"restarts\":0,\"last_exit\":null,\"cgroup\":null,\"stats\":null,\"uptime_ms\":3200,"
		     "\"status\":null,\"strategy\":\"one_for_one\",\"children\":["
		     "{\"name\":\"db\",\"type\":\"worker\",\"state\":\"running\",\"pid\":4242,"
		     "\"restarts\":0,\"last_exit\":null,\"cgroup\":null,\"stats\":null,\"uptime_ms\":3200,"
		     "\"status\":\"serving \\\"x\\\"\\n\"},"
		     "{\"name\":\"backend\",\"type\":\"supervisor\",\"state\":\"running\",\"pid\":null,"
		     "\"restarts\":0,\"last_exit\":null,\"cgroup\":null,\"stats\":null,\"uptime_ms\":3200,"
		     "\"status\":null,\"strategy\":\"rest_for_one\",\"children\":["
		     "{\"name\":\"cache\",\"type\":\"worker\",\"state\":\"running\",\"pid\":null,"
		     "\"restarts\":0,\"last_exit\":null,\"cgroup\":null,\"stats\":null,\"uptime_ms\":3200,"
		     "\"status\":null}]}]}\n"));
}

Test(status, json_of_one_worker)
{
	struct reply r;

	render(status_render, cache, true, &r);
	cr_assert(eq(str, r.out,
		     "{\"ok\":true,\"name\":\"cache\",\"type\":\"worker\",\"state\":\"running\",\"pid\":null,"
		     "\"restarts\":0,\"last_exit\":null,\"cgroup\":null,\"stats\":null,\"uptime_ms\":3200,"
		     "\"status\":null}\n"));
}

/* Stop db (it dies of the stop signal): stopped, last exit "shutdown". */
static void stop_db(void)
{
	int64_t t = ev_now();

	sup_cmd_stop(ttree, "db", 1, t);
	sup_actions_clear(ttree);
	sup_child_exited(ttree, db, SIGTERM, 0, t);
	sup_actions_clear(ttree);
	cr_assert(eq(str, (char *)sup_state_str(sup_node_state(db)), "stopped"));
}

Test(status, stopped_worker_has_nulls_and_last_exit)
{
	struct reply r;

	stop_db();
	render(status_render, db, true, &r);
	cr_assert(eq(str, r.out,
		     "{\"ok\":true,\"name\":\"db\",\"type\":\"worker\",\"state\":\"stopped\",\"pid\":null,"
		     "\"restarts\":0,\"last_exit\":\"shutdown\",\"cgroup\":null,\"stats\":null,\"uptime_ms\":null,"
		     "\"status\":null}\n"));
}

Test(status, failed_start_renders_failed)
{
	struct reply r;

	stop_db();
	sup_cmd_start(ttree, "db", 2, ev_now());
	sup_actions_clear(ttree);
	sup_child_start_failed(ttree, db, "exec: No such file", ev_now());
	sup_actions_clear(ttree);
	cr_assert(sup_node_failed(db), "precondition: the core calls db failed");
	render(status_render, db, false, &r);
	/* Second line (after the header): db's row. */
	cr_assert(strstr(r.out, "\ndb  ") != NULL, "%s", r.out);
	cr_assert(strstr(r.out, "  worker      failed  ") != NULL, "%s", r.out);
	cr_assert(strstr(r.out, "  start_failed:exec: No such file") != NULL, "%s", r.out);
	render(status_render, db, true, &r);
	cr_assert(strstr(r.out, "\"state\":\"failed\"") != NULL, "%s", r.out);
}

Test(status, text_is_an_indented_table)
{
	struct ws *w = ws_of(db);
	struct reply r;
	char *line[5] = { 0 }, *save = NULL;
	int n = 0;

	w->pid = 77;
	w->status = strdup("ready\n2");
	render(status_render, sup_tree_root(ttree), false, &r);
	cr_assert(eq(int, r.code, 0));
	for (char *l = strtok_r(r.out, "\n", &save); l && n < 5; l = strtok_r(NULL, "\n", &save))
		line[n++] = l;
	cr_assert(eq(int, n, 5), "header + 4 nodes");
	cr_assert(eq(str, line[0], "NAME       TYPE        STATE       PID      RESTARTS  "
				   "LAST_EXIT  UPTIME  STATUS"));
	cr_assert(eq(str, line[1], "root       supervisor  running     -               0  "
				   "-          3.2s"));
	cr_assert(eq(str, line[2], "  db       worker      running     77              0  "
				   "-          3.2s    ready\\x0a2"));
	cr_assert(eq(str, line[3], "  backend  supervisor  running     -               0  "
				   "-          3.2s"));
	cr_assert(eq(str, line[4], "    cache  worker      running     -               0  "
				   "-          3.2s"));
}

Test(count, text_and_json)
{
	struct reply r;

	render(count_render, sup_tree_root(ttree), false, &r);
	cr_assert(eq(str, r.out, "specs 2 active 2 supervisors 1 workers 1\n"));
	render(count_render, backend, true, &r);
	cr_assert(eq(str, r.out, "{\"ok\":true,\"specs\":1,\"active\":1,\"supervisors\":0,\"workers\":1}\n"));
}

Test(count, stopped_child_is_not_active)
{
	struct reply r;

	stop_db();
	render(count_render, sup_tree_root(ttree), true, &r);
	cr_assert(eq(str, r.out, "{\"ok\":true,\"specs\":2,\"active\":1,\"supervisors\":1,\"workers\":1}\n"));
}
