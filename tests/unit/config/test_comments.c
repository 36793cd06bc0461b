/*
 * Inline comments (issue 15.6): " ;" starts one, as before, except inside
 * quotes or after a backslash; '#' only at the start of a line.
 */
#include "cfgtest.h"

static void argv_expect(const char *exec_line, int n, const char *const *words)
{
	char text[512];
	struct otp_config *c;
	const struct cfg_node *w;

	snprintf(text, sizeof(text), "[worker w]\n%s\n", exec_line);
	c = load_ok(text);
	w = cfg_find(c, "w");
	cr_assert_eq(w->w.argc, n, "%s: %d words", exec_line, w->w.argc);
	for (int i = 0; i < n; i++)
		cr_assert_str_eq(w->w.argv[i], words[i], "%s: word %d", exec_line, i);
	cfg_free(c);
}

Test(cfg_comments, quotes_protect)
{
	argv_expect("exec = sh -c 'a ; b'", 3, (const char *[]){ "sh", "-c", "a ; b" });
	argv_expect("exec = sh -c \"a ; b\" ; the comment", 3,
		    (const char *[]){ "sh", "-c", "a ; b" });
	argv_expect("exec = sh -c 'echo \"x ; y\"' ; c", 3,
		    (const char *[]){ "sh", "-c", "echo \"x ; y\"" });
	argv_expect("exec = sh -c \"it's ; ok\"", 3, (const char *[]){ "sh", "-c", "it's ; ok" });
	argv_expect("exec = echo a \\; b", 4, (const char *[]){ "echo", "a", ";", "b" });
	argv_expect("exec = echo 'a # b' # c", 4,
		    (const char *[]){ "echo", "a # b", "#", "c" });
}

Test(cfg_comments, as_before_outside_quotes)
{
	argv_expect("exec = /bin/x a;b   ; comment", 2, (const char *[]){ "/bin/x", "a;b" });
	argv_expect("exec = /bin/x ;comment", 1, (const char *[]){ "/bin/x" });
	argv_expect("exec = /bin/x\t; tab before", 1, (const char *[]){ "/bin/x" });
	argv_expect("exec = /bin/x 'a' ; 'b'", 2, (const char *[]){ "/bin/x", "a" });
	/* '#' after a value is text, as before */
	argv_expect("exec = /bin/x #1", 2, (const char *[]){ "/bin/x", "#1" });
}

Test(cfg_comments, every_key)
{
	struct otp_config *c = load_ok("[worker w]\nexec = x\n"
				       "env = MSG='a ; b' ; a comment\n"
				       "env = K=v ; comment\n"
				       "user = nobody ; the user\n"
				       "env = ODD=it's ; all of it\n");
	const struct cfg_node *w = cfg_find(c, "w");

	cr_assert_str_eq(w->w.env[0], "MSG='a ; b'");
	cr_assert_str_eq(w->w.env[1], "K=v");
	cr_assert_str_eq(w->w.user, "nobody");
	/* an unterminated quote runs to the end of the line */
	cr_assert_str_eq(w->w.env[2], "ODD=it's ; all of it");
	cfg_free(c);
}

Test(cfg_comments, unterminated_quote_in_exec_is_reported)
{
	expect_error("[worker w]\nexec = sh -c 'a ; b\n",
		     "t.conf:2: exec: unterminated quote or trailing backslash, got \"sh -c 'a ; b\"");
}
