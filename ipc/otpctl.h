/*
 * otpctl.h: what otpctl's own files share (not part of libipc).
 */
#ifndef OTPD_IPC_OTPCTL_H
#define OTPD_IPC_OTPCTL_H

#include <stdbool.h>

/* `otpctl call|cast NAME MSG|--batch [--timeout D]`: the exit code. */
int ctl_mailbox(const char *socket_path, bool call, int argc, char **argv);

#endif
