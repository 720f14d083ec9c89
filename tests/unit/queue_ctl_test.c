/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * queue_ctl_test - the control FIFO's command lines (queue/queue_ctl.c)
 * and the envelope's held flag H (queue/queue_env.c): every documented
 * form parses and formats back to itself; anything else, byte by byte,
 * is refused; an envelope with H round-trips and one without it (the
 * old format) still loads.
 */
#include <atf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue_ctl.h"
#include "queue_env.h"
#include "rec.h"
#include "lsan_atf.h"

#define ID1	"0123456789abcdef"

/* parse - qctl_parse of a C string (no newline). */
static int
parse(const char *s, struct qctl_cmd *c)
{
	const char *why = NULL;
	int r = qctl_parse(s, strlen(s), c, &why);

	if (r == -1)
		ATF_CHECK_MSG(why != NULL && why[0] != '\0', "no reason: %s", s);
	return r;
}

ATF_TC_WITHOUT_HEAD(good_lines);
ATF_TC_BODY(good_lines, tc)
{
	static const struct {
		const char	*line;
		enum qctl_verb	 verb;
		const char	*id, *domain, *again;
	} t[] = {
		{ "flush", QCTL_FLUSH, "", "", "flush\n" },
		{ "flush example.test", QCTL_FLUSH, "", "example.test",
		    "flush example.test\n" },
		{ "flush Ex-Ample.TEST", QCTL_FLUSH, "", "ex-ample.test",
		    "flush ex-ample.test\n" },
		{ "flush localhost", QCTL_FLUSH, "", "localhost",
		    "flush localhost\n" },
		{ "flush xn--bcher-kva.test", QCTL_FLUSH, "",
		    "xn--bcher-kva.test", "flush xn--bcher-kva.test\n" },
		{ "hold " ID1, QCTL_HOLD, ID1, "", "hold " ID1 "\n" },
		{ "release " ID1, QCTL_RELEASE, ID1, "", "release " ID1 "\n" },
		{ "delete " ID1, QCTL_DELETE, ID1, "", "delete " ID1 "\n" },
		{ "bounce " ID1, QCTL_BOUNCE, ID1, "", "bounce " ID1 "\n" },
		{ "reload", QCTL_RELOAD, "", "", "reload\n" },
	};
	struct qctl_cmd c;
	char buf[QCTL_LINE_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ATF_REQUIRE_EQ_MSG(parse(t[i].line, &c), 0, "%s", t[i].line);
		ATF_CHECK_EQ(c.verb, t[i].verb);
		ATF_CHECK_STREQ(c.id, t[i].id);
		ATF_CHECK_STREQ(c.domain, t[i].domain);
		ATF_CHECK_EQ(qctl_format(&c, buf, sizeof(buf)),
		    (int)strlen(t[i].again));
		ATF_CHECK_STREQ(buf, t[i].again);
	}
}

ATF_TC_WITHOUT_HEAD(bad_lines);
ATF_TC_BODY(bad_lines, tc)
{
	static const char *bad[] = {
		"", " ", "\n", "flush ", " flush", "flush  a.test",
		"flush a.test ", "FLUSH", "Flush", "flushx", "flush\t",
		"flush -d a.test", "flush a..test", "flush .a.test",
		"flush a.test.", "flush -a.test", "flush a-.test",
		"flush a_b.test", "flush a/b", "flush caf\xc3\xa9.test",
		"flush a.test\r", "hold", "hold ", "hold  " ID1,
		"hold " ID1 " ", "hold " ID1 "0", "hold 0123456789abcde",
		"hold 0123456789ABCDEF", "hold ../../etc/passwd",
		"hold 0123456789abcdeg", "hold " ID1 "\r", "purge " ID1,
		"delete", "bounce x", "release 0x23456789abcdef",
		"\033[31m", "hold\t" ID1,
		"reload ", "reload " ID1, "reload now", "Reload", "reload\r",
		" reload", "reloadx",
	};
	struct qctl_cmd c;
	char label[64], domain[QCTL_DOMAIN_MAX + 32];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ATF_CHECK_EQ_MSG(parse(bad[i], &c), -1, "bad %zu: %s", i,
		    bad[i]);
	/* a NUL inside */
	ATF_CHECK_EQ(qctl_parse("hold " ID1 "\0", 22, &c,
	    &(const char *){ NULL }), -1);
	ATF_CHECK_EQ(qctl_parse("hold \0" ID1, 22, &c,
	    &(const char *){ NULL }), -1);
	/* labels of 63 octets pass, 64 do not; names of 253, not 254 */
	memset(label, 'a', sizeof(label));
	snprintf(domain, sizeof(domain), "flush %.63s.test", label);
	ATF_CHECK_EQ(parse(domain, &c), 0);
	snprintf(domain, sizeof(domain), "flush %.64s.test", label);
	ATF_CHECK_EQ(parse(domain, &c), -1);
	memset(domain, 0, sizeof(domain));
	memcpy(domain, "flush ", 6);
	for (i = 0; i < 253; i++)
		domain[6 + i] = i % 2 ? '.' : 'a';
	ATF_CHECK_EQ(parse(domain, &c), 0);
	ATF_CHECK_EQ(strlen(c.domain), 253);
	domain[6 + 253] = 'a';
	ATF_CHECK_EQ(parse(domain, &c), -1);
	/* past QCTL_LINE_MAX whatever it holds */
	memset(domain, 'a', sizeof(domain) - 1);
	domain[sizeof(domain) - 1] = '\0';
	ATF_CHECK_EQ(qctl_parse(domain, QCTL_LINE_MAX + 1, &c,
	    &(const char *){ NULL }), -1);
}

