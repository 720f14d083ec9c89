/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_cmd_test - table-driven tests of smtpd/smtpd_cmd.c: the verb
 * and argument split, MAIL and RCPT arguments (parameters, the address
 * limits, null and Postmaster paths, source routes) and BDAT, with
 * hostile input: control octets, NUL, CR and LF inside, duplicates,
 * overflowing numbers, bad xtext.
 */
#include <atf-c.h>
#include <stdio.h>
#include <string.h>

#include "smtpd_cmd.h"
#include "lsan_atf.h"

#define S(x)	x, sizeof(x) - 1

ATF_TC_WITHOUT_HEAD(split);
ATF_TC_BODY(split, tc)
{
	static const struct {
		const char	*in;
		size_t		 len;
		int		 rc;
		enum smtp_verb	 verb;
		const char	*arg;
	} t[] = {
		{ S("EHLO client.example"), 0, VERB_EHLO, "client.example" },
		{ S("helo x"), 0, VERB_HELO, "x" },
		{ S("MaIl FROM:<>"), 0, VERB_MAIL, "FROM:<>" },
		{ S("RCPT TO:<a@b>"), 0, VERB_RCPT, "TO:<a@b>" },
		{ S("DATA"), 0, VERB_DATA, "" },
		{ S("BDAT 10 LAST"), 0, VERB_BDAT, "10 LAST" },
		{ S("RSET"), 0, VERB_RSET, "" },
		{ S("NOOP "), 0, VERB_NOOP, "" },
		{ S("QUIT"), 0, VERB_QUIT, "" },
		{ S("VRFY x"), 0, VERB_VRFY, "x" },
		{ S("EXPN x"), 0, VERB_EXPN, "x" },
		{ S("HELP"), 0, VERB_HELP, "" },
		{ S("starttls"), 0, VERB_STARTTLS, "" },
		{ S("AUTH PLAIN"), 0, VERB_AUTH, "PLAIN" },
		/* exactly one space: the rest is the argument's */
		{ S("MAIL  FROM:<>"), 0, VERB_MAIL, " FROM:<>" },
		{ S("NOOP\targ"), 0, VERB_UNKNOWN, "" },
		{ S("XYZZY plugh"), 0, VERB_UNKNOWN, "plugh" },
		{ S("MAILX FROM:<>"), 0, VERB_UNKNOWN, "FROM:<>" },
		{ S("MAI"), 0, VERB_UNKNOWN, "" },
		{ S(""), 0, VERB_UNKNOWN, "" },
		{ S(" DATA"), 0, VERB_UNKNOWN, "DATA" },
		{ S("NOOP a\tb"), 0, VERB_NOOP, "a\tb" },
		{ S("NOOP \xc3\xa9"), 0, VERB_NOOP, "\xc3\xa9" },
		/* NUL and control octets refuse the line */
		{ "DATA\0", 5, -1, VERB_UNKNOWN, "" },
		{ "NOOP a\0b", 8, -1, VERB_UNKNOWN, "" },
		{ S("DATA\r"), -1, VERB_UNKNOWN, "" },
		{ S("RCPT TO:<a@b>\nDATA"), -1, VERB_UNKNOWN, "" },
		{ S("NOOP \x1b[1m"), -1, VERB_UNKNOWN, "" },
		{ S("NOOP \x7f"), -1, VERB_UNKNOWN, "" },
	};
	struct smtp_cmd c;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = cmd_parse(t[i].in, t[i].len, &c);

		ATF_CHECK_EQ_MSG(rc, t[i].rc, "case %zu: rc %d", i, rc);
		if (rc != 0)
			continue;
		ATF_CHECK_EQ_MSG(c.verb, t[i].verb, "case %zu: verb %s", i,
		    cmd_verb_name(c.verb));
		ATF_CHECK_MSG(c.arglen == strlen(t[i].arg) &&
		    memcmp(c.arg, t[i].arg, c.arglen) == 0,
		    "case %zu: arg \"%.*s\"", i, (int)c.arglen, c.arg);
	}
	ATF_CHECK_STREQ(cmd_verb_name(VERB_STARTTLS), "STARTTLS");
	ATF_CHECK_STREQ(cmd_verb_name(VERB_UNKNOWN), "UNKNOWN");
	ATF_CHECK_STREQ(cmd_verb_name((enum smtp_verb)999), "UNKNOWN");
}

