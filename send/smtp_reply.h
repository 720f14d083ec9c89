/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtp_reply - the SMTP client's reader of server replies (RFC 5321
 * 4.2), and what an EHLO reply offers.  The server is not trusted: a
 * reply is parsed strictly (three digits, the first 2 to 5; "-", " " or
 * nothing after them; one code on every line of a multi-line reply),
 * its lines and their number are bounded, and smtp_reply_read holds a
 * total deadline for the whole reply, so neither an endless line nor a
 * server that dribbles bytes can make remote grow or wait without
 * bound (the CVE-2020-8794 class).  smtp_reply_feed and
 * smtp_ehlo_parse are pure functions, fuzzed by
 * tests/fuzz/fuzz_smtp_reply.c.
 */
#ifndef QPOST_SMTP_REPLY_H
#define QPOST_SMTP_REPLY_H

#include <stddef.h>

#include "buf.h"

#define SMTP_REPLY_LINE_MAX	2048	/* bytes in one reply line, CRLF included */
#define SMTP_REPLY_LINES_MAX	200	/* lines in one reply */
#define SMTP_REPLY_TEXT_MAX	4000	/* bytes of text kept; the rest dropped */

struct smtp_reply {
	int	code;			/* 200..599 once complete; 0 before */
	size_t	nlines;
	size_t	textlen;
	char	text[SMTP_REPLY_TEXT_MAX + 1];	/* each line's text (after
		   "ddd-"/"ddd "), lines joined by '\n', NUL-terminated,
		   control bytes other than tab replaced by '?' */
	/* added to the contract: */
	int	lcode;		/* the code the lines fed so far carry */
	int	state;		/* SMTP_RS_*: what the next feed may do */
	int	truncated;	/* text lost bytes to SMTP_REPLY_TEXT_MAX */
};

#define SMTP_RS_MORE	0	/* more lines expected */
#define SMTP_RS_DONE	1	/* complete: feed again is an error */
#define SMTP_RS_BAD	(-1)	/* malformed: every later feed fails too */

void	smtp_reply_init(struct smtp_reply *);
int	smtp_reply_feed(struct smtp_reply *, const char *line, size_t len);
	/* one line without its CRLF (or bare LF): 1 = reply complete,
	   0 = more lines follow, -1 = malformed (bad code, code changed
	   between lines, bad separator, too many lines, a line over
	   SMTP_REPLY_LINE_MAX, or a feed after the end) */

#define SMTP_R_TIMEOUT	(-1)
#define SMTP_R_EOF	(-2)	/* connection closed or reset */
#define SMTP_R_TOOLONG	(-3)	/* a line over SMTP_REPLY_LINE_MAX */
#define SMTP_R_MALFORMED (-4)
#define SMTP_R_IOERR	(-5)	/* errno says which */

int	smtp_reply_read(struct buf *, struct smtp_reply *, int timeout_ms);
	/* reads one whole reply within timeout_ms in total (it sets
	   b->timeout to what remains before each read, and puts the
	   caller's value back before it returns; timeout_ms < 0: no
	   deadline); returns the code or one of SMTP_R_*; never allocates;
	   the buf may be a TLS one.  Bytes after the reply (the next
	   pipelined reply) stay in the buf.  After any SMTP_R_* the
	   connection is out of step and must be closed. */
const char *smtp_reply_strerror(int);

struct smtp_ext {		/* what an EHLO reply offers */
	int			pipelining, starttls, eightbitmime, smtputf8,
				enhancedstatuscodes, chunking, dsn;
	int			has_size;
	unsigned long long	size;	/* 0 = no limit given */
	int			auth_plain, auth_login;
};

void	smtp_ehlo_parse(const struct smtp_reply *, struct smtp_ext *);
	/* keywords case-insensitive, first line (the greeting name)
	   skipped; all zero unless the reply is a complete 2xx */
void	smtp_reply_oneline(const struct smtp_reply *, char *out, size_t size);
	/* "550 5.1.1 text of line one / text of line two" on one line,
	   truncated to size, for logs and result text */
void	smtp_reply_dsn(const struct smtp_reply *, char *out, size_t size);
	/* added: the enhanced status code (RFC 3463) the text starts with
	   when its class is the reply's, else "2.0.0", "4.0.0", "5.0.0"
	   by the code; for result texts that lead with one */

#endif
