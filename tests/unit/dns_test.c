/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * dns_test - tests of lib/dns_parse.c on answers built byte by byte
 * (good ones with compression, CNAME chains and the null MX; and every
 * way an answer can lie: truncation at each length, pointer loops, a
 * question that does not echo, rdata lengths, too many records), and
 * of control/resolvers as lib/dns.c reads it.  Each parse runs on a
 * malloc'd copy of exactly the answer's length, so a sanitizer build
 * catches any read past the end.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <atf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "lsan_atf.h"
#include "control_fixture.h"

/* an answer under construction */
struct pkt {
	unsigned char	b[8192];
	size_t		n;
};

static void
p8(struct pkt *p, unsigned v)
{
	ATF_REQUIRE(p->n < sizeof(p->b));
	p->b[p->n++] = (unsigned char)v;
}

static void
p16(struct pkt *p, unsigned v)
{
	p8(p, v >> 8 & 0xff);
	p8(p, v & 0xff);
}

static void
p32(struct pkt *p, unsigned long v)
{
	p16(p, (unsigned)(v >> 16 & 0xffff));
	p16(p, (unsigned)(v & 0xffff));
}

static void
pbytes(struct pkt *p, const void *s, size_t n)
{
	ATF_REQUIRE(p->n + n <= sizeof(p->b));
	memcpy(p->b + p->n, s, n);
	p->n += n;
}

/* plabels - the labels of a dotted name, without the root octet. */
static void
plabels(struct pkt *p, const char *name)
{
	const char *dot;
	size_t n;

	while (*name != '\0') {
		dot = strchr(name, '.');
		n = dot ? (size_t)(dot - name) : strlen(name);
		p8(p, (unsigned)n);
		pbytes(p, name, n);
		name += n + (dot ? 1 : 0);
	}
}

/* pname - a whole name, uncompressed ("" is the root). */
static void
pname(struct pkt *p, const char *name)
{
	plabels(p, name);
	p8(p, 0);
}

/* pptr - a compression pointer to off. */
static void
pptr(struct pkt *p, unsigned off)
{
	p16(p, 0xc000 | off);
}

/* start - header (flags, one question, an answers) and the question. */
static void
start(struct pkt *p, unsigned flags, unsigned an, const char *qname,
    unsigned qtype)
{
	p->n = 0;
	p16(p, 0x1234);
	p16(p, flags);
	p16(p, 1);
	p16(p, an);
	p16(p, 0);
	p16(p, 0);
	pname(p, qname);
	p16(p, qtype);
	p16(p, ns_c_in);
}

#define OK_FLAGS	0x8180	/* QR, RD, RA, NOERROR */
#define QNAME_OFF	12

/* rr - owner written by the caller before; type, class, ttl, rdlen. */
static void
rr(struct pkt *p, unsigned type, unsigned class, unsigned rdlen)
{
	p16(p, type);
	p16(p, class);
	p32(p, 300);
	p16(p, rdlen);
}

/* mx_rec - an MX record owned by the question's name, exchange
   uncompressed. */
static void
mx_rec(struct pkt *p, unsigned pref, const char *host)
{
	size_t n = strlen(host);

	pptr(p, QNAME_OFF);
	rr(p, ns_t_mx, ns_c_in, (unsigned)(2 + (n ? n + 2 : 1)));
	p16(p, pref);
	pname(p, host);
}

/* a_rec - an A record owned by the name at off. */
static void
a_rec(struct pkt *p, unsigned off, const char *ip)
{
	unsigned char a[4];

	ATF_REQUIRE(inet_pton(AF_INET, ip, a) == 1);
	pptr(p, off);
	rr(p, ns_t_a, ns_c_in, 4);
	pbytes(p, a, 4);
}

/* aaaa_rec - an AAAA record owned by the name at off. */
static void
aaaa_rec(struct pkt *p, unsigned off, const char *ip)
{
	unsigned char a[16];

	ATF_REQUIRE(inet_pton(AF_INET6, ip, a) == 1);
	pptr(p, off);
	rr(p, ns_t_aaaa, ns_c_in, 16);
	pbytes(p, a, 16);
}

/* parse_mx - dns_parse_mx on an exact-size copy of p's first len bytes. */
static int
parse_mx(const struct pkt *p, size_t len, const char *qname,
    struct dns_mx **mx, size_t *n)
{
	unsigned char *copy = malloc(len ? len : 1);
	int r;

	ATF_REQUIRE(copy != NULL);
	memcpy(copy, p->b, len);
	r = dns_parse_mx(copy, len, qname, mx, n);
	free(copy);
	if (r != DNS_OK) {
		ATF_CHECK(*mx == NULL);
		ATF_CHECK_EQ(*n, 0);
	}
	return r;
}

static int
parse_addrs(const struct pkt *p, size_t len, const char *qname, int type,
    struct dns_addr **a, size_t *n)
{
	unsigned char *copy = malloc(len ? len : 1);
	int r;

	ATF_REQUIRE(copy != NULL);
	memcpy(copy, p->b, len);
	r = dns_parse_addrs(copy, len, qname, type, a, n);
	free(copy);
	if (r != DNS_OK) {
		ATF_CHECK(*a == NULL);
		ATF_CHECK_EQ(*n, 0);
	}
	return r;
}

/* mx_result - parse p as the MX answer for qname: the code, or for
   DNS_OK the hosts as "pref host,pref host" (equal preferences in
   either order, so tests give them distinct ones). */
static const char *
mx_result(const struct pkt *p, const char *qname)
{
	static char out[4096];
	struct dns_mx *mx;
	size_t n, i, o = 0;
	int r;

	r = parse_mx(p, p->n, qname, &mx, &n);
	if (r != DNS_OK) {
		snprintf(out, sizeof(out), "%s", r == DNS_NXDOMAIN ?
		    "NXDOMAIN" : r == DNS_NODATA ? "NODATA" : r == DNS_NULLMX ?
		    "NULLMX" : r == DNS_TEMP ? "TEMP" : "?");
		return out;
	}
	out[0] = '\0';
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%u %s",
		    i ? "," : "", mx[i].pref, mx[i].host);
	free(mx);
	return out;
}

/* addrs_result - the same for an A or AAAA answer. */
static const char *
addrs_result(const struct pkt *p, const char *qname, int type)
{
	static char out[8192];
	char text[INET6_ADDRSTRLEN];
	struct dns_addr *a;
	size_t n, i, o = 0;
	int r;

	r = parse_addrs(p, p->n, qname, type, &a, &n);
	if (r != DNS_OK) {
		snprintf(out, sizeof(out), "%s", r == DNS_NXDOMAIN ?
		    "NXDOMAIN" : r == DNS_NODATA ? "NODATA" : r == DNS_TEMP ?
		    "TEMP" : "?");
		return out;
	}
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		ATF_CHECK_EQ(a[i].family, type == ns_t_a ? AF_INET : AF_INET6);
		inet_ntop(a[i].family, a[i].addr, text, sizeof(text));
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s",
		    i ? "," : "", text);
	}
	free(a);
	return out;
}

/* hex - bytes from a hex string (a captured answer). */
static void
hex(struct pkt *p, const char *h)
{
	unsigned v;

	p->n = 0;
	for (; h[0] != '\0' && h[1] != '\0'; h += 2) {
		ATF_REQUIRE(sscanf(h, "%2x", &v) == 1);
		p8(p, v);
	}
}

/* dnsmasq's answer to "example.test MX", with A and AAAA of the MX
   host in the additional section (captured from dnsmasq 2.90) */
