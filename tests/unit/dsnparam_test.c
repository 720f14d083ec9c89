/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * dsnparam_test - table-driven tests of lib/dsnparam.c, the DSN
 * requests of RFC 3461: xtext both ways and what it refuses, NOTIFY,
 * RET, ENVID and ORCPT at and over their limits, MAIL's and RCPT's
 * parameters, the envelope trailer (parsed, written, and written again
 * from what was parsed), the command line's -N, -R and -V, and the
 * requests' fields in the drop file (queue/queue_drop.c), in order or
 * refused.
 */
#include <atf-c.h>
#include <stdio.h>
#include <string.h>

#include "dsnparam.h"
#include "queue_drop.h"
#include "rec.h"
#include "sa.h"
#include "lsan_atf.h"

/* fill - n copies of c then a NUL in buf (size n + 1 at least) */
static char *
fill(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

ATF_TC_WITHOUT_HEAD(xtext_round_trip);
ATF_TC_BODY(xtext_round_trip, tc)
{
	static const struct {
		const char	*raw;
		const char	*xtext;
	} t[] = {
		{ "QQ314159", "QQ314159" },
		{ "a b", "a+20b" },
		{ "x+y=z", "x+2By+3Dz" },
		{ "\xc3\xa9t\xc3\xa9", "+C3+A9t+C3+A9" },
		{ "rfc822;bob@example.org", "rfc822;bob@example.org" },
		{ "~!\"#$%&'()*,-./:;<>?@[\\]^_`{|}",
		    "~!\"#$%&'()*,-./:;<>?@[\\]^_`{|}" },
		{ "", "" },
	};
	struct sa x = SA_INIT, back = SA_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		x.len = 0;
		ATF_REQUIRE_EQ(dsn_xtext_encode(&x, t[i].raw,
		    strlen(t[i].raw)), 0);
		ATF_CHECK_MSG(x.len == strlen(t[i].xtext) &&
		    memcmp(x.s, t[i].xtext, x.len) == 0, "case %zu: %.*s", i,
		    (int)x.len, x.s);
		ATF_CHECK_MSG(dsn_xtext_ok(x.s, x.len), "case %zu", i);
		ATF_REQUIRE_EQ(dsn_xtext_decode(x.s, x.len, &back), 0);
		ATF_CHECK_STREQ_MSG(back.s, t[i].raw, "case %zu", i);
	}
	/* hex digits in upper case only, as RFC 3461's hexchar has them */
	ATF_CHECK(!dsn_xtext_ok("a+2bc", 5));
	ATF_CHECK(dsn_xtext_ok("a+2Bc", 5));
	sa_free(&x);
	sa_free(&back);
}

