/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_keep - smtpd -L's first process: it keeps the shared queue
 * runner and the acceptor going.  See smtpd_keep.c.
 */
#ifndef QPOST_SMTPD_KEEP_H
#define QPOST_SMTPD_KEEP_H

int	listen_keep(int);
	/* given the signalfd of SIGCHLD and SIGTERM (both blocked): starts
	   the runner and an acceptor, and starts again whichever ends.
	   Returns only in a new acceptor's process: the runner's socket.
	   Exits 0 on SIGTERM, once the acceptor has. */

#endif
