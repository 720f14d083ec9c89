/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * addrlist_test - table-driven tests of queue/addrlist.c (the address
 * lists of sendmail -t and its arguments) and queue/sendmail_body.c
 * (CRLF and the lone dot): valid lists, garbage, oversize, every
 * truncation of valid input, hostile bytes, and input fed in pieces.
 */
#include <atf-c.h>
#include <stdlib.h>
#include <string.h>

#include "addrlist.h"
#include "lsan_atf.h"
#include "sendmail.h"

#define ME	"me.test"

/* parse - run the parser on exactly n heap bytes (so a sanitizer sees
 * any read past them); the addresses joined by '|' go into got. */
static int
parse(const char *in, size_t n, const char *domain, char *got, size_t size,
    const char **why)
{
	struct sa out = SA_INIT;
	char *copy = malloc(n + 1);
	size_t count = 0, nuls = 0, i;
	int r;

	ATF_REQUIRE(copy != NULL);
	memcpy(copy, in, n);
	r = addrlist_parse(copy, n, domain, &out, &count, why);
	free(copy);
	got[0] = '\0';
	for (i = 0; i < out.len; i++) {
		nuls += out.s[i] == '\0';
		out.s[i] = out.s[i] == '\0' ? '|' : out.s[i];
	}
	if (out.len > 0) {
		out.s[out.len - 1] = '\0';
		strlcpy(got, out.s, size);
	}
	if (r == ADDRLIST_OK)
		ATF_CHECK_EQ(count, nuls);
	else
		ATF_CHECK_EQ(out.len, 0);
	sa_free(&out);
	return r;
}

struct lcase {
	const char	*in;
	size_t		 len;	/* 0: strlen */
	const char	*want;	/* NULL: refused */
};

#define S(x)	x, sizeof(x) - 1

static void
run(const struct lcase *t, size_t n)
{
	char got[4096];
	const char *why;
	size_t i;

	for (i = 0; i < n; i++) {
		size_t len = t[i].len ? t[i].len : strlen(t[i].in);
		int r = parse(t[i].in, len, ME, got, sizeof(got), &why);

		if (t[i].want == NULL) {
			ATF_CHECK_EQ_MSG(r, ADDRLIST_BAD, "case %zu (%s): "
			    "accepted as %s", i, t[i].in, got);
			ATF_CHECK_MSG(why != NULL && why[0] != '\0',
			    "case %zu: no reason", i);
		} else {
			ATF_CHECK_EQ_MSG(r, ADDRLIST_OK, "case %zu (%s): %s",
			    i, t[i].in, why);
			ATF_CHECK_STREQ_MSG(got, t[i].want, "case %zu", i);
		}
	}
}

ATF_TC_WITHOUT_HEAD(valid);
ATF_TC_BODY(valid, tc)
{
	static const struct lcase t[] = {
		{ "a@x.test", 0, "a@x.test" },
		{ " Alice <alice@x.test> ", 0, "alice@x.test" },
		{ "\"Bob, the builder\" <bob@x.test>, carol", 0,
		    "bob@x.test|carol@" ME },
		{ "undisclosed-recipients:;", 0, "" },
		{ "undisclosed-recipients: ;", 0, "" },
		{ "team: a@x, B <b@y>;, c@z", 0, "a@x|b@y|c@z" },
		{ "a@x (comment (nested) \\) more)", 0, "a@x" },
		{ "(c)a(c)@(c)x(c)", 0, "a@x" },
		{ "=?utf-8?q?J=C3=B6rg?= <j@x>", 0, "j@x" },
		{ "<@r1.test,@r2.test:u@x>", 0, "u@x" },
		{ "a@x,,b@y,", 0, "a@x|b@y" },
		{ ",", 0, "" },
		{ "\"quoted local\"@x", 0, "\"quoted local\"@x" },
		{ "\"a\\\"b\"@x", 0, "\"a\\\"b\"@x" },
		{ "u@[1.2.3.4]", 0, "u@[1.2.3.4]" },
		{ "a@x,\r\n\tb@y", 0, "a@x|b@y" },
		{ " a@x\n b@y", 0, NULL },
		{ "", 0, "" },
		{ " \t ", 0, "" },
		{ "John . Doe @ x", 0, "John.Doe@x" },
		{ "j\xc3\xb6rg@x", 0, "j\xc3\xb6rg@x" },
		{ "Name <plain>", 0, "plain@" ME },
		{ "\"A (not a comment)\" <a@x>", 0, "a@x" },
		{ "a@x, a@x", 0, "a@x|a@x" },
	};

	run(t, sizeof(t) / sizeof(t[0]));
}