static const char real_mx[] =
    "123485800001000100000002076578616d706c65047465737400000f0001c00c"
    "000f00010000012c0014000a036d7831076578616d706c65047465737400c02c"
    "000100010000012c00047f000002c02c001c00010000012c0010000000000000"
    "00000000000000000002";

ATF_TC_WITHOUT_HEAD(mx_valid);
ATF_TC_BODY(mx_valid, tc)
{
	struct pkt p;
	size_t ex;

	/* a real answer, the additional section ignored */
	hex(&p, real_mx);
	ATF_CHECK_STREQ(mx_result(&p, "example.test"), "10 mx1.example.test");
	ATF_CHECK_STREQ(mx_result(&p, "EXAMPLE.test."), "10 mx1.example.test");
	ATF_CHECK_STREQ(mx_result(&p, "other.test"), "TEMP");

	/* several, unsorted, compressed in three ways, mixed case */
	start(&p, OK_FLAGS, 4, "Example.TEST", ns_t_mx);
	/* 30 mx3 + pointer to the question's name */
	pptr(&p, QNAME_OFF);
	rr(&p, ns_t_mx, ns_c_in, 2 + 4 + 2);
	p16(&p, 30);
	ex = p.n;
	plabels(&p, "mx3");
	pptr(&p, QNAME_OFF);
	/* 10 MX1.Example.Test, uncompressed */
	mx_rec(&p, 10, "MX1.Example.Test");
	/* 20 a.mx3... : a label, then a pointer to the previous exchange */
	pptr(&p, QNAME_OFF);
	rr(&p, ns_t_mx, ns_c_in, 2 + 2 + 2);
	p16(&p, 20);
	plabels(&p, "a");
	pptr(&p, (unsigned)ex);
	/* 40: the exchange is only a pointer (a pointer to a pointer) */
	pptr(&p, QNAME_OFF);
	rr(&p, ns_t_mx, ns_c_in, 2 + 2);
	p16(&p, 40);
	pptr(&p, (unsigned)ex + 4);
	ATF_CHECK_STREQ(mx_result(&p, "example.test"),
	    "10 mx1.example.test,20 a.mx3.example.test,30 mx3.example.test,"
	    "40 example.test");

	/* the same host twice: once, with its lower preference */
	start(&p, OK_FLAGS, 3, "dup.test", ns_t_mx);
	mx_rec(&p, 20, "mx.dup.test");
	mx_rec(&p, 10, "MX.dup.test");
	mx_rec(&p, 15, "mx2.dup.test");
	ATF_CHECK_STREQ(mx_result(&p, "dup.test"),
	    "10 mx.dup.test,15 mx2.dup.test");

	/* the largest preference, records of other types and classes */
	start(&p, OK_FLAGS, 3, "x.test", ns_t_mx);
	mx_rec(&p, 65535, "mx.x.test");
	a_rec(&p, QNAME_OFF, "127.0.0.1");
	pptr(&p, QNAME_OFF);
	rr(&p, ns_t_mx, ns_c_chaos, 3);
	p16(&p, 1);
	p8(&p, 0);
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "65535 mx.x.test");

	/* underscores and digits are host name bytes */
	start(&p, OK_FLAGS, 1, "x.test", ns_t_mx);
	mx_rec(&p, 1, "_a-0.x.test");
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "1 _a-0.x.test");

	/* no MX records: NODATA; NXDOMAIN echoes the question */
	start(&p, OK_FLAGS, 0, "x.test", ns_t_mx);
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "NODATA");
	start(&p, OK_FLAGS | ns_r_nxdomain, 0, "x.test", ns_t_mx);
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "NXDOMAIN");
	ATF_CHECK_STREQ(mx_result(&p, "y.test"), "TEMP");
}

ATF_TC_WITHOUT_HEAD(cname_chain);
ATF_TC_BODY(cname_chain, tc)
{
	struct pkt p;
	size_t b_off, c_off;
	char name[32];
	int i;

	/* alias.test -> b.test -> c.test, which has the MX */
	start(&p, OK_FLAGS, 3, "alias.test", ns_t_mx);
	pptr(&p, QNAME_OFF);
	rr(&p, ns_t_cname, ns_c_in, 8);
	b_off = p.n;
	pname(&p, "b.test");
	pptr(&p, (unsigned)b_off);
	rr(&p, ns_t_cname, ns_c_in, 4);
	c_off = p.n;
	plabels(&p, "c");
	pptr(&p, (unsigned)b_off + 2);
	pptr(&p, (unsigned)c_off);
	rr(&p, ns_t_mx, ns_c_in, 2 + 5);
	p16(&p, 5);
	plabels(&p, "mx");
	pptr(&p, (unsigned)c_off);
	ATF_CHECK_STREQ(mx_result(&p, "alias.test"), "5 mx.c.test");
	/* the chain does not start at another name */
	ATF_CHECK_STREQ(mx_result(&p, "b.test"), "TEMP");

	/* records in any order: the MX first, the CNAME after */
	start(&p, OK_FLAGS, 2, "alias.test", ns_t_mx);
	b_off = p.n;
	pname(&p, "t.test");
	rr(&p, ns_t_mx, ns_c_in, 2 + 9);
	p16(&p, 7);
	pname(&p, "mx.test");
	pptr(&p, QNAME_OFF);
	rr(&p, ns_t_cname, ns_c_in, 2);
	pptr(&p, (unsigned)b_off);
	ATF_CHECK_STREQ(mx_result(&p, "alias.test"), "7 mx.test");

	/* a CNAME to a name without MX in the answer: NODATA */
	start(&p, OK_FLAGS, 1, "alias.test", ns_t_mx);
	pptr(&p, QNAME_OFF);
	rr(&p, ns_t_cname, ns_c_in, 8);
	pname(&p, "t.test");
	ATF_CHECK_STREQ(mx_result(&p, "alias.test"), "NODATA");

	/* records owned by a name outside the chain do not count */
	start(&p, OK_FLAGS, 1, "alias.test", ns_t_mx);
	pname(&p, "elsewhere.test");
	rr(&p, ns_t_mx, ns_c_in, 2 + 9);
	p16(&p, 7);
	pname(&p, "mx.test");
	ATF_CHECK_STREQ(mx_result(&p, "alias.test"), "NODATA");

	/* a loop: a -> b -> a */
	start(&p, OK_FLAGS, 2, "a.test", ns_t_mx);
	pptr(&p, QNAME_OFF);
	rr(&p, ns_t_cname, ns_c_in, 8);
	b_off = p.n;
	pname(&p, "b.test");
	pptr(&p, (unsigned)b_off);
	rr(&p, ns_t_cname, ns_c_in, 2);
	pptr(&p, QNAME_OFF);
	ATF_CHECK_STREQ(mx_result(&p, "a.test"), "TEMP");

	/* a name that is its own CNAME */
	start(&p, OK_FLAGS, 1, "a.test", ns_t_mx);
	pptr(&p, QNAME_OFF);
	rr(&p, ns_t_cname, ns_c_in, 2);
	pptr(&p, QNAME_OFF);
	ATF_CHECK_STREQ(mx_result(&p, "a.test"), "TEMP");

	/* a chain of DNS_CNAME_MAX links is followed, one more is not:
	   c0.test -> c1.test -> ... each record owned by the last target */
	for (int links = DNS_CNAME_MAX; links <= DNS_CNAME_MAX + 1; links++) {
		unsigned prev = QNAME_OFF;

		start(&p, OK_FLAGS, (unsigned)links + 1, "c0.test", ns_t_a);
		for (i = 1; i <= links; i++) {
			size_t here;

			pptr(&p, prev);
			snprintf(name, sizeof(name), "c%d.test", i);
			rr(&p, ns_t_cname, ns_c_in, (unsigned)strlen(name) + 2);
			here = p.n;
			pname(&p, name);
			prev = (unsigned)here;
		}
		a_rec(&p, prev, "192.0.2.1");
		ATF_CHECK_STREQ_MSG(addrs_result(&p, "c0.test", ns_t_a),
		    links <= DNS_CNAME_MAX ? "192.0.2.1" : "TEMP",
		    "%d links", links);
	}

	/* a CNAME to a name with a byte no host name has */
	start(&p, OK_FLAGS, 1, "alias.test", ns_t_a);
	pptr(&p, QNAME_OFF);
	rr(&p, ns_t_cname, ns_c_in, 8);
	pname(&p, "t!test");
	ATF_CHECK_STREQ(addrs_result(&p, "alias.test", ns_t_a), "TEMP");
}

