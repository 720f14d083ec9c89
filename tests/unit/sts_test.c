/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sts_test - tests of send/sts_parse.c, MTA-STS's parsers (RFC 8461):
 * the _mta-sts TXT record, the HTTP response that carries a policy, the
 * policy's fields and the mx patterns' matching.  tests/remote/sts_test
 * checks whole deliveries.
 */
#include <atf-c.h>
#include <stdlib.h>
#include <string.h>

#include "sts.h"
#include "lsan_atf.h"

/* txt - sts_txt_id on a C string */
static int
txt(const char *s, char *id)
{
	return sts_txt_id(s, strlen(s), id);
}

ATF_TC_WITHOUT_HEAD(txt_record);
ATF_TC_BODY(txt_record, tc)
{
	static const char *const good[] = {
		"v=STSv1; id=20160831085700Z;", "v=STSv1;id=20160831085700Z",
		"v=STSv1 ; id=20160831085700Z ; ", "v=STSv1; x=y; id=20160831085700Z",
		"v=STSv1; id=20160831085700Z; ext.1=a-b",
	};
	static const char *const broken[] = {
		"v=STSv1", "v=STSv1;", "v=STSv1; id=", "v=STSv10; id=1",
		"v=STSv1; id=a b", "v=STSv1; id=a-b", "v=STSv1; id=1; id=2",
		"v=STSv1; id=123456789012345678901234567890123",
		"v=STSv1;; id=1", "v=STSv1; =1; id=1", "v=STSv1; x; id=1",
		"v=STSv1; id=1; x=\x01",
	};
	char id[STS_ID_MAX + 1];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ATF_CHECK_EQ_MSG(txt(good[i], id), 1, "%s", good[i]);
		ATF_CHECK_STREQ_MSG(id, "20160831085700Z", "%s", good[i]);
	}
	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++)
		ATF_CHECK_EQ_MSG(txt(broken[i], id), -1, "%s", broken[i]);
	ATF_CHECK_EQ(txt("v=spf1 -all", id), 0);
	ATF_CHECK_EQ(txt("", id), 0);
	ATF_CHECK_EQ(txt("v=STSv1; id=12345678901234567890123456789012", id),
	    1);
	/* a NUL inside the record's bytes is broken, not the record's end */
	ATF_CHECK_EQ(sts_txt_id("v=STSv1; id=1\0x", 15, id), -1);
}

/* body - sts_http_body on a C string: the body, or NULL with *why */
static char *
body(const char *s, int need_length, const char **why)
{
	size_t off, len;
	char *b;

	if (sts_http_body(s, strlen(s), need_length, &off, &len, why) == -1)
		return NULL;
	ATF_REQUIRE((b = strndup(s + off, len)) != NULL);
	return b;
}

/* check_why - the response is refused with these words */
static void
check_why(const char *s, int need_length, const char *want)
{
	const char *why = NULL;
	char *b = body(s, need_length, &why);

	ATF_CHECK_MSG(b == NULL, "taken: %s", s);
	free(b);
	if (why != NULL)
		ATF_CHECK_STREQ_MSG(why, want, "%s", s);
}

