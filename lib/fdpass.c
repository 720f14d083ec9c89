/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fdpass - see fdpass.h.
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "fdpass.h"

int
fdpass_send(int sock, const void *buf, size_t len, const int *fds,
    size_t n)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(FDPASS_MAX * sizeof(int))];
	} cm;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *c;

	if (n == 0 || n > FDPASS_MAX) {
		errno = EINVAL;
		return -1;
	}
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == -1 ? -1 : 0;
}

/* drop - close the n descriptors received */
static void
drop(int *fds, size_t *n)
{
	while (*n > 0)
		(void)close(fds[--*n]);
}

ssize_t
fdpass_recv(int sock, void *buf, size_t size, int *fds, size_t *n)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(FDPASS_MAX * sizeof(int))];
	} cm;
	struct iovec iov = { buf, size };
	struct msghdr mh;
	struct cmsghdr *c;
	size_t k, i;
	ssize_t r;

	*n = 0;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	do
		r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return -1;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k && *n < FDPASS_MAX; i++)
			memcpy(&fds[(*n)++], CMSG_DATA(c) + i * sizeof(int),
			    sizeof(int));
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		drop(fds, n);
		errno = EMSGSIZE;
		return -1;
	}
	if (r == 0)
		drop(fds, n);
	return r;
}
