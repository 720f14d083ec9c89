/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_rate - smtpd -L -R: the most new connections one client may
 * open in a minute (Postfix's smtpd_client_connection_rate_limit), so
 * that a client that connects again and again, a dictionary attack or a
 * broken sender in a loop, costs a 421 and no session.  A client is
 * what -C counts by (smtpd_perclient.h): an IPv4 address or an IPv6 /64.
 */
#ifndef QPOST_SMTPD_RATE_H
#define QPOST_SMTPD_RATE_H

#include <sys/socket.h>

#include "smtpd_perclient.h"

#define RATE_WINDOW_MS	60000	/* the minute a count covers */
#define RATE_SLOTS	4096	/* clients counted at once */

struct rate_slot {
	unsigned char	 key[PERCLIENT_KEY];
	long long	 start_ms;	/* the window's start */
	long		 count;		/* 0: a free slot */
};

struct rate {
	long		  most;		/* connections a minute (-R) */
	struct rate_slot *s;
};

int	rate_init(struct rate *, long);
	/* at most that many connections a minute from one client; -1
	   (errno set) when memory is short */
int	rate_allow(struct rate *, const struct sockaddr_storage *, long long);
	/* count a connection from that client at that time (ms, a
	   monotonic clock): 1 if it is within the limit, 0 if not */

#endif