ATF_TC_WITHOUT_HEAD(xtext_refused);
ATF_TC_BODY(xtext_refused, tc)
{
	static const char *const bad[] = {
		"a=b",		/* '=' is never xtext */
		"a b",		/* nor space */
		"a\tb",		/* nor a control byte */
		"a\x7f",
		"\xc3\xa9",	/* nor a byte over 126 unencoded */
		"a+0Db",	/* nor one that decodes to a control byte */
		"+0A",
		"+00",
		"+1F",
		"+7F",
		"+",		/* a lone '+' */
		"a+",
		"a+2",		/* cut short */
		"a+G0",		/* not hex */
		"a+0G",
		"a++20",
		"a+ 20",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ATF_CHECK_MSG(!dsn_xtext_ok(bad[i], strlen(bad[i])),
		    "case %zu (%s) taken", i, bad[i]);
	ATF_CHECK(!dsn_xtext_ok("a\0b", 3));
	ATF_CHECK(dsn_xtext_ok("+20+7E+80+FF", 12));
}

ATF_TC_WITHOUT_HEAD(notify);
ATF_TC_BODY(notify, tc)
{
	static const struct {
		const char	*in;
		int		 rc;
		unsigned	 mask;
		const char	*smtp;		/* written back */
		const char	*letters;	/* in the queue's files */
	} t[] = {
		{ "NEVER", 0, DSN_NOTIFY_NEVER, "NEVER", "N" },
		{ "never", 0, DSN_NOTIFY_NEVER, "NEVER", "N" },
		{ "SUCCESS", 0, DSN_NOTIFY_SUCCESS, "SUCCESS", "S" },
		{ "failure", 0, DSN_NOTIFY_FAILURE, "FAILURE", "F" },
		{ "Delay", 0, DSN_NOTIFY_DELAY, "DELAY", "D" },
		{ "SUCCESS,FAILURE,DELAY", 0, DSN_NOTIFY_SUCCESS |
		    DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY,
		    "SUCCESS,FAILURE,DELAY", "SFD" },
		{ "delay,success", 0, DSN_NOTIFY_SUCCESS | DSN_NOTIFY_DELAY,
		    "SUCCESS,DELAY", "SD" },
		{ "FAILURE,DELAY", 0, DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY,
		    "FAILURE,DELAY", "FD" },
		/* NEVER alone, each word once, no empty item */
		{ "NEVER,SUCCESS", -1, 0, NULL, NULL },
		{ "SUCCESS,NEVER", -1, 0, NULL, NULL },
		{ "NEVER,NEVER", -1, 0, NULL, NULL },
		{ "SUCCESS,SUCCESS", -1, 0, NULL, NULL },
		{ "success,FAILURE,Success", -1, 0, NULL, NULL },
		{ "", -1, 0, NULL, NULL },
		{ ",", -1, 0, NULL, NULL },
		{ "SUCCESS,", -1, 0, NULL, NULL },
		{ ",SUCCESS", -1, 0, NULL, NULL },
		{ "SUCCESS,,DELAY", -1, 0, NULL, NULL },
		{ "SUCCESS FAILURE", -1, 0, NULL, NULL },
		{ "SUCCESS;FAILURE", -1, 0, NULL, NULL },
		{ "NEVERS", -1, 0, NULL, NULL },
		{ "NEVE", -1, 0, NULL, NULL },
		{ "SUCCES", -1, 0, NULL, NULL },
		{ "ALWAYS", -1, 0, NULL, NULL },
	};
	char letters[DSN_LETTERS_MAX + 1];
	struct sa out = SA_INIT;
	unsigned mask, again;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mask = 0;
		rc = dsn_notify_parse(t[i].in, strlen(t[i].in), &mask);
		ATF_CHECK_EQ_MSG(rc, t[i].rc, "case %zu (%s)", i, t[i].in);
		if (rc != 0 || t[i].rc != 0)
			continue;
		ATF_CHECK_EQ_MSG(mask, t[i].mask, "case %zu", i);
		out.len = 0;
		ATF_REQUIRE_EQ(dsn_notify_smtp(mask, &out), 0);
		ATF_CHECK_MSG(out.len == strlen(t[i].smtp) &&
		    memcmp(out.s, t[i].smtp, out.len) == 0, "case %zu: %.*s",
		    i, (int)out.len, out.s);
		dsn_notify_letters(mask, letters);
		ATF_CHECK_STREQ_MSG(letters, t[i].letters, "case %zu", i);
		ATF_CHECK_EQ(dsn_letters_parse(letters, strlen(letters),
		    &again), 0);
		ATF_CHECK_EQ_MSG(again, mask, "case %zu", i);
	}
	/* the queue's letters: strictly as written */
	ATF_CHECK_EQ(dsn_letters_parse("FS", 2, &mask), -1);
	ATF_CHECK_EQ(dsn_letters_parse("SS", 2, &mask), -1);
	ATF_CHECK_EQ(dsn_letters_parse("NS", 2, &mask), -1);
	ATF_CHECK_EQ(dsn_letters_parse("s", 1, &mask), -1);
	ATF_CHECK_EQ(dsn_letters_parse("X", 1, &mask), -1);
	ATF_CHECK_EQ(dsn_letters_parse("SFDN", 4, &mask), -1);
	sa_free(&out);
}

