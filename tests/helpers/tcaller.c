/*
 * tcaller: a caller making one-shot mailbox calls (otp_call: a connection
 * per call) without a pause, for otpd's overlap tests.
 *
 *   tcaller NAME ID DIR   call until DIR/stop exists; writes DIR/started.ID
 *                         after its first answer
 *
 * Each call sends "ID-i" (timeout 10 s) and must get "ID-i" back.  Prints
 * "ok=N failed=N bad=N" at the end (and the first failure's error);
 * exits 0 unless a call failed or got another reply.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "otp_mailbox.h"

static int exists(const char *dir, const char *what)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, what);
	return access(path, F_OK) == 0;
}

static void touch(const char *dir, const char *what, const char *id)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, what, id);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	long ok = 0, failed = 0, bad = 0, first_err = 0;
	char req[64], reply[64];

	if (argc != 4) {
		fprintf(stderr, "usage: tcaller NAME ID DIR\n");
		return 2;
	}
	for (long i = 0; !exists(argv[3], "stop"); i++) {
		int len = snprintf(req, sizeof(req), "%s-%ld", argv[2], i);
		ssize_t n = otp_call(argv[1], req, (size_t)len, reply, sizeof(reply), 10000);

		if (n == len && memcmp(req, reply, (size_t)len) == 0) {
			if (ok++ == 0)
				touch(argv[3], "started", argv[2]);
		} else if (n < 0) {
			if (failed++ == 0)
				first_err = n;
		} else {
			bad++;
		}
	}
	printf("ok=%ld failed=%ld bad=%ld", ok, failed, bad);
	if (first_err)
		printf(" first_error=%s", strerror((int)-first_err));
	printf("\n");
	return failed || bad || !ok ? 1 : 0;
}
