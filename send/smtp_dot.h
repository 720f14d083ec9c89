/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtp_dot - a message as the DATA of an SMTP or LMTP client (RFC 5321
 * 4.5.2, RFC 2033 4.2): LF, CRLF and a bare CR each end a line, sent as
 * CRLF (a bare CR passed on could hide an end of data from one server
 * and not another: SMTP smuggling); a line starting with '.' gets
 * another; a last line without an end is ended; then ".".  remote and
 * local's LMTP client share it.
 *
 * The state carries over between calls, so a message may be given in
 * pieces (a Delivered-To line, then the queue file).
 */
#ifndef QPOST_SMTP_DOT_H
#define QPOST_SMTP_DOT_H

#include <stddef.h>

struct buf;

struct smtp_dot {
	int	at_bol;		/* the next byte starts a line */
	int	is_cr;		/* the last byte was a CR */
};

void	smtp_dot_init(struct smtp_dot *);
int	smtp_dot_put(struct smtp_dot *, struct buf *, const char *, size_t);
	/* bytes of the message into the buf, converted; 0 or -1 (buf) */
int	smtp_dot_file(struct smtp_dot *, struct buf *, int);
	/* the file on fd, read with pread from offset 0: 0, -1 when the
	   buf failed (errno), -2 when reading the file failed (errno) */
int	smtp_dot_end(struct smtp_dot *, struct buf *);
	/* the end of the last line if it had none, then ".\r\n": 0 or -1 */

#endif
