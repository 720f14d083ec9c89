/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * policy_proto_test - tests of smtpd/policy.c, the client side of
 * Postfix's policy delegation protocol: control/policy's lines, the
 * request's attributes, where a reply ends, and what each action
 * decides.  tests/smtpd/policyd_test talks to real servers.
 */
#include <atf-c.h>
#include <string.h>

#include "policy.h"
#include "sa.h"
#include "lsan_atf.h"

/* action - value parsed, which must succeed */
static struct policy_action
action(const char *value)
{
	struct policy_action a;

	ATF_REQUIRE_MSG(policy_action_parse(value, &a) == 0, "%s", value);
	return a;
}

ATF_TC_WITHOUT_HEAD(addresses);
ATF_TC_BODY(addresses, tc)
{
	struct lmtp_dest a;
	const char *bad[] = { "", "unix:", "unix:relative", "unix:/a b",
	    "inet:127.0.0.1", "inet:127.0.0.1:", "inet:127.0.0.1:0",
	    "inet:127.0.0.1:65536", "inet:127.0.0.1:1x", "inet:localhost:25",
	    "inet:[::1]", "inet:::1:25", "inet:[127.0.0.1]:25x", "tcp:1:2",
	    "inet::25" };
	char longpath[200];
	size_t i;

	ATF_REQUIRE(policy_addr_parse("unix:/run/postgrey.sock", &a) == 0);
	ATF_CHECK(a.is_unix && strcmp(a.path, "/run/postgrey.sock") == 0);
	ATF_REQUIRE(policy_addr_parse("inet:127.0.0.1:10023", &a) == 0);
	ATF_CHECK(!a.is_unix && strcmp(a.host, "127.0.0.1") == 0 &&
	    a.port == 10023);
	ATF_REQUIRE(policy_addr_parse("inet:[::1]:65535", &a) == 0);
	ATF_CHECK(strcmp(a.host, "::1") == 0 && a.port == 65535);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ATF_CHECK_MSG(policy_addr_parse(bad[i], &a) == -1, "took %s",
		    bad[i]);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	memcpy(longpath, "unix:/", 6);
	ATF_CHECK(policy_addr_parse(longpath, &a) == -1);
}

ATF_TC_WITHOUT_HEAD(attributes);
ATF_TC_BODY(attributes, tc)
{
	struct sa req = SA_INIT;

	ATF_REQUIRE(policy_attr(&req, "helo_name", "a b") == 0);
	/* a value is cut at a control byte: no line can be forged */
	ATF_REQUIRE(policy_attr(&req, "sender", "x\nrecipient=y") == 0);
	ATF_REQUIRE(policy_attr(&req, "recipient", "") == 0);
	ATF_REQUIRE(sa_0(&req) == 0);
	ATF_CHECK_STREQ(req.s, "helo_name=a b\nsender=x\nrecipient=\n");
	sa_free(&req);
}

ATF_TC_WITHOUT_HEAD(reply_end);
ATF_TC_BODY(reply_end, tc)
{
	char big[POLICY_REPLY_MAX + 10];

	ATF_CHECK(policy_reply_end("", 0) == 0);
	ATF_CHECK(policy_reply_end("action=DUNNO\n", 13) == 0);
	ATF_CHECK(policy_reply_end("action=DUNNO\n\n", 14) == 14);
	ATF_CHECK(policy_reply_end("action=OK\n\nx", 12) == 11);
	ATF_CHECK(policy_reply_end("\n", 1) == 1);
	ATF_CHECK(policy_reply_end("action=\0\n\n", 10) == -1);
	memset(big, 'x', sizeof(big));
	ATF_CHECK(policy_reply_end(big, POLICY_REPLY_MAX - 1) == 0);
	ATF_CHECK(policy_reply_end(big, POLICY_REPLY_MAX) == -1);
	big[POLICY_REPLY_MAX - 2] = big[POLICY_REPLY_MAX - 1] = '\n';
	ATF_CHECK(policy_reply_end(big, POLICY_REPLY_MAX) == POLICY_REPLY_MAX);
}

