/*
 * tkeep: a caller on one kept mailbox connection (otp_conn_*), for otpd's
 * tests.
 *
 *   tkeep NAME ID COUNT        COUNT calls, then exit
 *   tkeep NAME ID 0 DIR        call until DIR/stop exists; writes
 *                              DIR/started.ID after its first answer, and
 *                              DIR/after.ID after its first answer once
 *                              DIR/mark exists
 *
 * Each call sends "ID-i" (timeout 10 s) and must get the same bytes back.
 * Prints "ok=N reset=N other=N bad=N" at the end; exits 0 unless a call
 * got another reply than its own (bad) or failed otherwise than with
 * -ECONNRESET (the clear error of a callee that died mid-call).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "otp_mailbox.h"

struct tally {
	long ok, reset, other, bad;
};

static void touch(const char *dir, const char *what, const char *id)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, what, id);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

static bool exists(const char *dir, const char *what)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, what);
	return access(path, F_OK) == 0;
}

static void one_call(struct otp_conn *c, const char *id, long i, struct tally *t)
{
	char req[64], reply[64];
	int len = snprintf(req, sizeof(req), "%s-%ld", id, i);
	ssize_t n = otp_conn_call(c, req, (size_t)len, reply, sizeof(reply), 10000);

	if (n == len && memcmp(req, reply, (size_t)len) == 0) {
		t->ok++;
	} else if (n == -ECONNRESET) {
		t->reset++;
	} else if (n >= 0) {
		t->bad++;
		fprintf(stderr, "tkeep %s: %s answered with %.*s\n", id, req, (int)n, reply);
	} else {
		t->other++;
		fprintf(stderr, "tkeep %s: %s: %s\n", id, req, strerror((int)-n));
	}
}

int main(int argc, char **argv)
{
	struct tally t = { 0 };
	struct otp_conn *c;
	const char *dir = argc > 4 ? argv[4] : NULL;
	long count, i;
	bool marked = false;
	int r;

	if (argc < 4 || ((count = atol(argv[3])) <= 0 && !dir)) {
		fprintf(stderr, "usage: tkeep NAME ID COUNT | tkeep NAME ID 0 DIR\n");
		return 2;
	}
	r = otp_conn_open(argv[1], &c);
	if (r < 0) {
		fprintf(stderr, "tkeep %s: open %s: %s\n", argv[2], argv[1], strerror(-r));
		return 1;
	}
	for (i = 0; count > 0 ? i < count : !exists(dir, "stop"); i++) {
		bool mark = dir && exists(dir, "mark");
		long before = t.ok;

		one_call(c, argv[2], i, &t);
		if (dir && t.ok > before && t.ok == 1)
			touch(dir, "started", argv[2]);
		if (mark && !marked && t.ok > before) {
			touch(dir, "after", argv[2]);
			marked = true;
		}
	}
	otp_conn_close(c);
	printf("ok=%ld reset=%ld other=%ld bad=%ld\n", t.ok, t.reset, t.other, t.bad);
	return t.bad || t.other ? 1 : 0;
}