ATF_TC_WITHOUT_HEAD(garbage);
ATF_TC_BODY(garbage, tc)
{
	static const struct lcase t[] = {
		{ "John Doe", 0, NULL },
		{ "\"unclosed <a@b>", 0, NULL },
		{ "a@x (unclosed", 0, NULL },
		{ "a@x (unclosed \\)", 0, NULL },
		{ "<a@x", 0, NULL },
		{ "a@x>", 0, NULL },
		{ "<a@x> trailing", 0, NULL },
		{ "<a@x> <b@y>", 0, NULL },
		{ "<<a@x>>", 0, NULL },
		{ "<>", 0, NULL },
		{ "Name <>", 0, NULL },
		{ "g: a@x", 0, NULL },
		{ "g: h: a@x;;", 0, NULL },
		{ "a@x; b@y", 0, NULL },
		{ "g:;b@c", 0, NULL },
		{ ": a@x;", 0, NULL },
		{ "<a b@x>", 0, NULL },
		{ "<a:b@x>", 0, NULL },
		{ "<a,b@x>", 0, NULL },
		{ "@x", 0, NULL },
		{ "a@", 0, NULL },
		{ "u@[1.2", 0, NULL },
		{ "u@[1[2]", 0, NULL },
		{ "a\\b@x", 0, NULL },
		{ "a)@x", 0, NULL },
		{ "a]@x", 0, NULL },
		{ "\"", 0, NULL },
		{ "\"\\", 0, NULL },
		{ "(", 0, NULL },
		{ "<", 0, NULL },
		{ ":", 0, NULL },
		{ ";", 0, NULL },
	};

	run(t, sizeof(t) / sizeof(t[0]));
}

ATF_TC_WITHOUT_HEAD(hostile_bytes);
ATF_TC_BODY(hostile_bytes, tc)
{
	static const struct lcase t[] = {
		{ S("a\0b@x"), NULL },
		{ S("a@x\0"), NULL },
		{ S("\"a\0\"@x"), NULL },
		{ S("(\0)a@x"), NULL },
		{ "a\x01@x", 0, NULL },
		{ "a@x\x7f", 0, NULL },
		{ "\"a\r\nb\"@x", 0, NULL },
		{ "\"a\\\x01\"@x", 0, NULL },
		{ "[\x1b]", 0, NULL },
		{ "a\x1b[31m@x", 0, NULL },
		{ "\xff\xfe@x", 0, "\xff\xfe@x" },	/* qinject judges it */
	};

	run(t, sizeof(t) / sizeof(t[0]));
}

ATF_TC_WITHOUT_HEAD(oversize);
ATF_TC_BODY(oversize, tc)
{
	char in[300], got[4096], *many;
	const char *why;
	size_t i, n;

	/* 254 octets is the longest address, counting the @me added */
	memset(in, 'a', sizeof(in));
	memcpy(in + 252, "@x", 2);
	ATF_CHECK_EQ(parse(in, 254, ME, got, sizeof(got), &why), ADDRLIST_OK);
	memcpy(in + 253, "@x", 2);
	ATF_CHECK_EQ(parse(in, 255, ME, got, sizeof(got), &why),
	    ADDRLIST_BAD);
	ATF_CHECK_EQ(parse(in, 254 - strlen("@" ME), ME, got, sizeof(got),
	    &why), ADDRLIST_OK);
	ATF_CHECK_EQ(parse(in, 255 - strlen("@" ME), ME, got, sizeof(got),
	    &why), ADDRLIST_BAD);
	/* no domain to add */
	ATF_CHECK_EQ(parse("bare", 4, NULL, got, sizeof(got), &why),
	    ADDRLIST_BAD);
	ATF_CHECK_EQ(parse("bare", 4, "", got, sizeof(got), &why),
	    ADDRLIST_BAD);
	/* ADDRLIST_MAX addresses, and one more */
	n = (ADDRLIST_MAX + 1) * 4;
	ATF_REQUIRE((many = malloc(n)) != NULL);
	for (i = 0; i < n; i += 4)
		memcpy(many + i, "a@x,", 4);
	ATF_CHECK_EQ(parse(many, n - 4, ME, got, sizeof(got), &why),
	    ADDRLIST_OK);
	ATF_CHECK_EQ(parse(many, n, ME, got, sizeof(got), &why),
	    ADDRLIST_BAD);
	ATF_CHECK_STREQ(why, "too many addresses");
	/* a long but harmless display name and comment */
	memset(many, 'n', n);
	memcpy(many + n - 8, " <a@x> ", 7);
	many[0] = '(';
	many[100] = ')';
	ATF_CHECK_EQ(parse(many, n - 1, ME, got, sizeof(got), &why),
	    ADDRLIST_OK);
	ATF_CHECK_STREQ(got, "a@x");
	free(many);
}

