/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_dnsbl - libFuzzer target for smtpd/dnsbl.c: the input is the
 * text of control/dnsbl.  Besides "no sanitizer report" it checks: a
 * failure names a line of the input and says why, a success none; at
 * most DNSBL_ZONES_MAX zones, each a DNS name as dns.h writes them (it
 * normalises to itself) short enough for an IPv6 query name, which
 * dnsbl_qname then builds within DNSBL_QNAME_MAX for an IPv4 and an
 * IPv6 client; answers within 127.0.0.0/8, each once, each counting;
 * the message printable ASCII whose expansion (dnsbl_expand, with the
 * longest addresses) stays printable and within the reply's bounds.
 * The input also goes through dnsbl_clean as a TXT text.  A second
 * parse gives the same.  A broken property aborts, which libFuzzer and
 * replay report.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "dnsbl.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_dnsbl: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

#define V4	"255.255.255.255"
#define V6	"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"

/* printable - s is printable ASCII only */
static void
printable(const char *s)
{
	for (; *s != '\0'; s++)
		CHECK((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f);
}

/* check_zone - one zone as dnsbl.h promises it */
static void
check_zone(const struct dnsbl_zone *z)
{
	char norm[DNS_NAME_MAX + 1], q[DNSBL_QNAME_MAX + 1];
	char text[DNSBL_TEXT_MAX + 1];
	size_t i, j;

	CHECK(strlen(z->name) <= DNSBL_ZONE_MAX);
	CHECK(dns_name_norm(z->name, norm) == 0 && strcmp(norm, z->name) == 0);
	CHECK(dnsbl_qname(V4, z->name, q, sizeof(q)) == 0);
	CHECK(strlen(q) == strlen(V4) + 1 + strlen(z->name));
	CHECK(dnsbl_qname(V6, z->name, q, sizeof(q)) == 0);
	CHECK(strlen(q) == 64 + strlen(z->name));
	CHECK(dns_name_norm(q, norm) == 0);
	CHECK(z->nanswers <= DNSBL_ANSWERS_MAX);
	for (i = 0; i < z->nanswers; i++) {
		CHECK(z->answers[i][0] == 127);
		CHECK(dnsbl_answer_counts(z, z->answers[i]));
		for (j = 0; j < i; j++)
			CHECK(memcmp(z->answers[i], z->answers[j], 4) != 0);
	}
	CHECK(strlen(z->msg) <= DNSBL_MSG_MAX);
	printable(z->msg);
	dnsbl_expand(z->msg, V6, z->name, text, sizeof(text));
	CHECK(strlen(text) <= DNSBL_TEXT_MAX);
	printable(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dnsbl_list l, l2;
	char clean[DNSBL_TEXT_MAX + 1];
	const char *why, *why2;
	size_t line, line2, i, nlines = 1;
	int r, r2;

	for (i = 0; i < size; i++)
		nlines += data[i] == '\n';
	r = dnsbl_parse((const char *)data, size, &l, &line, &why);
	CHECK(r == 0 || r == -1);
	if (r == -1) {
		CHECK(why != NULL && *why != '\0');
		CHECK(line >= 1 && line <= nlines);
	} else {
		CHECK(why == NULL && line == 0);
		CHECK(l.nzones <= DNSBL_ZONES_MAX);
		for (i = 0; i < l.nzones; i++)
			check_zone(&l.zone[i]);
	}
	r2 = dnsbl_parse((const char *)data, size, &l2, &line2, &why2);
	CHECK(r2 == r && line2 == line);
	if (r == 0) {
		CHECK(l2.nzones == l.nzones);
		CHECK(memcmp(l.zone, l2.zone, l.nzones * sizeof(l.zone[0])) ==
		    0);
	}
	dnsbl_clean(data, size, clean, sizeof(clean));
	CHECK(strlen(clean) == (size < DNSBL_TEXT_MAX ? size : DNSBL_TEXT_MAX));
	printable(clean);
	return 0;
}