ATF_TC_WITHOUT_HEAD(ret_envid_orcpt);
ATF_TC_BODY(ret_envid_orcpt, tc)
{
	static const char *const orcpt_bad[] = {
		"bob@example.org",	/* no type */
		";bob@example.org",
		"rfc822;",
		"rfc822",
		"rfc 822;bob",
		"rfc_822;bob",
		"rfc822;bob=x",
		"rfc822;b+2",
		"rfc822;b ob",
		"",
	};
	char buf[700];
	size_t i;

	ATF_CHECK_EQ(dsn_ret_parse("FULL", 4), DSN_RET_FULL);
	ATF_CHECK_EQ(dsn_ret_parse("full", 4), DSN_RET_FULL);
	ATF_CHECK_EQ(dsn_ret_parse("HDRS", 4), DSN_RET_HDRS);
	ATF_CHECK_EQ(dsn_ret_parse("Hdrs", 4), DSN_RET_HDRS);
	ATF_CHECK_EQ(dsn_ret_parse("FUL", 3), -1);
	ATF_CHECK_EQ(dsn_ret_parse("FULLY", 5), -1);
	ATF_CHECK_EQ(dsn_ret_parse("HEADERS", 7), -1);
	ATF_CHECK_EQ(dsn_ret_parse("", 0), -1);
	/* ENVID: 1 to 100 bytes of xtext */
	ATF_CHECK(dsn_envid_ok(fill(buf, 'e', 100), 100));
	ATF_CHECK(!dsn_envid_ok(fill(buf, 'e', 101), 101));
	ATF_CHECK(!dsn_envid_ok("", 0));
	ATF_CHECK(dsn_envid_ok("+2B", 3));
	ATF_CHECK(!dsn_envid_ok("a=b", 3));
	/* ORCPT: type ';' xtext, 500 bytes in all */
	ATF_CHECK(dsn_orcpt_ok("rfc822;bob@example.org", 22));
	ATF_CHECK(dsn_orcpt_ok("utf-8;b+C3+A9b@example.org", 26));
	memcpy(fill(buf, 'o', 500), "rfc822;", 7);
	ATF_CHECK(dsn_orcpt_ok(buf, 500));
	memcpy(fill(buf, 'o', 501), "rfc822;", 7);
	ATF_CHECK(!dsn_orcpt_ok(buf, 501));
	for (i = 0; i < sizeof(orcpt_bad) / sizeof(orcpt_bad[0]); i++)
		ATF_CHECK_MSG(!dsn_orcpt_ok(orcpt_bad[i],
		    strlen(orcpt_bad[i])), "case %zu (%s)", i, orcpt_bad[i]);
}

ATF_TC_WITHOUT_HEAD(params);
ATF_TC_BODY(params, tc)
{
	struct dsn_msg m;
	struct dsn_rcpt r;
	const char *err = NULL;

	memset(&m, 0, sizeof(m));
	ATF_CHECK_EQ(dsn_mail_param("SIZE", 4, "1", 1, &m, &err), 0);
	ATF_CHECK_EQ(dsn_mail_param("ret", 3, "hdrs", 4, &m, &err), 1);
	ATF_CHECK_EQ(m.ret, DSN_RET_HDRS);
	ATF_CHECK_EQ(dsn_mail_param("RET", 3, "FULL", 4, &m, &err), -1);
	ATF_CHECK_STREQ(err, "duplicate RET parameter");
	ATF_CHECK_EQ(dsn_mail_param("ENVID", 5, NULL, 0, &m, &err), -1);
	ATF_CHECK(strncmp(err, "ENVID takes", 11) == 0);
	ATF_CHECK_EQ(dsn_mail_param("Envid", 5, "x+2By", 5, &m, &err), 1);
	ATF_CHECK_STREQ(m.envid, "x+2By");
	ATF_CHECK_EQ(dsn_mail_param("ENVID", 5, "z", 1, &m, &err), -1);
	ATF_CHECK_STREQ(err, "duplicate ENVID parameter");
	memset(&m, 0, sizeof(m));
	ATF_CHECK_EQ(dsn_mail_param("RET", 3, NULL, 0, &m, &err), -1);
	ATF_CHECK_STREQ(err, "RET takes FULL or HDRS");

	memset(&r, 0, sizeof(r));
	ATF_CHECK_EQ(dsn_rcpt_param("RET", 3, "FULL", 4, &r, &err), 0);
	ATF_CHECK_EQ(dsn_rcpt_param("notify", 6, "never", 5, &r, &err), 1);
	ATF_CHECK_EQ(r.notify, DSN_NOTIFY_NEVER);
	ATF_CHECK_EQ(dsn_rcpt_param("NOTIFY", 6, "NEVER", 5, &r, &err), -1);
	ATF_CHECK_STREQ(err, "duplicate NOTIFY parameter");
	ATF_CHECK_EQ(dsn_rcpt_param("ORCPT", 5, "rfc822;a", 8, &r, &err), 1);
	ATF_CHECK_STREQ(r.orcpt, "rfc822;a");
	ATF_CHECK_EQ(dsn_rcpt_param("ORCPT", 5, "rfc822;b", 8, &r, &err), -1);
	ATF_CHECK_STREQ(err, "duplicate ORCPT parameter");
	memset(&r, 0, sizeof(r));
	ATF_CHECK_EQ(dsn_rcpt_param("NOTIFY", 6, "", 0, &r, &err), -1);
	ATF_CHECK(strncmp(err, "NOTIFY takes", 12) == 0);
	ATF_CHECK_EQ(dsn_rcpt_param("ORCPT", 5, "a@b", 3, &r, &err), -1);
	ATF_CHECK(strncmp(err, "ORCPT takes", 11) == 0);
}