ATF_TC_WITHOUT_HEAD(null_mx);
ATF_TC_BODY(null_mx, tc)
{
	struct pkt p;

	start(&p, OK_FLAGS, 1, "nullmx.test", ns_t_mx);
	mx_rec(&p, 0, "");
	ATF_CHECK_STREQ(mx_result(&p, "nullmx.test"), "NULLMX");
	/* any null MX among others makes the domain take no mail */
	start(&p, OK_FLAGS, 2, "nullmx.test", ns_t_mx);
	mx_rec(&p, 10, "mx.nullmx.test");
	mx_rec(&p, 0, "");
	ATF_CHECK_STREQ(mx_result(&p, "nullmx.test"), "NULLMX");
	/* "." with another preference is no null MX, and no host */
	start(&p, OK_FLAGS, 1, "nullmx.test", ns_t_mx);
	mx_rec(&p, 10, "");
	ATF_CHECK_STREQ(mx_result(&p, "nullmx.test"), "TEMP");
	start(&p, OK_FLAGS, 2, "nullmx.test", ns_t_mx);
	mx_rec(&p, 10, "");
	mx_rec(&p, 20, "mx.nullmx.test");
	ATF_CHECK_STREQ(mx_result(&p, "nullmx.test"), "20 mx.nullmx.test");
	/* the root as a pointer to a root octet */
	start(&p, OK_FLAGS, 1, "nullmx.test", ns_t_mx);
	pptr(&p, QNAME_OFF);
	rr(&p, ns_t_mx, ns_c_in, 4);
	p16(&p, 0);
	pptr(&p, QNAME_OFF + 12);	/* the question name's root octet */
	ATF_CHECK_STREQ(mx_result(&p, "nullmx.test"), "NULLMX");
}

/* every_length - each proper prefix of p is refused, never read past */
static void
every_length(const struct pkt *p, const char *qname, int type)
{
	struct dns_mx *mx;
	struct dns_addr *a;
	size_t len, n;

	for (len = 0; len < p->n; len++) {
		if (type == ns_t_mx)
			ATF_CHECK_EQ_MSG(parse_mx(p, len, qname, &mx, &n),
			    DNS_TEMP, "MX answer cut to %zu of %zu", len, p->n);
		else
			ATF_CHECK_EQ_MSG(parse_addrs(p, len, qname, type, &a,
			    &n), DNS_TEMP, "answer cut to %zu of %zu", len,
			    p->n);
	}
}

ATF_TC_WITHOUT_HEAD(truncated);
ATF_TC_BODY(truncated, tc)
{
	struct pkt p;

	hex(&p, real_mx);
	/* the additional section is not read: cut the packet after the
	   answer, which is then the whole answer */
	p.n = 12 + 18 + 32;
	ATF_CHECK_STREQ(mx_result(&p, "example.test"), "10 mx1.example.test");
	every_length(&p, "example.test", ns_t_mx);

	start(&p, OK_FLAGS, 2, "h.test", ns_t_aaaa);
	aaaa_rec(&p, QNAME_OFF, "2001:db8::1");
	aaaa_rec(&p, QNAME_OFF, "2001:db8::2");
	ATF_CHECK_STREQ(addrs_result(&p, "h.test", ns_t_aaaa),
	    "2001:db8::1,2001:db8::2");
	every_length(&p, "h.test", ns_t_aaaa);

	start(&p, OK_FLAGS | ns_r_nxdomain, 0, "h.test", ns_t_a);
	ATF_CHECK_STREQ(addrs_result(&p, "h.test", ns_t_a), "NXDOMAIN");
	every_length(&p, "h.test", ns_t_a);
}

ATF_TC_WITHOUT_HEAD(pointer_loops);
ATF_TC_BODY(pointer_loops, tc)
{
	struct pkt p;
	size_t at;

	/* the question's name points at itself */
	start(&p, OK_FLAGS, 0, "x", ns_t_mx);
	p.n = 12;
	pptr(&p, 12);
	p16(&p, ns_t_mx);
	p16(&p, ns_c_in);
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "TEMP");

	/* into the header */
	p.n = 12;
	pptr(&p, 4);
	p16(&p, ns_t_mx);
	p16(&p, ns_c_in);
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "TEMP");

	/* forward, past the end, and to the end */
	p.n = 12;
	pptr(&p, 20);
	p16(&p, ns_t_mx);
	p16(&p, ns_c_in);
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "TEMP");
	p.n = 12;
	pptr(&p, 0x3fff);
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "TEMP");

	/* an exchange: a label, then a pointer back to that label */
	start(&p, OK_FLAGS, 1, "x.test", ns_t_mx);
	pptr(&p, QNAME_OFF);
	rr(&p, ns_t_mx, ns_c_in, 2 + 4);
	p16(&p, 10);
	at = p.n;
	plabels(&p, "a");
	pptr(&p, (unsigned)at);
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "TEMP");

	/* two names pointing at each other: the owner of the first
	   record is a label and a pointer into the second record's
	   exchange, which points back at the first owner */
	start(&p, OK_FLAGS, 1, "x.test", ns_t_mx);
	at = p.n;
	plabels(&p, "o");
	pptr(&p, (unsigned)at + 16);
	rr(&p, ns_t_mx, ns_c_in, 2 + 2);
	p16(&p, 10);
	pptr(&p, (unsigned)at);
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "TEMP");

	/* the owner of an answer: a pointer to itself */
	start(&p, OK_FLAGS, 1, "x.test", ns_t_mx);
	pptr(&p, (unsigned)p.n);
	rr(&p, ns_t_mx, ns_c_in, 3);
	p16(&p, 10);
	p8(&p, 0);
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "TEMP");

	/* chains of pointers to pointers, each back by two octets, in the
	   rdata of a TXT record: 100 hops are followed (to the root: the
	   null MX), 200 are more than any name needs */
	for (int hops = 100; hops <= 200; hops += 100) {
		size_t first, i;

		start(&p, OK_FLAGS, 2, "x.test", ns_t_mx);
		pptr(&p, QNAME_OFF);
		rr(&p, ns_t_txt, ns_c_in, 1 + 2 * (unsigned)hops);
		first = p.n;
		p8(&p, 0);			/* the root, at first */
		for (i = 0; i < (size_t)hops; i++)
			pptr(&p, (unsigned)(i == 0 ? first :
			    first + 1 + (i - 1) * 2));
		at = p.n - 2;			/* the last pointer */
		pptr(&p, QNAME_OFF);
		rr(&p, ns_t_mx, ns_c_in, 4);
		p16(&p, 0);
		pptr(&p, (unsigned)at);
		ATF_CHECK_STREQ_MSG(mx_result(&p, "x.test"),
		    hops == 100 ? "NULLMX" : "TEMP", "%d hops", hops);
	}
}

