/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * dnsbl_test - smtpd/dnsbl.c without the network: the query names of
 * IPv4, IPv6 (RFC 5782 2.4's nibbles, checked against the RFC's own
 * example) and IPv4-mapped clients; control/dnsbl lines good and bad,
 * each bad one with its line number; which A records list; the
 * message's %-words; a TXT text made fit for a reply.
 */
#include <atf-c.h>
#include <stdio.h>
#include <string.h>

#include "dnsbl.h"
#include "lsan_atf.h"

ATF_TC_WITHOUT_HEAD(qname);
ATF_TC_BODY(qname, tc)
{
	static const struct {
		const char	*ip, *zone, *want;	/* want NULL: -1 */
	} t[] = {
		{ "192.0.2.99", "bl.example", "99.2.0.192.bl.example" },
		{ "127.0.0.2", "bl.test", "2.0.0.127.bl.test" },
		/* RFC 5782 2.4: 2001:db8:1:2:3:4:567:89ab */
		{ "2001:db8:1:2:3:4:567:89ab", "ugly.example",
		    "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0."
		    "1.0.0.2.ugly.example" },
		{ "2001:DB8:1:2:3:4:567:89AB", "ugly.example",
		    "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0."
		    "1.0.0.2.ugly.example" },
		{ "::1", "bl.test",
		    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
		    "0.0.0.0.bl.test" },
		/* tcpserver on an IPv6 socket: a mapped IPv4 client */
		{ "::ffff:198.51.100.7", "bl.test", "7.100.51.198.bl.test" },
		{ "unknown", "bl.test", NULL },
		{ "local", "bl.test", NULL },
		{ "", "bl.test", NULL },
		{ "1.2.3", "bl.test", NULL },
		{ "1.2.3.4 ", "bl.test", NULL },
		{ "[::1]", "bl.test", NULL },
		{ "1:2:3:4:5:6:7:8:9", "bl.test", NULL },
	};
	char out[DNSBL_QNAME_MAX + 1], zone[DNSBL_ZONE_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = dnsbl_qname(t[i].ip, t[i].zone, out, sizeof(out));

		if (t[i].want == NULL) {
			ATF_CHECK_EQ_MSG(r, -1, "%s", t[i].ip);
			continue;
		}
		ATF_CHECK_EQ_MSG(r, 0, "%s", t[i].ip);
		if (r == 0)
			ATF_CHECK_STREQ_MSG(out, t[i].want, "%s", t[i].ip);
	}
	/* the longest zone fits an IPv6 name, and not one octet more */
	memset(zone, 'a', sizeof(zone));
	for (i = 63; i < DNSBL_ZONE_MAX; i += 64)
		zone[i] = '.';
	zone[DNSBL_ZONE_MAX] = '\0';
	ATF_CHECK_EQ(dnsbl_qname("2001:db8::1", zone, out, sizeof(out)), 0);
	ATF_CHECK_EQ(strlen(out), (size_t)DNSBL_QNAME_MAX);
	zone[DNSBL_ZONE_MAX] = 'a';
	zone[DNSBL_ZONE_MAX + 1] = '\0';
	ATF_CHECK_EQ(dnsbl_qname("2001:db8::1", zone, out, sizeof(out)), -1);
	/* a buffer too small is an error, never a cut name */
	ATF_CHECK_EQ(dnsbl_qname("127.0.0.2", "bl.test", out, 17), -1);
	ATF_CHECK_EQ(dnsbl_qname("127.0.0.2", "bl.test", out, 18), 0);
}

ATF_TC_WITHOUT_HEAD(parse_good);
ATF_TC_BODY(parse_good, tc)
{
	static const char text[] =
	    "# blocklists\n"
	    "\n"
	    "zen.spamhaus.org\n"
	    "  BL.Example.TEST.\t127.0.0.2,127.0.0.10,127.0.0.2\r\n"
	    "bl2.test * Refused: %i is in %z, 100%% sure\n"
	    "bl3.test 127.0.0.4 msg";	/* no newline at the end */
	struct dnsbl_list l;
	const char *why;
	size_t line;

	ATF_REQUIRE_EQ(dnsbl_parse(text, sizeof(text) - 1, &l, &line, &why),
	    0);
	ATF_CHECK_EQ(line, 0);
	ATF_REQUIRE_EQ(l.nzones, 4);
	ATF_CHECK_STREQ(l.zone[0].name, "zen.spamhaus.org");
	ATF_CHECK_EQ(l.zone[0].nanswers, 0);
	ATF_CHECK_STREQ(l.zone[0].msg, "");
	ATF_CHECK_STREQ(l.zone[1].name, "bl.example.test");
	ATF_CHECK_EQ(l.zone[1].nanswers, 2);	/* the repeat once */
	ATF_CHECK(memcmp(l.zone[1].answers[1], "\177\0\0\12", 4) == 0);
	ATF_CHECK_STREQ(l.zone[2].name, "bl2.test");
	ATF_CHECK_EQ(l.zone[2].nanswers, 0);
	ATF_CHECK_STREQ(l.zone[2].msg, "Refused: %i is in %z, 100%% sure");
	ATF_CHECK_STREQ(l.zone[3].msg, "msg");
	/* an empty file, or comments only: no zone */
	ATF_CHECK_EQ(dnsbl_parse("", 0, &l, &line, &why), 0);
	ATF_CHECK_EQ(l.nzones, 0);
	ATF_CHECK_EQ(dnsbl_parse("#x\n\n \t\n", 7, &l, &line, &why), 0);
	ATF_CHECK_EQ(l.nzones, 0);
}

