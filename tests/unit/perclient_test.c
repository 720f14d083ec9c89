/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * perclient_test - tests of smtpd/smtpd_perclient.c, the count of
 * smtpd -L's sessions by client: an IPv4 address counts alone and is
 * the same client whether it comes as IPv4 or IPv4-mapped IPv6; an IPv6
 * address counts with the rest of its /64; a reaped session stops
 * counting; a table as long as -c holds -c sessions.  And
 * smtpd/smtpd_rate.c, smtpd -L -R's connections a minute by client: the
 * count is per client, starts again a minute after the window opened,
 * and a table full of other clients forgets the oldest, never refuses.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <atf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpd_perclient.h"
#include "smtpd_rate.h"
#include "lsan_atf.h"

/* addr - text as a socket address, as accept would give it */
static struct sockaddr_storage
addr(const char *text)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1)
		s4->sin_family = AF_INET;
	else {
		ATF_REQUIRE(inet_pton(AF_INET6, text, &s6->sin6_addr) == 1);
		s6->sin6_family = AF_INET6;
	}
	return ss;
}

/* count - the sessions counted for the client at text */
static long
count(const struct perclient *p, const char *text)
{
	struct sockaddr_storage ss = addr(text);

	return perclient_count(p, &ss);
}

/* add - a session pid for the client at text */
static void
add(struct perclient *p, pid_t pid, const char *text)
{
	struct sockaddr_storage ss = addr(text);

	perclient_add(p, pid, &ss);
}

ATF_TC_WITHOUT_HEAD(ipv4);
ATF_TC_BODY(ipv4, tc)
{
	struct perclient p, none;
	struct sockaddr_storage ss;

	/* never initialised: no limit */
	memset(&none, 0, sizeof(none));
	perclient_remove(&none, 1);

	ATF_REQUIRE(perclient_init(&p, 10, 2) == 0);
	ATF_CHECK_EQ(p.most, 2);
	ATF_CHECK_EQ(count(&p, "192.0.2.1"), 0);
	add(&p, 101, "192.0.2.1");
	add(&p, 102, "192.0.2.1");
	add(&p, 103, "192.0.2.2");
	ATF_CHECK_EQ(count(&p, "192.0.2.1"), 2);
	ATF_CHECK_EQ(count(&p, "192.0.2.2"), 1);
	ATF_CHECK_EQ(count(&p, "192.0.2.3"), 0);
	ss = addr("192.0.2.1");
	ATF_CHECK(perclient_full(&p, &ss));
	ATF_CHECK(!perclient_full(&none, &ss));
	ss = addr("192.0.2.2");
	ATF_CHECK(!perclient_full(&p, &ss));
	/* a dual-stack socket's IPv4 client is the same client */
	ATF_CHECK_EQ(count(&p, "::ffff:192.0.2.1"), 2);
	add(&p, 104, "::ffff:192.0.2.2");
	ATF_CHECK_EQ(count(&p, "192.0.2.2"), 2);
	/* nor is an IPv6 address that holds the same bytes elsewhere */
	ATF_CHECK_EQ(count(&p, "::192.0.2.1"), 0);
	ATF_CHECK_EQ(count(&p, "c000:201::"), 0);
	free(p.s);
}

ATF_TC_WITHOUT_HEAD(ipv6_prefix);
ATF_TC_BODY(ipv6_prefix, tc)
{
	struct perclient p;

	ATF_REQUIRE(perclient_init(&p, 10, 3) == 0);
	add(&p, 201, "2001:db8:1:2::1");
	add(&p, 202, "2001:db8:1:2:ffff:ffff:ffff:ffff");
	/* one /64: every address in it is the same client */
	ATF_CHECK_EQ(count(&p, "2001:db8:1:2::99"), 2);
	ATF_CHECK_EQ(count(&p, "2001:db8:1:2:8000::"), 2);
	/* the next /64, and the one before, are others */
	ATF_CHECK_EQ(count(&p, "2001:db8:1:3::1"), 0);
	ATF_CHECK_EQ(count(&p, "2001:db8:1:1:ffff:ffff:ffff:ffff"), 0);
	ATF_CHECK_EQ(count(&p, "2001:db8::1"), 0);
	/* an IPv4 client whose bytes begin the same is not in it */
	ATF_CHECK_EQ(count(&p, "32.1.13.184"), 0);
	free(p.s);
}

