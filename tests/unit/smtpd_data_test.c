/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_data_test - table-driven tests of smtpd/smtpd_data.c: the DATA
 * and BDAT byte state machine.  Every case is fed whole, one octet at
 * a time, and split in two at every offset, and must give the same
 * result each way.  Hostile input: the SMTP smuggling variants (bare
 * LF and bare CR around a dot), NUL, long lines, Received: loops,
 * oversize messages, and commands pipelined after the end.
 */
#include <atf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sa.h"
#include "smtpd_data.h"
#include "lsan_atf.h"

struct dcase {
	const char		*in;
	size_t			 len;	/* 0: strlen(in) */
	int			 dot_mode;
	unsigned long long	 max;
	int			 want_rc;
	size_t			 want_used;	/* when want_rc is 1 */
	const char		*want_out;	/* NULL: don't check */
	int			 want_flags;
};

#define S(x)	x, sizeof(x) - 1

struct result {
	int		 rc;
	size_t		 used;
	struct sa	 out;
	struct data	 d;
};

/*
 * feed - feed in[0..n) in pieces: split at each offset in cuts (sorted,
 * ncuts of them); stop at the end marker.  BDAT: data_end_chunks after.
 */
static void
feed(const struct dcase *c, const char *in, size_t n, const size_t *cuts,
    size_t ncuts, struct result *r)
{
	size_t off = 0, i, end, used;

	memset(r, 0, sizeof(*r));
	data_init(&r->d, c->dot_mode, c->max);
	r->rc = 0;
	for (i = 0; i <= ncuts; i++) {
		end = i < ncuts ? cuts[i] : n;
		if (end < off)
			continue;
		r->rc = data_feed(&r->d, in + off, end - off, &used, &r->out);
		ATF_REQUIRE(r->rc != -1);
		ATF_REQUIRE(used <= end - off);
		off += used;
		if (r->rc == 1)
			break;
		ATF_REQUIRE_EQ(used, end - off + used);
	}
	r->used = off;
	if (!c->dot_mode)
		data_end_chunks(&r->d, &r->out);
}

static void
same(const struct result *a, const struct result *b, size_t ci,
    const char *how)
{
	ATF_CHECK_EQ_MSG(a->rc, b->rc, "case %zu %s: rc", ci, how);
	ATF_CHECK_EQ_MSG(a->used, b->used, "case %zu %s: used", ci, how);
	ATF_CHECK_EQ_MSG(a->d.flags, b->d.flags, "case %zu %s: flags", ci,
	    how);
	ATF_CHECK_EQ_MSG(a->d.size, b->d.size, "case %zu %s: size", ci, how);
	ATF_CHECK_MSG(a->out.len == b->out.len && (a->out.len == 0 ||
	    memcmp(a->out.s, b->out.s, a->out.len) == 0),
	    "case %zu %s: output differs", ci, how);
}

/* run - each case whole, octet by octet, and cut once at every offset. */
static void
run(const struct dcase *t, size_t nt)
{
	size_t ci, i, n, *cuts;
	struct result whole, part;

	for (ci = 0; ci < nt; ci++) {
		const struct dcase *c = &t[ci];

		n = c->len ? c->len : strlen(c->in);
		feed(c, c->in, n, NULL, 0, &whole);
		ATF_CHECK_EQ_MSG(whole.rc, c->want_rc, "case %zu: rc %d",
		    ci, whole.rc);
		ATF_CHECK_EQ_MSG(whole.d.flags, c->want_flags,
		    "case %zu: flags %#x want %#x", ci, whole.d.flags,
		    c->want_flags);
		if (c->want_rc == 1)
			ATF_CHECK_EQ_MSG(whole.used, c->want_used,
			    "case %zu: used %zu", ci, whole.used);
		else
			ATF_CHECK_EQ_MSG(whole.used, n, "case %zu: used", ci);
		if (c->want_out != NULL) {
			ATF_CHECK_MSG(whole.out.len == strlen(c->want_out) &&
			    memcmp(whole.out.s ? whole.out.s : "",
			    c->want_out, whole.out.len) == 0,
			    "case %zu: output \"%.*s\"", ci,
			    (int)whole.out.len, whole.out.s);
		}
		ATF_CHECK_EQ_MSG(whole.d.size, whole.out.len, "case %zu", ci);
		ATF_CHECK_MSG(whole.out.len == 0 ||
		    memchr(whole.out.s, '\r', whole.out.len) == NULL,
		    "case %zu: CR in output", ci);

		ATF_REQUIRE((cuts = calloc(n + 1, sizeof(*cuts))) != NULL);
		for (i = 0; i < n; i++)
			cuts[i] = i + 1;
		feed(c, c->in, n, cuts, n, &part);
		same(&whole, &part, ci, "octet by octet");
		sa_free(&part.out);
		for (i = 0; i <= n; i++) {
			cuts[0] = i;
			feed(c, c->in, n, cuts, 1, &part);
			same(&whole, &part, ci, "cut in two");
			sa_free(&part.out);
		}
		free(cuts);
		sa_free(&whole.out);
	}
}

