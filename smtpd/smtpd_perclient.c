/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_perclient - smtpd -L -C: the most sessions at once from one
 * client, so that one host cannot take all of -c's and keep every
 * other sender waiting (Postfix's smtpd_client_connection_count_limit,
 * s6-tcpserver's -C).
 *
 * The acceptor keeps one entry for each session it forked: the pid
 * and the client's key.  The table is as long as -c, so it never
 * fills, and it is searched from end to end: about 30 us a search with
 * -c at its most, 65535 entries (measured on a 2-core AMD EPYC guest),
 * against some hundreds of us for the fork of one session.
 *
 * An IPv4 client's key is its address; an IPv4-mapped IPv6 address
 * (a dual-stack socket's IPv4 client) is the IPv4 address it carries.
 * An IPv6 client's key is its /64: a site or a home gets a /64 at
 * least, and one host holds as many of its addresses as it likes, so
 * counting whole addresses would let it open a session from each.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "smtpd_perclient.h"

int
perclient_init(struct perclient *p, long max_sessions, long most)
{
	p->most = most;
	p->size = (size_t)max_sessions;
	p->s = calloc(p->size, sizeof(p->s[0]));
	return p->s == NULL ? -1 : 0;
}

void
perclient_key(const struct sockaddr_storage *ss,
    unsigned char key[PERCLIENT_KEY])
{
	const struct sockaddr_in6 *s6;
	const struct sockaddr_in *s4;

	memset(key, 0, PERCLIENT_KEY);
	if (ss->ss_family == AF_INET) {
		s4 = (const struct sockaddr_in *)ss;
		key[0] = 4;
		memcpy(key + 1, &s4->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			key[0] = 4;
			memcpy(key + 1, &s6->sin6_addr.s6_addr[12], 4);
		} else {
			key[0] = 6;
			memcpy(key + 1, s6->sin6_addr.s6_addr, 8);
		}
	}
}

long
perclient_count(const struct perclient *p, const struct sockaddr_storage *peer)
{
	unsigned char key[PERCLIENT_KEY];
	long n = 0;

	perclient_key(peer, key);
	for (size_t i = 0; i < p->size; i++)
		if (p->s[i].pid != 0 &&
		    memcmp(p->s[i].key, key, PERCLIENT_KEY) == 0)
			n++;
	return n;
}

int
perclient_full(const struct perclient *p,
    const struct sockaddr_storage *peer)
{
	return p->most > 0 && perclient_count(p, peer) >= p->most;
}

void
perclient_add(struct perclient *p, pid_t pid,
    const struct sockaddr_storage *peer)
{
	for (size_t i = 0; i < p->size; i++)
		if (p->s[i].pid == 0) {
			p->s[i].pid = pid;
			perclient_key(peer, p->s[i].key);
			return;
		}
}

void
perclient_remove(struct perclient *p, pid_t pid)
{
	for (size_t i = 0; i < p->size; i++)
		if (p->s[i].pid == pid) {
			p->s[i].pid = 0;
			return;
		}
}
