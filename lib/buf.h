/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * buf - buffered I/O on a file descriptor, on storage the caller owns.
 * Reads and writes loop on short counts and EINTR.  Functions return -1
 * with errno set on error.  Nothing here uses stdio.
 */
#ifndef QPOST_BUF_H
#define QPOST_BUF_H

#include <sys/types.h>
#include <stddef.h>

#include "sa.h"

struct buf {
	int	 fd;
	char	*p;
	size_t	 size;
	size_t	 len;	/* reading: bytes in p; writing: bytes pending */
	size_t	 pos;	/* reading: next byte to hand out */
	int	 timeout;	/* milliseconds per read or write; -1: none */
};

#define BUF_LINE	1	/* a whole line, delimiter included */
#define BUF_EOF		0	/* end of file at a line boundary */
#define BUF_TOOLONG	(-2)	/* line over the limit, skipped to delim */
#define BUF_PARTIAL	(-3)	/* end of file inside a line */

void	buf_init(struct buf *, int, char *, size_t);
ssize_t	buf_fill(struct buf *);
ssize_t	buf_read(struct buf *, void *, size_t);
int	buf_getline(struct buf *, struct sa *, int, size_t);
int	buf_put(struct buf *, const void *, size_t);
int	buf_puts(struct buf *, const char *);
int	buf_flush(struct buf *);

ssize_t	fd_read(int, void *, size_t);
int	fd_read_all(int, void *, size_t);
int	fd_write_all(int, const void *, size_t);

#endif