struct mcase {
	const char		*in;
	int			 utf8;
	int			 rc;
	const char		*local;	/* on ARGS_OK */
	const char		*domain;
	int			 is_null;
	unsigned long long	 size;	/* has_size if not 0 */
	int			 body_8bit;
	const char		*auth;	/* NULL: no AUTH */
};

static char	long_local[300], long_domain[400], long_path[400];

/* make_long - addresses at and over each limit, for the tables. */
static void
make_long(void)
{
	/* local part of 65 octets */
	memset(long_local, 0, sizeof(long_local));
	memcpy(long_local, "FROM:<", 6);
	memset(long_local + 6, 'l', 65);
	memcpy(long_local + 71, "@example.org>", 13);
	/* domain of 256 octets (labels of 63) */
	memset(long_domain, 0, sizeof(long_domain));
	memcpy(long_domain, "FROM:<a@", 8);
	memset(long_domain + 8, 'd', 256);
	long_domain[8 + 63] = long_domain[8 + 127] = '.';
	long_domain[8 + 191] = '.';
	memcpy(long_domain + 8 + 256, ">", 2);
	/* path of 257 octets: local 64, domain 190 and the brackets */
	memset(long_path, 0, sizeof(long_path));
	memcpy(long_path, "FROM:<", 6);
	memset(long_path + 6, 'p', 64);
	long_path[70] = '@';
	memset(long_path + 71, 'q', 190);
	long_path[71 + 63] = long_path[71 + 127] = '.';
	memcpy(long_path + 71 + 190, ">", 2);
}

