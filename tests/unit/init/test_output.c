/*
 * test_output.c: output pipes and otpd's stdout writer (output_pipe.c,
 * output_stdout.c), with real pipes and the real event loop.  Each test runs in its own process,
 * so fd 1 is redirected freely.
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
#include <unistd.h>

#include "tutil.h"

/* --- fixture ------------------------------------------------------------- */

static int fds_before;
static int out_rfd = -1;        /* read end of the pipe fd 1 was redirected to */


/* fd 1 becomes a pipe; out_rfd is its non-blocking read end. */
static void capture_stdout(void)
{
	int p[2];

	cr_assert(eq(int, pipe2(p, O_CLOEXEC), 0));
	cr_assert(eq(int, dup2(p[1], 1), 1));
	close(p[1]);
	out_rfd = p[0];
	cr_assert(eq(int, fcntl(out_rfd, F_SETFL, O_NONBLOCK), 0));
}

static void setup(void)
{
	struct sup_spec root;

	signal(SIGPIPE, SIG_IGN);
	cr_assert(eq(int, ev_init(), 0));
	sup_spec_init(&root, SUP_SUPERVISOR, "root");
	tree_use(sup_tree_new(&root));
	cr_assert(ttree != NULL);
	capture_stdout();
	cr_assert(eq(int, out_stdout_init(), 0));
	log_debug("opens otpd's stderr now, before the fd count");
	fds_before = fd_count();
}

static void teardown(void)
{
	cr_expect(eq(int, fd_count(), fds_before), "fd leak");
	sup_tree_free(ttree);
	tree_use(NULL);
	ev_fini();
}

