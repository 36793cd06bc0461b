/*
 * save.c: the output room's part of otpd's saved state (output.h,
 * otpd(8) RE-EXECUTION): the OUTPUT section.
 *
 *   STD      otpd's stdout and stderr queues (queue.c: bytes, counters)
 *   JOURNAL  the journal's drop counters
 *   SINKS    every sink (sink.c), numbered: its name, supervisor,
 *            destinations, file targets by path with their limits, the
 *            start still to be told, its ring's entries, and its pipes
 *            (pipe.c: the read end, stream, pid, the part line, attached
 *            to the running process or draining)
 *   FILES    what waits in a file target's queue, by path
 *   LOGGERS  the pipes into logger workers (logger.c): name, both ends
 *
 * Restored in that order: the files exist again once the sinks name them.
 */
#include <errno.h>

#include "internal.h"
#include "output.h"

enum { OS_STD = 1, OS_JOURNAL, OS_SINKS, OS_FILES, OS_LOGGERS };

typedef void (*part_fn)(struct st_buf *b);

static void part(struct st_buf *b, unsigned tag, part_fn fn)
{
	size_t at = st_open(b, tag);

	fn(b);
	st_close(b, at);
}

void out_save(struct st_buf *b)
{
	/* What fits in the fds now need not wait in the state. */
	out_flush();
	part(b, OS_STD, out_std_save);
	part(b, OS_JOURNAL, out_journal_save);
	part(b, OS_SINKS, out_sinks_save);
	part(b, OS_FILES, out_files_save);
	part(b, OS_LOGGERS, out_loggers_save);
}

int out_restore(const struct st_rd *rd, unsigned log_lines, bool dry)
{
	struct st_rd v;
	int r;

	if (st_find(rd, OS_STD, &v) && (r = out_std_restore(&v, dry)) < 0)
		return r;
	if (!dry && st_find(rd, OS_JOURNAL, &v))
		out_journal_restore(&v);
	if (!st_find(rd, OS_SINKS, &v))
		return -EBADMSG;
	if ((r = out_sinks_restore(&v, log_lines, dry)) < 0)
		return r;
	if (st_find(rd, OS_FILES, &v) && (r = out_files_restore(&v, dry)) < 0)
		return r;
	if (st_find(rd, OS_LOGGERS, &v) && (r = out_loggers_restore(&v, dry)) < 0)
		return r;
	return 0;
}
