/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * dkim_req_test - tests of queue/dkim_req.c, what the DKIM signer
 * parses from others: the request line, the header's one From, the
 * lines of control/dkim, the answer qinject checks; each with garbage,
 * truncation and hostile bytes besides the good forms.
 */
#include <atf-c.h>
#include <string.h>

#include "dkim_req.h"
#include "lsan_atf.h"

#define ID	"0123456789abcdef"

ATF_TC_WITHOUT_HEAD(request);
ATF_TC_BODY(request, tc)
{
	static const struct {
		const char	*line;
		int		 origin;	/* 0: refused */
	} t[] = {
		{ "qpdkim1 local " ID, DKIM_ORIGIN_LOCAL },
		{ "qpdkim1 auth " ID, DKIM_ORIGIN_AUTH },
		{ "qpdkim1 auth " ID "0", 0 },
		{ "qpdkim1 auth 0123456789abcde", 0 },
		{ "qpdkim1 auth 0123456789ABCDEF", 0 },
		{ "qpdkim1 root " ID, 0 },
		{ "qpdkim1  auth " ID, 0 },
		{ "qpdkim2 auth " ID, 0 },
		{ "qpdkim1 auth", 0 },
		{ "", 0 },
		{ "qpdkim1 local " ID "\r", 0 },
	};
	struct dkim_req r;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = dkim_req_parse(t[i].line, strlen(t[i].line), &r);

		ATF_CHECK_EQ_MSG(got, t[i].origin ? 0 : -1, "%s", t[i].line);
		if (got == 0) {
			ATF_CHECK_EQ(r.origin, t[i].origin);
			ATF_CHECK_STREQ(r.id, ID);
		}
	}
	/* a NUL inside: the length given counts, not the string */
	ATF_CHECK_EQ(dkim_req_parse("qpdkim1 auth " ID "\0x",
	    sizeof("qpdkim1 auth " ID "\0x") - 1, &r), -1);
}

ATF_TC_WITHOUT_HEAD(header_end);
ATF_TC_BODY(header_end, tc)
{
	ATF_CHECK_EQ(dkim_header_end("A: b\n\nbody", 10), 6);
	ATF_CHECK_EQ(dkim_header_end("A: b\r\n\r\nbody", 12), 8);
	ATF_CHECK_EQ(dkim_header_end("\nbody", 5), 1);
	ATF_CHECK_EQ(dkim_header_end("A: b\n", 5), 0);
	ATF_CHECK_EQ(dkim_header_end("A: b\n\r", 6), 0);
	ATF_CHECK_EQ(dkim_header_end("", 0), 0);
}

ATF_TC_WITHOUT_HEAD(from);
ATF_TC_BODY(from, tc)
{
	static const struct {
		const char	*hdr;
		const char	*want;	/* NULL: none */
	} t[] = {
		{ "From: alice@Example.TEST\n\n", "alice@example.test" },
		{ "Subject: x\nFROM: \"A B\" <Alice@Ex.test>\n", "Alice@ex.test" },
		{ "From: Alice\n <alice@example.test>\nTo: b@c\n",
		    "alice@example.test" },
		{ "From: a@b.test\r\nFrom: c@d.test\r\n\r\n", NULL },
		{ "From: a@b.test, c@d.test\n", NULL },
		{ "From: undisclosed\n", NULL },
		{ "From: a@\n", NULL },
		{ "From: @b.test\n", NULL },
		{ "From: a@b_c.test\n", NULL },
		{ "To: a@b.test\n\nFrom: x@y.test\n", NULL },
		{ "Subject: none\n", NULL },
		{ "", NULL },
	};
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = dkim_from_address(t[i].hdr, strlen(t[i].hdr), out,
		    sizeof(out));

		ATF_CHECK_EQ_MSG(r, t[i].want != NULL, "%s", t[i].hdr);
		if (r == 1 && t[i].want != NULL)
			ATF_CHECK_STREQ(out, t[i].want);
	}
	/* too long for the buffer: not signed rather than cut */
	ATF_CHECK_EQ(dkim_from_address("From: aaaaaaaaaaaaaaaaaaaa@b.test\n",
	    31, out, 8), 0);
}

