/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_auth_test - tests of smtpd/smtpd_auth.c: the PLAIN and LOGIN
 * decoders against hostile input (bad base64, missing or extra NULs,
 * oversize fields, an authzid naming someone else), the user name
 * rule, and auth_check when qpauth is not there.  A refused input
 * must leave both output buffers empty.
 */
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <atf-c.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpd_auth.h"
#include "lsan_atf.h"

/* enc - base64 of raw (n bytes, may hold NUL) into a static buffer. */
static const char *
enc(const void *raw, size_t n)
{
	static char out[4096];

	ATF_REQUIRE(b64_ntop(raw, n, out, sizeof(out)) >= 0);
	return out;
}

/* plain - auth_decode_plain of the base64 of raw, with big buffers. */
static int
plain(const void *raw, size_t n, char *user, char *pass)
{
	const char *b = enc(raw, n);

	return auth_decode_plain(b, strlen(b), user, 100, pass, 300);
}

#define P(s)	(s), sizeof(s) - 1

ATF_TC_WITHOUT_HEAD(plain_good);
ATF_TC_BODY(plain_good, tc)
{
	char user[100], pass[300];

	ATF_CHECK_EQ(plain(P("\0demo\0secret"), user, pass), 0);
	ATF_CHECK_STREQ(user, "demo");
	ATF_CHECK_STREQ(pass, "secret");
	ATF_CHECK_EQ(plain(P("demo\0demo\0pass word"), user, pass), 0);
	ATF_CHECK_STREQ(user, "demo");
	ATF_CHECK_STREQ(pass, "pass word");
	/* RFC 4616's own example */
	ATF_CHECK_EQ(auth_decode_plain(P("AHRpbQB0YW5zdGFhZnRhbnN0YWFm"),
	    user, 100, pass, 300), 0);
	ATF_CHECK_STREQ(user, "tim");
	ATF_CHECK_STREQ(pass, "tanstaaftanstaaf");
}

ATF_TC_WITHOUT_HEAD(plain_hostile);
ATF_TC_BODY(plain_hostile, tc)
{
	static const struct {
		const char	*raw;
		size_t		 n;
	} bad[] = {
		{ P("") },			/* nothing */
		{ P("demo") },			/* no NUL */
		{ P("\0demo") },		/* one NUL */
		{ P("demosecret\0") },
		{ P("\0demo\0") },		/* empty password */
		{ P("\0\0secret") },		/* empty user */
		{ P("\0\0\0") },
		{ P("\0demo\0sec\0ret") },	/* a third NUL */
		{ P("\0demo\0secret\0") },
		{ P("\0de\0mo\0secret") },
		{ P("root\0demo\0secret") },	/* authzid: someone else */
		{ P("demox\0demo\0secret") },
		{ P("dem\0demo\0secret") },
		{ P("DEMO\0demo\0secret") },
	};
	char user[100], pass[300], big[1200];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(user, 'x', sizeof(user));
		memset(pass, 'x', sizeof(pass));
		ATF_CHECK_EQ_MSG(plain(bad[i].raw, bad[i].n, user, pass), -1,
		    "case %zu accepted", i);
		ATF_CHECK_MSG(user[0] == '\0' && pass[0] == '\0',
		    "case %zu: outputs not cleared", i);
	}
	/* oversize: a user or password one byte over its buffer */
	memset(big, 'a', sizeof(big));
	big[0] = '\0';
	big[101] = '\0';
	ATF_CHECK_EQ(plain(big, 104, user, pass), -1);	/* user of 100 */
	big[101] = 'a';
	big[100] = '\0';
	ATF_CHECK_EQ(plain(big, 104, user, pass), 0);	/* user of 99 */
	big[100] = 'a';
	big[5] = '\0';
	ATF_CHECK_EQ(plain(big, 6 + 299, user, pass), 0);	/* pass 299 */
	ATF_CHECK_EQ(strlen(pass), 299);
	ATF_CHECK_EQ(plain(big, 6 + 300, user, pass), -1);	/* pass 300 */
	/* more base64 than any step may carry */
	ATF_CHECK_EQ(plain(big, 800, user, pass), -1);
	ATF_CHECK_EQ(auth_decode_plain("AGRlbW8Ac2VjcmV0", 16, user, 0, pass,
	    300), -1);
}

ATF_TC_WITHOUT_HEAD(base64_hostile);
ATF_TC_BODY(base64_hostile, tc)
{
	static const char *const bad[] = {
		"A", "AA", "AAA", "AAAAA", "====", "A===", "AA=A", "=AAA",
		"AGRl bW8Ac2VjcmV0", "AGRlbW8Ac2VjcmV0\n", " AGRlbW8Ac2VjcmV0",
		"AGRlbW8A\r\nc2VjcmV0", "AGRlbW8Ac2Vjc-V0", "AGRlbW8Ac2Vjc_V0",
		"AGRlbW8Ac2VjcmV0=", "AGRlbW8Ac2VjcmV0====", "AGRl*W8Ac2VjcmV0",
		"*", "AGRlbW8Ac2Vj\xc3\xa9V0",
	};
	char out[64], user[100], pass[300];
	size_t i, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ATF_CHECK_EQ_MSG(auth_b64_decode(bad[i], strlen(bad[i]), out,
		    sizeof(out), &len), -1, "\"%s\" accepted", bad[i]);
		ATF_CHECK_EQ_MSG(auth_decode_plain(bad[i], strlen(bad[i]),
		    user, sizeof(user), pass, sizeof(pass)), -1,
		    "\"%s\" accepted as PLAIN", bad[i]);
	}
	/* an embedded NUL in the base64 text itself stops nothing early */
	ATF_CHECK_EQ(auth_b64_decode("AGRl\0W8Ac2VjcmV0", 16, out,
	    sizeof(out), &len), -1);
	/* output that does not fit */
	ATF_CHECK_EQ(auth_b64_decode("YWJjZA==", 8, out, 4, &len), -1);
	ATF_CHECK_EQ(auth_b64_decode("YWJjZA==", 8, out, 5, &len), 0);
	ATF_CHECK_EQ(len, 4);
	ATF_CHECK_STREQ(out, "abcd");
	ATF_CHECK_EQ(auth_b64_decode("", 0, out, sizeof(out), &len), 0);
	ATF_CHECK_EQ(len, 0);
}

