/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sock_connect - connect a non-blocking stream socket within a time
 * limit: remote's SMTP connections and local's LMTP ones (TCP or a
 * UNIX socket) share it.
 */
#ifndef QPOST_SOCK_CONNECT_H
#define QPOST_SOCK_CONNECT_H

#include <sys/socket.h>

int	sock_connect(int, const struct sockaddr *, socklen_t, int);
	/* connect fd (made with SOCK_NONBLOCK) to the address within
	   timeout seconds: 0, or -1 with errno set (ETIMEDOUT when no
	   answer came in time); fd stays non-blocking */

#endif