ATF_TC_WITHOUT_HEAD(mail);
ATF_TC_BODY(mail, tc)
{
	const struct mcase t[] = {
		{ "FROM:<alice@example.org>", 0, ARGS_OK, "alice",
		    "example.org", 0, 0, 0, NULL },
		{ "from:<>", 0, ARGS_OK, "", "", 1, 0, 0, NULL },
		{ "FROM: <a@b.example>", 0, ARGS_OK, "a", "b.example", 0, 0,
		    0, NULL },
		{ "FROM:<a@b.example> SIZE=1000 BODY=8BITMIME", 0, ARGS_OK,
		    "a", "b.example", 0, 1000, 1, NULL },
		{ "FROM:<a@b.example> body=7bit size=0", 0, ARGS_OK, "a",
		    "b.example", 0, 0, 0, NULL },
		{ "FROM:<a@b.example> SIZE=18446744073709551615", 0, ARGS_OK,
		    "a", "b.example", 0, 18446744073709551615ULL, 0, NULL },
		{ "FROM:<@r1.example,@r2.example:u@example.org>", 0, ARGS_OK,
		    "u", "example.org", 0, 0, 0, NULL },
		{ "FROM:<\"a b\"@example.org>", 0, ARGS_OK, "\"a b\"",
		    "example.org", 0, 0, 0, NULL },
		{ "FROM:<a@[192.0.2.1]>", 0, ARGS_OK, "a", "[192.0.2.1]", 0,
		    0, 0, NULL },
		{ "FROM:<a@b.example> AUTH=<>", 0, ARGS_OK, "a", "b.example",
		    0, 0, 0, "<>" },
		{ "FROM:<a@b.example> AUTH=x+2By+3Dz@example.org", 0,
		    ARGS_OK, "a", "b.example", 0, 0, 0, "x+y=z@example.org" },
		{ "FROM:<\xc3\xa9@\xc3\xa9.example> SMTPUTF8", 1, ARGS_OK,
		    "\xc3\xa9", "\xc3\xa9.example", 0, 0, 0, NULL },
		/* UTF-8 only with SMTPUTF8, and SMTPUTF8 only if offered */
		{ "FROM:<\xc3\xa9@example.org>", 1, ARGS_SYNTAX, NULL, NULL,
		    0, 0, 0, NULL },
		{ "FROM:<a@b.example> SMTPUTF8", 0, ARGS_UNKNOWN, NULL, NULL,
		    0, 0, 0, NULL },
		{ "FROM:<\xc3\xa9@example.org> SMTPUTF8", 1, ARGS_OK,
		    "\xc3\xa9", "example.org", 0, 0, 0, NULL },
		{ "FROM:<\xc3@example.org> SMTPUTF8", 1, ARGS_SYNTAX, NULL,
		    NULL, 0, 0, 0, NULL },
		/* unknown parameters */
		{ "FROM:<a@b.example> X-RET=HDRS", 0, ARGS_UNKNOWN, NULL,
		    NULL, 0, 0, 0, NULL },
		{ "FROM:<a@b.example> BODY=BINARYMIME", 0, ARGS_UNKNOWN, NULL,
		    NULL, 0, 0, 0, NULL },
		{ "FROM:<a@b.example> X-FOO", 0, ARGS_UNKNOWN, NULL, NULL, 0,
		    0, 0, NULL },
		/* a size past 64 bits saturates: smtpd answers it with 552 */
		{ "FROM:<a@b.example> SIZE=18446744073709551616", 0, ARGS_OK,
		    "a", "b.example", 0, 18446744073709551615ULL, 0, NULL },
		{ "FROM:<a@b.example> SIZE=000000000000000000001", 0, ARGS_OK,
		    "a", "b.example", 0, 18446744073709551615ULL, 0, NULL },
		/* malformed or duplicate parameters */
		{ "FROM:<a@b.example> SIZE=-1", 0, ARGS_SYNTAX, NULL, NULL,
		    0, 0, 0, NULL },
		{ "FROM:<a@b.example> SIZE=", 0, ARGS_SYNTAX, NULL, NULL, 0,
		    0, 0, NULL },
		{ "FROM:<a@b.example> SIZE", 0, ARGS_SYNTAX, NULL, NULL, 0, 0,
		    0, NULL },
		{ "FROM:<a@b.example> SIZE=1 SIZE=1", 0, ARGS_SYNTAX, NULL,
		    NULL, 0, 0, 0, NULL },
		{ "FROM:<a@b.example> BODY=7BIT BODY=7BIT", 0, ARGS_SYNTAX,
		    NULL, NULL, 0, 0, 0, NULL },
		{ "FROM:<a@b.example> BODY=9BIT", 0, ARGS_SYNTAX, NULL, NULL,
		    0, 0, 0, NULL },
		{ "FROM:<a@b.example> SMTPUTF8=yes", 1, ARGS_SYNTAX, NULL,
		    NULL, 0, 0, 0, NULL },
		{ "FROM:<a@b.example> SMTPUTF8 SMTPUTF8", 1, ARGS_SYNTAX, NULL,
		    NULL, 0, 0, 0, NULL },
		{ "FROM:<a@b.example> AUTH=a+2", 0, ARGS_SYNTAX, NULL, NULL,
		    0, 0, 0, NULL },
		{ "FROM:<a@b.example> AUTH=a+0D+0Ab", 0, ARGS_SYNTAX, NULL,
		    NULL, 0, 0, 0, NULL },
		{ "FROM:<a@b.example> AUTH=a+2b", 0, ARGS_SYNTAX, NULL, NULL,
		    0, 0, 0, NULL },
		{ "FROM:<a@b.example> AUTH=<> AUTH=<>", 0, ARGS_SYNTAX, NULL,
		    NULL, 0, 0, 0, NULL },
		{ "FROM:<a@b.example>  SIZE=1", 0, ARGS_SYNTAX, NULL, NULL, 0,
		    0, 0, NULL },
		{ "FROM:<a@b.example> ", 0, ARGS_SYNTAX, NULL, NULL, 0, 0, 0,
		    NULL },
		{ "FROM:<a@b.example>SIZE=1", 0, ARGS_SYNTAX, NULL, NULL, 0,
		    0, 0, NULL },
		{ "FROM:<a@b.example> =1", 0, ARGS_SYNTAX, NULL, NULL, 0, 0,
		    0, NULL },
		{ "FROM:<a@b.example> -X=1", 0, ARGS_SYNTAX, NULL, NULL, 0, 0,
		    0, NULL },
		{ "FROM:<a@b.example> SIZE=1\t", 0, ARGS_SYNTAX, NULL, NULL,
		    0, 0, 0, NULL },
		/* bad paths */
		{ "FROM:a@b.example", 0, ARGS_SYNTAX, NULL, NULL, 0, 0, 0,
		    NULL },
		{ "FROM:<a@b.example", 0, ARGS_SYNTAX, NULL, NULL, 0, 0, 0,
		    NULL },
		{ "TO:<a@b.example>", 0, ARGS_SYNTAX, NULL, NULL, 0, 0, 0,
		    NULL },
		{ "FROM:<a>", 0, ARGS_SYNTAX, NULL, NULL, 0, 0, 0, NULL },
		{ "FROM:<Postmaster>", 0, ARGS_SYNTAX, NULL, NULL, 0, 0, 0,
		    NULL },
		{ "FROM:<a@b..example>", 0, ARGS_SYNTAX, NULL, NULL, 0, 0, 0,
		    NULL },
		{ "FROM:<a\r\n@b.example>", 0, ARGS_SYNTAX, NULL, NULL, 0, 0,
		    0, NULL },
		{ "FROM:<\"a\r\n\"@b.example>", 0, ARGS_SYNTAX, NULL, NULL, 0,
		    0, 0, NULL },
		{ "FROM:<a@b.example>>", 0, ARGS_SYNTAX, NULL, NULL, 0, 0, 0,
		    NULL },
		{ "FROM:<@r1.example,:u@example.org>", 0, ARGS_SYNTAX, NULL,
		    NULL, 0, 0, 0, NULL },
		{ "", 0, ARGS_SYNTAX, NULL, NULL, 0, 0, 0, NULL },
		{ "FROM:", 0, ARGS_SYNTAX, NULL, NULL, 0, 0, 0, NULL },
		/* over the limits: 553, not 501 */
		{ long_local, 0, ARGS_TOOLONG, NULL, NULL, 0, 0, 0, NULL },
		{ long_domain, 0, ARGS_TOOLONG, NULL, NULL, 0, 0, 0, NULL },
		{ long_path, 0, ARGS_TOOLONG, NULL, NULL, 0, 0, 0, NULL },
	};
	struct mail_args m;
	const char *err;
	size_t i;

	make_long();
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc;

		err = NULL;
		rc = cmd_parse_mail(t[i].in, strlen(t[i].in), t[i].utf8, &m,
		    &err);
		ATF_CHECK_EQ_MSG(rc, t[i].rc, "case %zu (%.50s): rc %d (%s)",
		    i, t[i].in, rc, err ? err : "NULL");
		ATF_CHECK_MSG(err != NULL, "case %zu: no error text", i);
		if (rc != ARGS_OK || t[i].rc != ARGS_OK)
			continue;
		ATF_CHECK_STREQ_MSG(m.addr.local, t[i].local, "case %zu", i);
		ATF_CHECK_STREQ_MSG(m.addr.domain, t[i].domain, "case %zu",
		    i);
		ATF_CHECK_EQ_MSG(m.addr.is_null, t[i].is_null, "case %zu", i);
		ATF_CHECK_EQ_MSG(m.has_size, t[i].size != 0 ||
		    strstr(t[i].in, "size=0") != NULL, "case %zu", i);
		ATF_CHECK_EQ_MSG(m.size, t[i].size, "case %zu", i);
		ATF_CHECK_EQ_MSG(m.body_8bit, t[i].body_8bit, "case %zu", i);
		ATF_CHECK_EQ_MSG(m.has_auth, t[i].auth != NULL, "case %zu", i);
		if (t[i].auth != NULL)
			ATF_CHECK_STREQ_MSG(m.auth, t[i].auth, "case %zu", i);
	}
}