ATF_TC_WITHOUT_HEAD(dot_basic);
ATF_TC_BODY(dot_basic, tc)
{
	static const struct dcase t[] = {
		{ S("Subject: x\r\n\r\nbody\r\n.\r\n"), 1, 0, 1, 23,
		    "Subject: x\n\nbody\n", 0 },
		/* the empty message: DATA's CRLF is the one before */
		{ S(".\r\n"), 1, 0, 1, 3, "", 0 },
		{ S("\r\n.\r\n"), 1, 0, 1, 5, "\n", 0 },
		/* dot-stuffing: one leading dot removed, others kept */
		{ S("..\r\n...x\r\n.y.\r\n.\r\n"), 1, 0, 1, 18,
		    ".\n..x\ny.\n", 0 },
		/* pipelined: the rest is the next command */
		{ S("a\r\n.\r\nQUIT\r\n"), 1, 0, 1, 6, "a\n", 0 },
		{ S("a\r\n.\r\n.\r\n"), 1, 0, 1, 6, "a\n", 0 },
		/* not ended yet */
		{ S("a\r\n."), 1, 0, 0, 0, "a\n", 0 },
		{ S("a\r\n.\r"), 1, 0, 0, 0, "a\n", 0 },
		{ S("a\r"), 1, 0, 0, 0, "a", 0 },
		{ S("a\r\n. \r\n"), 1, 0, 0, 0, "a\n \n", 0 },
		{ S("a.\r\n"), 1, 0, 0, 0, "a.\n", 0 },
		{ S(""), 1, 0, 0, 0, "", 0 },
		/* UTF-8 and 8-bit octets pass through */
		{ S("\xc3\xa9\xff\r\n.\r\n"), 1, 0, 1, 8, "\xc3\xa9\xff\n",
		    0 },
	};

	run(t, sizeof(t) / sizeof(t[0]));
}

/*
 * The smuggling class (CVE-2023-51764 and friends): a bare LF or CR
 * near a dot never ends the message, so the "commands" after it are
 * data; only the real CRLF.CRLF ends it, and the message is flagged.
 */
ATF_TC_WITHOUT_HEAD(smuggling);
ATF_TC_BODY(smuggling, tc)
{
	static const char *const variants[] = {
		"\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r", "\r\n.\r", "\r.\r\n",
		".\n", "\r\n.\r\r\n", "\n.\r", "\r\n\n.\r\n",
	};
	static const int want[] = {
		DATA_BARE_LF, DATA_BARE_LF, DATA_BARE_LF, DATA_BARE_CR,
		DATA_BARE_CR, DATA_BARE_CR, DATA_BARE_LF, DATA_BARE_CR,
		DATA_BARE_LF | DATA_BARE_CR, DATA_BARE_LF,
	};
	/* the output stops at the first bad octet */
	static const char *const out[] = {
		"", "", "\n", "", "\n", "", ".", "\n", "", "\n",
	};
	char wout[sizeof(variants) / sizeof(variants[0])][40];
	static char in[sizeof(variants) / sizeof(variants[0])][200];
	struct dcase t[sizeof(variants) / sizeof(variants[0])];
	const char *after = "MAIL FROM:<evil@example.org>\r\n"
	    "RCPT TO:<victim@example.org>\r\nDATA\r\nsmuggled\r\n";
	size_t i, n;

	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		n = (size_t)snprintf(in[i], sizeof(in[i]),
		    "Subject: s\r\n\r\nbody%s%s.\r\nRSET\r\n", variants[i],
		    after);
		ATF_REQUIRE(n < sizeof(in[i]));
		memset(&t[i], 0, sizeof(t[i]));
		t[i].in = in[i];
		t[i].dot_mode = 1;
		t[i].want_rc = 1;
		t[i].want_used = n - strlen("RSET\r\n");
		t[i].want_flags = want[i];
		snprintf(wout[i], sizeof(wout[i]), "Subject: s\n\nbody%s",
		    out[i]);
		t[i].want_out = wout[i];
	}
	/* the variants with their dot cut at the end of a piece are in run() */
	run(t, sizeof(t) / sizeof(t[0]));
}

