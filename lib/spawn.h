/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * spawn - start a child that only sets itself up and execs, with vfork
 * (lspawn's local, rspawn's remote, smtpd's runner's qinject).
 */
#ifndef QPOST_SPAWN_H
#define QPOST_SPAWN_H

#include <sys/types.h>

pid_t	spawn_child(void (*)(void *), void *);
	/* child(arg) in a vfork child that execs or _exits: pid, or -1 */
void	spawn_child_signals(void);
	/* in that child, before it execs: SIGPIPE and SIGCHLD default,
	   every signal unblocked */
void	spawn_child_tie(int);
	/* in that child, after any change of ids: the signal it gets when
	   its parent dies; it _exits if the parent is gone already */
void	spawn_tie(pid_t, int);
	/* the same in a forked child, its parent's pid given */

#endif
