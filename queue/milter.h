/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * milter - the MTA's side of the Sendmail milter protocol (version 6,
 * as libmilter speaks it), for qpmilter: one message, from connect to
 * end of message, its changes applied to a message held in memory.
 * The transport is the caller's (a socket, or memory in the fuzzer);
 * everything the milter sends is checked before it is used.
 */
#ifndef QPOST_MILTER_H
#define QPOST_MILTER_H

#include <stddef.h>

#include "sa.h"

#define MILTER_CHUNK	65535		/* body octets in one packet */
#define MILTER_PACKET_MAX (1024 * 1024)	/* the largest packet we read */
#define MILTER_HDRS_MAX	1000		/* header fields a milter adds */
#define MILTER_RCPTS_MAX 1000		/* recipients a milter adds */
#define MILTER_ADDED_MAX (1024 * 1024)	/* header octets a milter adds */
#define MILTER_BODY_MIN	(64 * 1024 * 1024) /* a new body may be this, or
					   twice the old one if more */

struct milter_hdr {
	char	*name;
	char	*value;		/* after the colon, as in the message:
				   leading space kept, lines joined by \n */
};

/* the message as the milters see and change it */
struct milter_msg {
	char		*sender;	/* without brackets; "" for <> */
	char		**rcpt;
	size_t		 nrcpt;
	struct milter_hdr *hdr;
	size_t		 nhdr;
	int		 has_blank;	/* a blank line ended the header */
	struct sa	 body;		/* as stored: lines end in \n */
	int		 changed;	/* a milter changed something */
	int		 quarantined;	/* a milter asked to hold it */
	char		 quarantine[256];	/* ... why, printable */
};

/* the client, for the connect, HELO and macros */
struct milter_conn {
	const char	*ip;		/* NULL: not from the network */
	const char	*port;
	const char	*host;		/* name, or NULL */
	const char	*helo;		/* or NULL */
	const char	*auth_user;	/* or NULL */
	const char	*me;		/* control/me */
	const char	*id;		/* the queue id */
};

struct milter_io {
	/* each moves exactly n octets: 0, or -1 with errno set */
	int	(*read)(void *, void *, size_t);
	int	(*write)(void *, const void *, size_t);
	void	*arg;
};

enum milter_verdict {
	MILTER_ACCEPT,		/* queue it, with any changes */
	MILTER_REJECT,		/* refuse it for good */
	MILTER_TEMPFAIL,	/* refuse it for now */
	MILTER_DISCARD,		/* say it was queued, and drop it */
	MILTER_FAILED		/* the conversation broke: see why */
};

struct milter_result {
	enum milter_verdict verdict;
	char	 text[512];	/* the milter's reply, or what broke */
};

struct lmtp_dest;
int	milter_dest_parse(const char *, struct lmtp_dest *);
	/* a milter's socket, "unix:/path" or "inet:host:port" (the host
	   an IPv6 address in brackets, or a name), into lmtp_client.h's
	   form, which lmtp_dest_connect reaches: 0, or -1 */
int	milter_msg_parse(struct milter_msg *, const char *, size_t);
	/* split a message into header fields and body: 0, or -1 (ENOMEM) */
int	milter_msg_write(const struct milter_msg *, struct sa *);
	/* the message as it is now: 0, or -1 (ENOMEM) */
void	milter_msg_free(struct milter_msg *);
void	milter_session(const struct milter_io *, const struct milter_conn *,
	    struct milter_msg *, struct milter_result *);
	/* one message through one milter; the verdict is in the result */

#endif
