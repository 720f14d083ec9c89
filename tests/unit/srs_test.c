/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * srs_test - tests of lib/srs.c: addresses rewritten for forwarding
 * come back as they were, whatever case a bounce puts them in, for
 * SRS_MAXAGE days and no longer; a changed hash, date, domain or local
 * part, or another key, is refused; senders that must be kept are.
 */
#include <atf-c.h>
#include <stdio.h>
#include <string.h>

#include "srs.h"
#include "lsan_atf.h"

#define NOW	1764633600LL	/* 2025-12-02 00:00 UTC */
#define DAY	86400LL

static struct srs_key key;

static void
key_init(const char *s)
{
	ATF_REQUIRE(srs_key_parse(s, strlen(s), &key) == 0);
}

/* local - the local part of an address, in place */
static char *
local(char *addr)
{
	*strrchr(addr, '@') = '\0';
	return addr;
}

ATF_TC_WITHOUT_HEAD(round_trip);
ATF_TC_BODY(round_trip, tc)
{
	char fwd[300], back[300], *l;
	const char *why = NULL;
	size_t i;

	key_init("0123456789abcdef-secret");
	ATF_REQUIRE_EQ(srs_forward(&key, "bob@Example.COM", "fwd.example",
	    NOW, fwd, sizeof(fwd)), 1);
	ATF_CHECK_MSG(strncmp(fwd, "SRS0=", 5) == 0 && strstr(fwd,
	    "=Example.COM=bob@fwd.example") != NULL, "%s", fwd);
	l = local(fwd);
	ATF_CHECK_EQ(srs_reverse(&key, l, NOW, back, sizeof(back), &why), 1);
	ATF_CHECK_STREQ(back, "bob@Example.COM");
	/* a bounce may come back in lower or upper case */
	for (i = 0; l[i] != '\0'; i++)
		l[i] = (char)(l[i] >= 'A' && l[i] <= 'Z' ? l[i] + 32 : l[i]);
	ATF_CHECK_EQ(srs_reverse(&key, l, NOW + 3 * DAY, back, sizeof(back),
	    &why), 1);
	ATF_CHECK_STREQ(back, "bob@example.com");
	for (i = 0; l[i] != '\0'; i++)
		l[i] = (char)(l[i] >= 'a' && l[i] <= 'z' ? l[i] - 32 : l[i]);
	ATF_CHECK_EQ(srs_reverse(&key, l, NOW + SRS_MAXAGE * DAY, back,
	    sizeof(back), &why), 1);
	/* too old, or dated in the future */
	ATF_CHECK_EQ(srs_reverse(&key, l, NOW + (SRS_MAXAGE + 1) * DAY, back,
	    sizeof(back), &why), -1);
	ATF_CHECK_STREQ(why, "an SRS address that has expired");
	ATF_CHECK_EQ(srs_reverse(&key, l, NOW - 2 * DAY, back, sizeof(back),
	    &why), -1);
	/* the day count wraps at 1024: still good across it */
	ATF_REQUIRE_EQ(srs_forward(&key, "a.b+c@x.test", "f.test",
	    1023 * DAY + 5, fwd, sizeof(fwd)), 1);
	ATF_CHECK_EQ(srs_reverse(&key, local(fwd), 1025 * DAY, back,
	    sizeof(back), &why), 1);
	ATF_CHECK_STREQ(back, "a.b+c@x.test");
}

ATF_TC_WITHOUT_HEAD(forged);
ATF_TC_BODY(forged, tc)
{
	char fwd[300], bad[300], back[300];
	const char *why;
	struct srs_key other;
	size_t i;

	key_init("0123456789abcdef-secret");
	ATF_REQUIRE(srs_key_parse("another-key-of-16+", 18, &other) == 0);
	ATF_REQUIRE_EQ(srs_forward(&key, "bob@example.com", "fwd.example",
	    NOW, fwd, sizeof(fwd)), 1);
	local(fwd);
	ATF_CHECK_EQ(srs_reverse(&other, fwd, NOW, back, sizeof(back), &why),
	    -1);
	ATF_CHECK_STREQ(why, "an SRS address whose hash does not match");
	/* any one character changed after the prefix is refused (to one
	   that differs from it in any case: the hash is read so) */
	for (i = 5; fwd[i] != '\0'; i++) {
		strcpy(bad, fwd);
		bad[i] = bad[i] == 'q' || bad[i] == 'Q' ? 'r' : 'q';
		ATF_CHECK_EQ_MSG(srs_reverse(&key, bad, NOW, back,
		    sizeof(back), &why), -1, "%s", bad);
	}
	/* what a stranger may write instead */
	static const char *const junk[] = {
		"SRS0=", "SRS0=abcd", "SRS0=abcd=AA", "SRS0=abcd=AA=",
		"SRS0=abcd=AA=example.com", "SRS0=abcd=AA=example.com=",
		"SRS0=abcd=A1=example.com=bob", "SRS0=abc=AA=example.com=bob",
		"SRS0=abcd=AA==bob", "SRS0=abcd=AA=[1.2.3.4]=bob",
		"SRS0=abcd=AA=ex..ample=bob", "SRS0=abcdAAA=example.com=bob",
		"SRS0=abcd=AAA=example.com=bob",
	};
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		ATF_CHECK_EQ_MSG(srs_reverse(&key, junk[i], NOW, back,
		    sizeof(back), &why), -1, "%s", junk[i]);
	ATF_CHECK_EQ(srs_reverse(&key, "bob", NOW, back, sizeof(back), &why),
	    0);
	ATF_CHECK_EQ(srs_reverse(&key, "SRS1=abcd=x.test==efgh=AA=y=z", NOW,
	    back, sizeof(back), &why), -1);
	ATF_CHECK_STREQ(why, "an SRS address whose hash does not match");
	ATF_CHECK_EQ(srs_reverse(&key, "SRSX=abcd=AA=x.test=bob", NOW, back,
	    sizeof(back), &why), 0);
}

