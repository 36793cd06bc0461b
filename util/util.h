/*
 * util.h: small value parsers shared by otpd and otpctl.
 *
 * The lowest layer: it includes nothing of ours, and every other directory
 * may link it (otpctl links it and ipc/ alone, not the config loader or the
 * core).  Every parser takes the whole string (no sign, no leading or
 * trailing junk, no overflow), returns 0 or -EINVAL (-ERANGE: too large),
 * and writes *ret_... only on success.
 */
#ifndef OTPD_UTIL_H
#define OTPD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decimal digits only: "0" .. "18446744073709551615". */
int util_parse_uint(const char *s, uint64_t *ret);

/*
 * A duration in milliseconds, as systemd's time spans: one or more
 * NUMBER[ ]UNIT, blanks between them allowed ("1min 30s", "1.5s", "90 s",
 * "500ms", "2h", "1d"); a bare number alone is milliseconds ("250").
 * Units: ms msec; s sec second seconds; m min minute minutes; h hr hour
 * hours; d day days; w week weeks.  A fraction must come out as whole
 * milliseconds ("1.5s" yes, "0.5ms" no).  At most INT64_MAX ms.
 */
int util_parse_duration(const char *s, int64_t *ret_ms);
/* The largest exact unit: "10s", "2min", "250ms"; snprintf's return. */
int util_format_duration(int64_t ms, char *buf, size_t len);

/* "512", "64K", "512M", "1G", "2T" (powers of 1024), at most INT64_MAX. */
int util_parse_size(const char *s, int64_t *ret_bytes);

/*
 * "TERM", "SIGTERM", "sigterm", "15"; real-time signals as "RTMIN",
 * "RTMIN+3", "RTMAX-2", "SIGRTMAX" (within SIGRTMIN..SIGRTMAX of this
 * libc).  1.._NSIG-1.
 */
int util_parse_signal(const char *s, int *ret_signo);
/*
 * 15 -> "SIGTERM", SIGRTMIN+3 -> "SIGRTMIN+3", SIGRTMAX -> "SIGRTMAX"
 * (static strings), or NULL for a number that is no signal.
 */
const char *util_signal_name(int signo);

/* A POSIX portable environment variable name: [A-Za-z_][A-Za-z0-9_]*. */
bool util_is_env_name(const char *s, size_t len);

/*
 * otpd's run_dir when the configuration names none, and so where otpctl
 * finds otpd's socket: /run/otp for root (uid 0); for another user, who
 * cannot write /run (a container run with --user, a user's own tree),
 * $XDG_RUNTIME_DIR/otp when that is an absolute path, else /tmp/otp-UID
 * (otpd makes it, owned by that user; one owned by anybody else is
 * refused).  uid: geteuid().  snprintf's return.
 */
#define UTIL_RUN_DIR_MAX 4096
int util_default_run_dir(unsigned uid, char *buf, size_t len);

/*
 * libseccomp's functions otpd uses (libseccomp.c: loaded when first
 * needed; a filter context is libseccomp's scmp_filter_ctx).  NULL when
 * the library cannot be loaded: *ret_why (if not NULL) says why.
 */
struct util_scmp {
	void *(*init)(uint32_t def_action);
	int (*arch_add)(void *ctx, uint32_t arch);
	uint32_t (*arch_native)(void);
	int (*export_bpf)(void *ctx, int fd);
	void (*release)(void *ctx);
	int (*rule_add)(void *ctx, uint32_t action, int syscall, unsigned int arg_cnt, ...);
	int (*resolve_name)(const char *name);
	char *(*resolve_num_arch)(uint32_t arch, int num);
};
const struct util_scmp *util_libseccomp(const char **ret_why);

#endif