ATF_TC_WITHOUT_HEAD(question);
ATF_TC_BODY(question, tc)
{
	struct pkt p;

	/* the wrong name, a longer or shorter one */
	start(&p, OK_FLAGS, 1, "other.test", ns_t_mx);
	mx_rec(&p, 10, "mx.test");
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "TEMP");
	ATF_CHECK_STREQ(mx_result(&p, "other.test"), "10 mx.test");
	ATF_CHECK_STREQ(mx_result(&p, "a.other.test"), "TEMP");
	ATF_CHECK_STREQ(mx_result(&p, "other"), "TEMP");
	/* the wrong type, the wrong class */
	start(&p, OK_FLAGS, 1, "x.test", ns_t_a);
	mx_rec(&p, 10, "mx.test");
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "TEMP");
	p.n = 12 + 8;
	p16(&p, ns_t_mx);
	p16(&p, ns_c_chaos);
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "TEMP");
	/* no question, two questions */
	start(&p, OK_FLAGS, 0, "x.test", ns_t_mx);
	p.b[5] = 0;
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "TEMP");
	p.b[5] = 2;
	pname(&p, "x.test");
	p16(&p, ns_t_mx);
	p16(&p, ns_c_in);
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "TEMP");
	/* a question name with a byte no host name has */
	start(&p, OK_FLAGS, 0, "x\001.test", ns_t_mx);
	ATF_CHECK_STREQ(mx_result(&p, "x\001.test"), "NXDOMAIN");
	ATF_CHECK_STREQ(mx_result(&p, "x?.test"), "NXDOMAIN");
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "TEMP");
	/* a dot inside a label is not a label boundary */
	start(&p, OK_FLAGS, 0, "x", ns_t_mx);
	p.n = 12;
	p8(&p, 6);
	pbytes(&p, "x.test", 6);
	p8(&p, 0);
	p16(&p, ns_t_mx);
	p16(&p, ns_c_in);
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "TEMP");
}

ATF_TC_WITHOUT_HEAD(header);
ATF_TC_BODY(header, tc)
{
	static const struct {
		unsigned	 flags;
		const char	*want;
	} t[] = {
		{ OK_FLAGS, "NODATA" },
		{ 0x8000, "NODATA" },			/* no RD, RA */
		{ 0x8400, "NODATA" },			/* AA */
		{ 0x0100, "TEMP" },			/* QR clear */
		{ 0x8980, "TEMP" },			/* opcode 1 */
		{ 0xa180, "TEMP" },			/* opcode 4 */
		{ 0x8380, "TEMP" },			/* TC */
		{ 0x8181, "TEMP" },			/* FORMERR */
		{ 0x8182, "TEMP" },			/* SERVFAIL */
		{ 0x8183, "NXDOMAIN" },
		{ 0x8184, "TEMP" },			/* NOTIMP */
		{ 0x8185, "TEMP" },			/* REFUSED */
		{ 0x818f, "TEMP" },
	};
	struct pkt p;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		start(&p, t[i].flags, 0, "x.test", ns_t_mx);
		ATF_CHECK_STREQ_MSG(mx_result(&p, "x.test"), t[i].want,
		    "flags %#x", t[i].flags);
	}
	/* SERVFAIL says why */
	start(&p, 0x8182, 0, "x.test", ns_t_mx);
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "TEMP");
	ATF_CHECK_STREQ(dns_why(), "SERVFAIL");
	/* an NXDOMAIN's records are not looked at */
	start(&p, 0x8183, 1, "x.test", ns_t_mx);
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "NXDOMAIN");
}

ATF_TC_WITHOUT_HEAD(rdlen_lies);
ATF_TC_BODY(rdlen_lies, tc)
{
	static const unsigned lens[] = { 0, 1, 2, 3, 10, 12, 13, 14, 200 };
	struct pkt p;
	size_t i;

	/* "mx.test" takes 9 octets, so the right rdlen is 11 */
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		start(&p, OK_FLAGS, 1, "x.test", ns_t_mx);
		pptr(&p, QNAME_OFF);
		rr(&p, ns_t_mx, ns_c_in, lens[i]);
		p16(&p, 10);
		pname(&p, "mx.test");
		p8(&p, 0);			/* room for one more */
		p8(&p, 0);
		ATF_CHECK_STREQ_MSG(mx_result(&p, "x.test"), "TEMP",
		    "rdlen %u", lens[i]);
	}
	/* a CNAME whose name ends before its rdata does */
	start(&p, OK_FLAGS, 1, "x.test", ns_t_a);
	pptr(&p, QNAME_OFF);
	rr(&p, ns_t_cname, ns_c_in, 9);
	pname(&p, "y.test");
	p8(&p, 0);
	ATF_CHECK_STREQ(addrs_result(&p, "x.test", ns_t_a), "TEMP");
	/* the rdata of a type nobody reads may be anything in bounds */
	start(&p, OK_FLAGS, 2, "x.test", ns_t_mx);
	pptr(&p, QNAME_OFF);
	rr(&p, ns_t_txt, ns_c_in, 3);
	p8(&p, 0xc0);
	p8(&p, 0xff);
	p8(&p, 0xff);
	mx_rec(&p, 10, "mx.test");
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "10 mx.test");
	/* but not past the end */
	start(&p, OK_FLAGS, 1, "x.test", ns_t_mx);
	pptr(&p, QNAME_OFF);
	rr(&p, ns_t_txt, ns_c_in, 4);
	p8(&p, 0);
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "TEMP");
	/* trailing octets after the records are the other sections' */
	start(&p, OK_FLAGS, 1, "x.test", ns_t_mx);
	mx_rec(&p, 10, "mx.test");
	p8(&p, 0xff);
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "10 mx.test");
}

ATF_TC_WITHOUT_HEAD(too_many);
ATF_TC_BODY(too_many, tc)
{
	struct pkt p;
	char ip[32], want[4096];
	size_t o = 0;
	int i, n;

	for (n = DNS_RR_MAX; n <= DNS_RR_MAX + 1; n++) {
		start(&p, OK_FLAGS, (unsigned)n, "many.test", ns_t_a);
		o = 0;
		for (i = 0; i < n; i++) {
			snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 256,
			    i % 256);
			a_rec(&p, QNAME_OFF, ip);
			o += (size_t)snprintf(want + o, sizeof(want) - o,
			    "%s%s", i ? "," : "", ip);
		}
		ATF_CHECK_STREQ_MSG(addrs_result(&p, "many.test", ns_t_a),
		    n <= DNS_RR_MAX ? want : "TEMP", "%d records", n);
	}
	/* an ancount far beyond what the packet holds */
	start(&p, OK_FLAGS, 65535, "many.test", ns_t_a);
	a_rec(&p, QNAME_OFF, "10.0.0.1");
	ATF_CHECK_STREQ(addrs_result(&p, "many.test", ns_t_a), "TEMP");
	start(&p, OK_FLAGS, 50, "many.test", ns_t_a);
	a_rec(&p, QNAME_OFF, "10.0.0.1");
	ATF_CHECK_STREQ(addrs_result(&p, "many.test", ns_t_a), "TEMP");
	/* MX: 100 hosts come out, sorted */
	start(&p, OK_FLAGS, DNS_RR_MAX, "many.test", ns_t_mx);
	for (i = DNS_RR_MAX; i > 0; i--) {
		snprintf(ip, sizeof(ip), "mx%d.test", i);
		mx_rec(&p, (unsigned)i, ip);
	}
	{
		struct dns_mx *mx;
		size_t k, nmx;

		ATF_REQUIRE_EQ(parse_mx(&p, p.n, "many.test", &mx, &nmx),
		    DNS_OK);
		ATF_CHECK_EQ(nmx, DNS_RR_MAX);
		for (k = 0; k < nmx; k++)
			ATF_CHECK_EQ(mx[k].pref, k + 1);
		free(mx);
	}
}