ATF_TC_WITHOUT_HEAD(kept);
ATF_TC_BODY(kept, tc)
{
	static const char *const keep[] = {
		"", "bob", "@example.com", "bob@", "\"b c\"@example.com",
		"a..b@example.com", ".a@example.com", "j\xc3\xb6rg@example.com",
		"srs1=abcd=x.test=y@z.test", "SRS1=ab=x==y@z.test",
	};
	char fwd[300], longl[80];
	size_t i;

	key_init("0123456789abcdef-secret");
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		ATF_CHECK_EQ_MSG(srs_forward(&key, keep[i], "fwd.example", NOW,
		    fwd, sizeof(fwd)), 0, "%s", keep[i]);
	/* a long local part that would pass 64 octets once rewritten */
	memset(longl, 'a', 50);
	strcpy(longl + 50, "@example.com");
	ATF_CHECK_EQ(srs_forward(&key, longl, "fwd.example", NOW, fwd,
	    sizeof(fwd)), 0);
	longl[30] = '\0';
	strcat(longl, "@e.com");
	ATF_CHECK_EQ(srs_forward(&key, longl, "fwd.example", NOW, fwd,
	    sizeof(fwd)), 1);
	ATF_CHECK_EQ(srs_key_parse("short", 5, &key), -1);
	ATF_CHECK_EQ(srs_key_parse("has a space in it!", 18, &key), -1);
	ATF_CHECK_EQ(srs_key_parse("0123456789abcdef\n", 17, &key), 0);
	ATF_CHECK_EQ(key.len, 16);
}

/* SRS addresses of other forwarders become SRS1, which turns back into
   the first forwarder's SRS0 address, whatever the hops between */
ATF_TC_WITHOUT_HEAD(srs1);
ATF_TC_BODY(srs1, tc)
{
	char fwd[300], fwd2[300], back[300], bad[300];
	const char *why;

	key_init("0123456789abcdef-secret");
	ATF_REQUIRE_EQ(srs_forward(&key, "SRS0=xyzw=AB=orig.test=bob@first.test",
	    "us.test", NOW, fwd, sizeof(fwd)), 1);
	ATF_CHECK_MSG(strncmp(fwd, "SRS1=", 5) == 0 && strstr(fwd,
	    "=first.test==xyzw=AB=orig.test=bob@us.test") != NULL, "%s", fwd);
	ATF_CHECK_EQ(srs_reverse(&key, local(fwd), NOW + 400 * DAY, back,
	    sizeof(back), &why), 1);
	ATF_CHECK_STREQ(back, "SRS0=xyzw=AB=orig.test=bob@first.test");
	/* an SRS1 sender keeps its first forwarder */
	ATF_REQUIRE_EQ(srs_forward(&key, "SRS1=qqqq=first.test==xyzw=AB=orig."
	    "test=bob@second.test", "us.test", NOW, fwd2, sizeof(fwd2)), 1);
	ATF_CHECK_MSG(strstr(fwd2, "=first.test==xyzw=AB=orig.test=bob@us."
	    "test") != NULL, "%s", fwd2);
	ATF_CHECK_EQ(srs_reverse(&key, local(fwd2), NOW, back, sizeof(back),
	    &why), 1);
	ATF_CHECK_STREQ(back, "SRS0=xyzw=AB=orig.test=bob@first.test");
	/* a changed first hop or guarded part is refused */
	strcpy(bad, fwd2);
	bad[strlen(bad) - 1] = 'x';
	ATF_CHECK_EQ(srs_reverse(&key, bad, NOW, back, sizeof(back), &why),
	    -1);
	strcpy(bad, fwd2);
	bad[12] = bad[12] == 'f' ? 'g' : 'f';
	ATF_CHECK_EQ(srs_reverse(&key, bad, NOW, back, sizeof(back), &why),
	    -1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, srs1);
	ATF_TP_ADD_TC(tp, round_trip);
	ATF_TP_ADD_TC(tp, forged);
	ATF_TP_ADD_TC(tp, kept);
	return atf_no_error();
}