/* Limits exactly at the maximum are accepted. */
ATF_TC_WITHOUT_HEAD(mail_limits);
ATF_TC_BODY(mail_limits, tc)
{
	char in[400];
	struct mail_args m;
	const char *err;

	/* local part of 64 */
	memset(in, 0, sizeof(in));
	memcpy(in, "FROM:<", 6);
	memset(in + 6, 'l', 64);
	memcpy(in + 70, "@example.org>", 13);
	ATF_CHECK_EQ(cmd_parse_mail(in, strlen(in), 0, &m, &err), ARGS_OK);
	/* path of 256: local 64, domain 189 and the brackets */
	memset(in, 0, sizeof(in));
	memcpy(in, "FROM:<", 6);
	memset(in + 6, 'p', 64);
	in[70] = '@';
	memset(in + 71, 'q', 189);
	in[71 + 63] = in[71 + 127] = '.';
	memcpy(in + 71 + 189, ">", 2);
	ATF_CHECK_EQ(cmd_parse_mail(in, strlen(in), 0, &m, &err), ARGS_OK);
	ATF_CHECK_EQ(strlen(m.addr.domain), 189);
}

ATF_TC_WITHOUT_HEAD(rcpt);
ATF_TC_BODY(rcpt, tc)
{
	static const struct {
		const char	*in;
		int		 utf8;
		int		 rc;
		const char	*local;
		const char	*domain;
		int		 pm;
	} t[] = {
		{ "TO:<bob@example.org>", 0, ARGS_OK, "bob", "example.org",
		    0 },
		{ "to: <bob@example.org>", 0, ARGS_OK, "bob", "example.org",
		    0 },
		{ "TO:<Postmaster>", 0, ARGS_OK, "Postmaster", "", 1 },
		{ "TO:<pOSTMASTER>", 0, ARGS_OK, "pOSTMASTER", "", 1 },
		{ "TO:<postmaster@example.org>", 0, ARGS_OK, "postmaster",
		    "example.org", 0 },
		{ "TO:<@relay.example:bob@example.org>", 0, ARGS_OK, "bob",
		    "example.org", 0 },
		{ "TO:<\xc3\xa9@example.org>", 1, ARGS_OK, "\xc3\xa9",
		    "example.org", 0 },
		{ "TO:<\xc3\xa9@example.org>", 0, ARGS_SYNTAX, NULL, NULL, 0 },
		{ "TO:<>", 0, ARGS_SYNTAX, NULL, NULL, 0 },
		{ "TO:<bob>", 0, ARGS_SYNTAX, NULL, NULL, 0 },
		{ "TO:<postmasterx>", 0, ARGS_SYNTAX, NULL, NULL, 0 },
		{ "TO:bob@example.org", 0, ARGS_SYNTAX, NULL, NULL, 0 },
		{ "FROM:<bob@example.org>", 0, ARGS_SYNTAX, NULL, NULL, 0 },
		{ "TO:<bob@example.org>x", 0, ARGS_SYNTAX, NULL, NULL, 0 },
		{ "TO:<bob@example.org> ", 0, ARGS_SYNTAX, NULL, NULL, 0 },
		{ "TO:<bob@exa\nmple.org>", 0, ARGS_SYNTAX, NULL, NULL, 0 },
		{ "TO:<bob@example.org> X-NOTIFY=NEVER", 0, ARGS_UNKNOWN,
		    NULL, NULL, 0 },
		{ "TO:<bob@example.org> NOTIFY=NEVER ", 0, ARGS_SYNTAX, NULL,
		    NULL, 0 },
		{ "TO:<bob@example.org>  NOTIFY=NEVER", 0, ARGS_SYNTAX, NULL,
		    NULL, 0 },
		{ "TO:<bob@example.org> SIZE=1", 0, ARGS_UNKNOWN, NULL, NULL,
		    0 },
	};
	struct rcpt_args r;
	const char *err;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc;

		err = NULL;
		rc = cmd_parse_rcpt(t[i].in, strlen(t[i].in), t[i].utf8, &r,
		    &err);
		ATF_CHECK_EQ_MSG(rc, t[i].rc, "case %zu (%s): rc %d (%s)", i,
		    t[i].in, rc, err ? err : "NULL");
		ATF_CHECK_MSG(err != NULL, "case %zu: no error text", i);
		if (rc != ARGS_OK || t[i].rc != ARGS_OK)
			continue;
		ATF_CHECK_STREQ_MSG(r.addr.local, t[i].local, "case %zu", i);
		ATF_CHECK_STREQ_MSG(r.addr.domain, t[i].domain, "case %zu", i);
		ATF_CHECK_EQ_MSG(r.is_postmaster, t[i].pm, "case %zu", i);
	}
	/* too long is 553 for recipients too */
	make_long();
	ATF_CHECK_EQ(cmd_parse_rcpt(long_local + 2, strlen(long_local + 2), 0,
	    &r, &err), ARGS_SYNTAX);	/* "OM:<": not TO: */
	memcpy(long_local + 2, "TO:<", 4);
	ATF_CHECK_EQ(cmd_parse_rcpt(long_local + 2, strlen(long_local + 2), 0,
	    &r, &err), ARGS_TOOLONG);
	ATF_CHECK_STREQ(err, "recipient address too long");
}

