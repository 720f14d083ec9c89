/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sock_connect - a non-blocking connect with a deadline.  See
 * sock_connect.h.
 */
#include <sys/socket.h>
#include <errno.h>
#include <poll.h>
#include <time.h>

#include "sock_connect.h"

/* wait_connected - the outcome of a non-blocking connect, in time. */
static int
wait_connected(int fd, int timeout)
{
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int r, err;

	pfd.fd = fd;
	pfd.events = POLLOUT;
	while ((r = poll(&pfd, 1, timeout * 1000)) == -1 && errno == EINTR)
		;
	if (r == 0)
		return (errno = ETIMEDOUT, -1);
	if (r == -1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return -1;
	if (err != 0)
		return (errno = err, -1);
	return 0;
}

int
sock_connect(int fd, const struct sockaddr *sa, socklen_t len, int timeout)
{
	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	return wait_connected(fd, timeout);
}
