/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fdpass - one packet with descriptors beside it (SCM_RIGHTS), on a
 * Unix socket: smtpd to its queue runner, lspawn to a local worker.
 */
#ifndef QPOST_FDPASS_H
#define QPOST_FDPASS_H

#include <sys/types.h>
#include <stddef.h>

#define FDPASS_MAX	4	/* descriptors in one packet */

int	fdpass_send(int, const void *, size_t, const int *, size_t);
	/* sendmsg of the bytes and n (at most FDPASS_MAX) descriptors,
	   without SIGPIPE: 0, or -1 with errno set */
ssize_t	fdpass_recv(int, void *, size_t, int *, size_t *);
	/* one packet into a buffer of the size given, its descriptors
	   (close-on-exec, at most FDPASS_MAX) into the array and their
	   number: the packet's length, 0 at end of file, or -1 with errno
	   set, EMSGSIZE when the packet or its descriptors were cut
	   short (none is left open then, nor at end of file) */

#endif
