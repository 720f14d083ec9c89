/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * addr_test - table-driven tests of lib/addr.c: RFC 5321 mailboxes and
 * paths, the 4.5.3.1 limits, and hostile input (NUL, CR, LF, control
 * bytes, unbalanced quotes, oversize strings).
 */
#include <atf-c.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "lsan_atf.h"

/* A table row: input (with explicit length, so it may hold NUL). */
struct acase {
	const char	*in;
	size_t		 len;	/* 0: strlen(in) */
	int		 flags;
	int		 want;
	const char	*local;	/* expected on success, NULL: don't care */
	const char	*domain;
};

#define S(x)	x, sizeof(x) - 1

static size_t
clen(const struct acase *c)
{
	return c->len ? c->len : strlen(c->in);
}

static void
run_parse(const struct acase *t, size_t n)
{
	struct addr a;
	size_t i;

	for (i = 0; i < n; i++) {
		int r = addr_parse(t[i].in, clen(&t[i]), &a, t[i].flags);

		ATF_CHECK_EQ_MSG(r, t[i].want, "addr_parse case %zu (%.40s) "
		    "flags %#x: got %d want %d", i, t[i].in, t[i].flags, r,
		    t[i].want);
		if (r == 1 && t[i].want == 1 && t[i].local != NULL) {
			ATF_CHECK_STREQ_MSG(a.local, t[i].local, "case %zu", i);
			ATF_CHECK_STREQ_MSG(a.domain, t[i].domain, "case %zu",
			    i);
		}
	}
}

static void
run_path(const struct acase *t, size_t n)
{
	struct addr a;
	size_t i, used;

	for (i = 0; i < n; i++) {
		int r;

		used = 9999;
		r = addr_parse_path(t[i].in, clen(&t[i]), &a, t[i].flags,
		    &used);
		ATF_CHECK_EQ_MSG(r, t[i].want, "addr_parse_path case %zu "
		    "(%.60s) flags %#x: got %d want %d", i, t[i].in,
		    t[i].flags, r, t[i].want);
		if (r == 1 && t[i].want == 1 && t[i].local != NULL) {
			ATF_CHECK_STREQ_MSG(a.local, t[i].local, "case %zu", i);
			ATF_CHECK_STREQ_MSG(a.domain, t[i].domain, "case %zu",
			    i);
		}
	}
}

ATF_TC_WITHOUT_HEAD(parse_valid);
ATF_TC_BODY(parse_valid, tc)
{
	static const struct acase t[] = {
		{ "u@example.test", 0, 0, 1, "u", "example.test" },
		{ "first.last@sub.example.test", 0, 0, 1, "first.last",
		    "sub.example.test" },
		{ "a!#$%&'*+-/=?^_`{|}~z@x.test", 0, 0, 1,
		    "a!#$%&'*+-/=?^_`{|}~z", "x.test" },
		{ "\"quoted local\"@x.test", 0, 0, 1, "\"quoted local\"",
		    "x.test" },
		{ "\"a\\\"b\"@x.test", 0, 0, 1, "\"a\\\"b\"", "x.test" },
		{ "\"a\\\\b\"@x.test", 0, 0, 1, "\"a\\\\b\"", "x.test" },
		{ "\"at@in.quotes\"@x.test", 0, 0, 1, "\"at@in.quotes\"",
		    "x.test" },
		{ "\"\"@x.test", 0, 0, 1, "\"\"", "x.test" },
		{ "u@[1.2.3.4]", 0, 0, 1, "u", "[1.2.3.4]" },
		{ "u@[IPv6:::1]", 0, 0, 1, "u", "[IPv6:::1]" },
		{ "u@[ipv6:2001:db8::1]", 0, 0, 1, "u", "[ipv6:2001:db8::1]" },
		{ "u@x-y.test", 0, 0, 1, "u", "x-y.test" },
		{ "u@localhost", 0, 0, 1, "u", "localhost" },
		{ "u@123.test", 0, 0, 1, "u", "123.test" },
		{ "UPPER@CASE.TEST", 0, 0, 1, "UPPER", "CASE.TEST" },
		{ "bare", 0, ADDR_BARE, 1, "bare", "" },
		{ "\"bare q\"", 0, ADDR_BARE, 1, "\"bare q\"", "" },
		{ "b\xc3\xa9@x.test", 0, ADDR_UTF8, 1, "b\xc3\xa9", "x.test" },
		{ "u@b\xc3\xa9.test", 0, ADDR_UTF8, 1, "u", "b\xc3\xa9.test" },
		{ "\"b\xc3\xa9\"@x.test", 0, ADDR_UTF8, 1, NULL, NULL },
		{ "\xe2\x82\xac\xf0\x9f\x93\xab@\xe4\xbe\x8b.test", 0,
		    ADDR_UTF8, 1, NULL, NULL },	/* 3- and 4-byte forms */
		{ "\xef\xbf\xbd\xf4\x8f\xbf\xbf@x.test", 0, ADDR_UTF8, 1,
		    NULL, NULL },		/* U+FFFD, U+10FFFF */
	};

	run_parse(t, sizeof(t) / sizeof(t[0]));
}

