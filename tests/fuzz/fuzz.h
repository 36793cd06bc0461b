/*
 * fuzz.h: what the libFuzzer targets of tests/fuzz/ share.
 *
 * A target is one LLVMFuzzerTestOneInput over one input surface of otpd
 * (config text, control frames, notify datagrams, mailbox messages,
 * words).  It must not keep state between inputs except what it sets up
 * once, must free what it allocates (LeakSanitizer runs on every input),
 * and must leave no fd behind.  A broken invariant is reported with
 * fuzz_fail(), which aborts: libFuzzer saves the input as a crash.
 */
#ifndef OTPD_FUZZ_H
#define OTPD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define fuzz_fail(...)                                                  \
	do {                                                            \
		fprintf(stderr, "fuzz: invariant broken: " __VA_ARGS__); \
		fputc('\n', stderr);                                    \
		abort();                                                \
	} while (0)

/*
 * A cursor over the input, for targets that take several decisions from
 * it: numbers from the front, byte strings up to a separator.
 */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline unsigned fuzz_u8(struct fuzz_in *in)
{
	unsigned v;

	if (in->n == 0)
		return 0;
	v = in->p[0];
	in->p++;
	in->n--;
	return v;
}

static inline unsigned fuzz_u16(struct fuzz_in *in)
{
	return fuzz_u8(in) << 8 | fuzz_u8(in);
}

/* Bytes up to `sep` (not included; consumed) or to the end. */
static inline struct fuzz_in fuzz_until(struct fuzz_in *in, const char *sep)
{
	size_t sl = strlen(sep);
	struct fuzz_in part = *in;
	const uint8_t *at = sl && in->n >= sl ? memmem(in->p, in->n, sep, sl) : NULL;

	if (!at) {
		in->p += in->n;
		in->n = 0;
		return part;
	}
	part.n = (size_t)(at - in->p);
	in->n -= part.n + sl;
	in->p = at + sl;
	return part;
}

/* A NUL-terminated copy (malloc; the caller frees); NULL: out of memory. */
static inline char *fuzz_strdup(struct fuzz_in s)
{
	char *c = malloc(s.n + 1);

	if (c) {
		memcpy(c, s.p, s.n);
		c[s.n] = '\0';
	}
	return c;
}

#endif