ATF_TC_WITHOUT_HEAD(addrs_rdlen);
ATF_TC_BODY(addrs_rdlen, tc)
{
	static const unsigned lens[] = { 0, 3, 5, 15, 17 };
	struct pkt p;
	size_t i, k;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (k = 0; k < 2; k++) {
			unsigned type = k ? ns_t_aaaa : ns_t_a;

			start(&p, OK_FLAGS, 1, "h.test", type);
			pptr(&p, QNAME_OFF);
			rr(&p, type, ns_c_in, lens[i]);
			for (unsigned j = 0; j < lens[i]; j++)
				p8(&p, 1);
			ATF_CHECK_STREQ_MSG(addrs_result(&p, "h.test",
			    (int)type), "TEMP", "type %u rdlen %u", type,
			    lens[i]);
		}
	}
	/* 16 octets are no A record, 4 no AAAA */
	start(&p, OK_FLAGS, 1, "h.test", ns_t_a);
	pptr(&p, QNAME_OFF);
	rr(&p, ns_t_a, ns_c_in, 16);
	for (k = 0; k < 16; k++)
		p8(&p, 1);
	ATF_CHECK_STREQ(addrs_result(&p, "h.test", ns_t_a), "TEMP");
	/* an A record in an AAAA answer does not count */
	start(&p, OK_FLAGS, 2, "h.test", ns_t_aaaa);
	a_rec(&p, QNAME_OFF, "192.0.2.1");
	aaaa_rec(&p, QNAME_OFF, "2001:db8::1");
	ATF_CHECK_STREQ(addrs_result(&p, "h.test", ns_t_aaaa), "2001:db8::1");
	start(&p, OK_FLAGS, 1, "h.test", ns_t_aaaa);
	a_rec(&p, QNAME_OFF, "192.0.2.1");
	ATF_CHECK_STREQ(addrs_result(&p, "h.test", ns_t_aaaa), "NODATA");
	/* a class CH record with a wrong length is not ours to judge */
	start(&p, OK_FLAGS, 2, "h.test", ns_t_a);
	pptr(&p, QNAME_OFF);
	rr(&p, ns_t_a, ns_c_chaos, 5);
	pbytes(&p, "abcde", 5);
	a_rec(&p, QNAME_OFF, "192.0.2.1");
	ATF_CHECK_STREQ(addrs_result(&p, "h.test", ns_t_a), "192.0.2.1");
	/* the same address twice comes once */
	start(&p, OK_FLAGS, 3, "h.test", ns_t_a);
	a_rec(&p, QNAME_OFF, "192.0.2.1");
	a_rec(&p, QNAME_OFF, "192.0.2.2");
	a_rec(&p, QNAME_OFF, "192.0.2.1");
	ATF_CHECK_STREQ(addrs_result(&p, "h.test", ns_t_a),
	    "192.0.2.1,192.0.2.2");
	/* neither A nor AAAA */
	ATF_CHECK_STREQ(addrs_result(&p, "h.test", ns_t_mx), "TEMP");
}

ATF_TC_WITHOUT_HEAD(bad_names);
ATF_TC_BODY(bad_names, tc)
{
	struct pkt p;
	size_t i;

	/* an exchange with a space: skipped, and alone it leaves nothing */
	start(&p, OK_FLAGS, 1, "x.test", ns_t_mx);
	mx_rec(&p, 10, "m x.test");
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "TEMP");
	start(&p, OK_FLAGS, 2, "x.test", ns_t_mx);
	mx_rec(&p, 10, "m x.test");
	mx_rec(&p, 20, "mx.test");
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "20 mx.test");
	/* a NUL, a dot, a high byte inside a label */
	start(&p, OK_FLAGS, 3, "x.test", ns_t_mx);
	mx_rec(&p, 10, "a\001b.test");
	pptr(&p, QNAME_OFF);
	rr(&p, ns_t_mx, ns_c_in, 2 + 6);
	p16(&p, 10);
	p8(&p, 4);
	pbytes(&p, "a\0.b", 4);
	p8(&p, 0);
	mx_rec(&p, 10, "caf\xc3\xa9.test");
	ATF_CHECK_STREQ(mx_result(&p, "x.test"), "TEMP");
	/* label types 0x40 and 0x80 */
	for (i = 0; i < 2; i++) {
		start(&p, OK_FLAGS, 1, "x.test", ns_t_mx);
		pptr(&p, QNAME_OFF);
		rr(&p, ns_t_mx, ns_c_in, 2 + 3);
		p16(&p, 10);
		p8(&p, i ? 0x81 : 0x41);
		p8(&p, 'a');
		p8(&p, 0);
		ATF_CHECK_STREQ(mx_result(&p, "x.test"), "TEMP");
	}
	/* a name of 255 octets on the wire (253 as text) is the longest */
	{
		char big[300];
		struct dns_mx *mx;
		size_t n;

		memset(big, 'a', sizeof(big));
		big[63] = big[127] = big[191] = '.';
		big[254] = '\0';	/* 3 x 64 + 63 + 1 = 256 octets */
		start(&p, OK_FLAGS, 1, "x.test", ns_t_mx);
		mx_rec(&p, 10, big);
		ATF_CHECK_STREQ(mx_result(&p, "x.test"), "TEMP");
		big[253] = '\0';		/* 3 x 64 + 62 + 1 = 255 */
		start(&p, OK_FLAGS, 1, "x.test", ns_t_mx);
		mx_rec(&p, 10, big);
		ATF_REQUIRE_EQ(parse_mx(&p, p.n, "x.test", &mx, &n), DNS_OK);
		ATF_CHECK_EQ(strlen(mx[0].host), 253);
		ATF_CHECK_STREQ(mx[0].host, big);
		free(mx);
	}
}

ATF_TC_WITHOUT_HEAD(shuffle);
ATF_TC_BODY(shuffle, tc)
{
	struct pkt p;
	struct dns_mx *mx;
	size_t n;
	int i, a_first = 0, b_first = 0;

	start(&p, OK_FLAGS, 4, "eq.test", ns_t_mx);
	mx_rec(&p, 20, "z.test");
	mx_rec(&p, 10, "a.test");
	mx_rec(&p, 10, "b.test");
	mx_rec(&p, 5, "first.test");
	for (i = 0; i < 200; i++) {
		ATF_REQUIRE_EQ(parse_mx(&p, p.n, "eq.test", &mx, &n), DNS_OK);
		ATF_REQUIRE_EQ(n, 4);
		ATF_CHECK_STREQ(mx[0].host, "first.test");
		ATF_CHECK_STREQ(mx[3].host, "z.test");
		if (strcmp(mx[1].host, "a.test") == 0)
			a_first++;
		else if (strcmp(mx[1].host, "b.test") == 0)
			b_first++;
		free(mx);
	}
	ATF_CHECK_EQ(a_first + b_first, 200);
	ATF_CHECK_MSG(a_first > 0 && b_first > 0, "a first %d, b first %d",
	    a_first, b_first);
}