ATF_TC_WITHOUT_HEAD(parse_invalid);
ATF_TC_BODY(parse_invalid, tc)
{
	static const struct acase t[] = {
		{ "", 0, 0, 0, NULL, NULL },
		{ "", 0, ADDR_BARE, 0, NULL, NULL },
		{ "@x.test", 0, 0, 0, NULL, NULL },
		{ "u@", 0, 0, 0, NULL, NULL },
		{ "u", 0, 0, 0, NULL, NULL },		/* no '@', no BARE */
		{ "a..b@x.test", 0, 0, 0, NULL, NULL },
		{ ".a@x.test", 0, 0, 0, NULL, NULL },
		{ "a.@x.test", 0, 0, 0, NULL, NULL },
		{ ".@x.test", 0, 0, 0, NULL, NULL },
		{ "u@x..test", 0, 0, 0, NULL, NULL },
		{ "u@.x.test", 0, 0, 0, NULL, NULL },
		{ "u@x.test.", 0, 0, 0, NULL, NULL },	/* trailing dot */
		{ "u@-x.test", 0, 0, 0, NULL, NULL },
		{ "u@x-.test", 0, 0, 0, NULL, NULL },
		{ "u@x_y.test", 0, 0, 0, NULL, NULL },
		{ "u@x test", 0, 0, 0, NULL, NULL },
		{ "u v@x.test", 0, 0, 0, NULL, NULL },
		{ "u@@x.test", 0, 0, 0, NULL, NULL },
		{ "a@b@x.test", 0, 0, 0, NULL, NULL },
		{ "(c)u@x.test", 0, 0, 0, NULL, NULL },
		{ "<u@x.test>", 0, 0, 0, NULL, NULL },
		{ "\"unbalanced@x.test", 0, 0, 0, NULL, NULL },
		{ "unbalanced\"@x.test", 0, 0, 0, NULL, NULL },
		{ "\"a\"b@x.test", 0, 0, 0, NULL, NULL },
		{ "\"a\"\"b\"@x.test", 0, 0, 0, NULL, NULL },
		{ "\"a\\\"@x.test", 0, 0, 0, NULL, NULL },	/* "a\"@ */
		{ "\"\\\"@x.test", 0, 0, 0, NULL, NULL },
		{ "\"a\rb\"@x.test", 0, 0, 0, NULL, NULL },
		{ "\"a\nb\"@x.test", 0, 0, 0, NULL, NULL },
		{ "\"a\\\nb\"@x.test", 0, 0, 0, NULL, NULL },	/* \LF */
		{ "\"a\tb\"@x.test", 0, 0, 0, NULL, NULL },
		{ "\"a\x7f" "b\"@x.test", 0, 0, 0, NULL, NULL },
		{ "u\r@x.test", 0, 0, 0, NULL, NULL },
		{ "u@x.test\r", 0, 0, 0, NULL, NULL },
		{ "u@x.test\n", 0, 0, 0, NULL, NULL },
		{ "u@x.test\r\nRCPT TO:<v@y.test>", 0, 0, 0, NULL, NULL },
		{ "u\x01@x.test", 0, 0, 0, NULL, NULL },
		{ "u\x7f@x.test", 0, 0, 0, NULL, NULL },
		{ S("u\0@x.test"), 0, 0, NULL, NULL },
		{ S("u@x.test\0"), 0, 0, NULL, NULL },
		{ S("\"u\0\"@x.test"), 0, 0, NULL, NULL },
		{ S("u@x\0.test"), ADDR_UTF8 | ADDR_BARE, 0, NULL, NULL },
		/* not UTF-8 at all, even with the flag (RFC 6531 UTF8-non-ascii) */
		{ "b\xff@x.test", 0, ADDR_UTF8, 0, NULL, NULL },
		{ "b\xc3@x.test", 0, ADDR_UTF8, 0, NULL, NULL },	/* cut */
		{ "b\xa9@x.test", 0, ADDR_UTF8, 0, NULL, NULL },	/* lone tail */
		{ "b\xc0\xafx@x.test", 0, ADDR_UTF8, 0, NULL, NULL },	/* overlong */
		{ "b\xe0\x80\xaf@x.test", 0, ADDR_UTF8, 0, NULL, NULL },
		{ "b\xed\xa0\x80@x.test", 0, ADDR_UTF8, 0, NULL, NULL }, /* surrogate */
		{ "b\xf4\x90\x80\x80@x.test", 0, ADDR_UTF8, 0, NULL, NULL },
		{ "b\xf8\x88\x80\x80\x80@x.test", 0, ADDR_UTF8, 0, NULL, NULL },
		{ "\"b\xff\"@x.test", 0, ADDR_UTF8, 0, NULL, NULL },
		{ "u@b\xff.test", 0, ADDR_UTF8, 0, NULL, NULL },
		{ "u@b\xc3.test", 0, ADDR_UTF8, 0, NULL, NULL },
		/* UTF-8 without the flag */
		{ "b\xc3\xa9@x.test", 0, 0, 0, NULL, NULL },
		{ "u@b\xc3\xa9.test", 0, 0, 0, NULL, NULL },
		{ "\"b\xc3\xa9\"@x.test", 0, 0, 0, NULL, NULL },
		/* bad literals */
		{ "u@[1.2.3]", 0, 0, 0, NULL, NULL },
		{ "u@[1.2.3.256]", 0, 0, 0, NULL, NULL },
		{ "u@[1.2.3.4", 0, 0, 0, NULL, NULL },
		{ "u@1.2.3.4]", 0, 0, 0, NULL, NULL },
		{ "u@[]", 0, 0, 0, NULL, NULL },
		{ "u@[IPv6:]", 0, 0, 0, NULL, NULL },
		{ "u@[IPv6:1.2.3.4]", 0, 0, 0, NULL, NULL },
		{ "u@[IPv6:::g]", 0, 0, 0, NULL, NULL },
		{ "u@[::1]", 0, 0, 0, NULL, NULL },
		{ "u@[x:y]", 0, 0, 0, NULL, NULL },
		{ "u@[1.2.3.4].test", 0, 0, 0, NULL, NULL },
		{ "u@[ 1.2.3.4]", 0, 0, 0, NULL, NULL },
		{ "u@[1.2.3.4\n]", 0, 0, 0, NULL, NULL },
		/* bare is only for ADDR_BARE, and needs a valid local part */
		{ "a..b", 0, ADDR_BARE, 0, NULL, NULL },
		{ "\"a", 0, ADDR_BARE, 0, NULL, NULL },
	};

	run_parse(t, sizeof(t) / sizeof(t[0]));
}