ATF_TC_WITHOUT_HEAD(reaped);
ATF_TC_BODY(reaped, tc)
{
	struct perclient p;

	ATF_REQUIRE(perclient_init(&p, 3, 3) == 0);
	add(&p, 301, "192.0.2.1");
	add(&p, 302, "192.0.2.1");
	add(&p, 303, "2001:db8::1");
	ATF_CHECK_EQ(count(&p, "192.0.2.1"), 2);
	perclient_remove(&p, 301);
	ATF_CHECK_EQ(count(&p, "192.0.2.1"), 1);
	/* a pid it never saw (another acceptor's session): no change */
	perclient_remove(&p, 999);
	ATF_CHECK_EQ(count(&p, "192.0.2.1"), 1);
	ATF_CHECK_EQ(count(&p, "2001:db8::1"), 1);
	/* the freed entry takes the next session: -c entries hold -c */
	add(&p, 304, "192.0.2.1");
	ATF_CHECK_EQ(count(&p, "192.0.2.1"), 2);
	perclient_remove(&p, 302);
	perclient_remove(&p, 304);
	perclient_remove(&p, 303);
	ATF_CHECK_EQ(count(&p, "192.0.2.1"), 0);
	ATF_CHECK_EQ(count(&p, "2001:db8::1"), 0);
	free(p.s);
}

/* allow - rate_allow for the client at text at ms */
static int
allow(struct rate *r, const char *text, long long ms)
{
	struct sockaddr_storage ss = addr(text);

	return rate_allow(r, &ss, ms);
}

ATF_TC_WITHOUT_HEAD(rate_window);
ATF_TC_BODY(rate_window, tc)
{
	struct rate r;
	long long t0 = 1000000;
	int i;

	ATF_REQUIRE(rate_init(&r, 3) == 0);
	for (i = 0; i < 3; i++)
		ATF_CHECK_EQ(allow(&r, "192.0.2.1", t0 + i), 1);
	ATF_CHECK_EQ(allow(&r, "192.0.2.1", t0 + 10), 0);
	/* refused connections count too: still refused late in the window */
	ATF_CHECK_EQ(allow(&r, "192.0.2.1", t0 + RATE_WINDOW_MS - 1), 0);
	/* others are counted apart, IPv6 by /64 */
	ATF_CHECK_EQ(allow(&r, "192.0.2.2", t0 + 20), 1);
	for (i = 0; i < 3; i++)
		ATF_CHECK_EQ(allow(&r, "2001:db8::1", t0 + i), 1);
	ATF_CHECK_EQ(allow(&r, "2001:db8::ffff", t0 + 5), 0);
	ATF_CHECK_EQ(allow(&r, "2001:db8:0:1::1", t0 + 5), 1);
	/* a minute after the window opened, a new one */
	ATF_CHECK_EQ(allow(&r, "192.0.2.1", t0 + RATE_WINDOW_MS), 1);
	ATF_CHECK_EQ(allow(&r, "192.0.2.1", t0 + RATE_WINDOW_MS + 1), 1);
	free(r.s);
}

ATF_TC_WITHOUT_HEAD(rate_full);
ATF_TC_BODY(rate_full, tc)
{
	struct rate r;
	char text[32];
	long long t0 = 1000000;
	int i;

	ATF_REQUIRE(rate_init(&r, 1) == 0);
	ATF_CHECK_EQ(allow(&r, "198.51.100.1", t0), 1);
	ATF_CHECK_EQ(allow(&r, "198.51.100.1", t0 + 1), 0);
	/* four times as many clients as slots, each once: none refused */
	for (i = 0; i < 4 * RATE_SLOTS; i++) {
		snprintf(text, sizeof(text), "10.%d.%d.%d", i >> 16 & 255,
		    i >> 8 & 255, i & 255);
		ATF_CHECK_EQ(allow(&r, text, t0 + 2 + i / 1000), 1);
	}
	free(r.s);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, ipv4);
	ATF_TP_ADD_TC(tp, ipv6_prefix);
	ATF_TP_ADD_TC(tp, reaped);
	ATF_TP_ADD_TC(tp, rate_window);
	ATF_TP_ADD_TC(tp, rate_full);
	return atf_no_error();
}
