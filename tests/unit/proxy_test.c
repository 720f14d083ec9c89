/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * proxy_test - tests of smtpd/proxy.c (the PROXY header parser),
 * proxy_read.c (reading exactly the header off a socket) and
 * proxy_from.c (control/proxyfrom): good v1 TCP4, TCP6 and UNKNOWN
 * lines, good v2 PROXY and LOCAL headers over IPv4, IPv6, UNSPEC and
 * UNIX with TLVs; every truncation of each good header asks for more
 * and never past its end; garbage, oversize lines, hostile lengths and
 * broken TLVs are refused with a reason; the reader leaves the bytes
 * after the header in the socket, and gives up on a silent or closing
 * peer; the proxyfrom list matches addresses and networks and refuses
 * a broken line.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <atf-c.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proxy.h"
#include "relay.h"
#include "control_fixture.h"
#include "lsan_atf.h"

/* a v2 header under construction */
struct v2 {
	unsigned char	 b[PROXY_MAX + 64];
	size_t		 len;
};

static const unsigned char sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* v2_start - signature, version/command byte, family byte; length 0. */
static void
v2_start(struct v2 *v, unsigned vc, unsigned fam)
{
	memcpy(v->b, sig, sizeof(sig));
	v->b[12] = (unsigned char)vc;
	v->b[13] = (unsigned char)fam;
	v->b[14] = v->b[15] = 0;
	v->len = 16;
}

/* v2_add - append n bytes and fix the length field to match. */
static void
v2_add(struct v2 *v, const void *p, size_t n)
{
	size_t l;

	ATF_REQUIRE(v->len + n <= sizeof(v->b));
	memcpy(v->b + v->len, p, n);
	v->len += n;
	l = v->len - 16;
	v->b[14] = (unsigned char)(l >> 8);
	v->b[15] = (unsigned char)l;
}

/* v2_tlv - append one TLV of type t with n bytes of value c. */
static void
v2_tlv(struct v2 *v, unsigned t, size_t n, int c)
{
	unsigned char h[3], val[PROXY_MAX];

	ATF_REQUIRE(n <= sizeof(val));
	h[0] = (unsigned char)t;
	h[1] = (unsigned char)(n >> 8);
	h[2] = (unsigned char)n;
	memset(val, c, n);
	v2_add(v, h, 3);
	v2_add(v, val, n);
}

/* v2_inet - a PROXY TCP over IPv4 header from src:sport to dst:dport. */
static void
v2_inet(struct v2 *v, const char *src, const char *dst, unsigned sport,
    unsigned dport)
{
	unsigned char a[12];

	v2_start(v, 0x21, 0x11);
	ATF_REQUIRE(inet_pton(AF_INET, src, a) == 1);
	ATF_REQUIRE(inet_pton(AF_INET, dst, a + 4) == 1);
	a[8] = (unsigned char)(sport >> 8);
	a[9] = (unsigned char)sport;
	a[10] = (unsigned char)(dport >> 8);
	a[11] = (unsigned char)dport;
	v2_add(v, a, sizeof(a));
}

/* v2_inet6 - the same over IPv6. */
static void
v2_inet6(struct v2 *v, const char *src, const char *dst, unsigned sport,
    unsigned dport)
{
	unsigned char a[36];

	v2_start(v, 0x21, 0x21);
	ATF_REQUIRE(inet_pton(AF_INET6, src, a) == 1);
	ATF_REQUIRE(inet_pton(AF_INET6, dst, a + 16) == 1);
	a[32] = (unsigned char)(sport >> 8);
	a[33] = (unsigned char)sport;
	a[34] = (unsigned char)(dport >> 8);
	a[35] = (unsigned char)dport;
	v2_add(v, a, sizeof(a));
}

/*
 * feed - parse p as proxy_read does: start from nothing and add what
 * proxy_parse asks for, or less when a read would return less (the
 * input ends).  The result of the last call: PROXY_MORE when all of
 * p is a strict prefix of a header.
 */
