/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * tlsio - buf transports and deadline-bounded TLS handshakes.  See
 * tlsio.h.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <tls.h>
#include <unistd.h>

#include "buf.h"
#include "tlsio.h"

/* tlsio_tls - tls_read/tls_write on ctx (a struct tls), wants mapped. */
ssize_t
tlsio_tls(void *ctx, int fd, void *p, size_t n, int writing)
{
	ssize_t r;

	(void)fd;
	r = writing ? tls_write(ctx, p, n) : tls_read(ctx, p, n);
	if (r == TLS_WANT_POLLIN)
		return BUF_WANT_READ;
	if (r == TLS_WANT_POLLOUT)
		return BUF_WANT_WRITE;
	if (r == -1)
		errno = EIO;
	return r;
}

/* tlsio_plain - read/write on a non-blocking fd; EAGAIN becomes a want. */
ssize_t
tlsio_plain(void *ctx, int fd, void *p, size_t n, int writing)
{
	ssize_t r;

	(void)ctx;
	do
		r = writing ? write(fd, p, n) : read(fd, p, n);
	while (r == -1 && errno == EINTR);
	if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return writing ? BUF_WANT_WRITE : BUF_WANT_READ;
	return r;
}

/* wait_until - poll fd for events until end (CLOCK_MONOTONIC). */
static int
wait_until(int fd, short events, const struct timespec *end)
{
	struct pollfd pfd;
	struct timespec now;
	long long ms;
	int r;

	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (end->tv_sec - now.tv_sec) * 1000LL +
		    (end->tv_nsec - now.tv_nsec) / 1000000;
		if (ms <= 0)
			return (errno = ETIMEDOUT, -1);
		pfd.fd = fd;
		pfd.events = events;
		r = poll(&pfd, 1, (int)ms);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == 0)
			return (errno = ETIMEDOUT, -1);
		return r == -1 ? -1 : 0;
	}
}

/*
 * tlsio_handshake - complete ctx's handshake on rfd/wfd (non-blocking)
 * within timeout seconds.  Returns 0, or -1 with *why saying what went
 * wrong ("timeout", the errno text or libtls's error).
 */
int
tlsio_handshake(struct tls *ctx, int rfd, int wfd, int timeout,
    const char **why)
{
	struct timespec end;
	const char *e;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout;
	for (;;) {
		r = tls_handshake(ctx);
		if (r == 0)
			return 0;
		if (r == TLS_WANT_POLLIN || r == TLS_WANT_POLLOUT) {
			if (wait_until(r == TLS_WANT_POLLIN ? rfd : wfd,
			    r == TLS_WANT_POLLIN ? POLLIN : POLLOUT, &end) == 0)
				continue;
			*why = errno == ETIMEDOUT ? "timeout" : strerror(errno);
		} else {
			e = tls_error(ctx);
			*why = e != NULL ? e : "unknown";
		}
		return -1;
	}
}

/* tlsio_close - send close_notify, waiting at most timeout seconds. */
void
tlsio_close(struct tls *ctx, int rfd, int wfd, int timeout)
{
	struct timespec end;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout;
	while ((r = tls_close(ctx)) == TLS_WANT_POLLIN ||
	    r == TLS_WANT_POLLOUT)
		if (wait_until(r == TLS_WANT_POLLIN ? rfd : wfd,
		    r == TLS_WANT_POLLIN ? POLLIN : POLLOUT, &end) == -1)
			break;
}
