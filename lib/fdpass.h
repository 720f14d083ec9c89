/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fdpass - one packet with descriptors beside it (SCM_RIGHTS), on a
 * Unix socket: smtpd to its queue runner, lspawn to a local worker.
 */
#ifndef QPOST_FDPASS_H
#define QPOST_FDPASS_H

#include <stddef.h>

#define FDPASS_MAX	4	/* descriptors in one packet */

int	fdpass_send(int, const void *, size_t, const int *, size_t);
	/* sendmsg of the bytes and n (at most FDPASS_MAX) descriptors,
	   without SIGPIPE: 0, or -1 with errno set */

#endif
