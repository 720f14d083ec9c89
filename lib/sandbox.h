/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sandbox - no new privileges and a seccomp allow-list for the two
 * programs that meet strangers, entered once start-up is done.
 */
#ifndef QPOST_SANDBOX_H
#define QPOST_SANDBOX_H

enum sandbox_role {
	SANDBOX_SMTPD,		/* smtpd (not its queue runner's qinject) */
	SANDBOX_REMOTE,		/* remote */
	SANDBOX_ACCEPT		/* smtpd -L's acceptor, and so its sessions */
};

#define SANDBOX_ENV	"QPOST_SECCOMP"	/* "log": log, do not refuse */

void	sandbox_prepare(enum sandbox_role);
	/* compile the role's filter ahead, for the forked children of one
	   process that each call sandbox_enter (smtpd -L) */
int	sandbox_enter(enum sandbox_role);
	/* 1: filter in place; 0: the kernel lacks seccomp or it failed
	   (one log line, the program goes on without it).  In a process
	   forked from one whose filter is in place, 1 at once: the filter
	   was inherited */
int	sandbox_no_fork(void);
	/* a process that inherited a filter with fork in it (smtpd -L's
	   sessions): RLIMIT_NPROC 0, hard.  0, or -1 */

#endif
