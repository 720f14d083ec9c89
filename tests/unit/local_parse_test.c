/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local_parse_test - table-driven tests of send/local_parse.c: dot-file
 * lines, .forward entries, dot-file names and the loop scan, with
 * hostile input (NUL bytes, CR, oversize lines, unbalanced quotes,
 * :include:, truncation at every byte).
 */
#include <atf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "local_parse.h"
#include "lsan_atf.h"

#define S(x)	x, sizeof(x) - 1

/* lines - every dot_next result of buf joined by '|', codes as "E<n>" */
static void
lines(const char *buf, size_t len, size_t size, char *out, size_t outsize)
{
	struct dot_reader r;
	char line[256];
	int got;

	out[0] = '\0';
	ATF_REQUIRE(size <= sizeof(line));
	dot_init(&r, buf, len);
	while ((got = dot_next(&r, line, size)) != 0) {
		if (got == 1)
			strlcat(out, line, outsize);
		else {
			char e[32];

			snprintf(e, sizeof(e), "E%d@%u", got, r.lineno);
			strlcat(out, e, outsize);
			break;
		}
		strlcat(out, "|", outsize);
	}
}

ATF_TC_WITHOUT_HEAD(dot_lines);
ATF_TC_BODY(dot_lines, tc)
{
	static const struct {
		const char	*in;
		size_t		 len;
		size_t		 size;
		const char	*want;
	} t[] = {
		{ S(""), 64, "" },
		{ S("./Maildir/\n"), 64, "./Maildir/|" },
		{ S("./Maildir/"), 64, "./Maildir/|" },	/* no final LF */
		{ S("# c\n\n  \t\n./mbox\n"), 64, "./mbox|" },
		{ S("  |prog arg  \r\n&a@b\n"), 64, "|prog arg|&a@b|" },
		{ S("a@b\n#x\nc@d"), 64, "a@b|c@d|" },
		{ S("x\n:include:/etc/f\n"), 64, "x|E-3@2" },
		{ S(":INCLUDE:/etc/f\n"), 64, "E-3@1" },
		{ S("ok\nbad\0nul\n"), 64, "ok|E-2@2" },
		{ S("0123456789\n"), 11, "0123456789|" },
		{ S("0123456789\n"), 10, "E-1@1" },
		{ S("\n\n\n0123456789abc"), 8, "E-1@4" },
		{ S("\r\n\r\n"), 8, "" },
		{ S("#only comments\n# more\n"), 64, "" },
	};
	char out[512];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		lines(t[i].in, t[i].len, t[i].size, out, sizeof(out));
		ATF_CHECK_STREQ_MSG(t[i].want, out, "case %zu", i);
	}
}

/* entries - every forward_next result of line joined by '|' */
static void
entries(const char *line, size_t size, char *out, size_t outsize)
{
	char item[256];
	size_t pos = 0, guard = 0;
	int got;

	out[0] = '\0';
	while ((got = forward_next(line, &pos, item, size)) != 0) {
		ATF_REQUIRE(guard++ < 100);
		if (got != 1) {
			char e[16];

			snprintf(e, sizeof(e), "E%d", got);
			strlcat(out, e, outsize);
			return;
		}
		strlcat(out, item, outsize);
		strlcat(out, "|", outsize);
	}
}

ATF_TC_WITHOUT_HEAD(forward_entries);
ATF_TC_BODY(forward_entries, tc)
{
	static const struct {
		const char	*in;
		size_t		 size;
		const char	*want;
	} t[] = {
		{ "bob@example.test", 64, "&bob@example.test|" },
		{ "a@b, c@d,e@f", 64, "&a@b|&c@d|&e@f|" },
		{ "a@b c@d", 64, "&a@b|&c@d|" },
		{ "\\alice, a@b", 64, "\\alice|&a@b|" },
		{ "|/usr/bin/procmail -f-", 64, "|/usr/bin/procmail -f-|" },
		{ "a@b, |prog x, y", 64, "&a@b||prog x, y|" },
		{ "\"|prog a, b\", c@d", 64, "|prog a, b|&c@d|" },
		{ "\"|say \\\"hi\\\"\"", 64, "|say \"hi\"|" },
		{ "/var/mail/x", 64, "/var/mail/x|" },
		{ "&a@b", 64, "&a@b|" },
		{ "\"a b@c\"", 64, "&a b@c|" },
		{ "\"unterminated", 64, "E-4" },
		{ "\"x\"y", 64, "E-4" },
		{ "a\"b", 64, "E-4" },
		{ "\"\"", 64, "E-4" },
		{ ":include:/etc/x", 64, "E-3" },
		{ "\":include:/etc/x\"", 64, "E-3" },
		{ "0123456789", 11, "E-1" },	/* '&' makes it 11 */
		{ "0123456789", 12, "&0123456789|" },
		{ "|0123456789", 11, "E-1" },
		{ " , ,, ", 64, "" },
		{ "", 64, "" },
	};
	char out[512];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		entries(t[i].in, t[i].size, out, sizeof(out));
		ATF_CHECK_STREQ_MSG(t[i].want, out, "case %zu (%s)", i,
		    t[i].in);
	}
}

