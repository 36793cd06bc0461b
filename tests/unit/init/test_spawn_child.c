/*
 * test_spawn_child.c: the child's own text (spawn_child_text.c).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <limits.h>
#include <string.h>

#include "../../../init/spawn_child.h"

/* --- child_text_* ---------------------------------------------------------- */

Test(spawn_child_text, int_in_decimal)
{
	char buf[16];
	const struct { int v; const char *want; } cases[] = {
		{ 0, "0" }, { 7, "7" }, { -1, "-1" }, { 4242, "4242" },
		{ INT_MAX, "2147483647" }, { INT_MIN, "-2147483648" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = child_text_int(buf, cases[i].v);

		cr_assert(eq(str, buf, (char *)cases[i].want));
		cr_assert(eq(sz, n, strlen(cases[i].want)));
	}
}

Test(spawn_child_text, join_fits_or_says_so)
{
	char buf[8];

	cr_assert(child_text_join(buf, sizeof(buf), "/dev/", "nu"));
	cr_assert(eq(str, buf, "/dev/nu"));
	cr_assert(not(child_text_join(buf, sizeof(buf), "/dev/", "null")));
	cr_assert(child_text_join(buf, sizeof(buf), "", ""));
	cr_assert(eq(str, buf, ""));
}
