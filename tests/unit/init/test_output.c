/*
 * test_output.c: output pipes, sinks, files and otpd's stdout and stderr
 * writers (init/output/), with real pipes and the real event loop.  Each
 * test runs in its own process, so fds 1 and 2 are redirected freely.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tutil.h"

/* --- fixture ------------------------------------------------------------- */

static int fds_before;
static int out_rfd = -1;        /* read end of the pipe fd 1 was redirected to */
static int err_rfd = -1;        /* the same for fd 2 */

/* fd `fd` becomes a pipe; returns its non-blocking read end. */
static int capture(int fd)
{
	int p[2];

	cr_assert(eq(int, pipe2(p, O_CLOEXEC), 0));
	cr_assert(eq(int, dup2(p[1], fd), fd));
	close(p[1]);
	cr_assert(eq(int, fcntl(p[0], F_SETFL, O_NONBLOCK), 0));
	return p[0];
}

static void setup(void)
{
	struct sup_spec root;

	signal(SIGPIPE, SIG_IGN);
	cr_assert(eq(int, ev_init(), 0));
	sup_spec_init(&root, SUP_SUPERVISOR, "root");
	tree_use(sup_tree_new(&root));
	cr_assert(ttree != NULL);
	out_rfd = capture(1);
	err_rfd = capture(2);
	cr_assert(eq(int, out_std_init(), 0));
	fds_before = fd_count();
}

static void teardown(void)
{
	cr_expect(eq(int, fd_count(), fds_before), "fd leak");
	sup_tree_free(ttree);
	tree_use(NULL);
	ev_fini();
}

