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
 * relay_parse_ip - the client address as TCPREMOTEIP writes it: IPv4
 * dotted quad or IPv6, an IPv4-mapped IPv6 address becoming IPv4.
 * Fills a (16 bytes) and returns the family, or -1 if ip is no address.
 */
int
relay_parse_ip(const char *ip, unsigned char *a)
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
	    (af = relay_parse_ip(ip, a)) == -1)
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

/*
 * net_prefix - the length after the '/' of a line, decimal with no
 * sign and no leading zero, at most max; -1 if it is not.
 */
static int
net_prefix(const char *s, size_t n, unsigned max)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v <= max ? (int)v : -1;
}

/*
 * relay_net_parse - one line of control/relay (or proxyfrom) of n
 * bytes: "a.b.c.d", "a.b.c.d/len", "[v6]" or "[v6]/len", into net
 * (host bits kept as written: relay_key and relay_net_match mask
 * them).  Returns NULL, or why the line is refused.
 */
const char *
relay_net_parse(const char *s, size_t n, struct relay_net *net)
{
	char text[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	const char *slash, *as = s;
	size_t an;
	int len, max;

	memset(net, 0, sizeof(*net));
	slash = memchr(s, '/', n);
	an = slash ? (size_t)(slash - s) : n;
	if (an >= 2 && as[0] == '[' && as[an - 1] == ']') {
		as++;
		an -= 2;
		net->af = AF_INET6;
		max = 128;
	} else if (memchr(as, ':', an) != NULL) {
		return "write an IPv6 address in brackets";
	} else {
		net->af = AF_INET;
		max = 32;
	}
	if (an == 0 || an >= sizeof(text))
		return "not an address";
	memcpy(text, as, an);
	text[an] = '\0';
	if (inet_pton(net->af, text, net->af == AF_INET ? (void *)net->addr :
	    (void *)&a6) != 1)
		return net->af == AF_INET ? "not an IPv4 address" :
		    "not an IPv6 address";
	if (net->af == AF_INET6)
		memcpy(net->addr, a6.s6_addr, 16);
	len = max;
	if (slash != NULL && (len = net_prefix(slash + 1,
	    n - (size_t)(slash - s) - 1, (unsigned)max)) == -1)
		return max == 32 ? "want a length from 0 to 32 after the /" :
		    "want a length from 0 to 128 after the /";
	/* clients are matched by relay_parse_ip: a mapped one as IPv4 */
	if (net->af == AF_INET6 && len >= 96 && IN6_IS_ADDR_V4MAPPED(&a6))
		return "IPv4-mapped: write it as IPv4, which is how mapped "
		    "clients are matched";
	net->len = (unsigned)len;
	return NULL;
}

/*
 * relay_net_has_host_bits - whether net's address, as written, has bits
 * set past its length (qcdb warns: most likely a typo).
 */
int
relay_net_has_host_bits(const struct relay_net *net)
{
	size_t i, alen = net->af == AF_INET ? 4 : 16;

	for (i = net->len; i < alen * 8; i++)
		if (net->addr[i / 8] >> (7 - i % 8) & 1)
			return 1;
	return 0;
}

/*
 * relay_net_match - whether the client at ip (text, as relay_allowed
 * takes it) is inside net.  Returns 1 or 0 (also for no address).
 */
int
relay_net_match(const struct relay_net *net, const char *ip)
{
	unsigned char a[16];
	unsigned full, rest, mask;

	if (ip == NULL || strnlen(ip, INET6_ADDRSTRLEN) >= INET6_ADDRSTRLEN ||
	    relay_parse_ip(ip, a) != net->af ||
	    net->len > (net->af == AF_INET ? 32u : 128u))
		return 0;
	full = net->len / 8;
	rest = net->len % 8;
	if (memcmp(a, net->addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = 0xff00u >> rest & 0xff;
	return ((a[full] ^ net->addr[full]) & mask) == 0;
}