static int
feed(const unsigned char *p, size_t len, struct proxy_hdr *h)
{
	size_t got = 0, need;
	int r;

	for (;;) {
		r = proxy_parse(p, got, h, &need);
		if (r != PROXY_MORE)
			return r;
		ATF_REQUIRE_MSG(need >= 1, "need 0 at %zu", got);
		if (got == len)
			return PROXY_MORE;	/* input ends: truncated */
		got += need < len - got ? need : len - got;
	}
}

/* good - p is one whole header: fed exactly, and parsed at once. */
static void
good(const void *p, size_t len, struct proxy_hdr *h)
{
	size_t need;

	ATF_REQUIRE_EQ_MSG(feed(p, len, h), PROXY_OK, "refused: %s",
	    h->why ? h->why : "?");
	ATF_REQUIRE_EQ(h->len, len);
	ATF_REQUIRE_EQ(proxy_parse(p, len, h, &need), PROXY_OK);
	ATF_REQUIRE_EQ(h->len, len);
}

/* truncations - every strict prefix of a good header wants more. */
static void
truncations(const unsigned char *p, size_t len)
{
	struct proxy_hdr h;
	size_t i, need;

	for (i = 0; i < len; i++) {
		ATF_REQUIRE_EQ_MSG(proxy_parse(p, i, &h, &need), PROXY_MORE,
		    "prefix %zu of %zu: %s", i, len, h.why ? h.why : "");
		ATF_REQUIRE_MSG(need >= 1 && need <= len - i,
		    "prefix %zu of %zu: need %zu", i, len, need);
	}
}

/* client_is - the header's client address and port. */
static void
client_is(const struct proxy_hdr *h, const char *ip, unsigned port)
{
	char text[INET6_ADDRSTRLEN];

	ATF_REQUIRE_EQ(h->is_local, 0);
	ATF_REQUIRE_EQ(proxy_client(h, text, sizeof(text)), 0);
	ATF_CHECK_STREQ(text, ip);
	ATF_CHECK_EQ(h->sport, port);
}

ATF_TC_WITHOUT_HEAD(v1_good);
ATF_TC_BODY(v1_good, tc)
{
	static const struct {
		const char	*line;
		int		 family;	/* 0: UNKNOWN */
		const char	*ip;
		unsigned	 port;
	} t[] = {
		{ "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\n", AF_INET,
		    "192.0.2.1", 56324 },
		{ "PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n", AF_INET,
		    "0.0.0.0", 0 },
		{ "PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n", AF_INET6,
		    "2001:db8::1", 1 },
		{ "PROXY TCP6 ::ffff:192.0.2.1 ::1 4000 25\r\n", AF_INET6,
		    "::ffff:192.0.2.1", 4000 },
		{ "PROXY UNKNOWN\r\n", 0, NULL, 0 },
		{ "PROXY UNKNOWN 2001:db8::1 garbage ! 99999\r\n", 0, NULL, 0 },
		{ "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
		    AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		    65535 },
		/* the longest line the spec allows: 107 bytes */
		{ "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
		    0, NULL, 0 },
	};
	struct proxy_hdr h;
	size_t i, n;

	ATF_REQUIRE_EQ(strlen(t[7].line), PROXY_V1_MAX);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = strlen(t[i].line);
		good(t[i].line, n, &h);
		truncations((const unsigned char *)t[i].line, n);
		ATF_CHECK_EQ(h.version, 1);
		if (t[i].family == 0) {
			ATF_CHECK_EQ_MSG(h.is_local, 1, "line %zu", i);
			continue;
		}
		ATF_CHECK_EQ(h.family, t[i].family);
		client_is(&h, t[i].ip, t[i].port);
	}
	good("PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\n", 44, &h);
	ATF_CHECK_EQ(h.dport, 25);
}