ATF_TC_WITHOUT_HEAD(bad_octets);
ATF_TC_BODY(bad_octets, tc)
{
	static const struct dcase t[] = {
		{ "a\0b\r\n.\r\n", 8, 1, 0, 1, 8, "a", DATA_NUL },
		{ "\0\r\n.\r\n", 6, 1, 0, 1, 6, "", DATA_NUL },
		{ S("a\nb\r\n.\r\n"), 1, 0, 1, 8, "a", DATA_BARE_LF },
		{ S("a\rb\r\n.\r\n"), 1, 0, 1, 8, "a", DATA_BARE_CR },
		{ S("a\r\r\n.\r\n"), 1, 0, 1, 7, "a", DATA_BARE_CR },
		{ S("\n.\r\n"), 1, 0, 0, 0, "", DATA_BARE_LF },
		{ S("\r\r\n.\r\n"), 1, 0, 1, 6, "", DATA_BARE_CR },
		/* once bad, the output stops but the end is still found */
		{ "a\nb\0c\r\n.\r\nNOOP\r\n", 15, 1, 0, 1, 10, "a",
		    DATA_BARE_LF | DATA_NUL },
	};

	run(t, sizeof(t) / sizeof(t[0]));
}

ATF_TC_WITHOUT_HEAD(bdat);
ATF_TC_BODY(bdat, tc)
{
	static const struct dcase t[] = {
		/* no end marker, no unstuffing */
		{ S("a\r\n.\r\n..b\r\n"), 0, 0, 0, 0, "a\n.\n..b\n", 0 },
		{ S("last line without CRLF"), 0, 0, 0, 0,
		    "last line without CRLF", 0 },
		{ S("a\r\nb"), 0, 0, 0, 0, "a\nb", 0 },
		/* a CR left at the end of the last chunk was bare */
		{ S("a\r"), 0, 0, 0, 0, "a", DATA_BARE_CR },
		{ S("a\nb"), 0, 0, 0, 0, "a", DATA_BARE_LF },
		{ S(""), 0, 0, 0, 0, "", 0 },
		{ S("xyz"), 0, 2, 0, 0, "xy", DATA_TOO_BIG },
		{ S("Received: a\r\n"), 0, 0, 0, 0, "Received: a\n", 0 },
	};

	run(t, sizeof(t) / sizeof(t[0]));
}

ATF_TC_WITHOUT_HEAD(size_limit);
ATF_TC_BODY(size_limit, tc)
{
	static const struct dcase t[] = {
		/* "abc\n" is 4 octets of output */
		{ S("abc\r\n.\r\n"), 1, 4, 1, 8, "abc\n", 0 },
		{ S("abc\r\n.\r\n"), 1, 3, 1, 8, "abc", DATA_TOO_BIG },
		{ S("abcd\r\n.\r\n"), 1, 3, 1, 9, "abc", DATA_TOO_BIG },
		/* the stuffing dot is not output, so not counted */
		{ S(".abc\r\n.\r\n"), 1, 4, 1, 9, "abc\n", 0 },
		{ S("abc\r\n.\r\n"), 1, 1, 1, 8, "a", DATA_TOO_BIG },
	};

	run(t, sizeof(t) / sizeof(t[0]));
}

