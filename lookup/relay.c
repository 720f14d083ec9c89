/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * relay - whether a client address may relay.  See relay.h.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "policy_cdb.h"
#include "relay.h"

/*
 * relay_key - the cdb key of the network of len bits around addr
 * (AF_INET: 4 bytes, AF_INET6: 16): host bits cleared, written by
 * inet_ntop, then "/len".  Returns 0, or -1 if len is out of range or
 * key too small.  qcdb writes keys with it and relay_allowed reads
 * with it, so the two cannot disagree on the canonical form.
 */
int
relay_key(int af, const void *addr, unsigned len, char *key, size_t size)
{
	unsigned char a[16];
	char text[INET6_ADDRSTRLEN];
	size_t alen, i;
	int n;

	if (af == AF_INET)
		alen = 4;
	else if (af == AF_INET6)
		alen = 16;
	else
		return -1;
	if (len > alen * 8)
		return -1;
	memcpy(a, addr, alen);
	for (i = 0; i < alen; i++) {
		if (len >= (i + 1) * 8)
			continue;
		if (len <= i * 8)
			a[i] = 0;
		else
			a[i] &= (unsigned char)(0xff00u >> (len - i * 8));
	}
	if (inet_ntop(af, a, text, sizeof(text)) == NULL)
		return -1;
	n = snprintf(key, size, "%s/%u", text, len);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return 0;
}

/*
 * parse_ip - the client address as TCPREMOTEIP writes it: IPv4 dotted
 * quad or IPv6, an IPv4-mapped IPv6 address becoming IPv4.  Fills a
 * (16 bytes) and returns the family, or -1 if ip is no address.
 */
static int
parse_ip(const char *ip, unsigned char *a)
{
	struct in6_addr a6;

	if (strchr(ip, ':') == NULL)
		return inet_pton(AF_INET, ip, a) == 1 ? AF_INET : -1;
	if (inet_pton(AF_INET6, ip, &a6) != 1)
		return -1;
	if (IN6_IS_ADDR_V4MAPPED(&a6)) {
		memcpy(a, a6.s6_addr + 12, 4);
		return AF_INET;
	}
	memcpy(a, a6.s6_addr, 16);
	return AF_INET6;
}

/*
 * relay_allowed - whether the client at ip (text) is in a network of
 * relay.cdb.  Returns 1, 0 (also for a string that is no address), or
 * -1 on a temporary error or a broken state.
 */
int
relay_allowed(const char *ip)
{
	unsigned char a[16];
	char key[RELAY_KEY_MAX];
	unsigned len, vlen;
	int af, fd, r;

	/* INET6_ADDRSTRLEN bounds what inet_pton can accept anyway */
	if (ip == NULL || strnlen(ip, INET6_ADDRSTRLEN) >= INET6_ADDRSTRLEN ||
	    (af = parse_ip(ip, a)) == -1)
		return 0;
	if ((r = policy_cdb_open("relay", &fd)) != 1)
		return r;
	len = af == AF_INET ? 32 : 128;
	r = 0;
	for (;;) {
		if (relay_key(af, a, len, key, sizeof(key)) == -1) {
			log_warnx("relay: no key for %s/%u", ip, len);
			r = -1;
			break;
		}
		r = cdb_seek(fd, key, (unsigned)strlen(key), &vlen);
		if (r < 0) {
			log_warn("unable to read control/relay.cdb");
			r = -1;
			break;
		}
		if (r > 0) {
			if (vlen != 0) {
				log_warnx("control/relay.cdb: bad entry for "
				    "%s: rebuild it with qcdb relay", key);
				r = -1;
			} else
				r = 1;
			break;
		}
		if (len-- == 0)
			break;
	}
	(void)close(fd);
	return r;
}