ATF_TC_WITHOUT_HEAD(v1_bad);
ATF_TC_BODY(v1_bad, tc)
{
	static const char *const t[] = {
		"PROXY TCP4 192.0.2.1 198.51.100.2 1 2\n",	/* bare LF */
		"PROXY TCP4 192.0.2.1 198.51.100.2 1 2\r\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 1 2\rX\r\n",
		"PROXY TCP4  192.0.2.1 198.51.100.2 1 2\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 1 2 \r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 1\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 1 2 3\r\n",
		"PROXY TCP4 192.0.2.1\r\n",
		"PROXY TCP4\r\n",
		"PROXY TCP4 \r\n",
		"PROXY \r\n",
		"PROXY\r\n",
		"PROXY tcp4 192.0.2.1 198.51.100.2 1 2\r\n",
		"PROXY TCP5 192.0.2.1 198.51.100.2 1 2\r\n",
		"PROXY UDP4 192.0.2.1 198.51.100.2 1 2\r\n",
		"PROXY UNKNOWNX\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 01 2\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 65536 2\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 1 999999\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 -1 2\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 +1 2\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 0x1 2\r\n",
		"PROXY TCP4 192.0.2 198.51.100.2 1 2\r\n",
		"PROXY TCP4 192.0.2.256 198.51.100.2 1 2\r\n",
		"PROXY TCP4 192.0.2.01 198.51.100.2 1 2\r\n",
		"PROXY TCP4 2001:db8::1 198.51.100.2 1 2\r\n",
		"PROXY TCP6 192.0.2.1 2001:db8::1 1 2\r\n",
		"PROXY TCP6 2001:db8::1%eth0 2001:db8::2 1 2\r\n",
		"PROXY TCP6 [2001:db8::1] 2001:db8::2 1 2\r\n",
		"PROXY TCP4 example.org 198.51.100.2 1 2\r\n",
		"PROXY\tTCP4 192.0.2.1 198.51.100.2 1 2\r\n",
		"PROXY TCP4 192.0.2.1\t198.51.100.2 1 2\r\n",
		"proxy TCP4 192.0.2.1 198.51.100.2 1 2\r\n",
		"PROXI TCP4 192.0.2.1 198.51.100.2 1 2\r\n",
		"PROXY UNKNOWN \x01\r\n",
		"PROXY UNKNOWN \xc3\xa9\r\n",
		"EHLO client.example\r\n",
		"GET / HTTP/1.0\r\n",
		"\r\nQUIT\r\n",			/* not v2's signature */
		"\n",
		"QUIT\r\n",
		"\x16\x03\x01\x02\x00\x01",	/* a TLS ClientHello */
	};
	struct proxy_hdr h;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		h.why = NULL;
		ATF_CHECK_EQ_MSG(feed((const unsigned char *)t[i],
		    strlen(t[i]), &h), PROXY_BAD, "line %zu accepted", i);
		ATF_CHECK_MSG(h.why != NULL && strchr(h.why, ' ') == NULL,
		    "line %zu: no one-word reason", i);
	}
}

ATF_TC_WITHOUT_HEAD(v1_oversize);
ATF_TC_BODY(v1_oversize, tc)
{
	unsigned char line[4096];
	struct proxy_hdr h;
	size_t need;

	/* an endless line is refused at byte 107, with no CRLF in sight */
	memset(line, 'x', sizeof(line));
	memcpy(line, "PROXY UNKNOWN ", 14);
	ATF_CHECK_EQ(feed(line, sizeof(line), &h), PROXY_BAD);
	ATF_CHECK_STREQ(h.why, "v1_too_long");
	ATF_CHECK_EQ(proxy_parse(line, PROXY_V1_MAX - 1, &h, &need),
	    PROXY_MORE);
	ATF_CHECK_EQ(proxy_parse(line, PROXY_V1_MAX, &h, &need), PROXY_BAD);
	/* 108 bytes with the CRLF at the end: one too many */
	memcpy(line + PROXY_V1_MAX - 1, "\r\n", 2);
	ATF_CHECK_EQ(proxy_parse(line, PROXY_V1_MAX + 1, &h, &need),
	    PROXY_BAD);
	/* 107 with CRLF: the longest UNKNOWN is fine */
	memcpy(line + PROXY_V1_MAX - 2, "\r\n", 2);
	ATF_CHECK_EQ(feed(line, PROXY_V1_MAX, &h), PROXY_OK);
	ATF_CHECK_EQ(h.len, PROXY_V1_MAX);
}