ATF_TC_WITHOUT_HEAD(actions);
ATF_TC_BODY(actions, tc)
{
	struct policy_action a;
	char big[POLICY_TEXT_MAX + 20];

	ATF_CHECK(action("DUNNO").verdict == POLICY_DUNNO);
	ATF_CHECK(action("dunno").verdict == POLICY_DUNNO);
	ATF_CHECK(action("OK").verdict == POLICY_OK);
	ATF_CHECK(action("12345").verdict == POLICY_OK);

	a = action("REJECT");
	ATF_CHECK(a.verdict == POLICY_REFUSE && a.code == 550);
	ATF_CHECK_STREQ(a.status, "5.7.1");
	ATF_CHECK_STREQ(a.text, "Access denied");
	a = action("REJECT go\taway \x01\xff");
	ATF_CHECK_STREQ(a.text, "go?away ??");
	a = action("DEFER_IF_PERMIT 4.2.0 Greylisted, see x");
	ATF_CHECK(a.code == 450);
	ATF_CHECK_STREQ(a.status, "4.2.0");
	ATF_CHECK_STREQ(a.text, "Greylisted, see x");
	a = action("DEFER 5.7.1 wrong class");	/* kept as text */
	ATF_CHECK(a.code == 450);
	ATF_CHECK_STREQ(a.status, "4.7.1");
	ATF_CHECK_STREQ(a.text, "5.7.1 wrong class");
	a = action("521 5.7.9 by code");
	ATF_CHECK(a.code == 521);
	ATF_CHECK_STREQ(a.status, "5.7.9");
	a = action("421 4.7.0");
	ATF_CHECK(a.code == 421 && strcmp(a.text, "Access denied") == 0);
	a = action("PREPEND X-Greylist: delayed 60 seconds");
	ATF_CHECK(a.verdict == POLICY_PREPEND);
	ATF_CHECK_STREQ(a.text, "X-Greylist: delayed 60 seconds");
	a = action("DEFER_IF_REJECT maybe");
	ATF_CHECK(a.verdict == POLICY_DUNNO && a.ignored != NULL);
	a = action("FILTER smtp:[127.0.0.1]:10025");
	ATF_CHECK(a.verdict == POLICY_DUNNO && strcmp(a.ignored, "FILTER") == 0);
	a = action("warn something");
	ATF_CHECK(a.verdict == POLICY_DUNNO && strcmp(a.ignored, "WARN") == 0);
	/* the whole message's: carried out at its end */
	a = action("DISCARD spam trap");
	ATF_CHECK(a.verdict == POLICY_DISCARD && a.ignored == NULL);
	ATF_CHECK_STREQ(a.text, "spam trap");
	a = action("hold for review");
	ATF_CHECK(a.verdict == POLICY_HOLD && a.ignored == NULL);
	ATF_CHECK_STREQ(a.text, "for review");
	a = action("REDIRECT abuse@example.org");
	ATF_CHECK(a.verdict == POLICY_REDIRECT);
	ATF_CHECK_STREQ(a.text, "abuse@example.org");
	a = action("bcc archive@example.org");
	ATF_CHECK(a.verdict == POLICY_BCC);
	ATF_CHECK_STREQ(a.text, "archive@example.org");
	ATF_CHECK(policy_action_parse("REDIRECT", &a) == -1);
	ATF_CHECK(policy_action_parse("REDIRECT not an address", &a) == -1);
	ATF_CHECK(policy_action_parse("BCC a@b@c", &a) == -1);
	a = action("FILTER smtp:[127.0.0.1]:10025");
	ATF_CHECK(a.verdict == POLICY_DUNNO && strcmp(a.ignored, "FILTER") == 0);

	ATF_CHECK(policy_action_parse("", &a) == -1);
	ATF_CHECK(policy_action_parse(" REJECT", &a) == -1);
	ATF_CHECK(policy_action_parse("permit_mynetworks", &a) == -1);
	ATF_CHECK(policy_action_parse("PREPEND", &a) == -1);
	ATF_CHECK(policy_action_parse("PREPEND no colon", &a) == -1);
	ATF_CHECK(policy_action_parse("PREPEND X Y: z", &a) == -1);
	ATF_CHECK(policy_action_parse("PREPEND : z", &a) == -1);
	ATF_CHECK(policy_action_parse("350 nope", &a) == -1);
	/* a header too long to keep whole is refused, not cut (fuzz_policy) */
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "PREPEND ", 8);
	big[sizeof(big) - 2] = ':';
	ATF_CHECK(policy_action_parse(big, &a) == -1);
	big[8 + 3] = ':';
	big[8 + 4] = ' ';
	big[8 + POLICY_TEXT_MAX] = '\0';
	ATF_CHECK(policy_action_parse(big, &a) == 0 &&
	    strlen(a.text) == POLICY_TEXT_MAX);
}

ATF_TC_WITHOUT_HEAD(replies);
ATF_TC_BODY(replies, tc)
{
	struct policy_action a;
	const char *why;
	const char *r;

	r = "x=1\naction=REJECT no\ny=2\n\n";
	ATF_REQUIRE(policy_reply_parse(r, strlen(r), &a, &why) == 0);
	ATF_CHECK(a.verdict == POLICY_REFUSE && strcmp(a.text, "no") == 0);
	r = "action=OK\r\n\n";
	ATF_REQUIRE(policy_reply_parse(r, strlen(r), &a, &why) == 0);
	ATF_CHECK(a.verdict == POLICY_OK);
	r = "\n";
	ATF_CHECK(policy_reply_parse(r, 1, &a, &why) == -1 &&
	    strstr(why, "no action") != NULL);
	r = "x=1\n\n";
	ATF_CHECK(policy_reply_parse(r, strlen(r), &a, &why) == -1);
	r = "action=OK\naction=OK\n\n";
	ATF_CHECK(policy_reply_parse(r, strlen(r), &a, &why) == -1 &&
	    strstr(why, "two") != NULL);
	r = "garbage\n\n";
	ATF_CHECK(policy_reply_parse(r, strlen(r), &a, &why) == -1);
	r = "=x\n\n";
	ATF_CHECK(policy_reply_parse(r, strlen(r), &a, &why) == -1);
	r = "action=nonsense\n\n";
	ATF_CHECK(policy_reply_parse(r, strlen(r), &a, &why) == -1);
	r = "Action=OK\n\n";	/* names are lower case */
	ATF_CHECK(policy_reply_parse(r, strlen(r), &a, &why) == -1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, addresses);
	ATF_TP_ADD_TC(tp, attributes);
	ATF_TP_ADD_TC(tp, reply_end);
	ATF_TP_ADD_TC(tp, actions);
	ATF_TP_ADD_TC(tp, replies);
	return 0;
}