/* Everything otpd wrote to fd (its read end) so far, after flushing. */
static char *take(int rfd)
{
	static char buf[1 << 20];
	size_t n = 0;
	ssize_t r;

	out_flush();
	while (n < sizeof(buf) - 1 && (r = read(rfd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return buf;
}

static char *stdout_take(void)
{
	return take(out_rfd);
}

/* --- out_pipe ------------------------------------------------------------ */

TestSuite(out_pipe, .init = setup, .fini = teardown, .timeout = 20);

static void write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t r = write(fd, s, n);

		cr_assert(gt(int, (int)r, 0));
		s += r;
		n -= (size_t)r;
	}
}

/* Let the loop read what is in the pipe (it is readable, so no wait). */
static void pump(void)
{
	cr_assert(eq(int, ev_run_once(), 0));
}

/* A worker's sink whose lines go to otpd's stdout and stderr. */
static struct out_sink *tsink(const char *name, unsigned lines)
{
	struct out_sink *s = out_sink_new(name, lines);
	struct out_targets t = { .dest = { OUT_TO_NONE, OUT_TO_LOG, OUT_TO_LOG },
				 .log_target = OUT_TARGET_STDOUT };

	cr_assert(s != NULL);
	cr_assert(eq(int, out_sink_target(s, "root", &t), 0));
	return s;
}

/* A pipe of a process `pid` of sink s; its write end in *wfd. */
static struct out_pipe *tpipe(struct out_sink *s, enum out_stream st, pid_t pid, int *wfd)
{
	struct out_pipe *p = out_pipe_open(s, st, wfd);

	cr_assert(p != NULL);
	out_pipe_set_pid(p, pid);
	return p;
}

/* The process is gone: close its write end, let the pipe go. */
static void tdone(struct out_pipe *p, int wfd)
{
	close(wfd);
	out_pipe_detach(p);
}

Test(out_pipe, fds_are_cloexec_read_end_nonblocking_write_end_blocking)
{
	struct out_sink *s = tsink("t", 8);
	int w;
	struct out_pipe *p = tpipe(s, OUT_STDOUT, 1, &w);

	cr_expect(fcntl(w, F_GETFD) & FD_CLOEXEC);
	/* The child shares the write end's flags: it must stay blocking. */
	cr_expect(eq(int, fcntl(w, F_GETFL) & O_NONBLOCK, 0));
	tdone(p, w);
	out_sink_release(s);
}

Test(out_pipe, lines_split_at_any_point_come_out_whole)
{
	const char *str = "alpha\nbeta gamma\n\ndelta\tepsilon\nzeta";
	size_t n = strlen(str);
	struct lines l = { 0 };

	for (size_t k = 0; k <= n; k++) {
		struct out_sink *s = tsink("t", 16);
		int w;
		struct out_pipe *p = tpipe(s, OUT_STDOUT, 1, &w);

		if (k > 0) {
			write_all(w, str, k);
			pump();
		}
		if (k < n) {
			write_all(w, str + k, n - k);
			pump();
		}
		ring_lines(out_sink_ring(s), 0, &l);
		cr_assert(eq(int, l.n, 4), "split at %zu", k);
		cr_expect(eq(str, l.v[0], "alpha"));
		cr_expect(eq(str, l.v[1], "beta gamma"));
		cr_expect(eq(str, l.v[2], ""));
		cr_expect(eq(str, l.v[3], "delta\tepsilon"));
		/* "zeta" has no newline: it comes at EOF. */
		tdone(p, w);
		ring_lines(out_sink_ring(s), 0, &l);
		cr_assert(eq(int, l.n, 5));
		cr_expect(eq(str, l.v[4], "zeta"));
		out_sink_release(s);
	}
	lines_clear(&l);
	(void)stdout_take();
}

Test(out_pipe, long_lines_come_in_pieces)
{
	struct out_sink *s = tsink("t", 8);
	int w;
	struct out_pipe *p = tpipe(s, OUT_STDOUT, 1, &w);
	struct lines l = { 0 };
	size_t n = 2 * OUT_LINE_MAX + 100;
	char *big = malloc(n + 1);

	memset(big, 'a', n);
	big[n] = '\n';
	for (size_t off = 0; off <= n; off += 1000) {
		write_all(w, big + off, off + 1000 > n + 1 ? n + 1 - off : 1000);
		pump();
	}
	ring_lines(out_sink_ring(s), 0, &l);
	cr_assert(eq(int, l.n, 3));
	cr_expect(eq(sz, l.len[0], OUT_LINE_MAX));
	cr_expect(eq(sz, l.len[1], OUT_LINE_MAX));
	cr_expect(eq(sz, l.len[2], 100));
	lines_clear(&l);
	free(big);
	tdone(p, w);
	out_sink_release(s);
}

Test(out_pipe, pieces_do_not_split_utf8_sequences)
{
	struct out_sink *s = tsink("t", 8);
	int w;
	struct out_pipe *p = tpipe(s, OUT_STDOUT, 1, &w);
	struct lines l = { 0 };
	char buf[OUT_LINE_MAX + 8];
	size_t n = OUT_LINE_MAX - 1;

	memset(buf, 'a', n);
	memcpy(buf + n, "\xe2\x82\xac\n", 4);     /* U+20AC across the limit */
	write_all(w, buf, n + 4);
	pump();
	ring_lines(out_sink_ring(s), 0, &l);
	cr_assert(eq(int, l.n, 2));
	cr_expect(eq(sz, l.len[0], OUT_LINE_MAX - 1));
	cr_expect(eq(str, l.v[1], "\xe2\x82\xac"));
	lines_clear(&l);
	tdone(p, w);
	out_sink_release(s);
}

Test(out_pipe, control_bytes_are_escaped_utf8_and_tabs_kept)
{
	struct out_sink *s = tsink("bin", 8);
	int w;
	struct out_pipe *p = tpipe(s, OUT_STDOUT, 42, &w);
	struct lines l = { 0 };
	const char in[] = "a\x01" "b\tc\x7f\xc3\xa9\0z\x1b[0m\r\n";

	write_all(w, in, sizeof(in) - 1);
	pump();
	ring_lines(out_sink_ring(s), 0, &l);
	cr_assert(eq(int, l.n, 1));
	cr_expect(eq(str, l.v[0], "a\\x01b\tc\\x7f\xc3\xa9\\x00z\\x1b[0m\\x0d"));
	cr_expect(eq(str, stdout_take(), "bin[42]: a\\x01b\tc\\x7f\xc3\xa9\\x00z\\x1b[0m\\x0d\n"));
	lines_clear(&l);
	tdone(p, w);
	out_sink_release(s);
}

Test(out_pipe, escape_never_overflows_a_piece)
{
	struct out_sink *s = tsink("t", 8);
	int w;
	struct out_pipe *p = tpipe(s, OUT_STDOUT, 1, &w);
	struct lines l = { 0 };
	char buf[OUT_LINE_MAX];

	memset(buf, 'a', OUT_LINE_MAX - 2);
	buf[OUT_LINE_MAX - 2] = '\x02';
	buf[OUT_LINE_MAX - 1] = '\n';
	write_all(w, buf, OUT_LINE_MAX);
	pump();
	ring_lines(out_sink_ring(s), 0, &l);
	cr_assert(eq(int, l.n, 2));
	cr_expect(eq(sz, l.len[0], OUT_LINE_MAX - 2));
	cr_expect(eq(str, l.v[1], "\\x02"));
	lines_clear(&l);
	tdone(p, w);
	out_sink_release(s);
}

/*
 * Each process has its own pipes: whatever order the loop reads them in,
 * a line carries the pid of the process that wrote it, its stream and
 * its time; stdout lines go to otpd's stdout, stderr lines to its stderr.
 */
Test(out_pipe, each_line_knows_its_process_stream_and_time)
{
	struct out_sink *s = tsink("w", 16);
	int w1, e1, w2;
	struct out_pipe *p1 = tpipe(s, OUT_STDOUT, 100, &w1);
	struct out_pipe *q1 = tpipe(s, OUT_STDERR, 100, &e1);
	struct lines l = { 0 };
	int64_t t0 = out_realtime_ms();

	write_all(w1, "hello", 5);
	pump();
	write_all(e1, "oops\n", 5);
	pump();
	/* The first process is gone, a new one starts before its pipe was read. */
	write_all(w1, " there\nbye", 10);
	struct out_pipe *p2 = tpipe(s, OUT_STDOUT, 200, &w2);

	write_all(w2, "world\n", 6);
	pump();
	tdone(p1, w1);
	tdone(q1, e1);
	ring_lines(out_sink_ring(s), 0, &l);
	cr_assert(eq(int, l.n, 4));
	for (int i = 0; i < l.n; i++) {
		const char *want = l.pid[i] == 100 ? (l.stream[i] == OUT_STDERR ? "oops" : NULL) : "world";

		if (want)
			cr_expect(eq(str, l.v[i], (char *)want));
		cr_expect(ge(i64, l.time_ms[i], t0));
		cr_expect(le(i64, l.time_ms[i], out_realtime_ms()));
	}
	cr_expect(eq(str, take(err_rfd), "w[100]: oops\n"));
	char *o = stdout_take();

	cr_expect(strstr(o, "w[100]: hello there\n") != NULL, "%s", o);
	cr_expect(strstr(o, "w[100]: bye\n") != NULL, "%s", o);
	cr_expect(strstr(o, "w[200]: world\n") != NULL, "%s", o);
	lines_clear(&l);
	tdone(p2, w2);
	out_sink_release(s);
}

/*
 * A leftover of the process keeps the write end: after the worker
 * detached the pipe (and even left the tree), the pipe drains by itself
 * into the sink, which lives until the pipe's EOF (ASan checks the rest).
 */
Test(out_pipe, detached_pipe_drains_after_its_worker_left)
{
	struct out_sink *s = tsink("gone", 8);
	int w;
	struct out_pipe *p = tpipe(s, OUT_STDOUT, 5, &w);
	struct lines l = { 0 };
	int sub;

	cr_assert(gt(int, sub = log_ring_subscribe(out_sink_ring(s), lines_add, &l), 0));
	write_all(w, "a\npart", 6);
	out_pipe_detach(p);             /* the main process is reaped */
	cr_expect(eq(int, l.n, 2), "what it held is read at once, its part line too");
	write_all(w, "b\n", 2);
	pump();
	cr_expect(eq(int, l.n, 3));
	log_ring_unsubscribe(out_sink_ring(s), sub);
	out_sink_release(s);            /* the worker leaves the tree */
	write_all(w, "c\n", 2);
	pump();
	close(w);                       /* the leftover is gone: EOF frees all */
	pump();
	cr_expect(eq(str, stdout_take(), "gone[5]: a\ngone[5]: part\ngone[5]: b\ngone[5]: c\n"));
	lines_clear(&l);
}

static void seq_check(void *data, const struct log_entry *e)
{
	int *next = data;
	char want[32];
	int n = snprintf(want, sizeof(want), "message %d", *next);

	cr_assert(eq(int, (int)e->len, n));
	cr_assert(eq(int, memcmp(e->line, want, e->len), 0));
	(*next)++;
}

/* Count stdout lines "many[7]: message N" in order; false on a gap. */
static bool stdout_seq(int *next)
{
	char *s = stdout_take();
	char *save = NULL;

	for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char want[48];

		snprintf(want, sizeof(want), "many[7]: message %d", *next);
		if (strcmp(line, want) != 0)
			return false;
		(*next)++;
	}
	return true;
}