ATF_TC_WITHOUT_HEAD(name_norm);
ATF_TC_BODY(name_norm, tc)
{
	static const struct {
		const char	*in, *want;	/* want NULL: refused */
	} t[] = {
		{ "example.test", "example.test" },
		{ "Example.TEST.", "example.test" },
		{ "a", "a" },
		{ "_dmarc.x-y.test", "_dmarc.x-y.test" },
		{ "", NULL },
		{ ".", NULL },
		{ "..", NULL },
		{ "a..b", NULL },
		{ ".a", NULL },
		{ "a.b..", NULL },
		{ "a b", NULL },
		{ "caf\xc3\xa9.test", NULL },
		{ "[127.0.0.1]", NULL },
		{ "a\\.b", NULL },
	};
	char out[DNS_NAME_MAX + 1], big[300];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = dns_name_norm(t[i].in, out);

		if (t[i].want == NULL)
			ATF_CHECK_EQ_MSG(r, -1, "\"%s\"", t[i].in);
		else {
			ATF_CHECK_EQ_MSG(r, 0, "\"%s\"", t[i].in);
			ATF_CHECK_STREQ(out, t[i].want);
		}
	}
	/* labels of 63 octets, names of 253 (254 with the dot) */
	memset(big, 'a', sizeof(big));
	big[63] = '\0';
	ATF_CHECK_EQ(dns_name_norm(big, out), 0);
	big[64] = '\0';
	big[63] = 'a';
	ATF_CHECK_EQ(dns_name_norm(big, out), -1);
	memset(big, 'a', sizeof(big));
	big[63] = big[127] = big[191] = '.';
	big[253] = '\0';
	ATF_CHECK_EQ(dns_name_norm(big, out), 0);
	big[253] = '.';
	big[254] = '\0';
	ATF_CHECK_EQ(dns_name_norm(big, out), 0);
	big[254] = 'a';
	big[255] = '\0';
	ATF_CHECK_EQ(dns_name_norm(big, out), -1);
}

ATF_TC_WITHOUT_HEAD(strerror_words);
ATF_TC_BODY(strerror_words, tc)
{
	int r;

	for (r = -3; r <= 4; r++)
		ATF_CHECK(dns_strerror(r) != NULL && *dns_strerror(r) != '\0');
	ATF_CHECK(strcmp(dns_strerror(DNS_NXDOMAIN),
	    dns_strerror(DNS_TEMP)) != 0);
}

/* server - the text of a sockaddr as "a:port" or "[a]:port". */
static const char *
server(const struct sockaddr_storage *ss)
{
	static char out[80];
	char text[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, text, sizeof(text));
		snprintf(out, sizeof(out), "[%s]:%u", text,
		    ntohs(s6->sin6_port));
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, text, sizeof(text));
		snprintf(out, sizeof(out), "%s:%u", text, ntohs(s4->sin_port));
	} else
		snprintf(out, sizeof(out), "family %d", ss->ss_family);
	return out;
}

ATF_TC_WITHOUT_HEAD(server_parse);
ATF_TC_BODY(server_parse, tc)
{
	static const struct {
		const char	*in, *want;	/* want NULL: refused */
	} t[] = {
		{ "127.0.0.1", "127.0.0.1:53" },
		{ "127.0.0.1:5353", "127.0.0.1:5353" },
		{ "10.1.2.3:1", "10.1.2.3:1" },
		{ "10.1.2.3:65535", "10.1.2.3:65535" },
		{ "[::1]", "[::1]:53" },
		{ "[::1]:5353", "[::1]:5353" },
		{ "[2001:DB8::1]:53", "[2001:db8::1]:53" },
		{ "[::ffff:127.0.0.1]", "[::ffff:127.0.0.1]:53" },
		{ "", NULL },
		{ ":53", NULL },
		{ "127.0.0.1:", NULL },
		{ "127.0.0.1:0", NULL },
		{ "127.0.0.1:65536", NULL },
		{ "127.0.0.1:053535", NULL },
		{ "127.0.0.1:+53", NULL },
		{ "127.0.0.1:-1", NULL },
		{ "127.0.0.1: 53", NULL },
		{ "127.0.0.1:53 ", NULL },
		{ "127.0.0.1:5x", NULL },
		{ "127.0.0.1:53:53", NULL },
		{ "127.1", NULL },
		{ "256.0.0.1", NULL },
		{ "localhost", NULL },
		{ "::1", NULL },
		{ "::1:53", NULL },
		{ "[::1", NULL },
		{ "[::1]53", NULL },
		{ "[::1]:", NULL },
		{ "[::1]:x", NULL },
		{ "[]", NULL },
		{ "[127.0.0.1]", NULL },
		{ "[fe80::1%lo]", NULL },
		{ "[::1]]", NULL },
		{ "1.2.3.4 5.6.7.8", NULL },
	};
	struct sockaddr_storage ss;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = dns_server_parse(t[i].in, &ss);

		if (t[i].want == NULL) {
			ATF_CHECK_EQ_MSG(r, -1, "\"%s\"", t[i].in);
			ATF_CHECK_MSG(*dns_why() != '\0', "\"%s\"", t[i].in);
		} else {
			ATF_CHECK_EQ_MSG(r, 0, "\"%s\": %s", t[i].in,
			    dns_why());
			ATF_CHECK_STREQ_MSG(server(&ss), t[i].want, "\"%s\"",
			    t[i].in);
		}
	}
}

ATF_TC_WITHOUT_HEAD(resolvers_file);
ATF_TC_BODY(resolvers_file, tc)
{
	static const char *bad[] = {
		"127.0.0.1:99999\n",
		"# first\n\n::1\n",
		"127.0.0.1\n127.0.0.2\n127.0.0.3\n127.0.0.4\n",
		"127.0.0.1 # a comment after an entry\n",
		"nameserver 127.0.0.1\n",
	};
	struct sockaddr_storage ss[DNS_SERVERS_MAX + 1];
	size_t i, n;

	setup();
	/* absent, and empty, mean /etc/resolv.conf: some server */
	ATF_REQUIRE_EQ(dns_init(), 0);
	n = dns_servers(ss, DNS_SERVERS_MAX);
	ATF_CHECK(n >= 1 && n <= DNS_SERVERS_MAX);
	puts0("resolvers", "# none\n\n   \n");
	ATF_REQUIRE_EQ(dns_init(), 0);
	ATF_CHECK_EQ(dns_servers(ss, DNS_SERVERS_MAX), n);

	/* three servers, IPv6 among them, in order, as glibc holds them */
	puts0("resolvers", "  [::1]:5353\t\r\n# c\n127.0.0.1:5354\n\n"
	    "[2001:db8::53]\n");
	ATF_REQUIRE_EQ(dns_init(), 0);
	ATF_REQUIRE_EQ(dns_servers(ss, DNS_SERVERS_MAX + 1), 3);
	ATF_CHECK_STREQ(server(&ss[0]), "[::1]:5353");
	ATF_CHECK_STREQ(server(&ss[1]), "127.0.0.1:5354");
	ATF_CHECK_STREQ(server(&ss[2]), "[2001:db8::53]:53");
	/* again: dns_init starts afresh, freeing the old state */
	puts0("resolvers", "127.0.0.2\n");
	ATF_REQUIRE_EQ(dns_init(), 0);
	ATF_REQUIRE_EQ(dns_servers(ss, DNS_SERVERS_MAX), 1);
	ATF_CHECK_STREQ(server(&ss[0]), "127.0.0.2:53");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		puts0("resolvers", bad[i]);
		ATF_CHECK_EQ_MSG(dns_init(), DNS_BROKEN, "\"%s\"", bad[i]);
		ATF_CHECK_EQ(dns_servers(ss, DNS_SERVERS_MAX), 0);
	}
	/* a NUL byte: ctl_read's check */
	put("resolvers", "127.0.0.1\0\n", 11);
	ATF_CHECK_EQ(dns_init(), DNS_BROKEN);
	/* lookups before a good dns_init are temporary failures */
	{
		struct dns_mx *mx;

		ATF_CHECK_EQ(dns_mx("example.test", &mx, &n), DNS_TEMP);
		ATF_CHECK(mx == NULL);
	}
	dns_close();
}