ATF_TC_WITHOUT_HEAD(v2_good);
ATF_TC_BODY(v2_good, tc)
{
	static unsigned char unix_addrs[216];
	struct v2 v;
	struct proxy_hdr h;

	v2_inet(&v, "192.0.2.1", "198.51.100.2", 56324, 25);
	good(v.b, v.len, &h);
	truncations(v.b, v.len);
	ATF_CHECK_EQ(h.version, 2);
	ATF_CHECK_EQ(h.family, AF_INET);
	ATF_CHECK_EQ(h.dport, 25);
	client_is(&h, "192.0.2.1", 56324);

	/* TLVs (ALPN, authority, an SSL block, NOOP padding, empty) */
	v2_tlv(&v, 0x01, 2, 'h');
	v2_tlv(&v, 0x02, 255, 'a');
	v2_tlv(&v, 0x20, 40, 0);
	v2_tlv(&v, 0x04, 0, 0);
	v2_tlv(&v, 0xee, 1000, 0xff);
	good(v.b, v.len, &h);
	truncations(v.b, v.len);
	client_is(&h, "192.0.2.1", 56324);

	v2_inet6(&v, "2001:db8::7", "2001:db8::1", 65535, 465);
	good(v.b, v.len, &h);
	truncations(v.b, v.len);
	ATF_CHECK_EQ(h.family, AF_INET6);
	client_is(&h, "2001:db8::7", 65535);
	v2_tlv(&v, 0x05, 16, 'u');
	good(v.b, v.len, &h);
	client_is(&h, "2001:db8::7", 65535);

	/* LOCAL, as HAProxy's health checks send it: no address */
	v2_start(&v, 0x20, 0x00);
	good(v.b, v.len, &h);
	truncations(v.b, v.len);
	ATF_CHECK_EQ(h.is_local, 1);
	ATF_CHECK_EQ(proxy_client(&h, (char *)v.b, 64), -1);
	/* LOCAL with any family and body: ignored, as the spec says */
	v2_start(&v, 0x20, 0x11);
	v2_add(&v, "\x01\x02\x03", 3);
	good(v.b, v.len, &h);
	ATF_CHECK_EQ(h.is_local, 1);
	v2_start(&v, 0x20, 0xff);
	good(v.b, v.len, &h);
	ATF_CHECK_EQ(h.is_local, 1);

	/* PROXY with UNSPEC or UNIX: the balancer's own address */
	v2_start(&v, 0x21, 0x00);
	v2_add(&v, "junk", 4);
	good(v.b, v.len, &h);
	ATF_CHECK_EQ(h.is_local, 1);
	v2_start(&v, 0x21, 0x31);
	v2_add(&v, unix_addrs, sizeof(unix_addrs));
	good(v.b, v.len, &h);
	truncations(v.b, v.len);
	ATF_CHECK_EQ(h.is_local, 1);
	v2_tlv(&v, 0x03, 4, 0);
	good(v.b, v.len, &h);
	v2_start(&v, 0x21, 0x32);	/* UNIX datagram: still no address */
	v2_add(&v, unix_addrs, sizeof(unix_addrs));
	good(v.b, v.len, &h);
	ATF_CHECK_EQ(h.is_local, 1);

	/* the biggest header taken */
	v2_inet(&v, "192.0.2.1", "198.51.100.2", 1, 2);
	v2_tlv(&v, 0x04, PROXY_MAX - v.len - 3, 0);
	ATF_REQUIRE_EQ(v.len, PROXY_MAX);
	good(v.b, v.len, &h);
	client_is(&h, "192.0.2.1", 1);
}

/* bad_v2 - v is refused with the reason why. */
static void
bad_v2(const struct v2 *v, const char *why)
{
	struct proxy_hdr h;

	h.why = NULL;
	ATF_CHECK_EQ_MSG(feed(v->b, v->len, &h), PROXY_BAD,
	    "accepted, want %s", why);
	ATF_CHECK_STREQ(h.why != NULL ? h.why : "(none)", why);
}