Test(out_pipe, ten_thousand_lines_none_lost)
{
	struct out_sink *s = tsink("many", 100);
	int w;
	struct out_pipe *p = tpipe(s, OUT_STDOUT, 7, &w);
	int sub_next = 0, out_next = 0;
	char buf[4096];

	cr_assert(gt(int, log_ring_subscribe(out_sink_ring(s), seq_check, &sub_next), 0));
	for (int i = 0; i < 10000;) {
		size_t n = 0;

		/* Batches below the pipe's size: the blocking write end never waits. */
		while (i < 10000 && n < sizeof(buf) - 32)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "message %d\n", i++);
		write_all(w, buf, n);
		pump();
		cr_assert(stdout_seq(&out_next), "stdout out of order at %d", out_next);
	}
	cr_expect(eq(int, sub_next, 10000));
	cr_expect(eq(int, out_next, 10000));
	cr_expect(eq(u64, out_std_dropped(), 0));
	tdone(p, w);
	out_sink_release(s);
}

Test(out_pipe, freed_pipes_are_reused_safely)
{
	struct out_sink *s = tsink("t", 8);
	struct lines l = { 0 };

	for (int i = 0; i < 100; i++) {
		int w;
		struct out_pipe *p = tpipe(s, OUT_STDOUT, i + 1, &w);

		write_all(w, "x\n", 2);
		pump();
		tdone(p, w);
	}
	cr_expect(eq(int, fd_count(), fds_before), "fd leak");
	ring_lines(out_sink_ring(s), 0, &l);
	cr_expect(eq(int, l.n, 8));
	lines_clear(&l);
	out_sink_release(s);
}