/* parse_rrset - dns_parse_rrset on an exact-size copy of p. */
static int
parse_rrset(const struct pkt *p, size_t len, const char *qname, int type,
    struct dns_rrset *set)
{
	unsigned char *copy = malloc(len ? len : 1);
	int r;

	ATF_REQUIRE(copy != NULL);
	memcpy(copy, p->b, len);
	r = dns_parse_rrset(copy, len, qname, type, set);
	free(copy);
	ATF_CHECK_EQ(set->type, type);
	if (r != DNS_OK) {
		ATF_CHECK(set->rr == NULL);
		ATF_CHECK_EQ(set->n, 0);
	}
	return r;
}

/* txt_rec - a TXT record owned by the question's name: its rdata as
   given (strings with their length octets, or lies) */
static void
txt_rec(struct pkt *p, const char *rdata, size_t len)
{
	pptr(p, QNAME_OFF);
	rr(p, ns_t_txt, ns_c_in, (unsigned)len);
	pbytes(p, rdata, len);
}

ATF_TC_WITHOUT_HEAD(txt);
ATF_TC_BODY(txt, tc)
{
	static const struct {
		const char	*rdata;
		size_t		 len;
		int		 want;		/* DNS_OK: text is the text */
		const char	*text;
		size_t		 textlen;
	} t[] = {
		{ "\013v=spf1 -all", 12, DNS_OK, "v=spf1 -all", 11 },
		/* strings joined with nothing between them */
		{ "\005v=DKI\002M1\000", 10, DNS_OK, "v=DKIM1", 7 },
		/* a NUL inside is kept, and counted */
		{ "\003a\0b", 4, DNS_OK, "a\0b", 3 },
		{ "\000", 1, DNS_OK, "", 0 },
		/* the strings do not fill the rdata exactly */
		{ "\005abc", 4, DNS_TEMP, NULL, 0 },
		{ "\002abc", 4, DNS_TEMP, NULL, 0 },
		{ "", 0, DNS_TEMP, NULL, 0 },
	};
	struct dns_rrset set;
	struct pkt p;
	size_t i, cut;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		start(&p, OK_FLAGS, 1, "txt.test", ns_t_txt);
		txt_rec(&p, t[i].rdata, t[i].len);
		ATF_CHECK_EQ_MSG(parse_rrset(&p, p.n, "txt.test", ns_t_txt,
		    &set), t[i].want, "case %zu", i);
		if (t[i].want != DNS_OK || set.n != 1)
			continue;
		ATF_CHECK_EQ_MSG(set.rr[0].len, t[i].textlen, "case %zu", i);
		ATF_CHECK_MSG(memcmp(set.rr[0].data, t[i].text,
		    t[i].textlen + 1) == 0, "case %zu", i);
		dns_rrset_free(&set);
		ATF_CHECK(set.rr == NULL && set.n == 0);
	}
	/* two records, in answer order; every cut of it is refused */
	start(&p, OK_FLAGS, 2, "txt.test", ns_t_txt);
	txt_rec(&p, "\003one", 4);
	txt_rec(&p, "\003two", 4);
	ATF_REQUIRE_EQ(parse_rrset(&p, p.n, "txt.test", ns_t_txt, &set),
	    DNS_OK);
	ATF_REQUIRE_EQ(set.n, 2);
	ATF_CHECK_STREQ((char *)set.rr[0].data, "one");
	ATF_CHECK_STREQ((char *)set.rr[1].data, "two");
	dns_rrset_free(&set);
	for (cut = 0; cut < p.n; cut++)
		ATF_CHECK_EQ_MSG(parse_rrset(&p, cut, "txt.test", ns_t_txt,
		    &set), DNS_TEMP, "cut at %zu", cut);
	/* no TXT record: NODATA; an A record does not count for TXT */
	start(&p, OK_FLAGS, 1, "txt.test", ns_t_txt);
	a_rec(&p, QNAME_OFF, "127.0.0.2");
	ATF_CHECK_EQ(parse_rrset(&p, p.n, "txt.test", ns_t_txt, &set),
	    DNS_NODATA);
	/* the generic parser's A records, each once */
	start(&p, OK_FLAGS, 3, "bl.test", ns_t_a);
	a_rec(&p, QNAME_OFF, "127.0.0.2");
	a_rec(&p, QNAME_OFF, "127.0.0.4");
	a_rec(&p, QNAME_OFF, "127.0.0.2");
	ATF_REQUIRE_EQ(parse_rrset(&p, p.n, "bl.test", ns_t_a, &set), DNS_OK);
	ATF_REQUIRE_EQ(set.n, 2);
	ATF_CHECK_EQ(set.rr[0].len, 4);
	ATF_CHECK(memcmp(set.rr[1].data, "\177\0\0\4", 4) == 0);
	dns_rrset_free(&set);
	/* a type it does not parse is the caller's bug */
	ATF_CHECK_EQ(parse_rrset(&p, p.n, "bl.test", ns_t_mx, &set),
	    DNS_TEMP);
}

/* tlsa_rec - a TLSA record owned by the question's name */
static void
tlsa_rec(struct pkt *p, const char *rdata, size_t len)
{
	pptr(p, QNAME_OFF);
	rr(p, ns_t_tlsa, ns_c_in, (unsigned)len);
	pbytes(p, rdata, len);
}

ATF_TC_WITHOUT_HEAD(tlsa);
ATF_TC_BODY(tlsa, tc)
{
	static const char ee[] = "\003\001\001"
	    "0123456789abcdef0123456789abcdef";
	struct dns_rrset set;
	struct pkt p;
	size_t cut;

	/* records as they came, duplicates too: they are not addresses */
	start(&p, OK_FLAGS, 3, "_25._tcp.mx.test", ns_t_tlsa);
	tlsa_rec(&p, ee, 35);
	tlsa_rec(&p, ee, 35);
	tlsa_rec(&p, "\002\000\000", 3);
	ATF_REQUIRE_EQ(parse_rrset(&p, p.n, "_25._tcp.mx.test", ns_t_tlsa,
	    &set), DNS_OK);
	ATF_REQUIRE_EQ(set.n, 3);
	ATF_CHECK_EQ(set.rr[0].len, 35);
	ATF_CHECK(memcmp(set.rr[0].data, ee, 35) == 0);
	ATF_CHECK(memcmp(set.rr[1].data, ee, 35) == 0);
	ATF_CHECK_EQ(set.rr[2].len, 3);
	ATF_CHECK(memcmp(set.rr[2].data, "\002\000\000", 3) == 0);
	dns_rrset_free(&set);
	for (cut = 0; cut < p.n; cut++)
		ATF_CHECK_EQ_MSG(parse_rrset(&p, cut, "_25._tcp.mx.test",
		    ns_t_tlsa, &set), DNS_TEMP, "cut at %zu", cut);
	/* fewer than its three fixed octets: a broken answer */
	start(&p, OK_FLAGS, 1, "_25._tcp.mx.test", ns_t_tlsa);
	tlsa_rec(&p, "\003\001", 2);
	ATF_CHECK_EQ(parse_rrset(&p, p.n, "_25._tcp.mx.test", ns_t_tlsa,
	    &set), DNS_TEMP);
	ATF_CHECK_STREQ(dns_why(), "answer: TLSA rdata too short");
	/* an A record does not count for TLSA */
	start(&p, OK_FLAGS, 1, "_25._tcp.mx.test", ns_t_tlsa);
	a_rec(&p, QNAME_OFF, "127.0.0.2");
	ATF_CHECK_EQ(parse_rrset(&p, p.n, "_25._tcp.mx.test", ns_t_tlsa,
	    &set), DNS_NODATA);
}

