/*
 * test_json.c: the JSON writer of init/json.c: escaping (quotes,
 * backslashes, control characters, UTF-8 passthrough, invalid bytes) and
 * the stackless comma rule.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdint.h>
#include <string.h>

#include "../../../init/control/json.h"

/* `s` (n bytes) as a JSON string, in a static buffer. */
static const char *esc(const char *s, size_t n)
{
	static char out[512];
	struct jbuf b = { 0 };

	json_string(&b, s, n);
	cr_assert(eq(int, b.failed, false));
	cr_assert(lt(sz, b.len, sizeof(out)));
	memcpy(out, b.p, b.len + 1);
	jbuf_free(&b);
	return out;
}

#define ESC(lit) esc(lit, sizeof(lit) - 1)

Test(json_escape, plain_ascii_passes)
{
	cr_assert(eq(str, (char *)ESC("db-1.worker@2"), "\"db-1.worker@2\""));
	cr_assert(eq(str, (char *)ESC(""), "\"\""));
}

Test(json_escape, quotes_and_backslashes)
{
	cr_assert(eq(str, (char *)ESC("say \"hi\""), "\"say \\\"hi\\\"\""));
	cr_assert(eq(str, (char *)ESC("C:\\dir\\"), "\"C:\\\\dir\\\\\""));
}

Test(json_escape, control_characters)
{
	cr_assert(eq(str, (char *)ESC("a\nb\tc\rd\be\ff"), "\"a\\nb\\tc\\rd\\be\\ff\""));
	cr_assert(eq(str, (char *)ESC("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\""));
	/* An embedded NUL is data, not the end of the string. */
	cr_assert(eq(str, (char *)ESC("a\0b"), "\"a\\u0000b\""));
}

Test(json_escape, utf8_passes_through)
{
	/* 2-, 3- and 4-byte sequences: é, €, U+2028, 😀 */
	cr_assert(eq(str, (char *)ESC("caf\xc3\xa9 \xe2\x82\xac \xe2\x80\xa8 \xf0\x9f\x98\x80"),
		     "\"caf\xc3\xa9 \xe2\x82\xac \xe2\x80\xa8 \xf0\x9f\x98\x80\""));
}

Test(json_escape, invalid_bytes_become_replacement)
{
	/* A lone continuation byte, a truncated sequence, a bad lead byte. */
	cr_assert(eq(str, (char *)ESC("a\x80z"), "\"a\\ufffdz\""));
	cr_assert(eq(str, (char *)ESC("a\xe2\x82"), "\"a\\ufffd\\ufffd\""));
	cr_assert(eq(str, (char *)ESC("\xff\xfe"), "\"\\ufffd\\ufffd\""));
	/* Overlong "/" (C0 AF), a UTF-16 surrogate (ED A0 80), past U+10FFFF (F4 90 80 80). */
	cr_assert(eq(str, (char *)ESC("\xc0\xaf"), "\"\\ufffd\\ufffd\""));
	cr_assert(eq(str, (char *)ESC("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\""));
	cr_assert(eq(str, (char *)ESC("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\""));
	/* A valid sequence right after an invalid byte survives. */
	cr_assert(eq(str, (char *)ESC("\x80\xc3\xa9"), "\"\\ufffd\xc3\xa9\""));
}

Test(json_writer, commas_follow_structure)
{
	struct jbuf b = { 0 };

	json_obj_begin(&b);
	json_key(&b, "a");
	json_int(&b, -5);
	json_key(&b, "b");
	json_null(&b);
	json_key(&b, "c");
	json_arr_begin(&b);
	json_str(&b, "x");
	json_obj_begin(&b);
	json_obj_end(&b);
	json_arr_begin(&b);
	json_arr_end(&b);
	json_str(&b, NULL);
	json_arr_end(&b);
	json_key(&b, "d");
	json_str(&b, "");
	json_obj_end(&b);
	cr_assert(eq(int, b.failed, false));
	cr_assert(eq(str, b.p, "{\"a\":-5,\"b\":null,\"c\":[\"x\",{},[],null],\"d\":\"\"}"));
	jbuf_free(&b);
}

Test(json_writer, integers)
{
	static const int64_t v[] = { 0, 7, -1, 1234567890123, INT64_MAX, INT64_MIN };
	struct jbuf b = { 0 };

	json_arr_begin(&b);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		json_int(&b, v[i]);
	json_arr_end(&b);
	cr_assert(eq(str, b.p, "[0,7,-1,1234567890123,9223372036854775807,-9223372036854775808]"));
	jbuf_free(&b);
}

Test(json_writer, keys_are_escaped)
{
	struct jbuf b = { 0 };

	json_obj_begin(&b);
	json_key(&b, "we\"ird");
	json_int(&b, 1);
	json_obj_end(&b);
	cr_assert(eq(str, b.p, "{\"we\\\"ird\":1}"));
	jbuf_free(&b);
}

Test(jbuf, grows_and_stops_at_the_limit)
{
	struct jbuf b = { 0 };
	char chunk[4096];
	size_t i;

	memset(chunk, 'x', sizeof(chunk));
	for (i = 0; i < JBUF_MAX / sizeof(chunk); i++)
		jbuf_putn(&b, chunk, sizeof(chunk));
	cr_assert(eq(int, b.failed, false));
	cr_assert(eq(sz, b.len, (size_t)JBUF_MAX));
	jbuf_puts(&b, "y");
	cr_assert(eq(int, b.failed, true));
	cr_assert(eq(sz, b.len, (size_t)JBUF_MAX), "a failed write changes nothing");
	jbuf_printf(&b, "%d", 42);
	cr_assert(eq(sz, b.len, (size_t)JBUF_MAX));
	jbuf_free(&b);
	cr_assert(eq(sz, b.len, 0));
	cr_assert(eq(int, b.failed, false));
}

Test(jbuf, printf_and_pad)
{
	struct jbuf b = { 0 };

	jbuf_printf(&b, "%s=%d", "n", 7);
	jbuf_pad(&b, 3);
	jbuf_puts(&b, "|");
	cr_assert(eq(str, b.p, "n=7   |"));
	jbuf_free(&b);
}
