/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * buf - buffered descriptor I/O.  See buf.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

void
buf_init(struct buf *b, int fd, char *storage, size_t size)
{
	b->fd = fd;
	b->p = storage;
	b->size = size;
	b->len = 0;
	b->pos = 0;
	b->timeout = -1;
	b->io = NULL;
	b->ctx = NULL;
}

/* buf_transport - read and write through io(ctx, ...) from now on. */
void
buf_transport(struct buf *b, ssize_t (*io)(void *, int, void *, size_t,
    int), void *ctx)
{
	b->io = io;
	b->ctx = ctx;
}

/*
 * poll_fd - wait up to ms (-1: for ever) for fd to be ready; ETIMEDOUT
 * if not.
 */
static int
poll_fd(int fd, short events, int ms)
{
	struct pollfd pfd;
	int r;

	pfd.fd = fd;
	pfd.events = events;
	do
		r = poll(&pfd, 1, ms);
	while (r == -1 && errno == EINTR);
	if (r == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	return r == -1 ? -1 : 0;
}

/* wait_fd - wait up to b->timeout for fd to be ready; ETIMEDOUT if not. */
static int
wait_fd(struct buf *b, short events)
{
	if (b->timeout < 0)
		return 0;
	return poll_fd(b->fd, events, b->timeout);
}

/*
 * buf_wait - wait for b's fd within b->timeout, even with no timeout set
 * (a transport's "want" must block somewhere, not spin).
 */
int
buf_wait(struct buf *b, short events)
{
	return poll_fd(b->fd, events, b->timeout < 0 ? -1 : b->timeout);
}

/*
 * xfer - one read or write: read(2)/write(2), or the transport, which
 * is called again after each poll it asks for.  The timeout applies to
 * each wait, as for a plain fd.
 */
static ssize_t
xfer(struct buf *b, void *p, size_t n, int writing)
{
	ssize_t r;

	if (b->io == NULL) {
		if (writing)
			return write(b->fd, p, n);
		return fd_read(b->fd, p, n);
	}
	for (;;) {
		r = b->io(b->ctx, b->fd, p, n, writing);
		if (r == BUF_WANT_READ || r == BUF_WANT_WRITE) {
			if (buf_wait(b, r == BUF_WANT_READ ? POLLIN :
			    POLLOUT) == -1)
				return -1;
			continue;
		}
		return r;
	}
}

/* fd_read - read(2) that retries on EINTR. */
ssize_t
fd_read(int fd, void *p, size_t n)
{
	ssize_t r;

	do
		r = read(fd, p, n);
	while (r == -1 && errno == EINTR);
	return r;
}

/* fd_read_all - read exactly n bytes; -1 with EPIPE on early EOF. */
int
fd_read_all(int fd, void *p, size_t n)
{
	char *c = p;
	ssize_t r;

	while (n > 0) {
		if ((r = fd_read(fd, c, n)) == -1)
			return -1;
		if (r == 0) {
			errno = EPIPE;
			return -1;
		}
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* fd_write_all - write all n bytes, looping on short writes and EINTR. */
int
fd_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* buf_fill - read more input; returns bytes read, 0 at EOF, -1. */
ssize_t
buf_fill(struct buf *b)
{
	ssize_t r;

	if (b->pos > 0) {
		memmove(b->p, b->p + b->pos, b->len - b->pos);
		b->len -= b->pos;
		b->pos = 0;
	}
	if (b->len == b->size)
		return (errno = ENOBUFS, -1);
	/* a transport may hold decrypted bytes the fd does not show */
	if (b->io == NULL && wait_fd(b, POLLIN) == -1)
		return -1;
	r = xfer(b, b->p + b->len, b->size - b->len, 0);
	if (r > 0)
		b->len += (size_t)r;
	return r;
}

/* buf_read - up to n bytes: what is buffered, else one read. */
ssize_t
buf_read(struct buf *b, void *p, size_t n)
{
	ssize_t r;

	if (b->pos == b->len) {
		b->pos = b->len = 0;
		if ((r = buf_fill(b)) <= 0)
			return r;
	}
	if (n > b->len - b->pos)
		n = b->len - b->pos;
	memcpy(p, b->p + b->pos, n);
	b->pos += n;
	return (ssize_t)n;
}

/*
 * buf_getline - read one line ending in delim into line (replacing its
 * contents), at most max bytes with the delimiter.  A longer line is
 * read and thrown away up to its delimiter, so memory stays bounded by
 * max, and BUF_TOOLONG is returned.  Returns BUF_LINE, BUF_EOF,
 * BUF_PARTIAL (EOF inside a line), BUF_TOOLONG or -1.
 */
int
buf_getline(struct buf *b, struct sa *line, int delim, size_t max)
{
	int toolong = 0;
	char *nl;
	size_t n;
	ssize_t r;

	line->len = 0;
	for (;;) {
		if (b->pos < b->len) {
			nl = memchr(b->p + b->pos, delim, b->len - b->pos);
			n = nl ? (size_t)(nl - (b->p + b->pos)) + 1 :
			    b->len - b->pos;
			if (!toolong && line->len + n > max) {
				toolong = 1;
				line->len = 0;
			}
			if (!toolong && sa_catb(line, b->p + b->pos, n) == -1)
				return -1;
			b->pos += n;
			if (nl != NULL)
				return toolong ? BUF_TOOLONG : BUF_LINE;
		}
		r = buf_fill(b);
		if (r == -1)
			return -1;
		if (r == 0)
			return toolong || line->len > 0 ? BUF_PARTIAL : BUF_EOF;
	}
}

int
buf_flush(struct buf *b)
{
	const char *c = b->p;
	size_t n = b->len;
	ssize_t w;

	while (n > 0) {
		if (b->io == NULL && wait_fd(b, POLLOUT) == -1)
			return -1;
		w = xfer(b, (void *)(uintptr_t)c, n, 1);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = EPIPE;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	b->len = 0;
	return 0;
}

int
buf_put(struct buf *b, const void *p, size_t n)
{
	const char *c = p;
	size_t k;

	while (n > 0) {
		if (b->len == b->size && buf_flush(b) == -1)
			return -1;
		k = b->size - b->len;
		if (k > n)
			k = n;
		memcpy(b->p + b->len, c, k);
		b->len += k;
		c += k;
		n -= k;
	}
	return 0;
}

/*
 * buf_room - the free end of b's buffer, flushing b first when it is
 * full: a caller that reads straight into it (then adds what it read to
 * b->len) spares a copy through a buffer of its own.  NULL if the flush
 * failed.
 */
char *
buf_room(struct buf *b, size_t *n)
{
	if (b->len == b->size && buf_flush(b) == -1)
		return NULL;
	*n = b->size - b->len;
	return b->p + b->len;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}