/* ptr_rec - a PTR record owned by the question's name, target
   uncompressed ("" the root) */
static void
ptr_rec(struct pkt *p, const char *host)
{
	size_t n = strlen(host);

	pptr(p, QNAME_OFF);
	rr(p, ns_t_ptr, ns_c_in, (unsigned)(n ? n + 2 : 1));
	pname(p, host);
}

/* ptr_result - parse p as the PTR answer for qname: the code, or for
   DNS_OK the names as "a,b" in their order */
static const char *
ptr_result(const struct pkt *p, size_t len, const char *qname)
{
	static char out[8192];
	unsigned char *copy = malloc(len ? len : 1);
	struct dns_name *names;
	size_t n, i, o = 0;
	int r;

	ATF_REQUIRE(copy != NULL);
	memcpy(copy, p->b, len);
	r = dns_parse_ptr(copy, len, qname, &names, &n);
	free(copy);
	if (r != DNS_OK) {
		ATF_CHECK(names == NULL);
		ATF_CHECK_EQ(n, 0);
		snprintf(out, sizeof(out), "%s", r == DNS_NXDOMAIN ?
		    "NXDOMAIN" : r == DNS_NODATA ? "NODATA" : r == DNS_TEMP ?
		    "TEMP" : "?");
		return out;
	}
	out[0] = '\0';
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s",
		    i ? "," : "", names[i].name);
	free(names);
	return out;
}

#define REV2	"2.0.0.127.in-addr.arpa"

ATF_TC_WITHOUT_HEAD(ptr);
ATF_TC_BODY(ptr, tc)
{
	struct pkt p;
	size_t cut;

	/* dnsmasq's answer (2.89) for 127.0.0.5 with two PTR records */
	hex(&p, "0001858000010002000000000135013001300331323707696e2d616464"
	    "72046172706100000c0001c00c000c000100000000000a0374776f0474"
	    "65737400c00c000c000100000000000d066e6f61646472047465737400");
	ATF_CHECK_STREQ(ptr_result(&p, p.n, "5.0.0.127.in-addr.arpa"),
	    "two.test,noaddr.test");
	/* in answer order, each once, lower case; the root and a name no
	   host has name none; nor does a record of another type */
	start(&p, OK_FLAGS, 6, REV2, ns_t_ptr);
	ptr_rec(&p, "Mail.Example.TEST");
	ptr_rec(&p, "");
	ptr_rec(&p, "bad name.test");
	ptr_rec(&p, "mail.example.test");
	a_rec(&p, QNAME_OFF, "127.0.0.2");
	ptr_rec(&p, "b.test");
	ATF_CHECK_STREQ(ptr_result(&p, p.n, REV2), "mail.example.test,b.test");
	for (cut = 0; cut < p.n; cut++)
		ATF_CHECK_STREQ_MSG(ptr_result(&p, cut, REV2), "TEMP",
		    "cut at %zu", cut);
	/* only unusable names: as if none */
	start(&p, OK_FLAGS, 1, REV2, ns_t_ptr);
	ptr_rec(&p, "bad name.test");
	ATF_CHECK_STREQ(ptr_result(&p, p.n, REV2), "NODATA");
	start(&p, OK_FLAGS, 0, REV2, ns_t_ptr);
	ATF_CHECK_STREQ(ptr_result(&p, p.n, REV2), "NODATA");
	start(&p, 0x8183, 0, REV2, ns_t_ptr);
	ATF_CHECK_STREQ(ptr_result(&p, p.n, REV2), "NXDOMAIN");
	/* the answer to another name's question is no answer */
	start(&p, OK_FLAGS, 1, "3.0.0.127.in-addr.arpa", ns_t_ptr);
	ptr_rec(&p, "a.test");
	ATF_CHECK_STREQ(ptr_result(&p, p.n, REV2), "TEMP");
	/* PTR rdata that is not exactly one name: a broken answer */
	start(&p, OK_FLAGS, 1, REV2, ns_t_ptr);
	pptr(&p, QNAME_OFF);
	rr(&p, ns_t_ptr, ns_c_in, 9);
	pname(&p, "a.test");
	p8(&p, 0);
	ATF_CHECK_STREQ(ptr_result(&p, p.n, REV2), "TEMP");
	ATF_CHECK_STREQ(dns_why(), "answer: malformed PTR");
}

ATF_TC_WITHOUT_HEAD(reverse_name);
ATF_TC_BODY(reverse_name, tc)
{
	char out[DNS_REVERSE_MAX];

	ATF_REQUIRE_EQ(dns_reverse_name("192.0.2.10", out, sizeof(out)), 0);
	ATF_CHECK_STREQ(out, "10.2.0.192.in-addr.arpa");
	ATF_REQUIRE_EQ(dns_reverse_name("2001:db8::567:89ab", out,
	    sizeof(out)), 0);
	/* RFC 3596 2.5's own example */
	ATF_CHECK_STREQ(out, "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.8.b.d.0.1.0.0.2.ip6.arpa");
	ATF_REQUIRE_EQ(dns_reverse_name("::ffff:127.0.0.1", out, sizeof(out)),
	    0);
	ATF_CHECK_STREQ(out, "1.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.0.0.0.0.0.ip6.arpa");
	ATF_CHECK_EQ(dns_reverse_name("unknown", out, sizeof(out)), -1);
	ATF_CHECK_EQ(dns_reverse_name("127.0.0", out, sizeof(out)), -1);
	ATF_CHECK_EQ(dns_reverse_name("", out, sizeof(out)), -1);
	ATF_CHECK_EQ(dns_reverse_name("::1", out, DNS_REVERSE_MAX - 1), -1);
	ATF_CHECK_EQ(dns_reverse_name("192.0.2.10", out, 23), -1);
	ATF_CHECK_EQ(dns_reverse_name("192.0.2.10", out, 24), 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, mx_valid);
	ATF_TP_ADD_TC(tp, ptr);
	ATF_TP_ADD_TC(tp, reverse_name);
	ATF_TP_ADD_TC(tp, cname_chain);
	ATF_TP_ADD_TC(tp, null_mx);
	ATF_TP_ADD_TC(tp, truncated);
	ATF_TP_ADD_TC(tp, pointer_loops);
	ATF_TP_ADD_TC(tp, question);
	ATF_TP_ADD_TC(tp, header);
	ATF_TP_ADD_TC(tp, rdlen_lies);
	ATF_TP_ADD_TC(tp, too_many);
	ATF_TP_ADD_TC(tp, addrs_rdlen);
	ATF_TP_ADD_TC(tp, bad_names);
	ATF_TP_ADD_TC(tp, shuffle);
	ATF_TP_ADD_TC(tp, name_norm);
	ATF_TP_ADD_TC(tp, strerror_words);
	ATF_TP_ADD_TC(tp, server_parse);
	ATF_TP_ADD_TC(tp, resolvers_file);
	ATF_TP_ADD_TC(tp, txt);
	ATF_TP_ADD_TC(tp, tlsa);
	return atf_no_error();
}