ATF_TC_WITHOUT_HEAD(format_refuses);
ATF_TC_BODY(format_refuses, tc)
{
	struct qctl_cmd c;
	char buf[QCTL_LINE_MAX + 2];

	memset(&c, 0, sizeof(c));
	c.verb = QCTL_HOLD;		/* no id */
	ATF_CHECK_EQ(qctl_format(&c, buf, sizeof(buf)), -1);
	strlcpy(c.id, "../../etc/passw", sizeof(c.id));
	ATF_CHECK_EQ(qctl_format(&c, buf, sizeof(buf)), -1);
	c.verb = QCTL_FLUSH;
	c.id[0] = '\0';
	strlcpy(c.domain, "a b", sizeof(c.domain));
	ATF_CHECK_EQ(qctl_format(&c, buf, sizeof(buf)), -1);
	c.domain[0] = '\0';
	ATF_CHECK_EQ(qctl_format(&c, buf, 5), -1);	/* no room */
	ATF_CHECK_EQ(qctl_format(&c, buf, 7), 6);
	c.verb = (enum qctl_verb)99;
	ATF_CHECK_EQ(qctl_format(&c, buf, sizeof(buf)), -1);
	ATF_CHECK_STREQ(qctl_verb_name((enum qctl_verb)99), "?");
}

#define HEAD	"V1:1,I16:" ID1 ",U1:0,A1:5,F3:a@b,"
#define RC	"R3:c@d,S1:p,C1:0,N1:0,E0:,"

/* decode - qenv_decode of a literal; 0 or -1. */
static int
decode(const char *s, size_t n, struct qenv *e)
{
	return qenv_decode(s, n, e);
}
#define DECODE(lit, e)	decode(lit, sizeof(lit) - 1, e)

ATF_TC_WITHOUT_HEAD(env_held);
ATF_TC_BODY(env_held, tc)
{
	struct qenv e, d;
	struct sa out = SA_INIT;

	/* the old format: no H, not held */
	ATF_REQUIRE_EQ(DECODE(HEAD RC "Z0:,", &e), 0);
	ATF_CHECK_EQ(e.held, 0);
	ATF_REQUIRE_EQ(qenv_encode(&e, &out), 0);
	ATF_CHECK(memchr(out.s, 'H', out.len) == NULL);
	e.held = 1;
	ATF_REQUIRE_EQ(qenv_encode(&e, &out), 0);
	ATF_CHECK(memmem(out.s, out.len, "a@b,H1:1,R3:", 12) != NULL);
	ATF_REQUIRE_EQ(qenv_decode(out.s, out.len, &d), 0);
	ATF_CHECK_EQ(d.held, 1);
	qenv_free(&d);
	qenv_free(&e);
	sa_free(&out);

	/* H after the other optional message fields, before R */
	ATF_REQUIRE_EQ(DECODE(HEAD "H1:1," RC "Z0:,", &d), 0);
	ATF_CHECK_EQ(d.held, 1);
	qenv_free(&d);
	ATF_CHECK(DECODE(HEAD "H1:1,O1:1,B16:" ID1 "," RC "Z0:,", &d) != 0);
	qenv_free(&d);	/* what a failed decode may have taken */
	ATF_REQUIRE_EQ(DECODE(HEAD "O1:1,B16:" ID1 ",H1:1," RC "Z0:,", &d),
	    0);
	ATF_CHECK(d.held == 1 && d.bounce_id[0] != '\0');
	qenv_free(&d);
	/* and nothing else */
	ATF_CHECK_EQ(DECODE(HEAD "H1:1,H1:1," RC "Z0:,", &d), -1);
	qenv_free(&d);
	ATF_CHECK_EQ(DECODE(HEAD "H1:0," RC "Z0:,", &d), -1);
	qenv_free(&d);
	ATF_CHECK_EQ(DECODE(HEAD "H0:," RC "Z0:,", &d), -1);
	qenv_free(&d);
	ATF_CHECK_EQ(DECODE(HEAD "H2:11," RC "Z0:,", &d), -1);
	qenv_free(&d);
	ATF_CHECK_EQ(DECODE(HEAD RC "H1:1,Z0:,", &d), -1);
	qenv_free(&d);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, good_lines);
	ATF_TP_ADD_TC(tp, bad_lines);
	ATF_TP_ADD_TC(tp, format_refuses);
	ATF_TP_ADD_TC(tp, env_held);
	return atf_no_error();
}