ATF_TC_WITHOUT_HEAD(http);
ATF_TC_BODY(http, tc)
{
	const char *why = NULL;
	char *b, big[STS_BODY_MAX + 200];

	b = body("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8"
	    "\r\nContent-Length: 4\r\n\r\nabcd", 1, &why);
	ATF_CHECK(b != NULL && strcmp(b, "abcd") == 0);
	free(b);
	b = body("HTTP/1.0 200\nCONTENT-TYPE:TEXT/PLAIN\n\nx\n", 0, &why);
	ATF_CHECK(b != NULL && strcmp(b, "x\n") == 0);
	free(b);
	check_why("HTTP/1.0 302 Found\r\nLocation: x\r\n\r\n", 0,
	    "a redirect, which RFC 8461 3.3 forbids following");
	check_why("HTTP/1.0 204 No\r\nContent-Type: text/plain\r\n\r\n", 0,
	    "an HTTP status other than 200");
	check_why("HTTP/2 200\r\n\r\n", 0, "not an HTTP/1 response");
	check_why("HTTP/1.0 2000 OK\r\n\r\n", 0, "not an HTTP/1 response");
	check_why("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n", 0,
	    "no end to the HTTP header");
	check_why("HTTP/1.0 200 OK\r\nContent-Type: text/plainx\r\n\r\n", 0,
	    "a Content-Type other than text/plain");
	check_why("HTTP/1.0 200 OK\r\n\r\nx", 0,
	    "no Content-Type (RFC 8461 3.2 wants text/plain)");
	check_why("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 0,
	    "a Transfer-Encoding, which HTTP/1.0 does not have");
	check_why("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 5\r\n\r\nabcd", 0,
	    "a body of another length than its Content-Length");
	check_why("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 1\r\nContent-Length: 1\r\n\r\na", 0,
	    "a broken Content-Length");
	check_why("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 99999999999\r\n\r\na", 0,
	    "a broken Content-Length");
	check_why("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nabcd",
	    1, "no Content-Length, and no TLS close_notify at the end");
	check_why("HTTP/1.0 200 OK\r\nBad Field: x\r\n\r\n", 0,
	    "a broken HTTP header field");
	check_why("", 0, "no end to the HTTP header");
	memset(big, 'a', sizeof(big));
	memcpy(big, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n", 45);
	big[sizeof(big) - 1] = '\0';
	check_why(big, 0, "a policy over 64 KiB");
}

/* policy - sts_policy_parse on a C string */
static int
policy(const char *s, struct sts_policy *p, const char **why)
{
	return sts_policy_parse(s, strlen(s), p, why);
}

ATF_TC_WITHOUT_HEAD(policy_fields);
ATF_TC_BODY(policy_fields, tc)
{
	struct sts_policy p;
	const char *why = NULL;

	ATF_REQUIRE(policy("version: STSv1\r\nmode: enforce\r\n"
	    "mx: mail.example.com\r\nmx: *.Example.NET.\r\n"
	    "max_age: 604800\r\n", &p, &why) == 0);
	ATF_CHECK_EQ(p.mode, STS_ENFORCE);
	ATF_CHECK_EQ(p.max_age, 604800);
	ATF_REQUIRE_EQ(p.nmx, 2);
	ATF_CHECK_STREQ(p.mx[0], "mail.example.com");
	ATF_CHECK_STREQ(p.mx[1], "*.example.net");
	/* any order, LF alone, spaces, unknown fields, a year at most */
	ATF_REQUIRE(policy("max_age:9999999999\nmx:a.b\nfoo: bar\n"
	    "mode:  testing \nversion:STSv1", &p, &why) == 0);
	ATF_CHECK_EQ(p.mode, STS_TESTING);
	ATF_CHECK_EQ(p.max_age, STS_AGE_MAX);
	/* mode none needs no mx */
	ATF_REQUIRE(policy("version: STSv1\nmode: none\nmax_age: 0\n", &p,
	    &why) == 0);
	ATF_CHECK_EQ(p.mode, STS_NONE);
	ATF_CHECK(policy("mode: enforce\nmx: a.b\nmax_age: 1\n", &p,
	    &why) == -1 && strcmp(why, "no version") == 0);
	ATF_CHECK(policy("version: STSv2\nmode: enforce\nmx: a.b\n"
	    "max_age: 1\n", &p, &why) == -1);
	ATF_CHECK(policy("version: STSv1\nmode: enforce\nmax_age: 1\n", &p,
	    &why) == -1 && strcmp(why, "no mx line") == 0);
	ATF_CHECK(policy("version: STSv1\nmode: enforce\nmode: none\n"
	    "mx: a.b\nmax_age: 1\n", &p, &why) == -1 &&
	    strcmp(why, "a field given twice") == 0);
	ATF_CHECK(policy("version: STSv1\nmode: enforce\nmx: a.b\n"
	    "max_age: -1\n", &p, &why) == -1);
	ATF_CHECK(policy("version: STSv1\nmode: enforce\nmx: a.b\n"
	    "max_age: 1\ngarbage\n", &p, &why) == -1 &&
	    strcmp(why, "a line that is not a field") == 0);
	ATF_CHECK(policy("version: STSv1\nmode: enforce\nmx: a\xc3\xa9.b\n"
	    "max_age: 1\n", &p, &why) == -1);
}

ATF_TC_WITHOUT_HEAD(mx_patterns);
ATF_TC_BODY(mx_patterns, tc)
{
	static const char *const broken[] = {
		"*", "*.", "a..b", ".a", "a.*.b", "**.a", "a b", "a/b", "*a.b",
		"",
	};
	struct sts_policy p;
	const char *why;
	char text[128];
	size_t i;

	ATF_REQUIRE(policy("version: STSv1\nmode: enforce\nmax_age: 1\n"
	    "mx: mx1.example.org\nmx: *.mx.example.net\n", &p, &why) == 0);
	ATF_CHECK(sts_mx_match(&p, "mx1.example.org"));
	ATF_CHECK(sts_mx_match(&p, "MX1.Example.ORG"));
	ATF_CHECK(sts_mx_match(&p, "a.mx.example.net"));
	ATF_CHECK(!sts_mx_match(&p, "mx.example.net"));
	ATF_CHECK(!sts_mx_match(&p, "a.b.mx.example.net"));
	ATF_CHECK(!sts_mx_match(&p, ".mx.example.net"));
	ATF_CHECK(!sts_mx_match(&p, "mx2.example.org"));
	ATF_CHECK(!sts_mx_match(&p, "xmx1.example.org"));
	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		(void)snprintf(text, sizeof(text), "version: STSv1\n"
		    "mode: enforce\nmax_age: 1\nmx: %s\n", broken[i]);
		ATF_CHECK_EQ_MSG(policy(text, &p, &why), -1, "mx: %s",
		    broken[i]);
	}
}

ATF_TC_WITHOUT_HEAD(mx_limit);
ATF_TC_BODY(mx_limit, tc)
{
	char text[4096];
	struct sts_policy p;
	const char *why;
	size_t i, n;

	n = (size_t)snprintf(text, sizeof(text),
	    "version: STSv1\nmode: enforce\nmax_age: 1\n");
	for (i = 0; i < STS_MX_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		    "mx: mx%zu.example.org\n", i);
	ATF_REQUIRE(policy(text, &p, &why) == 0);
	ATF_CHECK_EQ(p.nmx, STS_MX_MAX);
	(void)snprintf(text + n, sizeof(text) - n, "mx: one.more.org\n");
	ATF_CHECK(policy(text, &p, &why) == -1 &&
	    strcmp(why, "more than 32 mx lines") == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, txt_record);
	ATF_TP_ADD_TC(tp, http);
	ATF_TP_ADD_TC(tp, policy_fields);
	ATF_TP_ADD_TC(tp, mx_patterns);
	ATF_TP_ADD_TC(tp, mx_limit);
	return atf_no_error();
}