ATF_TC_WITHOUT_HEAD(bdat);
ATF_TC_BODY(bdat, tc)
{
	static const struct {
		const char		*in;
		int			 rc;
		unsigned long long	 size;
		int			 last;
	} t[] = {
		{ "1000", 0, 1000, 0 },
		{ "0 LAST", 0, 0, 1 },
		{ "12 last", 0, 12, 1 },
		{ "18446744073709551615 LAST", 0, 18446744073709551615ULL, 1 },
		{ "18446744073709551616", -1, 0, 0 },
		{ "000000000000000000001", -1, 0, 0 },
		{ "", -1, 0, 0 },
		{ "LAST", -1, 0, 0 },
		{ " 10", -1, 0, 0 },
		{ "10 ", -1, 0, 0 },
		{ "10  LAST", -1, 0, 0 },
		{ "10 LAST ", -1, 0, 0 },
		{ "10 LASTX", -1, 0, 0 },
		{ "-1", -1, 0, 0 },
		{ "+1", -1, 0, 0 },
		{ "0x10", -1, 0, 0 },
	};
	unsigned long long size;
	size_t i;
	int last;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = cmd_parse_bdat(t[i].in, strlen(t[i].in), &size, &last);

		ATF_CHECK_EQ_MSG(rc, t[i].rc, "case %zu (%s)", i, t[i].in);
		if (rc == 0 && t[i].rc == 0) {
			ATF_CHECK_EQ_MSG(size, t[i].size, "case %zu", i);
			ATF_CHECK_EQ_MSG(last, t[i].last, "case %zu", i);
		}
	}
}

