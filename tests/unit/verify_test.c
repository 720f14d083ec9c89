/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * verify_test - table-driven tests of what qpverify parses and writes
 * without the network (queue/verify_ar.c, queue/verify_header.c): the
 * authserv-id of Authentication-Results fields, the removal of those
 * claiming ours (and nothing else), the From: domain, and the field it
 * writes, as RFC 8601 spells it.
 */
#include <atf-c.h>
#include <stdlib.h>
#include <string.h>

#include "lsan_atf.h"
#include "verify.h"
#include "verify_ar.h"

#define OURS	"mx.example.org"

/* heap - n bytes of s in a heap block of exactly n bytes. */
static char *
heap(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	ATF_REQUIRE(p != NULL);
	memcpy(p, s, n);
	return p;
}

ATF_TC_WITHOUT_HEAD(authserv_id);
ATF_TC_BODY(authserv_id, tc)
{
	static const struct {
		const char	*field;
		int		 r;
		const char	*id;
	} t[] = {
		{ "Authentication-Results: mx.example.org; spf=pass\n", 1,
		    "mx.example.org" },
		{ "authentication-results:MX.Example.ORG.;none\n", 1,
		    "mx.example.org" },
		{ "Authentication-Results: (a (nested) \\) c) mx.example.org 1;"
		    " none\n", 1, "mx.example.org" },
		{ "Authentication-Results: \"mx.ex\\ample.org\"; none\n", 1,
		    "mx.example.org" },
		{ "Authentication-Results:\n\tmx.example.org\n\t; none\n", 1,
		    "mx.example.org" },
		{ "Authentication-Results: other.test; dkim=pass\n", 1,
		    "other.test" },
		{ "Authentication-Results: ;\n", -1, "" },
		{ "Authentication-Results: (only a comment\n", -1, "" },
		{ "Authentication-Results: \"\"\n", -1, "" },
		{ "Authentication-Results-X: mx.example.org\n", 0, "" },
		{ "ARC-Authentication-Results: i=1; mx.example.org\n", 0, "" },
		{ "Subject: Authentication-Results: mx.example.org\n", 0, "" },
	};
	char id[AR_ID_MAX + 1];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *p = heap(t[i].field, strlen(t[i].field));
		int r = ar_field_id(p, strlen(t[i].field), id);

		ATF_CHECK_EQ_MSG(r, t[i].r, "%s: %d", t[i].field, r);
		if (r == 1)
			ATF_CHECK_STREQ_MSG(id, t[i].id, "%s", t[i].field);
		free(p);
	}
	/* an id over AR_ID_MAX is none */
	{
		char big[AR_ID_MAX + 64];

		memset(big, 'a', sizeof(big));
		memcpy(big, "Authentication-Results: ", 24);
		ATF_CHECK_EQ(ar_field_id(big, sizeof(big), id), -1);
	}
}

ATF_TC_WITHOUT_HEAD(strip);
ATF_TC_BODY(strip, tc)
{
	static const struct {
		const char	*in;
		const char	*kept;		/* the header section left */
		size_t		 removed;
		size_t		 hdrlen;	/* bytes of header section */
	} t[] = {
		{ "A: 1\nAuthentication-Results: mx.example.org; x\nB: 2\n\nbody\n",
		    "A: 1\nB: 2\n", 1, 52 },
		{ "Authentication-Results: mx.example.org;\n\tspf=pass\n"
		    "Authentication-Results: other.test; x\n\n",
		    "Authentication-Results: other.test; x\n", 1, 88 },
		{ "Authentication-Results: MX.EXAMPLE.ORG\r\n\tx\r\nC: 3\r\n\r\n",
		    "C: 3\r\n", 1, 50 },
		/* a line that is no field ends the header section */
		{ "A: 1\nnot a field\nAuthentication-Results: mx.example.org\n",
		    "A: 1\n", 0, 5 },
		/* a last field without its LF */
		{ "Authentication-Results: mx.example.org", "", 1, 38 },
		{ "", "", 0, 0 },
	};
	size_t i, removed, len;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sa out = SA_INIT;
		size_t n = strlen(t[i].in);
		char *p = heap(t[i].in, n);

		len = ar_strip(p, n, OURS, &out, &removed);
		ATF_CHECK_EQ_MSG(removed, t[i].removed, "case %zu: %zu", i,
		    removed);
		ATF_CHECK_EQ_MSG(len, t[i].hdrlen, "case %zu: %zu", i, len);
		ATF_CHECK_MSG(out.len == strlen(t[i].kept) && (out.len == 0 ||
		    memcmp(out.s, t[i].kept, out.len) == 0),
		    "case %zu: kept %.*s", i, (int)out.len, out.s ? out.s : "");
		sa_free(&out);
		free(p);
	}
}

