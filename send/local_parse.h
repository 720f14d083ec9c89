/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local_parse - the pure parsers behind local's dot files: the lines of
 * a dot-qpost(5) file, the entries of a sendmail-style ~/.forward, the
 * name of the dot file for an extension, and the header scan that stops
 * mail loops.  No I/O: the unit tests and the fuzzer call them on bytes.
 */
#ifndef QPOST_LOCAL_PARSE_H
#define QPOST_LOCAL_PARSE_H

#include <stddef.h>

/* what dot_next and forward_next return besides 1 (one more) and 0 */
#define DOT_TOOLONG	(-1)	/* a line or entry longer than the buffer */
#define DOT_BADBYTE	(-2)	/* a NUL byte in a line */
#define DOT_INCLUDE	(-3)	/* :include: belongs in the aliases only */
#define DOT_SYNTAX	(-4)	/* an unterminated quote, an empty entry */

/* a dot file being read, line by line, from a buffer */
struct dot_reader {
	const char	*buf;
	size_t		 len;
	size_t		 off;		/* the start of the next line */
	unsigned	 lineno;	/* of the line last returned */
};

void	dot_init(struct dot_reader *, const char *, size_t);
int	dot_next(struct dot_reader *, char *, size_t);
int	forward_next(const char *, size_t *, char *, size_t);
int	dot_name(char *, size_t, const char *, size_t, const char *);
const char *dot_strerror(int);

/* what local_loop_scan finds in a header */
#define LOOP_NONE	0
#define LOOP_DELIVERED	1	/* Delivered-To: names the recipient */
#define LOOP_RECEIVED	2	/* more than LOOP_RECEIVED_MAX Received: */
#define LOOP_RECEIVED_MAX 100

int	local_loop_scan(const char *, size_t, const char *);

#endif
