/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fdpass - see fdpass.h.
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

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