ATF_TC_WITHOUT_HEAD(from_domain);
ATF_TC_BODY(from_domain, tc)
{
	static const struct {
		const char	*hdr;
		int		 r;
		const char	*domain;
	} t[] = {
		{ "From: a@Example.ORG\n", 0, "example.org" },
		{ "From: \"A, B\" <a@b.example>\n", 0, "b.example" },
		{ "From: A\n\t<a@c.example> (comment)\n", 0, "c.example" },
		{ "From: a@x.example, b@y.example\n", -1, "" },
		{ "From: a@x.example\nFrom: b@x.example\n", -1, "" },
		{ "To: a@x.example\n", -1, "" },
		{ "From: nobody\n", -1, "" },
		{ "From: a@[192.0.2.1]\n", -1, "" },
		{ "From: a@bad domain.example\n", -1, "" },
	};
	char dom[DNS_NAME_MAX + 1];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *p = heap(t[i].hdr, strlen(t[i].hdr));
		int r = verify_from_domain(p, strlen(t[i].hdr), dom);

		ATF_CHECK_EQ_MSG(r, t[i].r, "%s: %d", t[i].hdr, r);
		if (r == 0)
			ATF_CHECK_STREQ_MSG(dom, t[i].domain, "%s", t[i].hdr);
		free(p);
	}
}

ATF_TC_WITHOUT_HEAD(header);
ATF_TC_BODY(header, tc)
{
	struct verify v;
	struct sa out = SA_INIT;

	memset(&v, 0, sizeof(v));
	v.spf_mfrom = "pass";
	strlcpy(v.mfrom, "a@example.com", sizeof(v.mfrom));
	v.spf_helo = "none";
	strlcpy(v.helo, "mail.example.com", sizeof(v.helo));
	v.ndkim = 2;
	v.dkim[0].result = "pass";
	strlcpy(v.dkim[0].d, "example.com", sizeof(v.dkim[0].d));
	strlcpy(v.dkim[0].s, "sel", sizeof(v.dkim[0].s));
	strlcpy(v.dkim[0].b, "AbC/dE+f", sizeof(v.dkim[0].b));
	v.dkim[1].result = "fail";
	strlcpy(v.dkim[1].d, "other.example", sizeof(v.dkim[1].d));
	strlcpy(v.dkim[1].b, "abcdefgh", sizeof(v.dkim[1].b));
	v.dmarc = "fail";
	v.dmarc_policy = "reject";
	strlcpy(v.from_domain, "example.com", sizeof(v.from_domain));
	ATF_REQUIRE(verify_header(OURS, &v, &out) == 0);
	ATF_REQUIRE(sa_0(&out) == 0);
	ATF_CHECK_STREQ(out.s, "Authentication-Results: mx.example.org;\n"
	    "\tspf=pass smtp.mailfrom=a@example.com;\n"
	    "\tspf=none smtp.helo=mail.example.com;\n"
	    "\tdkim=pass header.d=example.com header.s=sel "
	    "header.b=\"AbC/dE+f\";\n"
	    "\tdkim=fail header.d=other.example header.b=abcdefgh;\n"
	    "\tdmarc=fail (p=reject) header.from=example.com\n");
	/* nothing checked at all: RFC 8601's "none" */
	memset(&v, 0, sizeof(v));
	out.len = 0;
	ATF_REQUIRE(verify_header(OURS, &v, &out) == 0);
	ATF_REQUIRE(sa_0(&out) == 0);
	ATF_CHECK_STREQ(out.s, "Authentication-Results: mx.example.org; none\n");
	sa_free(&out);
}

ATF_TC_WITHOUT_HEAD(tokens);
ATF_TC_BODY(tokens, tc)
{
	ATF_CHECK(ar_is_token("mx.example.org"));
	ATF_CHECK(!ar_is_token(""));
	ATF_CHECK(!ar_is_token("a b"));
	ATF_CHECK(!ar_is_token("a/b"));
	ATF_CHECK(!ar_is_token("a=b"));
	ATF_CHECK(ar_is_dot_atom("first.last", 10));
	ATF_CHECK(ar_is_dot_atom("a+tag", 5));
	ATF_CHECK(!ar_is_dot_atom(".a", 2));
	ATF_CHECK(!ar_is_dot_atom("a..b", 4));
	ATF_CHECK(!ar_is_dot_atom("a b", 3));
	ATF_CHECK(!ar_is_dot_atom("\"q\"", 3));
	ATF_CHECK(!ar_is_dot_atom("", 0));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, authserv_id);
	ATF_TP_ADD_TC(tp, strip);
	ATF_TP_ADD_TC(tp, from_domain);
	ATF_TP_ADD_TC(tp, header);
	ATF_TP_ADD_TC(tp, tokens);
	return atf_no_error();
}