/* --- file: targets ------------------------------------------------------- */

static char dir[] = "/tmp/otpd-file-XXXXXX";

static void setup_dir(void)
{
	setup();
	cr_assert(mkdtemp(dir) != NULL);
}

static void teardown_dir(void)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_expect(eq(int, system(cmd), 0));
	teardown();
}

TestSuite(out_file, .init = setup_dir, .fini = teardown_dir, .timeout = 20);

static struct out_sink *fsink(const char *path, int64_t max, unsigned keep)
{
	struct out_sink *s = out_sink_new("f", 8);
	struct out_targets t = { .dest = { OUT_TO_NONE, OUT_TO_FILE, OUT_TO_FILE },
				 .path = { NULL, path, path }, .max_size = max, .keep = keep };

	cr_assert(s != NULL);
	cr_assert(eq(int, out_sink_target(s, "root", &t), 0));
	return s;
}

static char *slurp(const char *path)
{
	static char buf[1 << 16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

Test(out_file, lines_have_time_name_pid_and_stream)
{
	char path[64];
	struct out_sink *s;
	int w, e;

	snprintf(path, sizeof(path), "%s/log", dir);
	s = fsink(path, 0, 0);
	struct out_pipe *p = tpipe(s, OUT_STDOUT, 12, &w), *q = tpipe(s, OUT_STDERR, 12, &e);

	write_all(w, "to out\n", 7);
	pump();
	write_all(e, "to err\n", 7);
	pump();
	char *got = slurp(path);

	cr_assert(got != NULL);
	/* 2025-01-02T03:04:05.678Z f[12] stdout: to out */
	cr_expect(eq(sz, strlen(got), 2 * (24 + strlen(" f[12] stdout: to out\n"))), "%s", got);
	cr_expect(eq(int, got[10], 'T'));
	cr_expect(eq(int, got[23], 'Z'));
	cr_expect(eq(int, strncmp(got + 24, " f[12] stdout: to out\n", 22), 0), "%s", got);
	cr_expect(strstr(got, " f[12] stderr: to err\n") != NULL, "%s", got);
	cr_expect(eq(str, stdout_take(), ""), "file lines do not go to stdout");
	tdone(p, w);
	tdone(q, e);
	out_sink_release(s);
}

/* Each file stays under max_size, `keep` old ones are kept, none lost. */
Test(out_file, rotates_at_max_size_and_keeps_n_files)
{
	char path[64], old[80], line[64];
	struct out_sink *s;
	int w, total = 0;
	struct stat st;

	snprintf(path, sizeof(path), "%s/log", dir);
	s = fsink(path, 1000, 2);
	struct out_pipe *p = tpipe(s, OUT_STDOUT, 3, &w);

	/* 55 lines of 46 bytes (2530) fit in 3 files of at most 1000 bytes. */
	for (int i = 0; i < 55; i++) {
		int n = snprintf(line, sizeof(line), "line %02d\n", i);

		write_all(w, line, (size_t)n);
		pump();
	}
	for (int k = 0; k <= 2; k++) {
		if (k)
			snprintf(old, sizeof(old), "%s.%d", path, k);
		else
			snprintf(old, sizeof(old), "%s", path);
		cr_assert(eq(int, stat(old, &st), 0), "%s", old);
		cr_expect(le(i64, (int64_t)st.st_size, 1000), "%s: %lld bytes", old, (long long)st.st_size);
		total += (int)st.st_size;
	}
	cr_expect(eq(int, total, 55 * (24 + (int)strlen(" f[3] stdout: line 00\n"))), "none lost");
	snprintf(old, sizeof(old), "%s.2", path);
	cr_expect(strstr(slurp(old), "line 00") != NULL, "the oldest lines in PATH.2");
	cr_expect(strstr(slurp(path), "line 54") != NULL);
	/* More: the oldest file goes, only 2 old ones are kept. */
	for (int i = 55; i < 80; i++) {
		int n = snprintf(line, sizeof(line), "line %02d\n", i);

		write_all(w, line, (size_t)n);
		pump();
	}
	tdone(p, w);
	snprintf(old, sizeof(old), "%s.3", path);
	cr_expect(ne(int, stat(old, &st), 0), "only 2 old files are kept");
	snprintf(old, sizeof(old), "%s.2", path);
	cr_expect(eq(ptr, strstr(slurp(old), "line 00"), NULL));
	cr_expect(strstr(slurp(path), "line 79") != NULL);
	out_sink_release(s);
}

/* A full device: writes fail, lines are dropped and counted, nothing waits. */
Test(out_file, full_device_drops_lines_and_says_so)
{
	struct out_sink *s = fsink("/dev/full", 0, 0);
	int w;
	struct out_pipe *p = tpipe(s, OUT_STDOUT, 3, &w);
	struct lines l = { 0 };

	for (int i = 0; i < 100; i++) {
		write_all(w, "lost\n", 5);
		pump();
	}
	ring_lines(out_sink_ring(s), 0, &l);
	cr_expect(eq(int, l.n, 8), "the ring keeps them");
	char *err = take(err_rfd);

	cr_expect(strstr(err, "/dev/full: writing: No space left on device, dropping lines") != NULL,
		  "%s", err);
	cr_expect(eq(ptr, strstr(strstr(err, "dropping") + 1, "dropping"), NULL), "said once");
	lines_clear(&l);
	tdone(p, w);
	out_sink_release(s);
}

/* Reopen: the file was moved away (logrotate); the next line makes a new one. */
Test(out_file, reopen_starts_a_new_file)
{
	char path[64], moved[80];
	struct out_sink *s;
	int w;

	snprintf(path, sizeof(path), "%s/log", dir);
	snprintf(moved, sizeof(moved), "%s/log.moved", dir);
	s = fsink(path, 0, 0);
	struct out_pipe *p = tpipe(s, OUT_STDOUT, 3, &w);

	write_all(w, "before\n", 7);
	pump();
	cr_assert(eq(int, rename(path, moved), 0));
	write_all(w, "still old\n", 10);
	pump();
	out_files_reopen();
	write_all(w, "after\n", 6);
	pump();
	cr_expect(strstr(slurp(moved), "still old") != NULL);
	cr_expect(strstr(slurp(path), "after") != NULL);
	cr_expect(eq(ptr, strstr(slurp(path), "before"), NULL));
	tdone(p, w);
	out_sink_release(s);
}

/* --- out_std ------------------------------------------------------------- */

TestSuite(out_stdout, .init = setup, .fini = teardown, .timeout = 20);

Test(out_stdout, formats_name_and_pid)
{
	out_std_line(OUT_STDOUT, "web", 1234, "GET /", 5);
	out_std_line(OUT_STDOUT, "early", 0, "no pid yet", 10);
	out_std_line(OUT_STDERR, "web", 1234, "oops", 4);
	cr_expect(eq(str, stdout_take(), "web[1234]: GET /\nearly: no pid yet\n"));
	cr_expect(eq(str, take(err_rfd), "web[1234]: oops\n"));
	cr_expect(eq(u64, out_std_dropped(), 0));
}

/* otpd's own messages share the stderr queue, whole lines in order. */
Test(out_stdout, own_messages_share_the_stderr_queue)
{
	out_std_line(OUT_STDERR, "w", 1, "first", 5);
	log_warn("between");
	out_std_line(OUT_STDERR, "w", 1, "last", 4);
	cr_expect(eq(str, take(err_rfd), "w[1]: first\notpd: warning: between\nw[1]: last\n"));
}

/*
 * Nobody reads fd 1: out_std_line must keep returning at once, queue
 * what fits, drop and count the rest; once the reader catches up, every
 * queued line arrives in order, followed by the marker.
 */
Test(out_stdout, stalled_reader_never_blocks_and_drops_are_counted)
{
	char line[200];
	int n = 0;

	memset(line, 'z', sizeof(line));
	while (out_std_dropped() < 1000) {
		int len = snprintf(line, sizeof(line), "line %d ", n++);

		line[len] = 'z';
		out_std_line(OUT_STDOUT, "s", 1, line, sizeof(line) - 1);
		cr_assert(lt(int, n, 100000), "never dropped anything");
	}
	uint64_t dropped = out_std_dropped();
	int next = 0;
	char *acc = NULL;
	size_t acc_len = 0;
	bool marker = false;

	while (!marker) {
		char buf[65536];
		ssize_t r;

		while ((r = read(out_rfd, buf, sizeof(buf))) > 0) {
			acc = realloc(acc, acc_len + (size_t)r + 1);
			memcpy(acc + acc_len, buf, (size_t)r);
			acc_len += (size_t)r;
			acc[acc_len] = '\0';
		}
		marker = acc && strstr(acc, "otpd: ") != NULL;
		if (!marker)
			pump();        /* EPOLLOUT is armed while the queue is not empty */
	}
	char *save = NULL;
	char want[64];

	for (char *l = strtok_r(acc, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "otpd: ", 6) == 0) {
			snprintf(want, sizeof(want), "otpd: %llu lines dropped",
				 (unsigned long long)dropped);
			cr_expect(eq(str, l, want));
			cr_expect(eq(ptr, strtok_r(NULL, "\n", &save), NULL), "marker is last");
			break;
		}
		snprintf(want, sizeof(want), "s[1]: line %d ", next++);
		cr_assert(eq(int, strncmp(l, want, strlen(want)), 0), "got %.40s", l);
	}
	cr_expect(eq(u64, (uint64_t)next + dropped, (uint64_t)n), "delivered + dropped = sent");
	free(acc);
	/* Afterwards lines flow again and no second marker appears. */
	out_std_line(OUT_STDOUT, "s", 1, "after", 5);
	cr_expect(eq(str, stdout_take(), "s[1]: after\n"));
	cr_expect(eq(u64, out_std_dropped(), dropped));
}

Test(out_stdout, reader_gone_drops_and_counts)
{
	close(out_rfd);
	out_rfd = -1;
	out_std_line(OUT_STDOUT, "s", 1, "lost", 4);
	out_std_line(OUT_STDOUT, "s", 1, "lost", 4);
	out_flush();
	cr_expect(eq(u64, out_std_dropped(), 2));
	out_rfd = open("/dev/null", O_RDONLY | O_CLOEXEC);     /* keep the fd count */
}

/* fd 1 is a regular file from the start: written directly, in order. */
static char file_path[] = "/tmp/otpd-out-XXXXXX";
static int file_fd = -1;

static void setup_file(void)
{
	struct sup_spec root;

	cr_assert(eq(int, ev_init(), 0));
	sup_spec_init(&root, SUP_SUPERVISOR, "root");
	tree_use(sup_tree_new(&root));
	file_fd = mkstemp(file_path);
	cr_assert(ge(int, file_fd, 0));
	unlink(file_path);
	cr_assert(eq(int, dup2(file_fd, 1), 1));
	cr_assert(eq(int, out_std_init(), 0));
	fds_before = fd_count();
}

TestSuite(out_stdout_file, .init = setup_file, .fini = teardown, .timeout = 10);

Test(out_stdout_file, regular_file_is_written_directly)
{
	char buf[128] = "";

	out_std_line(OUT_STDOUT, "f", 9, "to file", 7);
	out_std_line(OUT_STDOUT, "f", 9, "again", 5);
	out_flush();
	cr_assert(gt(int, (int)pread(file_fd, buf, sizeof(buf) - 1, 0), 0));
	cr_expect(eq(str, buf, "f[9]: to file\nf[9]: again\n"));
}

/* --- re-execution: the OUTPUT section ------------------------------------- */

TestSuite(out_reexec, .init = setup, .fini = teardown, .timeout = 10);

static void push(struct log_ring *r, enum out_stream st, pid_t pid, int64_t t, const char *s)
{
	struct log_entry e = { .time_ms = t, .pid = pid, .stream = st, .line = s,
			       .len = strlen(s) };

	log_ring_push(r, &e);
}

/* A sink comes back with its ring: every entry's time, stream, pid, text. */
Test(out_reexec, sinks_and_their_rings_round_trip)
{
	struct out_sink *s = tsink("w", 8), *back;
	struct out_pipe *o = (void *)1, *e = (void *)1;
	struct lines a = { 0 }, b = { 0 };
	struct st_buf buf = { 0 };
	struct st_rd rd;
	uint64_t id;

	push(out_sink_ring(s), OUT_START, 42, 1000, "");
	push(out_sink_ring(s), OUT_STDOUT, 42, 1001, "one");
	push(out_sink_ring(s), OUT_STDERR, 42, 1002, "two\\x01");
	push(out_sink_ring(s), OUT_STDOUT, 43, 1003, "");
	out_save(&buf);
	cr_assert(not(buf.oom));
	id = out_sink_saved_id(s);
	cr_assert(gt(u64, id, 0));
	rd = (struct st_rd){ buf.p, buf.len };
	cr_assert(eq(int, out_restore(&rd, 8, true), 0));
	cr_assert(eq(int, out_restore(&rd, 8, false), 0));
	back = out_sink_adopt(id, &o, &e);
	cr_assert(back != NULL && back != s);
	cr_assert(o == NULL && e == NULL, "no pipes were saved");
	cr_assert(out_sink_adopt(id, &o, &e) == NULL, "adopted once only");
	out_restore_done();
	ring_entries(out_sink_ring(s), 0, &a);
	ring_entries(out_sink_ring(back), 0, &b);
	cr_assert(eq(int, b.n, 4));
	for (int i = 0; i < a.n; i++) {
		cr_expect(eq(str, b.v[i], a.v[i]));
		cr_expect(eq(int, b.pid[i], a.pid[i]));
		cr_expect(eq(int, (int)b.stream[i], (int)a.stream[i]));
		cr_expect(eq(i64, b.time_ms[i], a.time_ms[i]));
	}
	lines_clear(&a);
	lines_clear(&b);
	st_buf_free(&buf);
	out_sink_release(back);
	out_sink_release(s);
}

/* A cut or damaged section is refused, also by the dry read. */
Test(out_reexec, a_bad_section_is_refused)
{
	struct out_sink *s = tsink("w", 8);
	struct st_buf buf = { 0 };
	struct st_rd rd;

	push(out_sink_ring(s), OUT_STDOUT, 42, 1001, "one");
	out_save(&buf);
	rd = (struct st_rd){ buf.p, 0 };
	cr_expect(eq(int, out_restore(&rd, 8, true), -EBADMSG), "no SINKS");
	st_buf_free(&buf);
	out_sink_release(s);
}