ATF_TC_WITHOUT_HEAD(v2_bad);
ATF_TC_BODY(v2_bad, tc)
{
	struct v2 v;
	unsigned char b[36];
	size_t i;

	memset(b, 0, sizeof(b));
	v2_start(&v, 0x11, 0x11);		/* version 1 */
	v2_add(&v, b, 12);
	bad_v2(&v, "v2_unknown_version");
	v2_start(&v, 0x31, 0x11);		/* version 3 */
	v2_add(&v, b, 12);
	bad_v2(&v, "v2_unknown_version");
	v2_start(&v, 0x22, 0x11);		/* command 2 */
	v2_add(&v, b, 12);
	bad_v2(&v, "v2_unknown_command");
	v2_start(&v, 0x2f, 0x11);
	bad_v2(&v, "v2_unknown_command");
	v2_start(&v, 0x21, 0x41);		/* family 4 */
	v2_add(&v, b, 12);
	bad_v2(&v, "v2_unknown_family");
	v2_start(&v, 0x21, 0x13);		/* transport 3 */
	v2_add(&v, b, 12);
	bad_v2(&v, "v2_unknown_transport");
	v2_start(&v, 0x21, 0x12);		/* TCP over datagrams? */
	v2_add(&v, b, 12);
	bad_v2(&v, "v2_not_stream");
	v2_start(&v, 0x21, 0x10);
	v2_add(&v, b, 12);
	bad_v2(&v, "v2_not_stream");
	v2_start(&v, 0x21, 0x11);		/* IPv4 block short */
	v2_add(&v, b, 11);
	bad_v2(&v, "v2_short_address_block");
	v2_start(&v, 0x21, 0x11);
	bad_v2(&v, "v2_short_address_block");
	v2_start(&v, 0x21, 0x21);		/* IPv6 block short */
	v2_add(&v, b, 35);
	bad_v2(&v, "v2_short_address_block");
	v2_start(&v, 0x21, 0x21);
	v2_add(&v, b, 12);
	bad_v2(&v, "v2_short_address_block");
	v2_start(&v, 0x21, 0x31);		/* UNIX block short */
	v2_add(&v, b, 36);
	bad_v2(&v, "v2_short_address_block");

	/* TLVs must fill the rest exactly */
	for (i = 1; i <= 2; i++) {
		v2_inet(&v, "192.0.2.1", "198.51.100.2", 1, 2);
		v2_add(&v, "\x04\x00\x00", i);
		bad_v2(&v, "v2_truncated_tlv");
	}
	v2_inet(&v, "192.0.2.1", "198.51.100.2", 1, 2);
	v2_add(&v, "\x04\x00\x02" "a", 4);	/* says 2, has 1 */
	bad_v2(&v, "v2_tlv_overrun");
	v2_inet(&v, "192.0.2.1", "198.51.100.2", 1, 2);
	v2_tlv(&v, 0x01, 3, 'x');
	v2_add(&v, "\x02\xff\xff", 3);	/* 65535 more than there is */
	bad_v2(&v, "v2_tlv_overrun");

	/* a signature wrong at any byte */
	for (i = 0; i < 12; i++) {
		v2_inet(&v, "192.0.2.1", "198.51.100.2", 1, 2);
		v.b[i] ^= 0x20;
		bad_v2(&v, "no_proxy_header");
	}
}

