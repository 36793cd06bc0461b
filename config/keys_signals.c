/*
 * keys_signals.c: a worker's signals (stop_signal, success_exit,
 * forward_signals) and its seccomp filter.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char *cfg_set_stop_signal(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	int sig;

	if (cfg_parse_signal(v, &sig) < 0)
		return "expected a signal name or number";
	if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
		return "a stop signal must end the process, not suspend it";
	p->node.spec.stop_signal = sig;
	return NULL;
}

/* One word of success_exit: an exit code 0..255 or a signal name. */
static const char *success_word(void *ctx, const char *w)
{
	struct sup_spec *s = ctx;
	int64_t code;
	uint64_t any;
	int sig;

	if (cfg_parse_uint(w, &any) == 0) {
		if (cfg_parse_int_range(w, 0, 255, &code) < 0)
			return "exit codes go from 0 to 255";
		sup_success_add(s, true, (int)code);
		return NULL;
	}
	if (cfg_parse_signal(w, &sig) < 0)
		return "expected exit codes (0 to 255) and signal names";
	sup_success_add(s, false, sig);
	return NULL;
}

/*
 * Apply `fn` to each word of the list `v` until one fails; `empty` is the
 * error for an empty list.
 */
static const char *each_word(const char *v, const char *empty,
			     const char *(*fn)(void *ctx, const char *w), void *ctx)
{
	const char *msg = NULL;
	char **words;
	int n;

	if (cfg_split_list(v, &words, &n) < 0)
		return cfg_oom;
	if (n == 0)
		msg = empty;
	for (int i = 0; i < n && !msg; i++)
		msg = fn(ctx, words[i]);
	cfg_strv_free(words);
	return msg;
}

const char *cfg_set_success_exit(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	struct sup_spec *s = &p->node.spec;
	const char *msg = each_word(v, "expected exit codes (0 to 255) and signal names",
				    success_word, s);

	if (msg) {
		memset(s->success_exit, 0, sizeof(s->success_exit));
		s->success_signal = 0;
	}
	return msg;
}

static const char *forward_word(void *ctx, const char *w)
{
	uint64_t *mask = ctx;
	int sig;

	if (cfg_parse_signal(w, &sig) < 0)
		return "expected signal names";
	if (sig >= 64)
		return "signals above 63 (RTMAX) cannot be forwarded";
	if (sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD)
		return "SIGKILL, SIGSTOP and SIGCHLD cannot be forwarded";
	*mask |= 1ULL << sig;
	return NULL;
}

const char *cfg_set_forward_signals(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	uint64_t mask = 0;
	const char *msg = each_word(v, "expected signal names", forward_word, &mask);

	if (!msg)
		p->node.w.forward_signals = mask;
	return msg;
}

static const char *set_seccomp(struct cfg_worker *w, enum cfg_seccomp_mode mode, const char *v)
{
	const char *msg;
	char **words;
	int n;

	if (w->seccomp != CFG_SECCOMP_NONE && w->seccomp != mode)
		return "seccomp_allow and seccomp_deny exclude each other";
	if (cfg_split_list(v, &words, &n) < 0)
		return cfg_oom;
	if (n == 0)
		return "expected a list of system call names or @groups";
	msg = cfg_seccomp_check(words);
	if (msg) {
		cfg_strv_free(words);
		return msg;
	}
	cfg_strv_free(w->seccomp_list);
	w->seccomp_list = words;
	w->seccomp = mode;
	return NULL;
}

const char *cfg_set_seccomp_allow(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	return set_seccomp(&p->node.w, CFG_SECCOMP_ALLOW, v);
}

const char *cfg_set_seccomp_deny(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	return set_seccomp(&p->node.w, CFG_SECCOMP_DENY, v);
}

const char *cfg_set_seccomp_action(struct cfg_ctx *x, struct cfg_pnode *p, const char *v)
{
	struct cfg_worker *w = &p->node.w;

	if (strcmp(v, "kill") == 0) {
		w->seccomp_action = CFG_SECCOMP_KILL;
	} else if (strcmp(v, "log") == 0) {
		w->seccomp_action = CFG_SECCOMP_LOG;
	} else if (strncmp(v, "errno:", 6) == 0 && cfg_parse_errno(v + 6, &w->seccomp_errno) == 0) {
		w->seccomp_action = CFG_SECCOMP_ERRNO;
	} else {
		return "expected kill, log or errno:NAME (as errno:EPERM)";
	}
	return NULL;
}