#define T(x)	x, sizeof(x) - 1

ATF_TC_WITHOUT_HEAD(trailer_parse);
ATF_TC_BODY(trailer_parse, tc)
{
	static const char good[] = "DRET=HDRS ENVID=QQ+2B1\0"
	    "NNOTIFY=SUCCESS,DELAY ORCPT=rfc822;a+40b.example\0"
	    "N\0"
	    "NNOTIFY=NEVER\0";
	struct sa list = SA_INIT, again = SA_INIT;
	struct dsn_msg m;
	struct dsn_rcpt r;
	const char *p, *why;
	size_t n;

	ATF_REQUIRE_EQ_MSG(why = dsn_trailer_parse(T(good), &m, &list, 3,
	    &n), NULL, "%s", why);
	ATF_CHECK_EQ(n, 3);
	ATF_CHECK_EQ(m.ret, DSN_RET_HDRS);
	ATF_CHECK_STREQ(m.envid, "QQ+2B1");
	p = dsn_list_get(list.s, &r);
	ATF_CHECK_EQ(r.notify, DSN_NOTIFY_SUCCESS | DSN_NOTIFY_DELAY);
	ATF_CHECK_STREQ(r.orcpt, "rfc822;a+40b.example");
	p = dsn_list_get(p, &r);
	ATF_CHECK(r.notify == 0 && r.orcpt[0] == '\0');
	p = dsn_list_get(p, &r);
	ATF_CHECK(r.notify == DSN_NOTIFY_NEVER && r.orcpt[0] == '\0');
	ATF_CHECK(p == list.s + list.len);
	/* written again, it is the same bytes */
	ATF_REQUIRE_EQ(dsn_trailer(&again, &m, &list), 0);
	ATF_CHECK(again.len == sizeof(good) - 1 &&
	    memcmp(again.s, good, again.len) == 0);
	/* more recipients than N records: the rest asked for nothing */
	ATF_CHECK_EQ(dsn_trailer_parse(T(good), &m, &list, 100, &n), NULL);
	ATF_CHECK_EQ(n, 3);
	/* none at all, and a D record alone */
	ATF_CHECK_EQ(dsn_trailer_parse(NULL, 0, &m, &list, 1, &n), NULL);
	ATF_CHECK(n == 0 && list.len == 0 && m.ret == 0 &&
	    m.envid[0] == '\0');
	ATF_CHECK_EQ(dsn_trailer_parse(T("D\0"), &m, &list, 1, &n), NULL);
	ATF_CHECK_EQ(dsn_trailer_parse(T("DENVID=x RET=FULL\0N\0"), &m,
	    &list, 1, &n), NULL);
	ATF_CHECK(m.ret == DSN_RET_FULL && strcmp(m.envid, "x") == 0 &&
	    n == 1 && !m.hold);
	/* qpost's own HOLD, anywhere in the D record, written last */
	ATF_CHECK_EQ(dsn_trailer_parse(T("DHOLD\0"), &m, &list, 1, &n), NULL);
	ATF_CHECK(m.hold && m.ret == 0 && m.envid[0] == '\0' && n == 0);
	ATF_CHECK_EQ(dsn_trailer_parse(T("DHOLD RET=HDRS\0N\0"), &m, &list,
	    1, &n), NULL);
	ATF_CHECK(m.hold && m.ret == DSN_RET_HDRS);
	m.envid[0] = 'e';
	m.envid[1] = '\0';
	again.len = 0;
	ATF_REQUIRE_EQ(dsn_trailer(&again, &m, NULL), 0);
	ATF_CHECK(again.len == sizeof("DRET=HDRS ENVID=e HOLD\0") - 1 &&
	    memcmp(again.s, "DRET=HDRS ENVID=e HOLD\0", again.len) == 0);
	sa_free(&list);
	sa_free(&again);
}