/* line - a wire line of n octets, CRLF included, in buf. */
static char *
line(char *buf, size_t n, char lead)
{
	memset(buf, 'x', n - 2);
	buf[0] = lead;
	memcpy(buf + n - 2, "\r\n.\r\n", 6);
	return buf;
}

ATF_TC_WITHOUT_HEAD(long_lines);
ATF_TC_BODY(long_lines, tc)
{
	static char l1000[1010], l1001[1010], d1000[1010], d1001[1010];
	struct dcase t[4];

	memset(t, 0, sizeof(t));
	/* 1000 octets with CRLF is the limit; 1001 is over */
	t[0].in = line(l1000, 1000, 'x');
	t[0].want_flags = 0;
	t[1].in = line(l1001, 1001, 'x');
	t[1].want_flags = DATA_LONG_LINE;
	/* the stuffing dot counts: the limit is on the wire form */
	t[2].in = line(d1000, 1000, '.');
	t[2].want_flags = 0;
	t[3].in = line(d1001, 1001, '.');
	t[3].want_flags = DATA_LONG_LINE;
	t[0].dot_mode = t[1].dot_mode = t[2].dot_mode = t[3].dot_mode = 1;
	t[0].want_rc = t[1].want_rc = t[2].want_rc = t[3].want_rc = 1;
	t[0].want_used = t[2].want_used = 1003;
	t[1].want_used = t[3].want_used = 1004;
	run(t, 4);
}

ATF_TC_WITHOUT_HEAD(received_loop);
ATF_TC_BODY(received_loop, tc)
{
	static char in100[2000], in101[2000], body[2000], cased[2000];
	struct dcase t[4];
	size_t i, o;

	memset(t, 0, sizeof(t));
	for (o = 0, i = 0; i < 100; i++, o += 13)
		memcpy(in100 + o, "Received: x\r\n", 13);
	memcpy(in100 + o, "\r\n.\r\n", 6);
	memcpy(in101, "received: y\r\n", 13);
	memcpy(in101 + 13, in100, strlen(in100) + 1);
	/* after the first empty line it is the body: not counted */
	memcpy(body, "Subject: b\r\n", 12);
	memcpy(body + 12, in100, 100 * 13);
	memcpy(body + 12 + 100 * 13, "\r\nReceived: z\r\n.\r\n", 19);
	/* a stuffed dot before it: ".Received:" unstuffs to one */
	memcpy(cased, ".RECEIVED: q\r\n", 14);
	memcpy(cased + 14, in100, strlen(in100) + 1);
	t[0].in = in100;
	t[0].want_flags = 0;
	t[1].in = in101;
	t[1].want_flags = DATA_LOOP;
	t[2].in = body;
	t[2].want_flags = 0;
	t[3].in = cased;
	t[3].want_flags = DATA_LOOP;
	for (i = 0; i < 4; i++) {
		t[i].dot_mode = 1;
		t[i].want_rc = 1;
		t[i].want_used = strlen(t[i].in);
	}
	run(t, 4);
}

ATF_TC_WITHOUT_HEAD(done_stays_done);
ATF_TC_BODY(done_stays_done, tc)
{
	struct data d;
	struct sa out = SA_INIT;
	size_t used;

	data_init(&d, 1, 0);
	ATF_CHECK_EQ(data_feed(&d, S("x\r\n.\r\nNOOP\r\n"), &used, &out), 1);
	ATF_CHECK_EQ(used, 6);
	ATF_CHECK_EQ(data_feed(&d, S("NOOP\r\n"), &used, &out), 1);
	ATF_CHECK_EQ(used, 0);
	ATF_CHECK_EQ(out.len, 2);
	sa_free(&out);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, dot_basic);
	ATF_TP_ADD_TC(tp, smuggling);
	ATF_TP_ADD_TC(tp, bad_octets);
	ATF_TP_ADD_TC(tp, bdat);
	ATF_TP_ADD_TC(tp, size_limit);
	ATF_TP_ADD_TC(tp, long_lines);
	ATF_TP_ADD_TC(tp, received_loop);
	ATF_TP_ADD_TC(tp, done_stays_done);
	return atf_no_error();
}
