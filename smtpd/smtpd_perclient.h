/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_perclient - smtpd -L -C: the acceptor's count of its running
 * sessions by client.  See smtpd_perclient.c.
 */
#ifndef QPOST_SMTPD_PERCLIENT_H
#define QPOST_SMTPD_PERCLIENT_H

#include <sys/socket.h>
#include <sys/types.h>

#define PERCLIENT_KEY	9	/* a family byte, then 4 or 8 address bytes */

struct perclient_session {
	pid_t		 pid;		/* 0: a free entry */
	unsigned char	 key[PERCLIENT_KEY];
};

struct perclient {
	long			 most;	/* sessions from one client (-C) */
	size_t			 size;	/* entries: -c, so it never fills */
	struct perclient_session *s;
};

/*
 * A struct perclient that perclient_init never saw (all zero) sets no
 * limit: it is never full, and adds and removes nothing.
 */
int	perclient_init(struct perclient *, long, long);
	/* room for that many sessions (-c), at most that many (-C) from
	   one client; -1 (errno set) when memory is short */
long	perclient_count(const struct perclient *,
	    const struct sockaddr_storage *);
	/* the running sessions from that client's address */
int	perclient_full(const struct perclient *,
	    const struct sockaddr_storage *);
	/* whether that client has its most sessions (-C) already */
void	perclient_add(struct perclient *, pid_t,
	    const struct sockaddr_storage *);
	/* a session forked for that client */
void	perclient_remove(struct perclient *, pid_t);
	/* a session reaped; one not in the table is ignored */
void	perclient_key(const struct sockaddr_storage *,
	    unsigned char[PERCLIENT_KEY]);
	/* the client's key: a family byte, then its IPv4 address or its
	   IPv6 /64 */

#endif