ATF_TC_WITHOUT_HEAD(conf);
ATF_TC_BODY(conf, tc)
{
	static const char good[] =
	    "# keys\n"
	    "Example.TEST:sel\n"
	    "  example.test:ed_1:/etc/qpost/dkimkeys/ed.key  \n"
	    "\n"
	    "other.test:sel\n";
	static const char *const bad[] = {
	    "example.test\n", "example.test:\n", ":sel\n",
	    "exa mple.test:sel\n", "example.test:s/el\n",
	    "example.test:sel:\n", "example.test:sel:a b\n",
	    "example..test:sel\n", ".example.test:sel\n",
	    "example.test:.sel\n", "ok.test:sel\nbad_domain.test:sel\n",
	};
	struct dkim_key k[DKIM_SIG_MAX];
	size_t n, bad_line, i;

	ATF_REQUIRE_EQ(dkim_conf_keys(good, sizeof(good) - 1, "example.test",
	    k, DKIM_SIG_MAX, &n, &bad_line), 0);
	ATF_REQUIRE_EQ(n, 2);
	ATF_CHECK_STREQ(k[0].selector, "sel");
	ATF_CHECK_STREQ(k[0].keyfile, "dkimkeys/sel.example.test.key");
	ATF_CHECK_STREQ(k[1].selector, "ed_1");
	ATF_CHECK_STREQ(k[1].keyfile, "/etc/qpost/dkimkeys/ed.key");
	ATF_REQUIRE_EQ(dkim_conf_keys(good, sizeof(good) - 1, "none.test",
	    k, DKIM_SIG_MAX, &n, &bad_line), 0);
	ATF_CHECK_EQ(n, 0);
	/* at most max, the rest ignored */
	ATF_REQUIRE_EQ(dkim_conf_keys(good, sizeof(good) - 1, "example.test",
	    k, 1, &n, &bad_line), 0);
	ATF_CHECK_EQ(n, 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ATF_CHECK_EQ_MSG(dkim_conf_keys(bad[i], strlen(bad[i]),
		    "example.test", k, DKIM_SIG_MAX, &n, &bad_line), -1,
		    "%s", bad[i]);
		ATF_CHECK(bad_line >= 1);
	}
	ATF_CHECK_EQ(dkim_conf_keys("ok.test:sel\nbad_domain.test:sel\n", 32,
	    "ok.test", k, DKIM_SIG_MAX, &n, &bad_line), -1);
	ATF_CHECK_EQ(bad_line, 2);
	ATF_CHECK_EQ(n, 0);
}

ATF_TC_WITHOUT_HEAD(reply);
ATF_TC_BODY(reply, tc)
{
	static const char *const good[] = {
	    "DKIM-Signature: v=1; a=rsa-sha256;\n\tb=abc\n",
	    "DKIM-Signature: v=1; b=x\nDKIM-Signature: v=1; b=y\n",
	};
	static const char *const bad[] = {
	    "", "DKIM-Signature: v=1", "X-Other: y\n",
	    "DKIM-Signature: v=1\nX-Evil: y\n",
	    "DKIM-Signature: v=1\r\n",
	    "DKIM-Signature: v=1 \x80\n",
	    "DKIM-Signature: v=1\n\n",
	    "DKIM-Signature: v=1\nDKIM-Sig\n",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ATF_CHECK_MSG(dkim_reply_valid(good[i], strlen(good[i])),
		    "%s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ATF_CHECK_MSG(!dkim_reply_valid(bad[i], strlen(bad[i])),
		    "%s", bad[i]);
	/* a NUL inside */
	ATF_CHECK(!dkim_reply_valid("DKIM-Signature: a\0b\n", 20));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, request);
	ATF_TP_ADD_TC(tp, header_end);
	ATF_TP_ADD_TC(tp, from);
	ATF_TP_ADD_TC(tp, conf);
	ATF_TP_ADD_TC(tp, reply);
	return atf_no_error();
}