/*
 * dsn_rc - case i's rc against the one it wants, and on ARGS_PARAM the
 * start of its reason: 1 when both are ARGS_OK, for the values' checks.
 */
static int
dsn_rc(size_t i, const char *in, int rc, int want, const char *err,
    const char *why)
{
	ATF_CHECK_EQ_MSG(rc, want, "case %zu (%s): rc %d (%s)", i, in, rc,
	    err ? err : "NULL");
	if (rc == ARGS_PARAM && want == ARGS_PARAM)
		ATF_CHECK_MSG(strncmp(err, why, strlen(why)) == 0,
		    "case %zu: %s", i, err);
	return rc == ARGS_OK && want == ARGS_OK;
}

/* RET and ENVID (RFC 3461): taken, or 501 5.5.4 with dsnparam's reason */
ATF_TC_WITHOUT_HEAD(mail_dsn);
ATF_TC_BODY(mail_dsn, tc)
{
	static const struct {
		const char	*in;
		int		 rc;
		char		 ret;
		const char	*envid;
		const char	*err;	/* on ARGS_PARAM: its start */
	} t[] = {
		{ "FROM:<a@b.example> RET=HDRS", ARGS_OK, DSN_RET_HDRS, "",
		    NULL },
		{ "FROM:<a@b.example> ret=full ENVID=QQ314159", ARGS_OK,
		    DSN_RET_FULL, "QQ314159", NULL },
		{ "FROM:<a@b.example> SIZE=10 envid=a+2Bb RET=FULL BODY=7BIT",
		    ARGS_OK, DSN_RET_FULL, "a+2Bb", NULL },
		{ "FROM:<> ENVID=x", ARGS_OK, 0, "x", NULL },
		{ "FROM:<a@b.example> RET=HDRS RET=HDRS", ARGS_PARAM, 0, NULL,
		    "duplicate RET" },
		{ "FROM:<a@b.example> ENVID=x ENVID=y", ARGS_PARAM, 0, NULL,
		    "duplicate ENVID" },
		{ "FROM:<a@b.example> RET=ALL", ARGS_PARAM, 0, NULL,
		    "RET takes" },
		{ "FROM:<a@b.example> RET", ARGS_PARAM, 0, NULL, "RET takes" },
		{ "FROM:<a@b.example> RET=", ARGS_PARAM, 0, NULL,
		    "RET takes" },
		{ "FROM:<a@b.example> ENVID=", ARGS_PARAM, 0, NULL,
		    "ENVID takes" },
		{ "FROM:<a@b.example> ENVID=a+2", ARGS_PARAM, 0, NULL,
		    "ENVID takes" },
		{ "FROM:<a@b.example> ENVID=a+0D", ARGS_PARAM, 0, NULL,
		    "ENVID takes" },
		{ "FROM:<a@b.example> ENVID=a=b", ARGS_PARAM, 0, NULL,
		    "ENVID takes" },
		{ "FROM:<a@b.example> ENVID=\xc3\xa9", ARGS_PARAM, 0, NULL,
		    "ENVID takes" },
	};
	char big[200];
	struct mail_args m;
	const char *err;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err = NULL;
		rc = cmd_parse_mail(t[i].in, strlen(t[i].in), 0, &m, &err);
		if (!dsn_rc(i, t[i].in, rc, t[i].rc, err, t[i].err))
			continue;
		ATF_CHECK_EQ_MSG(m.dsn.ret, t[i].ret, "case %zu", i);
		ATF_CHECK_STREQ_MSG(m.dsn.envid, t[i].envid, "case %zu", i);
	}
	/* ENVID: 100 octets of xtext, not 101 */
	snprintf(big, sizeof(big), "FROM:<a@b.example> ENVID=%0100d", 7);
	ATF_CHECK_EQ(cmd_parse_mail(big, strlen(big), 0, &m, &err), ARGS_OK);
	ATF_CHECK_EQ(strlen(m.dsn.envid), 100);
	snprintf(big, sizeof(big), "FROM:<a@b.example> ENVID=%0101d", 7);
	ATF_CHECK_EQ(cmd_parse_mail(big, strlen(big), 0, &m, &err),
	    ARGS_PARAM);
}

