/*
 * reexec_start.c: the new image's side of a re-execution (otpd(8),
 * RE-EXECUTION): `otpd --restore FD` starts from the state instead of the
 * configuration files, and `otpd --check-state FD` only reads it.
 *
 * A restore that fails half-way (the check passed, so this is not the
 * format: a descriptor that did not come through, memory) execs the
 * binary that wrote the state with the same state: nothing was changed
 * that it cannot take back, because the descriptors the state names are
 * made close-on-exec again only once the restore succeeded.  If that
 * fails too, otpd ends as a failed start does.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doorway.h"
#include "output/output.h"
#include "reexec.h"
#include "worker/worker.h"

#define STATE_MAX (256u << 20)  /* a state larger than this is not ours */

extern char **environ;

/* The whole state: read with pread, so the memfd's offset stays at 0. */
static int read_all(int fd, uint8_t **ret, size_t *ret_len)
{
	struct stat st;
	uint8_t *buf;
	size_t at = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size <= 0 || (uint64_t)st.st_size > STATE_MAX)
		return -EBADMSG;
	if (!(buf = malloc((size_t)st.st_size)))
		return -ENOMEM;
	while (at < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + at, (size_t)st.st_size - at, (off_t)at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -EBADMSG;
		}
		at += (size_t)n;
	}
	*ret = buf;
	*ret_len = at;
	return 0;
}

int reexec_check(int fd)
{
	struct reexec_found f;
	char why[512] = "";
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	log_set_level(LOG_ERR);
	if ((r = read_all(fd, &buf, &len)) < 0)
		snprintf(why, sizeof(why), "cannot read the state: %s", strerror(-r));
	else
		r = reexec_state_read(buf, len, true, &f, why, sizeof(why));
	free(buf);
	if (r < 0) {
		printf("otpd %s cannot restore this state: %s\n", otpd_version(), why);
		return 1;
	}
	printf("ok\n");
	return 0;
}

/* Every descriptor the state named is close-on-exec again, as all of otpd's are. */
static void fds_cloexec(void)
{
	st_fds_cloexec();
	st_fds_forget();
}

/* The restore failed: the binary that wrote the state takes it back. */
static int fall_back(int prev_fd, int state)
{
	char fdarg[16], *argv[] = { (char *)"otpd", (char *)"--restore", fdarg,
				    (char *)"--no-fallback", NULL };
	sigset_t all;

	if (prev_fd < 0)
		return -ENOENT;
	log_err("reexec: going back to the binary that saved the state");
	snprintf(fdarg, sizeof(fdarg), "%d", state);
	sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);
	execveat(prev_fd, "", argv, environ, AT_EMPTY_PATH);
	return -errno;
}

int reexec_start(int fd, bool fallback)
{
	struct reexec_found f;
	char why[512] = "";
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	if ((r = read_all(fd, &buf, &len)) < 0)
		snprintf(why, sizeof(why), "cannot read the state: %s", strerror(-r));
	else
		r = reexec_state_read(buf, len, false, &f, why, sizeof(why));
	free(buf);
	if (r < 0) {
		log_err("reexec: cannot restore the state: %s", why);
		if (fallback && (r = fall_back(f.prev_fd, fd)) < 0)
			log_err("reexec: cannot go back to the binary that saved it: %s",
				strerror(-r));
		return r < 0 ? r : -EINVAL;
	}
	fds_cloexec();
	close(fd);
	out_flush();
	core_restored();
	/* Children that ended during the exec, handled by the usual rules. */
	reap_all();
	reexec_restored(&f);
	free(f.binary);
	free(f.note);
	return 0;
}