ATF_TC_WITHOUT_HEAD(v2_hostile_lengths);
ATF_TC_BODY(v2_hostile_lengths, tc)
{
	struct v2 v;
	struct proxy_hdr h;
	size_t need;
	unsigned l;

	/* refused on the 16 fixed bytes, before anything is read for it */
	for (l = PROXY_MAX - 16 + 1; l <= 0xffff; l += 997) {
		v2_start(&v, 0x21, 0x11);
		v.b[14] = (unsigned char)(l >> 8);
		v.b[15] = (unsigned char)l;
		ATF_CHECK_EQ(proxy_parse(v.b, 16, &h, &need), PROXY_BAD);
		ATF_CHECK_STREQ(h.why, "v2_too_long");
	}
	v2_start(&v, 0x20, 0x00);		/* even for LOCAL */
	v.b[14] = v.b[15] = 0xff;
	ATF_CHECK_EQ(proxy_parse(v.b, 16, &h, &need), PROXY_BAD);
	/* just inside: the reader is told to read exactly the rest */
	v2_start(&v, 0x21, 0x11);
	l = PROXY_MAX - 16;
	v.b[14] = (unsigned char)(l >> 8);
	v.b[15] = (unsigned char)l;
	ATF_CHECK_EQ(proxy_parse(v.b, 16, &h, &need), PROXY_MORE);
	ATF_CHECK_EQ(need, l);
	/* a length smaller than what follows: the rest is not its */
	v2_inet(&v, "192.0.2.1", "198.51.100.2", 1, 2);
	memcpy(v.b + v.len, "EHLO x\r\n", 8);
	ATF_CHECK_EQ(proxy_parse(v.b, v.len + 8, &h, &need), PROXY_OK);
	ATF_CHECK_EQ(h.len, 28);
}

ATF_TC_WITHOUT_HEAD(garbage);
ATF_TC_BODY(garbage, tc)
{
	unsigned char b[512];
	struct proxy_hdr h;
	size_t i, j, need;
	unsigned seed = 8;
	int r;

	/* random bytes, and random bytes behind each good start */
	for (i = 0; i < 20000; i++) {
		size_t n = (size_t)(rand_r(&seed) % sizeof(b));

		for (j = 0; j < n; j++)
			b[j] = (unsigned char)rand_r(&seed);
		if (i % 3 == 1 && n >= 6)
			memcpy(b, "PROXY ", 6);
		if (i % 3 == 2 && n >= 12)
			memcpy(b, sig, 12);
		r = proxy_parse(b, n, &h, &need);
		ATF_REQUIRE(r == PROXY_OK || r == PROXY_MORE || r == PROXY_BAD);
		if (r == PROXY_OK)
			ATF_REQUIRE(h.len <= n);
		if (r == PROXY_MORE)
			ATF_REQUIRE(need >= 1 && n + need <= PROXY_MAX);
		if (r == PROXY_BAD)
			ATF_REQUIRE(h.why != NULL);
	}
	ATF_CHECK_EQ(proxy_parse(NULL, 0, &h, &need), PROXY_MORE);
	ATF_CHECK_EQ(need, 1);
}

/*
 * after_header - write all of data to one end of a socketpair, read
 * one header with proxy_read from the other, and return there what
 * remains unread (into rest, NUL-terminated).
 */
static int
after_header(const void *data, size_t n, struct proxy_hdr *h, char *rest,
    size_t size)
{
	unsigned char buf[PROXY_MAX];
	int sv[2], r;
	ssize_t got;

	ATF_REQUIRE_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ATF_REQUIRE_EQ(write(sv[1], data, n), (ssize_t)n);
	ATF_REQUIRE_EQ(shutdown(sv[1], SHUT_WR), 0);
	r = proxy_read(sv[0], 2000, buf, h);
	got = read(sv[0], rest, size - 1);
	rest[got > 0 ? got : 0] = '\0';
	close(sv[0]);
	close(sv[1]);
	return r;
}