ATF_TC_WITHOUT_HEAD(trailer_refused);
ATF_TC_BODY(trailer_refused, tc)
{
	static const struct {
		const char	*in;
		size_t		 n;
		size_t		 maxrcpt;
		const char	*why;	/* the start of the reason */
	} t[] = {
		{ T("D\0N\0N\0N\0"), 2, "the DSN trailer has more N records" },
		{ T("D\0N\0"), 0, "the DSN trailer has more N records" },
		{ T("N\0"), 1, "the DSN trailer does not start with a D" },
		{ T("x"), 1, "the DSN trailer does not start with a D" },
		{ T("\0"), 1, "the DSN trailer does not start with a D" },
		{ T("D"), 1, "the DSN trailer does not start with a D" },
		{ T("DRET=FULL"), 1, "the DSN trailer does not start" },
		{ T("D\0N"), 1, "a DSN trailer record is not an N record" },
		{ T("D\0NNOTIFY=NEVER"), 1, "a DSN trailer record is not" },
		{ T("D\0D\0"), 1, "a DSN trailer record is not an N record" },
		{ T("D\0\0"), 1, "a DSN trailer record is not an N record" },
		{ T("DRET\0"), 1, "a DSN parameter without '='" },
		{ T("DRET=FULL \0"), 1, "a DSN parameter without '='" },
		{ T("DRET=FULL  ENVID=x\0"), 1, "a DSN parameter without" },
		{ T("D RET=FULL\0"), 1, "a DSN parameter without '='" },
		{ T("DNOTIFY=NEVER\0"), 1, "an unknown DSN parameter" },
		{ T("DSIZE=1\0"), 1, "an unknown DSN parameter" },
		{ T("D\0NRET=FULL\0"), 1, "an unknown DSN parameter" },
		{ T("DRET=FULL RET=FULL\0"), 1, "duplicate RET parameter" },
		{ T("DRET=ALL\0"), 1, "RET takes FULL or HDRS" },
		{ T("DENVID=\0"), 1, "ENVID takes" },
		{ T("DENVID=a+0Db\0"), 1, "ENVID takes" },
		{ T("D\0NNOTIFY=NEVER,DELAY\0"), 1, "NOTIFY takes" },
		{ T("D\0NNOTIFY=DELAY NOTIFY=DELAY\0"), 1,
		    "duplicate NOTIFY parameter" },
		{ T("D\0NORCPT=bob\0"), 1, "ORCPT takes" },
		{ T("DHOLD HOLD\0"), 1, "HOLD twice in the DSN trailer" },
		{ T("DHOLD=1\0"), 1, "an unknown DSN parameter" },
		{ T("Dhold\0"), 1, "a DSN parameter without '='" },
		{ T("DHOLDS\0"), 1, "a DSN parameter without '='" },
		{ T("D\0NHOLD\0"), 1, "a DSN parameter without '='" },
	};
	struct sa list = SA_INIT;
	struct dsn_msg m;
	const char *why;
	size_t i, n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		why = dsn_trailer_parse(t[i].in, t[i].n, &m, &list,
		    t[i].maxrcpt, &n);
		ATF_CHECK_MSG(why != NULL && strncmp(why, t[i].why,
		    strlen(t[i].why)) == 0, "case %zu: %s", i,
		    why != NULL ? why : "taken");
	}
	sa_free(&list);
}