/* Everything otpd wrote to stdout so far (after flushing its queue). */
static char *stdout_take(void)
{
	static char buf[1 << 20];
	size_t n = 0;
	ssize_t r;

	out_stdout_flush();
	while (n < sizeof(buf) - 1 && (r = read(out_rfd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return buf;
}

/* --- collecting ring lines ---------------------------------------------- */


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

Test(out_pipe, fds_are_cloexec_read_end_nonblocking_write_end_blocking)
{
	struct log_ring *r = log_ring_new(8);
	struct out_pipe *p = out_pipe_new("t", r);
	int w;

	cr_assert(p != NULL);
	w = out_pipe_wfd(p);
	cr_expect(fcntl(w, F_GETFD) & FD_CLOEXEC);
	/* The child shares the write end's flags: it must stay blocking. */
	cr_expect(eq(int, fcntl(w, F_GETFL) & O_NONBLOCK, 0));
	out_pipe_free(p);
	log_ring_free(r);
}

Test(out_pipe, lines_split_at_any_point_come_out_whole)
{
	const char *s = "alpha\nbeta gamma\n\ndelta\tepsilon\nzeta";
	size_t n = strlen(s);
	struct lines l = { 0 };

	for (size_t k = 0; k <= n; k++) {
		struct log_ring *r = log_ring_new(16);
		struct out_pipe *p = out_pipe_new("t", r);

		cr_assert(p != NULL);
		if (k > 0) {
			write_all(out_pipe_wfd(p), s, k);
			pump();
		}
		if (k < n) {
			write_all(out_pipe_wfd(p), s + k, n - k);
			pump();
		}
		ring_lines(r, 0, &l);
		cr_assert(eq(int, l.n, 4), "split at %zu", k);
		cr_expect(eq(str, l.v[0], "alpha"));
		cr_expect(eq(str, l.v[1], "beta gamma"));
		cr_expect(eq(str, l.v[2], ""));
		cr_expect(eq(str, l.v[3], "delta\tepsilon"));
		/* "zeta" has no newline yet: it waits (and is flushed by free). */
		out_pipe_free(p);
		ring_lines(r, 0, &l);
		cr_assert(eq(int, l.n, 5));
		cr_expect(eq(str, l.v[4], "zeta"));
		log_ring_free(r);
	}
	lines_clear(&l);
	(void)stdout_take();
}

Test(out_pipe, long_lines_come_in_pieces)
{
	struct log_ring *r = log_ring_new(8);
	struct out_pipe *p = out_pipe_new("t", r);
	struct lines l = { 0 };
	size_t n = 2 * OUT_LINE_MAX + 100;
	char *big = malloc(n + 1);

	memset(big, 'a', n);
	big[n] = '\n';
	for (size_t off = 0; off <= n; off += 1000) {
		write_all(out_pipe_wfd(p), big + off, off + 1000 > n + 1 ? n + 1 - off : 1000);
		pump();
	}
	ring_lines(r, 0, &l);
	cr_assert(eq(int, l.n, 3));
	cr_expect(eq(sz, l.len[0], OUT_LINE_MAX));
	cr_expect(eq(sz, l.len[1], OUT_LINE_MAX));
	cr_expect(eq(sz, l.len[2], 100));
	lines_clear(&l);
	free(big);
	out_pipe_free(p);
	log_ring_free(r);
}

Test(out_pipe, pieces_do_not_split_utf8_sequences)
{
	struct log_ring *r = log_ring_new(8);
	struct out_pipe *p = out_pipe_new("t", r);
	struct lines l = { 0 };
	char buf[OUT_LINE_MAX + 8];
	size_t n = OUT_LINE_MAX - 1;

	memset(buf, 'a', n);
	memcpy(buf + n, "\xe2\x82\xac\n", 4);     /* U+20AC across the limit */
	write_all(out_pipe_wfd(p), buf, n + 4);
	pump();
	ring_lines(r, 0, &l);
	cr_assert(eq(int, l.n, 2));
	cr_expect(eq(sz, l.len[0], OUT_LINE_MAX - 1));
	cr_expect(eq(str, l.v[1], "\xe2\x82\xac"));
	lines_clear(&l);
	out_pipe_free(p);
	log_ring_free(r);
}

Test(out_pipe, control_bytes_are_escaped_utf8_and_tabs_kept)
{
	struct log_ring *r = log_ring_new(8);
	struct out_pipe *p = out_pipe_new("bin", r);
	struct lines l = { 0 };
	const char in[] = "a\x01" "b\tc\x7f\xc3\xa9\0z\x1b[0m\r\n";

	out_pipe_set_pid(p, 42);
	write_all(out_pipe_wfd(p), in, sizeof(in) - 1);
	pump();
	ring_lines(r, 0, &l);
	cr_assert(eq(int, l.n, 1));
	cr_expect(eq(str, l.v[0], "a\\x01b\tc\\x7f\xc3\xa9\\x00z\\x1b[0m\\x0d"));
	cr_expect(eq(str, stdout_take(), "bin[42]: a\\x01b\tc\\x7f\xc3\xa9\\x00z\\x1b[0m\\x0d\n"));
	lines_clear(&l);
	out_pipe_free(p);
	log_ring_free(r);
}

Test(out_pipe, escape_never_overflows_a_piece)
{
	struct log_ring *r = log_ring_new(8);
	struct out_pipe *p = out_pipe_new("t", r);
	struct lines l = { 0 };
	char buf[OUT_LINE_MAX];

	memset(buf, 'a', OUT_LINE_MAX - 2);
	buf[OUT_LINE_MAX - 2] = '\x02';
	buf[OUT_LINE_MAX - 1] = '\n';
	write_all(out_pipe_wfd(p), buf, OUT_LINE_MAX);
	pump();
	ring_lines(r, 0, &l);
	cr_assert(eq(int, l.n, 2));
	cr_expect(eq(sz, l.len[0], OUT_LINE_MAX - 2));
	cr_expect(eq(str, l.v[1], "\\x02"));
	lines_clear(&l);
	out_pipe_free(p);
	log_ring_free(r);
}

Test(out_pipe, settle_flushes_the_old_process_partial_line)
{
	struct log_ring *r = log_ring_new(8);
	struct out_pipe *p = out_pipe_new("w", r);
	struct lines l = { 0 };

	out_pipe_set_pid(p, 100);
	write_all(out_pipe_wfd(p), "hello", 5);
	pump();
	ring_lines(r, 0, &l);
	cr_expect(eq(int, l.n, 0), "partial line must wait for its newline");
	/* Not read by the loop yet: still the old process's output, labelled
	 * before the next process starts. */
	write_all(out_pipe_wfd(p), " there\nbye", 10);
	out_pipe_settle(p);
	out_pipe_set_pid(p, 200);
	write_all(out_pipe_wfd(p), "world\n", 6);
	pump();
	ring_lines(r, 0, &l);
	cr_assert(eq(int, l.n, 3));
	cr_expect(eq(str, l.v[0], "hello there"));
	cr_expect(eq(str, l.v[1], "bye"));
	cr_expect(eq(str, l.v[2], "world"));
	cr_expect(eq(str, stdout_take(), "w[100]: hello there\nw[100]: bye\nw[200]: world\n"));
	lines_clear(&l);
	out_pipe_free(p);
	log_ring_free(r);
}

struct seq {
	int next;
	bool ok;
};

static void seq_check(void *data, const char *line, size_t len)
{
	struct seq *s = data;
	char want[32];
	int n = snprintf(want, sizeof(want), "message %d", s->next);

	if ((size_t)n != len || memcmp(line, want, len) != 0)
		s->ok = false;
	s->next++;
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
	struct log_ring *r = log_ring_new(100);
	struct out_pipe *p = out_pipe_new("many", r);
	struct seq sub = { .ok = true };
	int out_next = 0;
	char buf[4096];

	out_pipe_set_pid(p, 7);
	cr_assert(gt(int, log_ring_subscribe(r, seq_check, &sub), 0));
	for (int i = 0; i < 10000;) {
		size_t n = 0;

		/* Batches below the pipe's size: the blocking write end never waits. */
		while (i < 10000 && n < sizeof(buf) - 32)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "message %d\n", i++);
		write_all(out_pipe_wfd(p), buf, n);
		pump();
		cr_assert(stdout_seq(&out_next), "stdout out of order at %d", out_next);
	}
	cr_expect(sub.ok);
	cr_expect(eq(int, sub.next, 10000));
	cr_expect(eq(int, out_next, 10000));
	cr_expect(eq(u64, out_stdout_dropped(), 0));
	out_pipe_free(p);
	log_ring_free(r);
}

Test(out_pipe, free_reads_what_is_left)
{
	struct log_ring *r = log_ring_new(8);
	struct out_pipe *p = out_pipe_new("t", r);
	struct lines l = { 0 };

	write_all(out_pipe_wfd(p), "last words\n", 11);
	out_pipe_free(p);
	cr_expect(eq(int, fd_count(), fds_before), "both ends closed");
	ring_lines(r, 0, &l);
	cr_assert(eq(int, l.n, 1));
	cr_expect(eq(str, l.v[0], "last words"));
	lines_clear(&l);
	log_ring_free(r);
}

Test(out_pipe, freed_pipes_are_reused_safely)
{
	struct log_ring *r = log_ring_new(8);
	struct lines l = { 0 };

	for (int i = 0; i < 100; i++) {
		struct out_pipe *p = out_pipe_new("t", r);

		cr_assert(p != NULL);
		write_all(out_pipe_wfd(p), "x\n", 2);
		pump();
		out_pipe_free(p);
	}
	cr_expect(eq(int, fd_count(), fds_before), "fd leak");
	ring_lines(r, 0, &l);
	cr_expect(eq(int, l.n, 8));
	lines_clear(&l);
	log_ring_free(r);
}

/* --- out_stdout ----------------------------------------------------------- */

TestSuite(out_stdout, .init = setup, .fini = teardown, .timeout = 20);

Test(out_stdout, formats_name_and_pid)
{
	out_stdout_line("web", 1234, "GET /", 5);
	out_stdout_line("early", 0, "no pid yet", 10);
	cr_expect(eq(str, stdout_take(), "web[1234]: GET /\nearly: no pid yet\n"));
	cr_expect(eq(u64, out_stdout_dropped(), 0));
}

/*
 * Nobody reads fd 1: out_stdout_line must keep returning at once, queue
 * what fits, drop and count the rest; once the reader catches up, every
 * queued line arrives in order, followed by the marker.
 */
Test(out_stdout, stalled_reader_never_blocks_and_drops_are_counted)
{
	char line[200];
	int n = 0;

	memset(line, 'z', sizeof(line));
	while (out_stdout_dropped() < 1000) {
		int len = snprintf(line, sizeof(line), "line %d ", n++);

		line[len] = 'z';
		out_stdout_line("s", 1, line, sizeof(line) - 1);
		cr_assert(lt(int, n, 100000), "never dropped anything");
	}
	uint64_t dropped = out_stdout_dropped();
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
	out_stdout_line("s", 1, "after", 5);
	cr_expect(eq(str, stdout_take(), "s[1]: after\n"));
	cr_expect(eq(u64, out_stdout_dropped(), dropped));
}

Test(out_stdout, reader_gone_drops_and_counts)
{
	close(out_rfd);
	out_rfd = -1;
	out_stdout_line("s", 1, "lost", 4);
	out_stdout_line("s", 1, "lost", 4);
	cr_expect(eq(u64, out_stdout_dropped(), 2));
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
	cr_assert(eq(int, out_stdout_init(), 0));
	log_debug("opens otpd's stderr now, before the fd count");
	fds_before = fd_count();
}

TestSuite(out_stdout_file, .init = setup_file, .fini = teardown, .timeout = 10);

Test(out_stdout_file, regular_file_is_written_directly)
{
	char buf[128] = "";

	out_stdout_line("f", 9, "to file", 7);
	out_stdout_line("f", 9, "again", 5);
	cr_assert(gt(int, (int)pread(file_fd, buf, sizeof(buf) - 1, 0), 0));
	cr_expect(eq(str, buf, "f[9]: to file\nf[9]: again\n"));
}