ATF_TC_WITHOUT_HEAD(read_exact);
ATF_TC_BODY(read_exact, tc)
{
	static const char v1[] = "PROXY TCP4 192.0.2.1 198.51.100.2 4000 25\r\n"
	    "EHLO client.example\r\nMAIL FROM:<a@b.example>\r\n";
	struct proxy_hdr h;
	struct v2 v;
	char rest[256];

	ATF_REQUIRE_EQ(after_header(v1, sizeof(v1) - 1, &h, rest,
	    sizeof(rest)), 0);
	client_is(&h, "192.0.2.1", 4000);
	ATF_CHECK_STREQ(rest, "EHLO client.example\r\n"
	    "MAIL FROM:<a@b.example>\r\n");

	/* v2 with a TLV, and a TLS ClientHello's first bytes behind it */
	v2_inet6(&v, "2001:db8::9", "2001:db8::1", 1234, 465);
	v2_tlv(&v, 0x02, 11, 'm');
	memcpy(v.b + v.len, "\x16\x03\x01 hello", 9);
	ATF_REQUIRE_EQ(after_header(v.b, v.len + 9, &h, rest,
	    sizeof(rest)), 0);
	client_is(&h, "2001:db8::9", 1234);
	ATF_CHECK_EQ(memcmp(rest, "\x16\x03\x01 hello", 9), 0);

	/* LOCAL, then nothing */
	v2_start(&v, 0x20, 0x00);
	ATF_REQUIRE_EQ(after_header(v.b, v.len, &h, rest, sizeof(rest)), 0);
	ATF_CHECK_EQ(h.is_local, 1);
	ATF_CHECK_STREQ(rest, "");

	/* garbage is refused at its first byte: the rest stays unread */
	ATF_REQUIRE_EQ(after_header("EHLO x\r\n", 8, &h, rest, sizeof(rest)),
	    -1);
	ATF_CHECK_STREQ(h.why, "no_proxy_header");
	ATF_CHECK_STREQ(rest, "HLO x\r\n");
}

ATF_TC_WITHOUT_HEAD(read_fails);
ATF_TC_BODY(read_fails, tc)
{
	unsigned char buf[PROXY_MAX];
	struct proxy_hdr h;
	struct timespec t0, t1;
	char rest[16];
	int sv[2];
	long ms;

	/* end of file in the middle of a header */
	ATF_CHECK_EQ(after_header("PROXY TCP4 192.0.2.1", 20, &h, rest,
	    sizeof(rest)), -1);
	ATF_CHECK_STREQ(h.why, "eof");
	ATF_CHECK_EQ(after_header("", 0, &h, rest, sizeof(rest)), -1);
	ATF_CHECK_STREQ(h.why, "eof");

	/* a peer that sends half a header and waits: one deadline */
	ATF_REQUIRE_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ATF_REQUIRE_EQ(write(sv[1], "PROXY TCP4 ", 11), 11);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ATF_CHECK_EQ(proxy_read(sv[0], 300, buf, &h), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ATF_CHECK_STREQ(h.why, "timeout");
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ATF_CHECK_MSG(ms >= 250 && ms < 3000, "waited %ld ms", ms);
	close(sv[0]);
	close(sv[1]);

	/* a closed descriptor */
	ATF_CHECK_EQ(proxy_read(-1, 100, buf, &h), -1);
}

ATF_TC_WITHOUT_HEAD(from_list);
ATF_TC_BODY(from_list, tc)
{
	static const struct {
		const char	*ip;
		int		 want;
	} t[] = {
		{ "127.0.0.1", 1 },
		{ "127.0.0.2", 0 },
		{ "10.1.2.3", 1 },		/* 10.1.0.0/16 */
		{ "10.2.0.1", 0 },
		{ "192.0.2.130", 1 },		/* 192.0.2.128/25 */
		{ "192.0.2.127", 0 },
		{ "::1", 1 },
		{ "::2", 0 },
		{ "2001:db8:5::77", 1 },	/* [2001:db8::]/44 */
		{ "2001:db8:10::1", 0 },
		{ "::ffff:127.0.0.1", 1 },	/* mapped: as IPv4 */
		{ "::ffff:127.0.0.2", 0 },
		{ "", 0 },
		{ "unknown", 0 },
		{ "127.0.0.1 ", 0 },
		{ "[::1]", 0 },
	};
	size_t i;

	setup();
	ATF_CHECK_EQ(proxy_from_listed("127.0.0.1"), 0);	/* absent */
	puts0("proxyfrom", "");
	ATF_CHECK_EQ(proxy_from_listed("127.0.0.1"), 0);
	puts0("proxyfrom", "# balancers\n127.0.0.1\n10.1.0.0/16\n"
	    "  192.0.2.128/25  \n[::1]\n\n[2001:db8::]/44\n");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ_MSG(proxy_from_listed(t[i].ip), t[i].want,
		    "%s", t[i].ip);
	ATF_CHECK_EQ(proxy_from_listed(NULL), 0);
	/* /0 lists everyone of that family */
	puts0("proxyfrom", "0.0.0.0/0\n");
	ATF_CHECK_EQ(proxy_from_listed("203.0.113.9"), 1);
	ATF_CHECK_EQ(proxy_from_listed("2001:db8::1"), 0);
}

ATF_TC_WITHOUT_HEAD(from_broken);
ATF_TC_BODY(from_broken, tc)
{
	static const char *const bad[] = {
		"::1", "1.2.3", "256.0.0.1", "01.2.3.4", "1.2.3.4/33",
		"1.2.3.4/", "1.2.3.4/08", "[::1]/129", "[::1", "[1.2.3.4]",
		"[::ffff:10.0.0.1]", "example.org", "[]", "/8",
		"1.2.3.4 5.6.7.8",
	};
	char text[128];
	size_t i;

	setup();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* broken after a match too: the file is broken for all */
		snprintf(text, sizeof(text), "127.0.0.1\n%s\n", bad[i]);
		puts0("proxyfrom", text);
		ATF_CHECK_EQ_MSG(proxy_from_listed("127.0.0.1"), -1, "%s",
		    bad[i]);
		ATF_CHECK_EQ_MSG(proxy_from_listed("192.0.2.1"), -1, "%s",
		    bad[i]);
	}
}

