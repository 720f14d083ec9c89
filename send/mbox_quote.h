/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * mbox_quote - the mboxrd encoding of a message appended to an mbox:
 * every line matching ^>*From  (any number of '>', then "From ") gets
 * one more '>' in front, so a reader can undo it exactly; the message
 * ends with a newline (one is added if its last line has none) and a
 * blank line.  The "From sender date" separator line before it is the
 * caller's: it must not pass through here.
 *
 * The encoder is a stream: the input may come in pieces cut anywhere,
 * even inside "From ".  With out == NULL it only counts, so a caller
 * can learn the exact size of the append before it writes anything.
 */
#ifndef QPOST_MBOX_QUOTE_H
#define QPOST_MBOX_QUOTE_H

#include <sys/types.h>
#include <stddef.h>

#include "buf.h"

struct mbox_quote {
	struct buf	*out;		/* NULL: count only */
	off_t		 count;		/* bytes put out so far */
	int		 in_prefix;	/* at a line start, still matching */
	size_t		 gt;		/* '>'s held back at this line start */
	size_t		 from;		/* bytes of "From " held back after */
	int		 last;		/* the last byte put out, or -1 */
};

void	mbox_quote_init(struct mbox_quote *, struct buf *);
/* mbox_quote_put - encode n more bytes; 0, or -1 if writing failed */
int	mbox_quote_put(struct mbox_quote *, const char *, size_t);
/* mbox_quote_end - what is held back, the final newline, the blank line */
int	mbox_quote_end(struct mbox_quote *);

#endif