/* NOTIFY and ORCPT (RFC 3461), beside the recipient */
ATF_TC_WITHOUT_HEAD(rcpt_dsn);
ATF_TC_BODY(rcpt_dsn, tc)
{
	static const struct {
		const char	*in;
		int		 rc;
		unsigned	 notify;
		const char	*orcpt;
		const char	*err;	/* on ARGS_PARAM: its start */
	} t[] = {
		{ "TO:<bob@example.org> NOTIFY=NEVER", ARGS_OK,
		    DSN_NOTIFY_NEVER, "", NULL },
		{ "TO:<bob@example.org> NOTIFY=delay,Success "
		    "ORCPT=rfc822;Bob+40example.org", ARGS_OK,
		    DSN_NOTIFY_DELAY | DSN_NOTIFY_SUCCESS,
		    "rfc822;Bob+40example.org", NULL },
		{ "TO:<Postmaster> orcpt=rfc822;postmaster NOTIFY=FAILURE",
		    ARGS_OK, DSN_NOTIFY_FAILURE, "rfc822;postmaster", NULL },
		{ "TO:<bob@example.org> NOTIFY=NEVER NOTIFY=NEVER",
		    ARGS_PARAM, 0, NULL, "duplicate NOTIFY" },
		{ "TO:<bob@example.org> ORCPT=rfc822;a ORCPT=rfc822;a",
		    ARGS_PARAM, 0, NULL, "duplicate ORCPT" },
		{ "TO:<bob@example.org> NOTIFY=NEVER,SUCCESS", ARGS_PARAM, 0,
		    NULL, "NOTIFY takes" },
		{ "TO:<bob@example.org> NOTIFY=SUCCESS,SUCCESS", ARGS_PARAM,
		    0, NULL, "NOTIFY takes" },
		{ "TO:<bob@example.org> NOTIFY=SUCCESS,", ARGS_PARAM, 0, NULL,
		    "NOTIFY takes" },
		{ "TO:<bob@example.org> NOTIFY=", ARGS_PARAM, 0, NULL,
		    "NOTIFY takes" },
		{ "TO:<bob@example.org> NOTIFY", ARGS_PARAM, 0, NULL,
		    "NOTIFY takes" },
		{ "TO:<bob@example.org> ORCPT=bob@example.org", ARGS_PARAM, 0,
		    NULL, "ORCPT takes" },
		{ "TO:<bob@example.org> ORCPT=rfc822;", ARGS_PARAM, 0, NULL,
		    "ORCPT takes" },
		{ "TO:<bob@example.org> ORCPT=;bob", ARGS_PARAM, 0, NULL,
		    "ORCPT takes" },
		{ "TO:<bob@example.org> ORCPT=rfc822;a=b", ARGS_PARAM, 0,
		    NULL, "ORCPT takes" },
	};
	char big[700];
	struct rcpt_args r;
	const char *err;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err = NULL;
		rc = cmd_parse_rcpt(t[i].in, strlen(t[i].in), 0, &r, &err);
		if (!dsn_rc(i, t[i].in, rc, t[i].rc, err, t[i].err))
			continue;
		ATF_CHECK_EQ_MSG(r.dsn.notify, t[i].notify, "case %zu", i);
		ATF_CHECK_STREQ_MSG(r.dsn.orcpt, t[i].orcpt, "case %zu", i);
	}
	ATF_CHECK_EQ(cmd_parse_rcpt("TO:<Postmaster> NOTIFY=NEVER", 28, 0, &r,
	    &err), ARGS_OK);
	ATF_CHECK_EQ(r.is_postmaster, 1);
	/* ORCPT: 500 octets in all, not 501 */
	snprintf(big, sizeof(big), "TO:<bob@example.org> ORCPT=rfc822;%0493d",
	    7);
	ATF_CHECK_EQ(cmd_parse_rcpt(big, strlen(big), 0, &r, &err), ARGS_OK);
	ATF_CHECK_EQ(strlen(r.dsn.orcpt), 500);
	snprintf(big, sizeof(big), "TO:<bob@example.org> ORCPT=rfc822;%0494d",
	    7);
	ATF_CHECK_EQ(cmd_parse_rcpt(big, strlen(big), 0, &r, &err),
	    ARGS_PARAM);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, split);
	ATF_TP_ADD_TC(tp, mail);
	ATF_TP_ADD_TC(tp, mail_limits);
	ATF_TP_ADD_TC(tp, rcpt);
	ATF_TP_ADD_TC(tp, mail_dsn);
	ATF_TP_ADD_TC(tp, rcpt_dsn);
	ATF_TP_ADD_TC(tp, bdat);
	return atf_no_error();
}