ATF_TC_WITHOUT_HEAD(base64_roundtrip);
ATF_TC_BODY(base64_roundtrip, tc)
{
	unsigned char raw[700];
	char out[800];
	const char *b;
	size_t i, n, len;

	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 7 + 3);
	for (n = 0; n <= sizeof(raw); n += 13) {
		b = enc(raw, n);
		ATF_REQUIRE_EQ_MSG(auth_b64_decode(b, strlen(b), out,
		    sizeof(out), &len), 0, "length %zu", n);
		ATF_CHECK_EQ(len, n);
		ATF_CHECK(memcmp(out, raw, n) == 0);
	}
}

ATF_TC_WITHOUT_HEAD(login);
ATF_TC_BODY(login, tc)
{
	char out[300];

	ATF_CHECK_EQ(auth_decode_login(P(AUTH_LOGIN_USER_PROMPT), out,
	    sizeof(out)), 0);
	ATF_CHECK_STREQ(out, "Username:");
	ATF_CHECK_EQ(auth_decode_login(P(AUTH_LOGIN_PASS_PROMPT), out,
	    sizeof(out)), 0);
	ATF_CHECK_STREQ(out, "Password:");
	ATF_CHECK_EQ(auth_decode_login(P("ZGVtbw=="), out, sizeof(out)), 0);
	ATF_CHECK_STREQ(out, "demo");
	ATF_CHECK_EQ(auth_decode_login(P(""), out, sizeof(out)), -1);
	ATF_CHECK_EQ(auth_decode_login(P("="), out, sizeof(out)), -1);
	ATF_CHECK_EQ(auth_decode_login(P("*"), out, sizeof(out)), -1);
	ATF_CHECK_EQ(auth_decode_login(P("ZGUAbW8="), out, sizeof(out)), -1);
	ATF_CHECK_STREQ(out, "");
	ATF_CHECK_EQ(auth_decode_login(P("AA=="), out, sizeof(out)), -1);
	ATF_CHECK_EQ(auth_decode_login(P("ZGVtbw=="), out, 4), -1);
	ATF_CHECK_EQ(auth_decode_login(P("ZGVtbw=="), out, 5), 0);
}

ATF_TC_WITHOUT_HEAD(user_names);
ATF_TC_BODY(user_names, tc)
{
	static const char *const good[] = {
		"demo", "Demo", "a", "a.b", "a_b", "a-b", "a+b", "0",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	static const char *const bad[] = {
		"", ".a", "-a", "a b", "a/b", "../x", "a:b", "a@b", "a\nb",
		"a\"b", "\xc3\xa9", "%s", "a;b",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ATF_CHECK_MSG(auth_user_valid(good[i]), "%s refused", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ATF_CHECK_MSG(!auth_user_valid(bad[i]), "%s taken", bad[i]);
	ATF_CHECK(!auth_user_valid(NULL));
}

ATF_TC_WITHOUT_HEAD(check_no_qpauth);
ATF_TC_BODY(check_no_qpauth, tc)
{
	char big[600];

	ATF_CHECK_EQ(auth_check("./no-such-socket", "demo", "pw", "::1"),
	    AUTH_TEMP);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* a request that could never fit is a plain no, not asked */
	ATF_CHECK_EQ(auth_check("./no-such-socket", "demo", big, "::1"),
	    AUTH_BAD);
	ATF_CHECK_EQ(auth_check("./no-such-socket", "demo", "", "::1"),
	    AUTH_BAD);
	ATF_CHECK_EQ(setenv("QPOST_AUTHSOCKET", "relative", 1), 0);
	ATF_CHECK_STREQ(auth_socket_path(), AUTH_SOCKET_DEFAULT);
	ATF_CHECK_EQ(setenv("QPOST_AUTHSOCKET", "/x/s", 1), 0);
	ATF_CHECK_STREQ(auth_socket_path(), "/x/s");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, plain_good);
	ATF_TP_ADD_TC(tp, plain_hostile);
	ATF_TP_ADD_TC(tp, base64_hostile);
	ATF_TP_ADD_TC(tp, base64_roundtrip);
	ATF_TP_ADD_TC(tp, login);
	ATF_TP_ADD_TC(tp, user_names);
	ATF_TP_ADD_TC(tp, check_no_qpauth);
	return atf_no_error();
}
