/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * proxy_read - reading a PROXY header off smtpd's fd 0 before the
 * greeting (and, for implicit TLS, before the handshake).  See proxy.h.
 *
 * It reads only what proxy_parse asks for, a byte at a time through a
 * v1 line and in two reads for v2, so the first SMTP (or TLS) bytes a
 * client pipelines behind the header stay in the socket for the
 * session's own buffer.  No MSG_PEEK: fd 0 may be a pipe (tests, s6).
 */
#include <errno.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "proxy.h"

/* ms_left - milliseconds from now to the deadline, at least 0. */
static int
ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 86400000 ? 86400000 : (int)ms;
}

/*
 * proxy_read - one header from fd within timeout_ms: 0 with h filled
 * (the header is h->len bytes of buf), or -1 with h->why.
 */
int
proxy_read(int fd, int timeout_ms, unsigned char *buf, struct proxy_hdr *h)
{
	struct timespec deadline;
	struct pollfd pfd;
	size_t got = 0, need;
	ssize_t n;
	int r;

	(void)clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	for (;;) {
		r = proxy_parse(buf, got, h, &need);
		if (r == PROXY_OK)
			return 0;
		if (r == PROXY_BAD)
			return -1;
		/* proxy_parse never wants more than PROXY_MAX in all */
		if (need == 0 || need > PROXY_MAX - got) {
			h->why = "internal_error";
			return -1;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, ms_left(&deadline));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			h->why = "read_error";
			return -1;
		}
		if (r == 0) {
			h->why = "timeout";
			return -1;
		}
		n = read(fd, buf + got, need);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1) {
			h->why = "read_error";
			return -1;
		}
		if (n == 0) {
			h->why = "eof";
			return -1;
		}
		got += (size_t)n;
	}
}