ATF_TC_WITHOUT_HEAD(trailer_write);
ATF_TC_BODY(trailer_write, tc)
{
	struct sa out = SA_INIT, list = SA_INIT;
	struct dsn_msg m;
	struct dsn_rcpt none, r;

	memset(&m, 0, sizeof(m));
	memset(&none, 0, sizeof(none));
	memset(&r, 0, sizeof(r));
	/* nobody asked: no trailer at all, the envelope stays qmail-queue's */
	ATF_CHECK_EQ(dsn_trailer(&out, NULL, NULL), 0);
	ATF_CHECK_EQ(dsn_trailer(&out, &m, &list), 0);
	ATF_REQUIRE_EQ(dsn_list_repeat(&list, &none, 3), 0);
	ATF_CHECK_EQ(dsn_trailer(&out, &m, &list), 0);
	ATF_CHECK_EQ(out.len, 0);
	/* the message's requests alone: a D record */
	m.ret = DSN_RET_FULL;
	ATF_REQUIRE_EQ(dsn_trailer(&out, &m, &list), 0);
	ATF_CHECK(out.len == 10 && memcmp(out.s, "DRET=FULL\0", 10) == 0);
	/* a hold alone is asked too */
	out.len = 0;
	memset(&m, 0, sizeof(m));
	m.hold = 1;
	ATF_REQUIRE_EQ(dsn_trailer(&out, &m, &list), 0);
	ATF_CHECK(out.len == 6 && memcmp(out.s, "DHOLD\0", 6) == 0);
	/* up to the last recipient that asked, no further */
	out.len = list.len = 0;
	memset(&m, 0, sizeof(m));
	r.notify = DSN_NOTIFY_FAILURE;
	ATF_REQUIRE(dsn_list_add(&list, &none) == 0 &&
	    dsn_list_add(&list, &r) == 0 && dsn_list_add(&list, &none) == 0);
	ATF_REQUIRE_EQ(dsn_trailer(&out, &m, &list), 0);
	ATF_CHECK(out.len == sizeof("D\0N\0NNOTIFY=FAILURE\0") - 1 &&
	    memcmp(out.s, "D\0N\0NNOTIFY=FAILURE\0", out.len) == 0);
	/* ORCPT alone; ORCPT after NOTIFY */
	out.len = list.len = 0;
	strlcpy(r.orcpt, "rfc822;x", sizeof(r.orcpt));
	ATF_REQUIRE_EQ(dsn_trailer_rcpt(&out, &r), 0);
	r.notify = 0;
	ATF_REQUIRE_EQ(dsn_trailer_rcpt(&out, &r), 0);
	ATF_CHECK(out.len == sizeof("NNOTIFY=FAILURE ORCPT=rfc822;x\0"
	    "NORCPT=rfc822;x\0") - 1 && memcmp(out.s,
	    "NNOTIFY=FAILURE ORCPT=rfc822;x\0NORCPT=rfc822;x\0", out.len) ==
	    0);
	sa_free(&out);
	sa_free(&list);
}

ATF_TC_WITHOUT_HEAD(opts);
ATF_TC_BODY(opts, tc)
{
	char big[200];
	struct dsn_msg m;
	struct dsn_rcpt r;
	const char *why;

	ATF_CHECK_EQ(dsn_opts(NULL, NULL, NULL, &m, &r), NULL);
	ATF_CHECK(m.ret == 0 && m.envid[0] == '\0' && r.notify == 0);
	ATF_CHECK_EQ(dsn_opts("success,delay", "hdrs", "id 1+2=3", &m, &r),
	    NULL);
	ATF_CHECK_EQ(r.notify, DSN_NOTIFY_SUCCESS | DSN_NOTIFY_DELAY);
	ATF_CHECK_EQ(m.ret, DSN_RET_HDRS);
	ATF_CHECK_STREQ(m.envid, "id+201+2B2+3D3");
	ATF_CHECK(r.orcpt[0] == '\0');
	why = dsn_opts("never,success", NULL, NULL, &m, &r);
	ATF_CHECK(why != NULL && strncmp(why, "-N takes", 8) == 0);
	why = dsn_opts(NULL, "all", NULL, &m, &r);
	ATF_CHECK(why != NULL && strncmp(why, "-R takes", 8) == 0);
	why = dsn_opts(NULL, NULL, "", &m, &r);
	ATF_CHECK(why != NULL && strncmp(why, "-V takes", 8) == 0);
	why = dsn_opts(NULL, NULL, "a\nb", &m, &r);
	ATF_CHECK(why != NULL && strstr(why, "control character") != NULL);
	/* 100 bytes of xtext, not 101: '=' counts 3 */
	ATF_CHECK_EQ(dsn_opts(NULL, NULL, fill(big, 'v', 100), &m, &r), NULL);
	ATF_CHECK_EQ(strlen(m.envid), 100);
	why = dsn_opts(NULL, NULL, fill(big, 'v', 101), &m, &r);
	ATF_CHECK(why != NULL && strstr(why, "longer than 100") != NULL);
	fill(big, 'v', 98);
	big[0] = '=';
	ATF_CHECK_EQ(dsn_opts(NULL, NULL, big, &m, &r), NULL);
	big[1] = '=';
	ATF_CHECK(dsn_opts(NULL, NULL, big, &m, &r) != NULL);
}

