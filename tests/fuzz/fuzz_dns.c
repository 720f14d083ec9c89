/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_dns - libFuzzer target for lib/dns_parse.c.  The input: octet 0
 * picks the parser and query type (bits 0-1: MX, A, AAAA, MX; but with
 * bits 4 and 5 both set, dns_parse_rrset, the generic parser, for A,
 * AAAA, TXT, TLSA; with bit 4 alone, dns_parse_ptr) and the name asked
 * (bits 2-3, from names[] below, or for PTR from rev_names[], the names
 * the seed answers were captured for); the rest is the answer, as it
 * came off the wire.
 * Besides "no sanitizer report" it checks: the result is one the
 * parser may give; a failure leaves no results and says why when it is
 * DNS_TEMP; a success has 1 to DNS_RR_MAX results; every MX host is a
 * host name as dns.h promises (lower case, no trailing dot, labels of
 * 1 to 63 octets of a-z, 0-9, '-', '_', at most 253 octets) and comes
 * once, by preference; so is every PTR name, in answer order; every
 * address has the family of the query and
 * comes once; a second parse gives the same; the generic parser's
 * records have the length of their type (TXT: a NUL after the text)
 * and its addresses agree with dns_parse_addrs'.  The whole input, as a
 * string, also goes through dns_name_norm, whose output must be such a
 * name and normalise to itself, and through dns_reverse_name, whose
 * output for an address must be such a name under in-addr.arpa or
 * ip6.arpa, and nothing else.  A broken property aborts, which
 * libFuzzer and replay report.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_dns: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

static const char *names[] = {
	"example.test", "EXAMPLE.Test.", "mx1.example.test", "alias.test"
};
static const char *rev_names[] = {
	"5.0.0.127.in-addr.arpa", "2.0.0.127.IN-ADDR.ARPA.",
	"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	"ip6.arpa", "99.0.0.127.in-addr.arpa"
};

/* check_host - s is a host name in dns.h's form. */
static void
check_host(const char *s)
{
	size_t n = strnlen(s, DNS_NAME_MAX + 1), label = 0, i;

	CHECK(n > 0 && n <= 253);
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			CHECK(label > 0);
			label = 0;
			continue;
		}
		CHECK((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '-' || s[i] == '_');
		CHECK(++label <= 63);
	}
	CHECK(label > 0);
}

static void
fuzz_mx(const uint8_t *ans, size_t len, const char *qname)
{
	struct dns_mx *mx, *mx2;
	size_t n, n2, i, j;
	int r, r2;

	r = dns_parse_mx(ans, len, qname, &mx, &n);
	CHECK(r == DNS_OK || r == DNS_NXDOMAIN || r == DNS_NODATA ||
	    r == DNS_NULLMX || r == DNS_TEMP);
	if (r != DNS_OK) {
		CHECK(mx == NULL && n == 0);
		if (r == DNS_TEMP)
			CHECK(*dns_why() != '\0');
	} else {
		CHECK(mx != NULL && n >= 1 && n <= DNS_RR_MAX);
		for (i = 0; i < n; i++) {
			check_host(mx[i].host);
			CHECK(mx[i].pref <= 65535);
			if (i > 0)
				CHECK(mx[i - 1].pref <= mx[i].pref);
			for (j = 0; j < i; j++)
				CHECK(strcmp(mx[j].host, mx[i].host) != 0);
		}
	}
	/* again: the same result, the same hosts (the order of equal
	   preferences may differ: it is shuffled) */
	r2 = dns_parse_mx(ans, len, qname, &mx2, &n2);
	CHECK(r2 == r && n2 == n);
	for (i = 0; i < n; i++) {
		for (j = 0; j < n2; j++)
			if (strcmp(mx[i].host, mx2[j].host) == 0)
				break;
		CHECK(j < n2 && mx[i].pref == mx2[j].pref);
	}
	free(mx);
	free(mx2);
}

static void
fuzz_ptr(const uint8_t *ans, size_t len, const char *qname)
{
	struct dns_name *p, *p2;
	size_t n, n2, i, j;
	int r, r2;

	r = dns_parse_ptr(ans, len, qname, &p, &n);
	CHECK(r == DNS_OK || r == DNS_NXDOMAIN || r == DNS_NODATA ||
	    r == DNS_TEMP);
	if (r != DNS_OK) {
		CHECK(p == NULL && n == 0);
		if (r == DNS_TEMP)
			CHECK(*dns_why() != '\0');
	} else {
		CHECK(p != NULL && n >= 1 && n <= DNS_RR_MAX);
		for (i = 0; i < n; i++) {
			check_host(p[i].name);
			for (j = 0; j < i; j++)
				CHECK(strcmp(p[j].name, p[i].name) != 0);
		}
	}
	r2 = dns_parse_ptr(ans, len, qname, &p2, &n2);
	CHECK(r2 == r && n2 == n);
	CHECK(n == 0 || memcmp(p, p2, n * sizeof(*p)) == 0);
	free(p);
	free(p2);
}