ATF_TC_WITHOUT_HEAD(parse_bad);
ATF_TC_BODY(parse_bad, tc)
{
	static const struct {
		const char	*text;
		size_t		 line;
	} t[] = {
		{ "bl..test\n", 1 },
		{ "ok.test\n.bl.test\n", 2 },
		{ "ok.test\n\nbl.te st!\n", 3 },
		{ "bl.test 127.0.0.2,\n", 1 },
		{ "bl.test ,127.0.0.2\n", 1 },
		{ "bl.test 127.0.0.2,,127.0.0.3\n", 1 },
		{ "bl.test 10.0.0.2\n", 1 },	/* outside 127/8 */
		{ "bl.test 127.0.0\n", 1 },
		{ "bl.test ::1\n", 1 },
		{ "bl.test **\n", 1 },
		{ "bl.test * 50% off\n", 1 },
		{ "bl.test * ends in %\n", 1 },
		{ "bl.test * caf\303\251\n", 1 },
		{ "bl.test * tab\there\n", 1 },
		{ "bl.test 127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,"
		    "127.0.0.6,127.0.0.7,127.0.0.8,127.0.0.9\n", 1 },
		{ "caf\303\251.test\n", 1 },
	};
	struct dnsbl_list l;
	char big[40 * 20], msg[300];
	const char *why;
	size_t i, line, n = 0;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ATF_CHECK_EQ_MSG(dnsbl_parse(t[i].text, strlen(t[i].text), &l,
		    &line, &why), -1, "%s", t[i].text);
		ATF_CHECK_EQ_MSG(line, t[i].line, "%s", t[i].text);
		ATF_CHECK_MSG(why != NULL && *why != '\0', "%s", t[i].text);
	}
	/* a NUL byte */
	ATF_CHECK_EQ(dnsbl_parse("bl.test\0x\n", 10, &l, &line, &why), -1);
	ATF_CHECK_EQ(line, 1);
	/* 17 zones: the 17th line is one too many */
	for (i = 1; i <= DNSBL_ZONES_MAX + 1; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "z%zu.test\n",
		    i);
	ATF_CHECK_EQ(dnsbl_parse(big, n, &l, &line, &why), -1);
	ATF_CHECK_EQ(line, DNSBL_ZONES_MAX + 1);
	ATF_CHECK_EQ(dnsbl_parse(big, n - 9, &l, &line, &why), 0);
	ATF_CHECK_EQ(l.nzones, DNSBL_ZONES_MAX);
	/* a message one octet over the limit */
	n = (size_t)snprintf(msg, sizeof(msg), "bl.test * ");
	memset(msg + n, 'm', DNSBL_MSG_MAX + 1);
	ATF_CHECK_EQ(dnsbl_parse(msg, n + DNSBL_MSG_MAX + 1, &l, &line,
	    &why), -1);
	ATF_CHECK_EQ(dnsbl_parse(msg, n + DNSBL_MSG_MAX, &l, &line, &why),
	    0);
}

ATF_TC_WITHOUT_HEAD(answers);
ATF_TC_BODY(answers, tc)
{
	struct dnsbl_list l;
	const char *why;
	size_t line;

	ATF_REQUIRE_EQ(dnsbl_parse("any.test\nsome.test 127.0.0.4\n", 29,
	    &l, &line, &why), 0);
	/* the default: 127/8, but not the 127.255.255.x error codes */
	ATF_CHECK(dnsbl_answer_counts(&l.zone[0],
	    (const unsigned char *)"\177\0\0\2"));
	ATF_CHECK(dnsbl_answer_counts(&l.zone[0],
	    (const unsigned char *)"\177\1\2\3"));
	ATF_CHECK(!dnsbl_answer_counts(&l.zone[0],
	    (const unsigned char *)"\177\377\377\376"));
	ATF_CHECK(!dnsbl_answer_counts(&l.zone[0],
	    (const unsigned char *)"\300\0\2\1"));
	ATF_CHECK(dnsbl_answer_counts(&l.zone[1],
	    (const unsigned char *)"\177\0\0\4"));
	ATF_CHECK(!dnsbl_answer_counts(&l.zone[1],
	    (const unsigned char *)"\177\0\0\2"));
}

ATF_TC_WITHOUT_HEAD(text);
ATF_TC_BODY(text, tc)
{
	char out[DNSBL_TEXT_MAX + 1], small[12];

	dnsbl_expand("%i in %z, 100%%", "192.0.2.1", "bl.test", out,
	    sizeof(out));
	ATF_CHECK_STREQ(out, "192.0.2.1 in bl.test, 100%");
	dnsbl_expand("listed: %i", "192.0.2.1", "bl.test", small,
	    sizeof(small));
	ATF_CHECK_STREQ(small, "listed: 192");
	dnsbl_clean((const unsigned char *)"see\r\nhttp://x\0\377", 15, out,
	    sizeof(out));
	ATF_CHECK_STREQ(out, "see??http://x??");
	dnsbl_clean((const unsigned char *)"abcdef", 6, small, 4);
	ATF_CHECK_STREQ(small, "abc");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, qname);
	ATF_TP_ADD_TC(tp, parse_good);
	ATF_TP_ADD_TC(tp, parse_bad);
	ATF_TP_ADD_TC(tp, answers);
	ATF_TP_ADD_TC(tp, text);
	return atf_no_error();
}