ATF_TC_WITHOUT_HEAD(drop_env);
ATF_TC_BODY(drop_env, tc)
{
	static const char r3[] = "a@x.test\0b@x.test\0c@x.test";
	static const char want[] = "F8:s@x.test,T8:a@x.test,D2:SD,"
	    "X12:rfc822;a+40b,T8:b@x.test,T8:c@x.test,D1:N,O1:1,H1:1,Y1:H,"
	    "J6:QQ+2B1,Z0:,";
	struct sa out = SA_INIT, rl = SA_INIT, list = SA_INIT;
	struct qdrop_env env;
	struct dsn_msg m;
	struct dsn_rcpt r, none;

	ATF_REQUIRE_EQ(sa_catb(&rl, r3, sizeof(r3)), 0);
	memset(&m, 0, sizeof(m));
	memset(&r, 0, sizeof(r));
	memset(&none, 0, sizeof(none));
	m.ret = DSN_RET_HDRS;
	m.hold = 1;
	strlcpy(m.envid, "QQ+2B1", sizeof(m.envid));
	r.notify = DSN_NOTIFY_SUCCESS | DSN_NOTIFY_DELAY;
	strlcpy(r.orcpt, "rfc822;a+40b", sizeof(r.orcpt));
	ATF_REQUIRE(dsn_list_add(&list, &r) == 0 &&
	    dsn_list_add(&list, &none) == 0);
	memset(&r, 0, sizeof(r));
	r.notify = DSN_NOTIFY_NEVER;
	ATF_REQUIRE_EQ(dsn_list_add(&list, &r), 0);
	ATF_REQUIRE_EQ(qdrop_env_encode(&out, "s@x.test", &rl, 1, &m, &list),
	    0);
	ATF_CHECK_MSG(out.len == sizeof(want) - 1 &&
	    memcmp(out.s, want, out.len) == 0, "%.*s", (int)out.len, out.s);
	ATF_REQUIRE_EQ(qdrop_env_parse(out.s, out.len, &env), 0);
	ATF_CHECK(env.nrcpt == 3 && env.is_utf8 == 1);
	ATF_CHECK(env.dsn.ret == DSN_RET_HDRS && env.dsn.hold &&
	    strcmp(env.dsn.envid, "QQ+2B1") == 0);
	ATF_CHECK(env.rcpt_dsn.len == list.len &&
	    memcmp(env.rcpt_dsn.s, list.s, list.len) == 0);
	(void)dsn_list_get(env.rcpt_dsn.s, &r);
	ATF_CHECK_STREQ(r.orcpt, "rfc822;a+40b");
	qdrop_env_free(&env);
	/* the list shorter than the recipients: the rest have nothing */
	out.len = 0;
	list.len = 0;
	ATF_REQUIRE_EQ(dsn_list_add(&list, &none), 0);
	ATF_REQUIRE_EQ(qdrop_env_encode(&out, "", &rl, 0, NULL, &list), 0);
	ATF_CHECK_EQ(qdrop_env_parse(out.s, out.len, &env), 0);
	ATF_CHECK_EQ(env.rcpt_dsn.len, 0);	/* nobody asked: empty */
	ATF_CHECK(env.dsn.ret == 0 && env.dsn.envid[0] == '\0' &&
	    !env.dsn.hold);
	qdrop_env_free(&env);
	sa_free(&out);
	sa_free(&rl);
	sa_free(&list);
}

