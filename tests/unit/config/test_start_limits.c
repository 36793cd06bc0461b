/*
 * What --check accepts must start (issue 18.6): nesting deeper than otpd
 * makes cgroups for, socket paths longer than sun_path, an empty program,
 * a ready fd out of range.  Each refused with FILE:LINE.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cfgtest.h"

/* A chain of `depth` supervisors below root, a worker at the bottom. */
static char *chain_text(int depth)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	fprintf(f, "[supervisor s1]\n");
	for (int i = 2; i <= depth; i++)
		fprintf(f, "[supervisor s%d]\nparent = s%d\n", i, i - 1);
	fprintf(f, "[worker w]\nexec = x\nparent = s%d\n", depth);
	cr_assert_eq(fclose(f), 0);
	return text;
}

Test(cfg_start_limits, depth)
{
	/* s1..s31 and w: w is 32 levels below the root, the most there may be */
	char *text = chain_text(CFG_DEPTH_MAX - 1);
	struct otp_config *c = load_ok(text);

	cr_assert_eq(cfg_find(c, "w")->depth, CFG_DEPTH_MAX);
	cr_assert_eq(cfg_find(c, "s1")->depth, 1);
	cr_assert_eq(c->nodes[0].depth, 0);
	cfg_free(c);
	free(text);
	/* one more level: refused once, at the first node too deep */
	text = chain_text(CFG_DEPTH_MAX);
	expect_error(text, "t.conf:64: [worker w]: nested 33 levels below the root supervisor; "
		     "at most 32 are supported (each level is a nested cgroup)");
	free(text);
	text = chain_text(100);
	expect_error(text, "t.conf:64: [supervisor s33]: nested 33 levels below the root "
		     "supervisor; at most 32 are supported (each level is a nested cgroup)");
	free(text);
}

#define RUN60 "/r23456789/123456789/123456789/123456789/123456789/123456789"   /* 60 bytes */

Test(cfg_start_limits, mailbox_socket_path)
{
	/* 60 + 9 ("/mailbox/") + 38 = 107: fits */
	struct otp_config *c = load_ok("[otpd]\nrun_dir = " RUN60 "\n"
				       "[worker n2345678901234567890123456789012345678]\n"
				       "exec = x\nmailbox = true\n"
				       "[worker n23456789012345678901234567890123456789long]\n"
				       "exec = x\n");

	cfg_free(c);
	expect_error("[otpd]\nrun_dir = " RUN60 "\n"
		     "[worker n23456789012345678901234567890123456789]\nexec = x\nmailbox = true\n",
		     "t.conf:5: mailbox: the socket " RUN60 "/mailbox/"
		     "n23456789012345678901234567890123456789 would be 108 bytes long, a Unix "
		     "socket path holds at most 107: shorten run_dir or the name, got \"true\"");
	/* a template's dynamic children are T@N, N up to 10 digits */
	expect_error("[otpd]\nrun_dir = " RUN60 "\n"
		     "[supervisor pool]\nstrategy = simple_one_for_one\n"
		     "[worker t234567890123456789012345678]\nparent = pool\nexec = x\nmailbox = true\n",
		     "t.conf:8: mailbox: the socket " RUN60 "/mailbox/"
		     "t234567890123456789012345678@N would be 108 bytes long, a Unix socket path "
		     "holds at most 107: shorten run_dir or the name, got \"true\"");
	c = load_ok("[otpd]\nrun_dir = " RUN60 "\n"
		    "[supervisor pool]\nstrategy = simple_one_for_one\n"
		    "[worker t23456789012345678901234567]\nparent = pool\nexec = x\nmailbox = true\n");
	cfg_free(c);
}

#define P100 "/p23456789/123456789/123456789/123456789/123456789" \
	"/123456789/123456789/123456789/123456789/123456789"            /* 100 bytes */

Test(cfg_start_limits, control_and_notify_sockets)
{
	struct otp_config *c;

	/* run_dir of 100: notify (107) fits, the default socket (110) does not */
	expect_error("[otpd]\nrun_dir = " P100 "\n",
		     "t.conf:2: run_dir: the control socket " P100 "/otpd.sock would be 110 bytes "
		     "long, a Unix socket path holds at most 107, got \"" P100 "\"");
	c = load_ok("[otpd]\nrun_dir = " P100 "\nsocket = /run/otpd.sock\n");
	cfg_free(c);
	expect_error("[otpd]\nrun_dir = " P100 "/x\nsocket = /run/otpd.sock\n",
		     "t.conf:2: run_dir: the notify socket " P100 "/x/notify would be 109 bytes "
		     "long, a Unix socket path holds at most 107, got \"" P100 "/x\"");
	expect_error("[otpd]\nsocket = " P100 "/xx.sock\n",
		     "t.conf:2: socket: the control socket " P100 "/xx.sock would be 108 bytes "
		     "long, a Unix socket path holds at most 107, got \"" P100 "/xx.sock\"");
}

Test(cfg_start_limits, exec_and_ready_fd)
{
	struct otp_config *c;
	const struct cfg_node *w = worker_with(&c, "ready = fd:1023");

	cr_assert_eq(w->w.ready_fd, 1023);
	cfg_free(c);
	/* an empty argument is fine, an empty program is not (test_errors.c) */
	c = load_ok("[worker w]\nexec = /bin/echo ''\n");
	cr_assert_eq(cfg_find(c, "w")->w.argc, 2);
	cfg_free(c);
}
