/* internal.h: shared by the files of util/. */
#ifndef OTPD_UTIL_INTERNAL_H
#define OTPD_UTIL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Decimal digits at the start of `s`: their count (0: none, or overflow) and value. */
size_t util_digits(const char *s, uint64_t *ret);

#endif