ATF_TC_WITHOUT_HEAD(net_match);
ATF_TC_BODY(net_match, tc)
{
	struct relay_net n;

	ATF_REQUIRE(relay_net_parse("10.0.0.7/8", 10, &n) == NULL);
	ATF_CHECK_EQ(n.len, 8);
	ATF_CHECK_EQ(relay_net_match(&n, "10.255.0.1"), 1);	/* masked */
	ATF_CHECK_EQ(relay_net_match(&n, "11.0.0.7"), 0);
	ATF_REQUIRE(relay_net_parse("192.0.2.64/26", 13, &n) == NULL);
	ATF_CHECK_EQ(relay_net_match(&n, "192.0.2.127"), 1);
	ATF_CHECK_EQ(relay_net_match(&n, "192.0.2.128"), 0);
	ATF_CHECK_EQ(relay_net_match(&n, "192.0.2.63"), 0);
	ATF_REQUIRE(relay_net_parse("[fe80::]/10", 11, &n) == NULL);
	ATF_CHECK_EQ(relay_net_match(&n, "febf::1"), 1);
	ATF_CHECK_EQ(relay_net_match(&n, "fec0::1"), 0);
	ATF_CHECK_EQ(relay_net_match(&n, "10.0.0.1"), 0);
	ATF_REQUIRE(relay_net_parse("[::]/0", 6, &n) == NULL);
	ATF_CHECK_EQ(relay_net_match(&n, "2001:db8::1"), 1);
	ATF_CHECK_EQ(relay_net_match(&n, "10.0.0.1"), 0);
	ATF_CHECK(relay_net_parse("10.0.0.1", 0, &n) != NULL);
	ATF_CHECK(relay_net_parse("::1", 3, &n) != NULL);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, v1_good);
	ATF_TP_ADD_TC(tp, v1_bad);
	ATF_TP_ADD_TC(tp, v1_oversize);
	ATF_TP_ADD_TC(tp, v2_good);
	ATF_TP_ADD_TC(tp, v2_bad);
	ATF_TP_ADD_TC(tp, v2_hostile_lengths);
	ATF_TP_ADD_TC(tp, garbage);
	ATF_TP_ADD_TC(tp, read_exact);
	ATF_TP_ADD_TC(tp, read_fails);
	ATF_TP_ADD_TC(tp, from_list);
	ATF_TP_ADD_TC(tp, from_broken);
	ATF_TP_ADD_TC(tp, net_match);
	return 0;
}
