/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * lmtp_client - hand one message to an LMTP server (RFC 2033) for N
 * recipients in one session, and say what became of each.
 *
 * The session: greeting, LHLO, MAIL FROM, one RCPT TO per recipient (a
 * refusal is that recipient's answer), DATA only when a recipient was
 * accepted, the message (smtp_dot.h), then one reply per accepted
 * recipient in RCPT order (RFC 2033 4.2), QUIT.  Commands go in
 * lock step: each reply is read before the next command is sent.
 *
 * The server is not trusted: every reply is read whole by
 * smtp_reply_read within a deadline.  A connection that fails, a reply
 * that is malformed, late or missing leaves every recipient without an
 * answer yet with a temporary result that says so; a recipient is
 * LMTP_OK only after its own 2xx reply to the message.
 */
#ifndef QPOST_LMTP_CLIENT_H
#define QPOST_LMTP_CLIENT_H

#include <sys/types.h>
#include <stddef.h>

#include "addr.h"

struct buf;

#define LMTP_PATH_MAX	108	/* sun_path's size on Linux */
#define LMTP_TEXT_MAX	1000	/* result text of one recipient */

/* where the server is: lmtp_dest_parse's result */
struct lmtp_dest {
	int	is_unix;			/* else TCP */
	char	path[LMTP_PATH_MAX];		/* a UNIX socket */
	char	host[ADDR_DOMAIN_MAX + 1];	/* a name, or an address */
	int	port;				/* 1..65535 */
	char	name[ADDR_DOMAIN_MAX + 16];	/* for texts: "[::1]:24" */
};

int	lmtp_dest_parse(const char *, struct lmtp_dest *);
	/* "unix:/path", "host:port", "[v6]:port" (port required): 0, or
	   -1 when it is none of these (a permanent configuration error) */
int	lmtp_dest_connect(const struct lmtp_dest *, int, char *, size_t);
	/* a connected non-blocking socket to it within that many seconds
	   (each address of a name in turn), or -1 with the reason in the
	   buffer: "connect: ..." or "looking up NAME: ..." (qpmilter's
	   milters are reached the same way) */

struct lmtp_cfg {
	const char	*helo;		/* LHLO's argument */
	int		 timeout_connect;	/* seconds */
	int		 timeout;	/* seconds a reply may take; 0: ours */
};

struct lmtp_msg {
	const char	*sender;	/* "" for <> */
	size_t		 nrcpt;
	const char *const *rcpt;
	const char	*prefix;	/* sent before the file (a header) */
	int		 fd;		/* the message, LF line ends; pread */
};

#define LMTP_OK		0	/* delivered: the server said 2xx */
#define LMTP_TEMP	1	/* 4xx, or no answer: try again later */
#define LMTP_PERM	2	/* 5xx: bounce */

struct lmtp_result {
	int	status;				/* LMTP_* */
	int	code;				/* the reply, 0 if none */
	int	is_accepted;			/* its RCPT TO got 2xx */
	char	text[LMTP_TEXT_MAX];		/* "5.1.1 lmtp ... said: ..." */
};

void	lmtp_deliver(const struct lmtp_cfg *, const struct lmtp_dest *,
	    const struct lmtp_msg *, struct lmtp_result *);
	/* connect and run one session; res[i] for each m->rcpt[i] */
void	lmtp_session(const struct lmtp_cfg *, const char *,
	    struct buf *, struct buf *, const struct lmtp_msg *,
	    struct lmtp_result *);
	/* the session on a connected pair of bufs (in, out), the server
	   named by the string in texts: lmtp_deliver's part after the
	   connect, and the fuzz target's entry point */

#endif