/* fill - n copies of c into buf (NUL-terminated). */
static char *
fill(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

ATF_TC_WITHOUT_HEAD(parse_limits);
ATF_TC_BODY(parse_limits, tc)
{
	char in[2048], lp[512], dom[1024], lab[128];
	struct addr a;
	size_t used;

	/* local part: 64 ok, 65 refused */
	snprintf(in, sizeof(in), "%s@x.test", fill(lp, 'a', 64));
	ATF_CHECK_EQ(addr_parse(in, strlen(in), &a, 0), 1);
	ATF_CHECK_EQ(strlen(a.local), 64);
	snprintf(in, sizeof(in), "%s@x.test", fill(lp, 'a', 65));
	ATF_CHECK_EQ(addr_parse(in, strlen(in), &a, 0), 0);
	ATF_CHECK_EQ(addr_parse(lp, 64, &a, ADDR_BARE), 1);
	ATF_CHECK_EQ(addr_parse(lp, 65, &a, ADDR_BARE), 0);
	/* a quoted local part counts its quotes */
	lp[0] = '"';
	lp[63] = '"';
	snprintf(in, sizeof(in), "%.64s@x.test", lp);
	ATF_CHECK_EQ(addr_parse(in, strlen(in), &a, 0), 1);
	fill(lp, 'a', 65);
	lp[0] = '"';
	lp[64] = '"';
	snprintf(in, sizeof(in), "%s@x.test", lp);
	ATF_CHECK_EQ(addr_parse(in, strlen(in), &a, 0), 0);

	/* labels: 63 ok, 64 refused */
	snprintf(in, sizeof(in), "u@%s.test", fill(lab, 'b', 63));
	ATF_CHECK_EQ(addr_parse(in, strlen(in), &a, 0), 1);
	snprintf(in, sizeof(in), "u@%s.test", fill(lab, 'b', 64));
	ATF_CHECK_EQ(addr_parse(in, strlen(in), &a, 0), 0);
	ATF_CHECK_EQ(addr_valid_domain(lab, 63, 0), 1);
	ATF_CHECK_EQ(addr_valid_domain(lab, 64, 0), 0);

	/* domain: 255 ok, 256 refused (4 x 63 + dots + 3) */
	snprintf(dom, sizeof(dom), "%s.%s.%s.%s.ccc", fill(lab, 'c', 63), lab,
	    lab, lab);
	ATF_REQUIRE_EQ(strlen(dom), 4 * 64 + 3);	/* 259 */
	ATF_CHECK_EQ(addr_valid_domain(dom + 4, 255, 0), 1);
	ATF_CHECK_EQ(addr_valid_domain(dom + 3, 256, 0), 0);
	ATF_CHECK_EQ(addr_valid_domain(dom, strlen(dom), 0), 0);

	/* mailbox: at most 254 octets, so the path fits in 256 */
	snprintf(in, sizeof(in), "%s@%s", fill(lp, 'a', 64), dom + 4 + 66);
	ATF_REQUIRE_EQ(strlen(in), 64 + 1 + 189);
	ATF_CHECK_EQ(addr_parse(in, strlen(in), &a, 0), 1);
	snprintf(in, sizeof(in), "%s@%s", lp, dom + 4 + 65);
	ATF_REQUIRE_EQ(strlen(in), 255);
	ATF_CHECK_EQ(addr_parse(in, strlen(in), &a, 0), 0);

	/* path: 256 ok, 257 refused */
	snprintf(in, sizeof(in), "<%s@%s>", lp, dom + 4 + 66);
	ATF_REQUIRE_EQ(strlen(in), 256);
	ATF_CHECK_EQ(addr_parse_path(in, strlen(in), &a, 0, &used), 1);
	ATF_CHECK_EQ(used, 256);
	snprintf(in, sizeof(in), "<%s@%s>", lp, dom + 4 + 65);
	ATF_REQUIRE_EQ(strlen(in), 257);
	ATF_CHECK_EQ(addr_parse_path(in, strlen(in), &a, 0, &used), 0);
	/* a source route counts towards the path limit */
	snprintf(in, sizeof(in), "<@%s:u@x.test>", dom + 4);
	ATF_CHECK_EQ(addr_parse_path(in, strlen(in), &a, 0, &used), 0);

	/* huge garbage: refused without reading past n */
	{
		static char big[100000];

		memset(big, 'a', sizeof(big));
		ATF_CHECK_EQ(addr_parse(big, sizeof(big), &a, ADDR_BARE), 0);
		ATF_CHECK_EQ(addr_valid_domain(big, sizeof(big), 0), 0);
		big[0] = '<';
		ATF_CHECK_EQ(addr_parse_path(big, sizeof(big), &a, 0, &used),
		    0);
		big[sizeof(big) - 1] = '>';
		ATF_CHECK_EQ(addr_parse_path(big, sizeof(big), &a, 0, &used),
		    0);
	}
}

ATF_TC_WITHOUT_HEAD(valid_domain);
ATF_TC_BODY(valid_domain, tc)
{
	static const struct acase t[] = {
		{ "x.test", 0, 0, 1, NULL, NULL },
		{ "a", 0, 0, 1, NULL, NULL },
		{ "a-b-c.d1.test", 0, 0, 1, NULL, NULL },
		{ "0.test", 0, 0, 1, NULL, NULL },
		{ "[127.0.0.1]", 0, 0, 1, NULL, NULL },
		{ "[IPv6:::1]", 0, 0, 1, NULL, NULL },
		{ "[IPv6:fe80::1:2]", 0, 0, 1, NULL, NULL },
		{ "b\xc3\xa9.test", 0, ADDR_UTF8, 1, NULL, NULL },
		{ "b\xff.test", 0, ADDR_UTF8, 0, NULL, NULL },
		{ "b\xc3\xa9\xa9.test", 0, ADDR_UTF8, 0, NULL, NULL },
		{ "", 0, 0, 0, NULL, NULL },
		{ ".", 0, 0, 0, NULL, NULL },
		{ "x.test.", 0, 0, 0, NULL, NULL },
		{ ".x.test", 0, 0, 0, NULL, NULL },
		{ "x..test", 0, 0, 0, NULL, NULL },
		{ "-x.test", 0, 0, 0, NULL, NULL },
		{ "x.-test", 0, 0, 0, NULL, NULL },
		{ "x.test-", 0, 0, 0, NULL, NULL },
		{ "x_y.test", 0, 0, 0, NULL, NULL },
		{ "x.test\n", 0, 0, 0, NULL, NULL },
		{ "x.test\r", 0, 0, 0, NULL, NULL },
		{ "x/y.test", 0, 0, 0, NULL, NULL },
		{ "x@y.test", 0, 0, 0, NULL, NULL },
		{ S("x\0y.test"), 0, 0, NULL, NULL },
		{ S("x.test\0"), ADDR_UTF8, 0, NULL, NULL },
		{ "b\xc3\xa9.test", 0, 0, 0, NULL, NULL },
		{ "[1.2.3.4", 0, 0, 0, NULL, NULL },
		{ "[01.2.3.4]", 0, 0, 0, NULL, NULL },
		{ "[1.2.3.4.5]", 0, 0, 0, NULL, NULL },
		{ "[IPv6:1:2:3:4:5:6:7:8:9]", 0, 0, 0, NULL, NULL },
		{ "[IPv6:::1", 0, 0, 0, NULL, NULL },
		{ "[Ipv4:1.2.3.4]", 0, 0, 0, NULL, NULL },
		{ "[", 0, 0, 0, NULL, NULL },
		{ "[]", 0, 0, 0, NULL, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ_MSG(addr_valid_domain(t[i].in, clen(&t[i]),
		    t[i].flags), t[i].want, "case %zu (%s)", i, t[i].in);
}

ATF_TC_WITHOUT_HEAD(parse_path);
ATF_TC_BODY(parse_path, tc)
{
	static const struct acase t[] = {
		{ "<u@x.test>", 0, 0, 1, "u", "x.test" },
		{ "<\"a>b\"@x.test>", 0, 0, 1, "\"a>b\"", "x.test" },
		{ "<\"a\\\">b\"@x.test>", 0, 0, 1, "\"a\\\">b\"", "x.test" },
		{ "<@a.test:u@c.test>", 0, 0, 1, "u", "c.test" },
		{ "<@a.test,@b.test:u@c.test>", 0, 0, 1, "u", "c.test" },
		{ "<@[1.2.3.4],@b.test:u@c.test>", 0, 0, 1, "u", "c.test" },
		{ "<>", 0, ADDR_NULL, 1, "", "" },
		{ "<Postmaster>", 0, ADDR_POSTMASTER, 1, "Postmaster", "" },
		{ "<postMASTER>", 0, ADDR_POSTMASTER, 1, "postMASTER", "" },
		{ "<postmaster@x.test>", 0, 0, 1, "postmaster", "x.test" },
		{ "<u@x.test> SIZE=100", 0, 0, 1, "u", "x.test" },
		{ "<b\xc3\xa9@x.test>", 0, ADDR_UTF8, 1, NULL, NULL },
		/* refused */
		{ "<>", 0, 0, 0, NULL, NULL },
		{ "<>", 0, ADDR_POSTMASTER | ADDR_UTF8 | ADDR_BARE, 0, NULL,
		    NULL },
		{ "<Postmaster>", 0, 0, 0, NULL, NULL },
		{ "<Postmaster>", 0, ADDR_NULL | ADDR_UTF8, 0, NULL, NULL },
		{ "<Postmasters>", 0, ADDR_POSTMASTER, 0, NULL, NULL },
		{ "<Postmaste>", 0, ADDR_POSTMASTER, 0, NULL, NULL },
		{ "<u>", 0, ADDR_BARE, 0, NULL, NULL },
		{ "u@x.test", 0, 0, 0, NULL, NULL },
		{ "<u@x.test", 0, 0, 0, NULL, NULL },
		{ "<", 0, ADDR_NULL, 0, NULL, NULL },
		{ "", 0, ADDR_NULL, 0, NULL, NULL },
		{ " <u@x.test>", 0, 0, 0, NULL, NULL },
		{ "< u@x.test>", 0, 0, 0, NULL, NULL },
		{ "<u@x.test >", 0, 0, 0, NULL, NULL },
		{ "<<u@x.test>>", 0, 0, 0, NULL, NULL },
		{ "<\"u@x.test>", 0, 0, 0, NULL, NULL },
		{ "<\"u\\>", 0, 0, 0, NULL, NULL },
		{ "<u@x.test\r\n>", 0, 0, 0, NULL, NULL },
		{ S("<u@x.test\0>"), 0, 0, NULL, NULL },
		{ S("<\0>"), ADDR_NULL, 0, NULL, NULL },
		/* source routes */
		{ "<@a.test>", 0, 0, 0, NULL, NULL },
		{ "<@:u@c.test>", 0, 0, 0, NULL, NULL },
		{ "<@a.test:>", 0, 0, 0, NULL, NULL },
		{ "<@a.test,:u@c.test>", 0, 0, 0, NULL, NULL },
		{ "<@a.test,,@b.test:u@c.test>", 0, 0, 0, NULL, NULL },
		{ "<@a.test,b.test:u@c.test>", 0, 0, 0, NULL, NULL },
		{ "<@a..test:u@c.test>", 0, 0, 0, NULL, NULL },
		{ "<@-a.test:u@c.test>", 0, 0, 0, NULL, NULL },
		{ "<a.test:u@c.test>", 0, 0, 0, NULL, NULL },
		{ "<@a.test:@b.test:u@c.test>", 0, 0, 0, NULL, NULL },
		{ "<@a.test:<>>", 0, ADDR_NULL, 0, NULL, NULL },
		{ "<@a.test:Postmaster>", 0, ADDR_POSTMASTER, 0, NULL, NULL },
		{ "<@a.test:u>", 0, ADDR_BARE, 0, NULL, NULL },
	};

	run_path(t, sizeof(t) / sizeof(t[0]));
}

ATF_TC_WITHOUT_HEAD(parse_path_used);
ATF_TC_BODY(parse_path_used, tc)
{
	struct addr a;
	size_t used = 0;
	const char *in = "<u@x.test> BODY=8BITMIME";

	ATF_REQUIRE_EQ(addr_parse_path(in, strlen(in), &a, 0, &used), 1);
	ATF_CHECK_EQ(used, 10);
	ATF_CHECK_EQ(a.is_null, 0);
	in = "<> SIZE=1";
	ATF_REQUIRE_EQ(addr_parse_path(in, strlen(in), &a, ADDR_NULL, &used),
	    1);
	ATF_CHECK_EQ(used, 2);
	ATF_CHECK_EQ(a.is_null, 1);
	/* only the n octets given are looked at */
	in = "<u@x.test>";
	ATF_CHECK_EQ(addr_parse_path(in, 9, &a, 0, &used), 0);
	ATF_CHECK_EQ(addr_parse(in + 1, 3, &a, 0), 1);	/* "u@x" is ok... */
	ATF_CHECK_STREQ(a.domain, "x");
	ATF_CHECK_EQ(addr_parse(in + 1, 2, &a, 0), 0);	/* "u@" is not */
}

ATF_TC_WITHOUT_HEAD(localpart_plain);
ATF_TC_BODY(localpart_plain, tc)
{
	static const struct {
		const char	*in;	/* the address */
		int		 flags;
		int		 want;
		const char	*plain;
	} t[] = {
		{ "Alice@x.test", 0, 0, "Alice" },
		{ "a.b+c@x.test", 0, 0, "a.b+c" },
		{ "\"a b\"@x.test", 0, 0, "a b" },
		{ "\"a\\\"b\"@x.test", 0, 0, "a\"b" },
		{ "\"a\\\\b\"@x.test", 0, 0, "a\\b" },
		{ "\"\\a\\b\"@x.test", 0, 0, "ab" },
		{ "\"\"@x.test", 0, 0, "" },
		{ "\"a@b\"@x.test", 0, 0, "a@b" },
		{ "b\xc3\xa9@x.test", ADDR_UTF8, 0, "b\xc3\xa9" },
		{ "a/b@x.test", 0, -1, NULL },
		{ "\"a/b\"@x.test", 0, -1, NULL },
		{ "\"../x\"@x.test", 0, -1, NULL },
		{ "\"a\\/b\"@x.test", 0, -1, NULL },
	};
	struct addr a;
	char out[ADDR_LOCAL_MAX + 1];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ATF_REQUIRE_EQ_MSG(addr_parse(t[i].in, strlen(t[i].in), &a,
		    t[i].flags), 1, "case %zu (%s)", i, t[i].in);
		ATF_CHECK_EQ_MSG(addr_localpart_plain(&a, out, sizeof(out)),
		    t[i].want, "case %zu (%s)", i, t[i].in);
		if (t[i].want == 0)
			ATF_CHECK_STREQ_MSG(out, t[i].plain, "case %zu", i);
	}

	/* hostile structs, as a caller might fill by hand */
	memset(&a, 0, sizeof(a));
	strlcpy(a.local, "a\nb", sizeof(a.local));
	ATF_CHECK_EQ(addr_localpart_plain(&a, out, sizeof(out)), -1);
	strlcpy(a.local, "a\x7f", sizeof(a.local));
	ATF_CHECK_EQ(addr_localpart_plain(&a, out, sizeof(out)), -1);
	strlcpy(a.local, "\"a\x01\"", sizeof(a.local));
	ATF_CHECK_EQ(addr_localpart_plain(&a, out, sizeof(out)), -1);

	/* the destination bounds the result */
	strlcpy(a.local, "abcd", sizeof(a.local));
	ATF_CHECK_EQ(addr_localpart_plain(&a, out, 5), 0);
	ATF_CHECK_STREQ(out, "abcd");
	ATF_CHECK_EQ(addr_localpart_plain(&a, out, 4), -1);
	ATF_CHECK_EQ(addr_localpart_plain(&a, out, 1), -1);
	strlcpy(a.local, "\"abcd\"", sizeof(a.local));
	ATF_CHECK_EQ(addr_localpart_plain(&a, out, 5), 0);
	ATF_CHECK_EQ(addr_localpart_plain(&a, out, 4), -1);
}

ATF_TC_WITHOUT_HEAD(format);
ATF_TC_BODY(format, tc)
{
	struct addr a;
	char out[ADDR_PATH_MAX];
	size_t used;

	ATF_REQUIRE_EQ(addr_parse_path("<@r.test:u@x.test>", 18, &a, 0, &used),
	    1);
	ATF_CHECK_EQ(addr_format(&a, out, sizeof(out)), 0);
	ATF_CHECK_STREQ(out, "u@x.test");
	ATF_CHECK_EQ(addr_format(&a, out, 9), 0);
	ATF_CHECK_EQ(addr_format(&a, out, 8), -1);
	ATF_REQUIRE_EQ(addr_parse_path("<>", 2, &a, ADDR_NULL, &used), 1);
	ATF_CHECK_EQ(addr_format(&a, out, sizeof(out)), 0);
	ATF_CHECK_STREQ(out, "");
	ATF_REQUIRE_EQ(addr_parse_path("<Postmaster>", 12, &a,
	    ADDR_POSTMASTER, &used), 1);
	ATF_CHECK_EQ(addr_format(&a, out, sizeof(out)), 0);
	ATF_CHECK_STREQ(out, "Postmaster");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, parse_valid);
	ATF_TP_ADD_TC(tp, parse_invalid);
	ATF_TP_ADD_TC(tp, parse_limits);
	ATF_TP_ADD_TC(tp, valid_domain);
	ATF_TP_ADD_TC(tp, parse_path);
	ATF_TP_ADD_TC(tp, parse_path_used);
	ATF_TP_ADD_TC(tp, localpart_plain);
	ATF_TP_ADD_TC(tp, format);
	return atf_no_error();
}