ATF_TC_WITHOUT_HEAD(drop_env_order);
ATF_TC_BODY(drop_env_order, tc)
{
	static const struct {
		const char	*in;
		size_t		 n;
	} bad[] = {
		{ T("F0:,D1:S,T3:a@b,Z0:,") },		/* D before any T */
		{ T("F0:,X8:rfc822;a,T3:a@b,Z0:,") },	/* X before any T */
		{ T("F0:,T3:a@b,X8:rfc822;a,D1:S,Z0:,") }, /* X before D */
		{ T("F0:,T3:a@b,D1:S,D1:F,Z0:,") },	/* two D */
		{ T("F0:,T3:a@b,X8:rfc822;a,X8:rfc822;a,Z0:,") },
		{ T("F0:,T3:a@b,D0:,Z0:,") },		/* empty D */
		{ T("F0:,T3:a@b,D2:FS,Z0:,") },		/* not as written */
		{ T("F0:,T3:a@b,D2:NS,Z0:,") },
		{ T("F0:,T3:a@b,D1:s,Z0:,") },
		{ T("F0:,T3:a@b,X6:rfc822,Z0:,") },	/* bad ORCPT */
		{ T("F0:,T3:a@b,X9:rfc822;a=,Z0:,") },
		{ T("F0:,T3:a@b,O1:1,D1:S,Z0:,") },	/* D after O */
		{ T("F0:,T3:a@b,Y1:F,D1:S,Z0:,") },	/* D after Y */
		{ T("F0:,T3:a@b,Y1:F,O1:1,Z0:,") },	/* O after Y */
		{ T("F0:,T3:a@b,J1:x,Y1:F,Z0:,") },	/* Y after J */
		{ T("F0:,T3:a@b,J1:x,O1:1,Z0:,") },	/* O after J */
		{ T("F0:,T3:a@b,J1:x,J1:x,Z0:,") },	/* two J */
		{ T("F0:,T3:a@b,Y1:F,Y1:H,Z0:,") },	/* two Y */
		{ T("F0:,T3:a@b,Y1:F,T3:c@d,Z0:,") },	/* T after Y */
		{ T("F0:,T3:a@b,J1:x,T3:c@d,Z0:,") },	/* T after J */
		{ T("F0:,T3:a@b,Y1:X,Z0:,") },		/* bad RET */
		{ T("F0:,T3:a@b,Y0:,Z0:,") },
		{ T("F0:,T3:a@b,Y2:FH,Z0:,") },
		{ T("F0:,T3:a@b,J0:,Z0:,") },		/* bad ENVID */
		{ T("F0:,T3:a@b,J3:a=b,Z0:,") },
		{ T("F0:,T3:a@b,J3:a+2,Z0:,") },
		{ T("F0:,T3:a@b,Z0:,D1:S,") },		/* after the end */
		{ T("F0:,T3:a@b,Z0:,J1:x,") },
		{ T("F0:,T3:a@b,H1:1,O1:1,Z0:,") },	/* O after H */
		{ T("F0:,T3:a@b,Y1:F,H1:1,Z0:,") },	/* H after Y */
		{ T("F0:,T3:a@b,J1:x,H1:1,Z0:,") },	/* H after J */
		{ T("F0:,T3:a@b,H1:1,H1:1,Z0:,") },	/* two H */
		{ T("F0:,T3:a@b,H1:1,T3:c@d,Z0:,") },	/* T after H */
		{ T("F0:,H1:1,T3:a@b,Z0:,") },		/* H before any T */
		{ T("F0:,T3:a@b,H1:0,Z0:,") },		/* bad H */
		{ T("F0:,T3:a@b,H0:,Z0:,") },
	};
	static const struct {
		const char	*in;
		size_t		 n;
	} good[] = {
		{ T("F0:,T3:a@b,D1:S,Z0:,") },
		{ T("F0:,T3:a@b,X8:rfc822;a,Z0:,") },
		{ T("F0:,T3:a@b,D1:N,X8:rfc822;a,T3:c@d,D3:SFD,Z0:,") },
		{ T("F0:,T3:a@b,O1:1,Y1:F,J1:x,Z0:,") },
		{ T("F0:,T3:a@b,O1:1,H1:1,Y1:F,J1:x,Z0:,") },
		{ T("F0:,T3:a@b,D1:S,H1:1,Z0:,") },
		{ T("F0:,T3:a@b,Y1:H,Z0:,") },
		{ T("F0:,T3:a@b,J1:x,Z0:,") },
	};
	struct qdrop_env env;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ATF_CHECK_EQ_MSG(qdrop_env_parse(bad[i].in, bad[i].n, &env), -1,
		    "bad case %zu (%s)", i, bad[i].in);
		qdrop_env_free(&env);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ATF_CHECK_EQ_MSG(qdrop_env_parse(good[i].in, good[i].n, &env),
		    0, "good case %zu (%s)", i, good[i].in);
		qdrop_env_free(&env);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, xtext_round_trip);
	ATF_TP_ADD_TC(tp, xtext_refused);
	ATF_TP_ADD_TC(tp, notify);
	ATF_TP_ADD_TC(tp, ret_envid_orcpt);
	ATF_TP_ADD_TC(tp, params);
	ATF_TP_ADD_TC(tp, trailer_parse);
	ATF_TP_ADD_TC(tp, trailer_refused);
	ATF_TP_ADD_TC(tp, trailer_write);
	ATF_TP_ADD_TC(tp, opts);
	ATF_TP_ADD_TC(tp, drop_env);
	ATF_TP_ADD_TC(tp, drop_env_order);
	return atf_no_error();
}