ATF_TC_WITHOUT_HEAD(names);
ATF_TC_BODY(names, tc)
{
	char dst[32];

	ATF_CHECK_EQ(dot_name(dst, sizeof(dst), S("Foo.Bar"), ""), 14);
	ATF_CHECK_STREQ(dst, ".qpost-foo:bar");
	ATF_CHECK(dot_name(dst, sizeof(dst), S("../etc/x"), "") > 0);
	ATF_CHECK_STREQ(dst, ".qpost-:::etc:x");
	ATF_CHECK(strchr(dst, '/') == NULL);
	ATF_CHECK(dot_name(dst, sizeof(dst), "list+x", 4, "-default") > 0);
	ATF_CHECK_STREQ(dst, ".qpost-list-default");
	ATF_CHECK(dot_name(dst, sizeof(dst), "", 0, "default") > 0);
	ATF_CHECK_STREQ(dst, ".qpost-default");
	ATF_CHECK_EQ(dot_name(dst, sizeof(dst), S("a\0b"), ""), -1);
	/* exactly fits, one byte too many */
	ATF_CHECK_EQ(dot_name(dst, sizeof(dst),
	    S("abcdefghijklmnopqrstuvwx"), ""), 31);
	ATF_CHECK_EQ(dot_name(dst, sizeof(dst),
	    S("abcdefghijklmnopqrstuvwxy"), ""), -1);
	ATF_CHECK_EQ(dot_name(dst, 4, S(""), ""), -1);
}

ATF_TC_WITHOUT_HEAD(loop_scan);
ATF_TC_BODY(loop_scan, tc)
{
	static const struct {
		const char	*in;
		int		 want;
	} t[] = {
		{ "Subject: x\n\nDelivered-To: <a@b>\n", LOOP_NONE },
		{ "Delivered-To: <a@b>\n\nbody\n", LOOP_DELIVERED },
		{ "delivered-to:A@B\r\n\r\n", LOOP_DELIVERED },
		{ "Delivered-To :  <A@b>  \n", LOOP_DELIVERED },
		{ "Delivered-To: <c@b>\nX: y\n", LOOP_NONE },
		{ "Delivered-To: <a@bc>\n", LOOP_NONE },
		{ "Delivered-Tox: <a@b>\n", LOOP_NONE },
		{ "X-Delivered-To: <a@b>\n", LOOP_NONE },
		{ " Delivered-To: <a@b>\n", LOOP_NONE },	/* continuation */
		{ "Delivered-To: <a@b", LOOP_NONE },	/* truncated */
		{ "", LOOP_NONE },
	};
	char *big, *p;
	size_t i, n;
	int k;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ_MSG(t[i].want, local_loop_scan(t[i].in,
		    strlen(t[i].in), "a@b"), "case %zu", i);
	/* 100 Received lines pass, 101 stop; after the header they count
	 * for nothing */
	n = 120 * 32;
	ATF_REQUIRE((big = malloc(n)) != NULL);
	for (p = big, k = 0; k < 100; k++)
		p += sprintf(p, "Received: from h%d\n", k);
	ATF_CHECK_EQ(local_loop_scan(big, (size_t)(p - big), "a@b"),
	    LOOP_NONE);
	p += sprintf(p, "\nReceived: x\n");
	ATF_CHECK_EQ(local_loop_scan(big, (size_t)(p - big), "a@b"),
	    LOOP_NONE);
	p -= strlen("\nReceived: x\n");
	p += sprintf(p, "received: last\n");
	ATF_CHECK_EQ(local_loop_scan(big, (size_t)(p - big), "a@b"),
	    LOOP_RECEIVED);
	/* an empty recipient is never matched */
	ATF_CHECK_EQ(local_loop_scan(S("Delivered-To: <>\n"), ""), LOOP_NONE);
	free(big);
}

/* every prefix of a hostile buffer parses without reading past it */
ATF_TC_WITHOUT_HEAD(truncation);
ATF_TC_BODY(truncation, tc)
{
	static const char in[] = "\"|a\\\"b, c\"  ,x@y\n:include:z\n"
	    "Delivered-To: <x@y>\r\nReceived: a\n\n|p\0q\n";
	char out[1024], *copy;
	size_t n;

	for (n = 0; n <= sizeof(in) - 1; n++) {
		ATF_REQUIRE((copy = malloc(n + 1)) != NULL);
		memcpy(copy, in, n);
		copy[n] = '\0';
		lines(copy, n, 64, out, sizeof(out));
		entries(copy, 64, out, sizeof(out));
		(void)local_loop_scan(copy, n, "x@y");
		free(copy);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, dot_lines);
	ATF_TP_ADD_TC(tp, forward_entries);
	ATF_TP_ADD_TC(tp, names);
	ATF_TP_ADD_TC(tp, loop_scan);
	ATF_TP_ADD_TC(tp, truncation);
	return atf_no_error();
}
