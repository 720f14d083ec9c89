/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_data - the message as it arrives, byte by byte, turned into the
 * queue's form.  A pure state machine with no I/O, so it can be fuzzed.
 *
 * For DATA (dot mode), the end is exactly CRLF "." CRLF; a leading dot
 * is removed from a line that starts with one (RFC 5321 4.5.2).  For
 * BDAT the chunks are taken as they are.  In both, CRLF line ends
 * become LF in the output, as the queue stores them.
 *
 * A line end is only CRLF.  A bare LF or bare CR, a NUL byte, or a line
 * longer than DATA_LINE_MAX octets (CRLF included) marks the message
 * bad (flags) but never ends it: the end is still only CRLF.CRLF, so
 * nothing after a bare line end can be taken for a command (the SMTP
 * smuggling class, CVE-2023-51764).  Once a message is bad, or larger
 * than the limit, no more output is produced; the caller refuses the
 * message when the end comes.
 */
#ifndef QPOST_SMTPD_DATA_H
#define QPOST_SMTPD_DATA_H

#include <stddef.h>

#include "sa.h"

#define DATA_LINE_MAX		1000	/* octets, CRLF included (4.5.3.1.6) */
#define DATA_RECEIVED_MAX	100	/* Received: lines before it is a loop */

/* flags: why a message is refused */
#define DATA_BARE_LF	0x01
#define DATA_BARE_CR	0x02
#define DATA_NUL	0x04
#define DATA_LONG_LINE	0x08
#define DATA_TOO_BIG	0x10	/* over max_size */
#define DATA_LOOP	0x20	/* more than DATA_RECEIVED_MAX Received: */

struct data {
	int			 dot_mode;	/* DATA, not BDAT */
	int			 state;		/* internal */
	size_t			 linelen;	/* octets of the line so far */
	int			 in_header;	/* before the first empty line */
	char			 head[10];	/* a line's first octets */
	size_t			 headlen;
	unsigned		 received;	/* Received: lines in the header */
	unsigned long long	 size;		/* octets output, queue form */
	unsigned long long	 max_size;	/* 0: no limit */
	int			 flags;
};

void	data_init(struct data *, int, unsigned long long);
int	data_feed(struct data *, const char *, size_t, size_t *, struct sa *);
void	data_end_chunks(struct data *, struct sa *);

#endif
