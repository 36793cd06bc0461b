/*
 * test_notify_parse.c: the $NOTIFY_SOCKET datagram parser (notify_parse.c).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdlib.h>
#include <string.h>

#include "../../../ipc/ipc.h"

static struct ipc_notify_msg parse(const char *s)
{
	struct ipc_notify_msg m;

	ipc_notify_parse(s, strlen(s), &m);
	return m;
}

Test(ipc_notify_parse, understands_the_four_keys)
{
	struct ipc_notify_msg m = parse("READY=1\nSTATUS=up and running\nWATCHDOG=1\nSTOPPING=1");

	cr_assert(m.ready && m.watchdog && m.stopping, "all three flags");
	cr_assert(eq(sz, m.status_len, 14));
	cr_assert(eq(int, memcmp(m.status, "up and running", 14), 0));
}

Test(ipc_notify_parse, other_values_and_keys_clear_or_are_ignored)
{
	struct ipc_notify_msg m = parse("READY=1\nREADY=yes\nWATCHDOG=0\nFDSTORE=1\nnonsense\n=\n\n");

	cr_assert(not(m.ready || m.watchdog || m.stopping));
	cr_assert(eq(ptr, (void *)m.status, NULL));
}

Test(ipc_notify_parse, an_empty_status_is_a_status)
{
	struct ipc_notify_msg m = parse("STATUS=\n");

	cr_assert(m.status != NULL);
	cr_assert(eq(sz, m.status_len, 0));
}

/* The datagram is not NUL-terminated: nothing past `len` is read (ASan). */
Test(ipc_notify_parse, reads_only_len_bytes)
{
	static const char text[] = "STATUS=abc";
	char *b = malloc(sizeof(text) - 1);

	cr_assert(b != NULL);
	memcpy(b, text, sizeof(text) - 1);
	struct ipc_notify_msg m;

	ipc_notify_parse(b, sizeof(text) - 1, &m);
	cr_assert(eq(sz, m.status_len, 3));
	ipc_notify_parse(b, 0, &m);
	cr_assert(eq(ptr, (void *)m.status, NULL));
	ipc_notify_parse(b, 7, &m);             /* "STATUS=" */
	cr_assert(eq(sz, m.status_len, 0));
	free(b);
}
