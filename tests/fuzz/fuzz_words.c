/*
 * fuzz_words.c: the small parsers of values: shell-like word splitting
 * (exec =, config/words.c), whitespace lists, environment_file (read by
 * init/worker/env.c when a worker starts), and the number parsers.
 *
 * Input: byte 0 picks the parser, the rest is its text.
 *   0  cfg_split_words: a vector of argc words; each word, quoted again
 *      with '...' and split, gives back exactly that word (round trip).
 *   1  cfg_split_list: words without blanks, not empty.
 *   2  environment_file: the text is the file of a worker (clear_env) and
 *      spawn_env_build builds its environment.  Every entry is KEY=VALUE
 *      with a name and no newline, keys are unique, and every entry from
 *      the file is one of its lines (quotes around the value removed).
 *   3  durations, sizes, signals, capabilities: a parse that succeeds
 *      gives a value in range, and a name printed for it parses back.
 */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../config/internal.h"
#include "../../init/doorway.h"
#include "../../init/worker/spawn.h"
#include "../../init/worker/worker.h"
#include "fuzz.h"

/* --- 0: exec = ------------------------------------------------------------ */

/* `w` in single quotes, a ' written as '\'' . */
static char *quote(const char *w)
{
	size_t n = strlen(w);
	char *q = malloc(4 * n + 3), *o = q;

	if (!q)
		fuzz_fail("out of memory");
	*o++ = '\'';
	for (; *w; w++) {
		if (*w == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *w;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return q;
}

static void words(const char *s)
{
	char **v = NULL;
	int argc = -1;

	if (cfg_split_words(s, &v, &argc) < 0)
		return;
	if (!v || argc < 0 || v[argc] != NULL)
		fuzz_fail("vector of %d words not NULL-terminated", argc);
	for (int i = 0; i < argc; i++) {
		char *q = quote(v[i]), **v2 = NULL;
		int n2 = 0;

		if (cfg_split_words(q, &v2, &n2) != 0 || n2 != 1 || strcmp(v2[0], v[i]) != 0)
			fuzz_fail("word %d does not survive quoting: [%s] -> [%s]", i, v[i], q);
		cfg_strv_free(v2);
		free(q);
	}
	cfg_strv_free(v);
}

/* --- 1: lists ------------------------------------------------------------- */

static void list(const char *s)
{
	char **v = NULL;
	int n = 0;

	if (cfg_split_list(s, &v, &n) < 0)
		return;
	for (int i = 0; i < n; i++)
		if (!v[i][0] || strpbrk(v[i], " \t"))
			fuzz_fail("list word [%s]", v[i]);
	cfg_strv_free(v);
}

/* --- 2: environment_file -------------------------------------------------- */

static int env_fd = -1;
static struct otp_config *env_cfg;
static struct sup_tree *env_tree;
static struct ws *env_ws;

/* A tree with one worker whose environment_file is our memfd. */
static void env_setup(void)
{
	struct cfg_errors e = { 0 };
	char text[256];

	env_fd = memfd_create("env", MFD_CLOEXEC);
	if (env_fd < 0)
		fuzz_fail("memfd_create: %s", strerror(errno));
	snprintf(text, sizeof(text),
		 "[otpd]\nrun_dir = /nonexistent/otpd-fuzz\n"
		 "[worker w]\nexec = /bin/true\nclear_env = true\n"
		 "environment_file = /proc/self/fd/%d\n", env_fd);
	if (cfg_load_string(text, "fuzz.conf", &env_cfg, &e) != 0 ||
	    cfg_build_tree(env_cfg, &env_tree) != 0)
		fuzz_fail("the environment_file config does not load");
	core_use(env_tree, env_cfg);
	env_ws = ws_of(sup_find(env_tree, "w"));
	if (!env_ws)
		fuzz_fail("no ws");
}

/*
 * Is `kv` a line of the file (leading blanks skipped, ending at \n, \r or
 * NUL), as is or with its value's quotes removed?
 */
static bool from_file(const char *text, size_t len, const char *kv)
{
	size_t kl = strcspn(kv, "="), vl = strlen(kv) - kl - 1;

	for (const char *l = text; l < text + len;) {
		const char *nl = memchr(l, '\n', (size_t)(text + len - l));
		size_t n = nl ? (size_t)(nl - l) : (size_t)(text + len - l);
		const char *s = l;

		while (s < l + n && (*s == ' ' || *s == '\t'))
			s++;
		/* The line ends at its first \r or NUL too (a C string). */
		size_t sn = 0;

		while (s + sn < l + n && s[sn] != '\r' && s[sn] != '\0')
			sn++;
		if (sn == kl + 1 + vl && memcmp(s, kv, sn) == 0)
			return true;
		if (sn == kl + 3 + vl && memcmp(s, kv, kl + 1) == 0 &&
		    (s[kl + 1] == '"' || s[kl + 1] == '\'') && s[sn - 1] == s[kl + 1] &&
		    memcmp(s + kl + 2, kv + kl + 1, vl) == 0)
			return true;
		l += n + 1;
	}
	return false;
}

static void envfile(const char *text, size_t len)
{
	const char *why = NULL;
	char **env = NULL;
	int r;

	if (!env_ws)
		env_setup();
	if (ftruncate(env_fd, 0) < 0 || pwrite(env_fd, text, len, 0) != (ssize_t)len)
		fuzz_fail("memfd write");
	r = spawn_env_build(env_ws, &env, &why);
	if (r < 0)
		return;
	for (char **p = env; *p; p++) {
		const char *eq = strchr(*p, '=');

		if (!eq || eq == *p || strchr(*p, '\n'))
			fuzz_fail("environment entry [%s]", *p);
		for (char **q = env; q < p; q++)
			if (strncmp(*q, *p, (size_t)(eq - *p) + 1) == 0)
				fuzz_fail("%.*s set twice", (int)(eq - *p), *p);
		if (strncmp(*p, "OTP_", 4) != 0 && !from_file(text, len, *p))
			fuzz_fail("[%.80s] (%zu bytes) is not a line of the file", *p, strlen(*p));
	}
	spawn_env_free(env);
}

/* --- 3: values ------------------------------------------------------------ */

static void values(const char *s)
{
	int64_t v;
	int sig, cap;

	if (cfg_parse_duration(s, &v) == 0 && v < 0)
		fuzz_fail("negative duration %lld", (long long)v);
	if (cfg_parse_size(s, &v) == 0 && v < 0)
		fuzz_fail("negative size %lld", (long long)v);
	if (cfg_parse_signal(s, &sig) == 0) {
		const char *name = cfg_signal_name(sig);
		int back = 0;

		if (sig < 1 || sig >= _NSIG)
			fuzz_fail("signal %d", sig);
		if (name && (cfg_parse_signal(name, &back) != 0 || back != sig))
			fuzz_fail("signal %d named %s does not parse back", sig, name);
	}
	if (cfg_parse_cap(s, &cap) == 0) {
		const char *name = cfg_cap_name(cap);
		int back = 0;

		if (!name || cfg_parse_cap(name, &back) != 0 || back != cap)
			fuzz_fail("capability %d (%s) does not parse back", cap, name ? name : "?");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned which = fuzz_u8(&in) % 4;
	char *s = fuzz_strdup(in);

	if (!s)
		return 0;
	switch (which) {
	case 0:
		words(s);
		break;
	case 1:
		list(s);
		break;
	case 2:
		envfile((const char *)in.p, in.n);
		break;
	default:
		values(s);
		break;
	}
	free(s);
	return 0;
}