ATF_TC_WITHOUT_HEAD(truncation);
ATF_TC_BODY(truncation, tc)
{
	static const char *lists[] = {
		"\"B, b\" <b@x>, team: a@x (c (d)), <@r,@s:u@[1.2.3.4]>;, "
		    "=?utf-8?q?x?= <e@y>",
		"a@x,\r\n\tg:;, \"q\\\"\"@z",
	};
	char got[4096];
	const char *why;
	size_t i, n;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		ATF_CHECK_EQ(parse(lists[i], strlen(lists[i]), ME, got,
		    sizeof(got), &why), ADDRLIST_OK);
		for (n = 0; n < strlen(lists[i]); n++) {
			int r = parse(lists[i], n, ME, got, sizeof(got), &why);

			ATF_CHECK_MSG(r == ADDRLIST_OK || r == ADDRLIST_BAD,
			    "list %zu cut at %zu: %d", i, n, r);
		}
	}
}

ATF_TC_WITHOUT_HEAD(error_keeps_output);
ATF_TC_BODY(error_keeps_output, tc)
{
	struct sa out = SA_INIT;
	const char *why = NULL;
	size_t count = 0;

	ATF_REQUIRE_EQ(addrlist_parse("a@x", 3, ME, &out, &count, &why),
	    ADDRLIST_OK);
	ATF_REQUIRE_EQ(addrlist_parse("b@y, John Doe", 13, ME, &out, &count,
	    &why), ADDRLIST_BAD);
	ATF_CHECK_EQ(count, 1);
	ATF_CHECK_EQ(out.len, 4);
	ATF_CHECK(memcmp(out.s, "a@x", 4) == 0);
	ATF_CHECK_STREQ(why, "words without an <address>");
	sa_free(&out);
}

/* ---- the input filter ----------------------------------------- */

struct fcase {
	const char	*in;
	int		 dot_ends;
	const char	*want;
	int		 ended;
};

/* filter - run f over in, whole or one byte at a time. */
static size_t
filter(const char *in, int dot_ends, int bytewise, char *out, int *ended)
{
	struct body_filter f;
	size_t n = strlen(in), i, o = 0;

	body_filter_init(&f, dot_ends);
	if (bytewise)
		for (i = 0; i < n; i++)
			o += body_filter_run(&f, in + i, 1, out + o);
	else
		o = body_filter_run(&f, in, n, out);
	o += body_filter_end(&f, out + o);
	out[o] = '\0';
	*ended = f.ended;
	return o;
}

ATF_TC_WITHOUT_HEAD(body_filter);
ATF_TC_BODY(body_filter, tc)
{
	static const struct fcase t[] = {
		{ "a\nb\n", 1, "a\nb\n", 0 },
		{ "a\r\nb\r\n", 1, "a\nb\n", 0 },
		{ "a\n.\nb\n", 1, "a\n", 1 },
		{ "a\n.\r\nb\n", 1, "a\n", 1 },
		{ ".\n", 1, "", 1 },
		{ "a\n.\nb\n", 0, "a\n.\nb\n", 0 },
		{ "a\n.\r\nb\n", 0, "a\n.\nb\n", 0 },
		{ "a\n..\nb\n", 1, "a\n..\nb\n", 0 },
		{ "a\n.b\n", 1, "a\n.b\n", 0 },
		{ "a\n.\rb\n", 1, "a\n.\rb\n", 0 },
		{ "a\n.", 1, "a\n.", 0 },
		{ "a\n.\r", 1, "a\n.\r", 0 },
		{ "a\r", 1, "a\r", 0 },
		{ "a\r\r\n", 1, "a\r\n", 0 },
		{ "a\rb", 1, "a\rb", 0 },
		{ "x.\ny\n", 1, "x.\ny\n", 0 },
		{ "\r\n.\r\n", 1, "\n", 1 },
		{ "", 1, "", 0 },
	};
	char out[256];
	size_t i;
	int ended, bytewise;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		for (bytewise = 0; bytewise <= 1; bytewise++) {
			filter(t[i].in, t[i].dot_ends, bytewise, out, &ended);
			ATF_CHECK_STREQ_MSG(out, t[i].want, "case %zu%s", i,
			    bytewise ? " byte by byte" : "");
			ATF_CHECK_EQ_MSG(ended, t[i].ended, "case %zu", i);
		}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, valid);
	ATF_TP_ADD_TC(tp, garbage);
	ATF_TP_ADD_TC(tp, hostile_bytes);
	ATF_TP_ADD_TC(tp, oversize);
	ATF_TP_ADD_TC(tp, truncation);
	ATF_TP_ADD_TC(tp, error_keeps_output);
	ATF_TP_ADD_TC(tp, body_filter);
	return atf_no_error();
}