static void
fuzz_addrs(const uint8_t *ans, size_t len, const char *qname, int type)
{
	struct dns_addr *a, *a2;
	size_t n, n2, i, j, alen = type == ns_t_a ? 4 : 16;
	int r, r2;

	r = dns_parse_addrs(ans, len, qname, type, &a, &n);
	CHECK(r == DNS_OK || r == DNS_NXDOMAIN || r == DNS_NODATA ||
	    r == DNS_TEMP);
	if (r != DNS_OK) {
		CHECK(a == NULL && n == 0);
		if (r == DNS_TEMP)
			CHECK(*dns_why() != '\0');
	} else {
		CHECK(a != NULL && n >= 1 && n <= DNS_RR_MAX);
		for (i = 0; i < n; i++) {
			CHECK(a[i].family == (type == ns_t_a ? AF_INET :
			    AF_INET6));
			for (j = 0; j < i; j++)
				CHECK(memcmp(a[j].addr, a[i].addr, alen) != 0);
		}
	}
	r2 = dns_parse_addrs(ans, len, qname, type, &a2, &n2);
	CHECK(r2 == r && n2 == n);
	CHECK(n == 0 || memcmp(a, a2, n * sizeof(*a)) == 0);
	free(a);
	free(a2);
}

/* fuzz_rrset - the generic parser; its addresses are dns_parse_addrs'. */
static void
fuzz_rrset(const uint8_t *ans, size_t len, const char *qname, int type)
{
	struct dns_rrset set;
	struct dns_addr *a;
	size_t n, i;
	int r, ra;

	r = dns_parse_rrset(ans, len, qname, type, &set);
	CHECK(r == DNS_OK || r == DNS_NXDOMAIN || r == DNS_NODATA ||
	    r == DNS_TEMP);
	CHECK(set.type == type);
	if (r != DNS_OK) {
		CHECK(set.rr == NULL && set.n == 0);
		if (r == DNS_TEMP)
			CHECK(*dns_why() != '\0');
	} else
		CHECK(set.rr != NULL && set.n >= 1 && set.n <= DNS_RR_MAX);
	for (i = 0; i < set.n; i++) {
		if (type == ns_t_txt) {
			CHECK(set.rr[i].len < 65536);
			CHECK(set.rr[i].data[set.rr[i].len] == '\0');
		} else if (type == ns_t_tlsa)
			CHECK(set.rr[i].len >= 3 && set.rr[i].len < 65536);
		else
			CHECK(set.rr[i].len == (type == ns_t_a ? 4u : 16u));
	}
	if (type == ns_t_a || type == ns_t_aaaa) {
		ra = dns_parse_addrs(ans, len, qname, type, &a, &n);
		CHECK(ra == r && n == set.n);
		for (i = 0; i < n; i++)
			CHECK(memcmp(a[i].addr, set.rr[i].data,
			    set.rr[i].len) == 0);
		free(a);
	}
	dns_rrset_free(&set);
	CHECK(set.rr == NULL && set.n == 0);
}

/* fuzz_reverse - an address's reverse name is a host name; else none */
static void
fuzz_reverse(const char *in)
{
	unsigned char bin[16];
	char out[DNS_REVERSE_MAX], norm[DNS_NAME_MAX + 1];
	int v4 = inet_pton(AF_INET, in, bin) == 1;
	int v6 = !v4 && inet_pton(AF_INET6, in, bin) == 1;
	size_t n;

	if (dns_reverse_name(in, out, sizeof(out)) == -1) {
		CHECK(!v4 && !v6);
		return;
	}
	CHECK(v4 || v6);
	CHECK(dns_name_norm(out, norm) == 0 && strcmp(norm, out) == 0);
	check_host(out);
	n = strlen(out);
	CHECK(v4 ? n > 13 && strcmp(out + n - 13, ".in-addr.arpa") == 0 :
	    n == DNS_REVERSE_MAX - 1 && strcmp(out + n - 9, ".ip6.arpa") == 0);
}

/* fuzz_name - dns_name_norm on the input as a string. */
static void
fuzz_name(const uint8_t *data, size_t size)
{
	char in[DNS_NAME_MAX + 40], out[DNS_NAME_MAX + 1];
	char again[DNS_NAME_MAX + 1];
	size_t n = size < sizeof(in) - 1 ? size : sizeof(in) - 1;

	memcpy(in, data, n);
	in[n] = '\0';
	fuzz_reverse(in);
	if (dns_name_norm(in, out) == -1)
		return;
	check_host(out);
	CHECK(strlen(out) == strlen(in) || strlen(out) + 1 == strlen(in));
	CHECK(dns_name_norm(out, again) == 0 && strcmp(out, again) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *qname;

	if (size < 1)
		return 0;
	fuzz_name(data + 1, size - 1);
	qname = names[data[0] >> 2 & 3];
	if ((data[0] & 0x30) == 0x30) {
		static const int types[] = { ns_t_a, ns_t_aaaa, ns_t_txt,
		    ns_t_tlsa };

		fuzz_rrset(data + 1, size - 1, qname, types[data[0] & 3]);
		return 0;
	}
	if ((data[0] & 0x30) == 0x10) {
		fuzz_ptr(data + 1, size - 1, rev_names[data[0] >> 2 & 3]);
		return 0;
	}
	switch (data[0] & 3) {
	case 1:
		fuzz_addrs(data + 1, size - 1, qname, ns_t_a);
		break;
	case 2:
		fuzz_addrs(data + 1, size - 1, qname, ns_t_aaaa);
		break;
	default:
		fuzz_mx(data + 1, size - 1, qname);
	}
	return 0;
}
