/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * remote_conn - a TCP connection to one address of a mail host, from
 * control/outgoingip's source address for that family, within
 * control/timeoutconnect.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "remote.h"
#include "sock_connect.h"

/* remote_addr_text - an address as text: 192.0.2.1 or 2001:db8::1. */
int
remote_addr_text(const struct dns_addr *a, char *out, size_t size)
{
	return inet_ntop(a->family, a->addr, out, (socklen_t)size) == NULL ?
	    -1 : 0;
}

/* sockaddr_of - a, port into ss; the length. */
static socklen_t
sockaddr_of(const struct dns_addr *a, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		memcpy(&s6->sin6_addr, a->addr, 16);
		return sizeof(*s6);
	}
	s4->sin_family = AF_INET;
	s4->sin_port = htons((unsigned short)port);
	memcpy(&s4->sin_addr, a->addr, 4);
	return sizeof(*s4);
}

/*
 * remote_connect - connect to a, port.  Returns the socket, still
 * non-blocking (every wait on it has a deadline), or -1 with errno set
 * (ETIMEDOUT when the host did not answer) and why holding words for
 * the logs.
 */
int
remote_connect(const struct remote_cfg *c, const struct dns_addr *a,
    int port, char *why, size_t size)
{
	struct sockaddr_storage ss;
	const struct sockaddr_storage *src;
	socklen_t len;
	int fd, e;

	src = a->family == AF_INET6 ? (c->has_src6 ? &c->src6 : NULL) :
	    (c->has_src4 ? &c->src4 : NULL);
	if ((fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		(void)snprintf(why, size, "socket: %s", strerror(errno));
		return -1;
	}
	if (src != NULL && bind(fd, (const struct sockaddr *)src,
	    a->family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in)) == -1) {
		e = errno;
		(void)snprintf(why, size, "bind to control/outgoingip: %s",
		    strerror(e));
		close(fd);
		return (errno = e, -1);
	}
	len = sockaddr_of(a, port, &ss);
	if (sock_connect(fd, (struct sockaddr *)&ss, len,
	    c->timeout_connect) == -1) {
		e = errno;
		(void)snprintf(why, size, "connect: %s", e == ETIMEDOUT ?
		    "timed out" : strerror(e));
		close(fd);
		return (errno = e, -1);
	}
	return fd;
}
