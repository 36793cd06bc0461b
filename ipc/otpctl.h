/*
 * otpctl.h: what otpctl's own files share (not part of libipc).
 */
#ifndef OTPD_IPC_OTPCTL_H
#define OTPD_IPC_OTPCTL_H

#include <stdbool.h>
#include <stddef.h>

/* `otpctl call|cast NAME MSG|--batch [--timeout D]`: the exit code. */
int ctl_mailbox(const char *socket_path, bool call, int argc, char **argv);

/*
 * otpd's socket: `socket` (-s) when not NULL, else $OTP_SOCKET, else
 * otpd.sock in the default run_dir (the user's own when not root).  A
 * static buffer for the last.
 */
const char *ctl_socket_path(const char *socket);

/*
 * --- otpctl_complete.c: the shell completions (otpctl(1), COMPLETION) ---
 * `otpctl __complete WORD...` (hidden): the candidates for the last WORD
 * (possibly empty) of the command line whose other words, after the
 * program name, are the ones before it; one per line, "WORD" or
 * "WORD<TAB>DESCRIPTION", only those that begin with the last WORD; or the
 * single line ":file" (let the shell complete a file name).  Exit 0.
 */
int ctl_complete(int argc, char **argv);

/* --- otpctl_complete_scripts.c ----------------------------------------- */
/* `otpctl completion SHELL`: the script on stdout.  The exit code. */
int ctl_completion(const char *shell);
/* The i-th shell `completion` knows (0, 1, ...); NULL past the last. */
const char *ctl_completion_shell(size_t i);

#endif
