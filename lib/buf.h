/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * buf - buffered I/O on a file descriptor, on storage the caller owns.
 * Reads and writes loop on short counts and EINTR.  Functions return -1
 * with errno set on error.  Nothing here uses stdio.
 *
 * A buf may read and write through a transport other than read(2) and
 * write(2) (TLS, for smtpd): buf_transport sets io, called as
 * io(ctx, fd, p, n, writing).  It returns bytes moved, 0 at EOF, -1 with
 * errno set, or BUF_WANT_READ / BUF_WANT_WRITE when the fd must become
 * readable / writable first (buf polls it, within b->timeout, and calls
 * again; b->timeout bounds each wait, so the fd should be non-blocking
 * then).  Callers of buf_fill, buf_getline, buf_flush see no change.
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
	ssize_t	(*io)(void *, int, void *, size_t, int);	/* NULL: fd */
	void	*ctx;		/* io's */
};

#define BUF_WANT_READ	(-2)	/* io: poll for POLLIN, then call again */
#define BUF_WANT_WRITE	(-3)	/* io: poll for POLLOUT, then call again */

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
char	*buf_room(struct buf *, size_t *);
int	buf_flush(struct buf *);
void	buf_transport(struct buf *, ssize_t (*)(void *, int, void *, size_t,
	    int), void *);
int	buf_wait(struct buf *, short);

ssize_t	fd_read(int, void *, size_t);
int	fd_read_all(int, void *, size_t);
int	fd_write_all(int, const void *, size_t);

#endif
