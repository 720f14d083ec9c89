/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * mime7_test - tests of send/mime7.c, the 8-bit to 7-bit conversion
 * remote makes for a server without 8BITMIME: whole messages in, the
 * exact bytes out (or the refusal), and the quoted-printable encoder's
 * rules.  tests/remote/client_test:server_limits and
 * postfix_test:seven_bit check deliveries through real servers.
 */
#include <atf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime7.h"
#include "sa.h"
#include "lsan_atf.h"

/* convert - msg converted: NULL and *why set when refused */
static char *
convert(const char *msg, const char **why)
{
	struct sa out = SA_INIT;
	int r;

	*why = NULL;
	r = mime7_convert(msg, strlen(msg), &out, why);
	ATF_REQUIRE(r == 0 || r == 1);
	if (r == 1) {
		ATF_REQUIRE(*why != NULL);
		sa_free(&out);
		return NULL;
	}
	ATF_REQUIRE(sa_0(&out) == 0);
	return out.s != NULL ? out.s : strdup("");
}

/* expect - msg converts to want exactly */
static void
expect(const char *msg, const char *want)
{
	const char *why;
	char *got = convert(msg, &why);

	if (got == NULL)
		atf_tc_fail("refused (%s): %s", why, msg);
	if (strcmp(got, want) != 0)
		atf_tc_fail("converted\n%s\nto\n%s\nwanted\n%s", msg, got, want);
	free(got);
}

/* expect_refused - msg is refused with a reason containing word */
static void
expect_refused(const char *msg, const char *word)
{
	const char *why;
	char *got = convert(msg, &why);

	if (got != NULL)
		atf_tc_fail("not refused: %s\ngot\n%s", msg, got);
	ATF_CHECK_MSG(strstr(why, word) != NULL, "reason \"%s\" lacks \"%s\"",
	    why, word);
}

/* qp - p encoded alone */
static char *
qp(const char *p)
{
	struct sa out = SA_INIT;

	ATF_REQUIRE(mime7_qp(&out, p, strlen(p)) == 0);
	ATF_REQUIRE(sa_0(&out) == 0);
	return out.s != NULL ? out.s : strdup("");
}

ATF_TC_WITHOUT_HEAD(seven_bit_unchanged);
ATF_TC_BODY(seven_bit_unchanged, tc)
{
	expect("Subject: a\n\nplain\n", "Subject: a\n\nplain\n");
	expect("", "");
	/* 7-bit parts are never touched, even under odd headers */
	expect("Content-Type: multipart/mixed\n\n--x\n\nhi\n",
	    "Content-Type: multipart/mixed\n\n--x\n\nhi\n");
}

ATF_TC_WITHOUT_HEAD(not_mime);
ATF_TC_BODY(not_mime, tc)
{
	/* RFC 1428: MIME-Version and a charset nobody can know are added */
	expect("Subject: s\n\ncaf\xc3\xa9\n",
	    "Subject: s\nContent-Transfer-Encoding: quoted-printable\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=unknown-8bit\n\n"
	    "caf=C3=A9\n");
	/* a Content-Type without MIME-Version keeps its own */
	expect("Content-Type: text/plain; charset=latin1\n\n\xe9\n",
	    "Content-Type: text/plain; charset=latin1\n"
	    "Content-Transfer-Encoding: quoted-printable\n"
	    "MIME-Version: 1.0\n\n=E9\n");
	/* CRLF line ends: the header keeps them, the body's become LF */
	expect("Subject: s\r\n\r\n\xff\r\nx\r\n",
	    "Subject: s\r\nContent-Transfer-Encoding: quoted-printable\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=unknown-8bit\n\r\n"
	    "=FF\nx\n");
}

ATF_TC_WITHOUT_HEAD(single_part);
ATF_TC_BODY(single_part, tc)
{
	/* the 8bit field is replaced where it stood, folded lines too */
	expect("MIME-Version: 1.0\nContent-Transfer-Encoding:\n 8bit\n"
	    "Content-Type: text/plain; charset=utf-8\n\n\xc3\xbc=\n",
	    "MIME-Version: 1.0\n"
	    "Content-Transfer-Encoding: quoted-printable\n"
	    "Content-Type: text/plain; charset=utf-8\n\n=C3=BC=3D\n");
	/* a second one goes; any case; "binary" too */
	expect("MIME-Version: 1.0\ncontent-transfer-encoding: BINARY\n"
	    "Content-Transfer-Encoding: 8bit\nX: y\n\n\x80",
	    "MIME-Version: 1.0\n"
	    "Content-Transfer-Encoding: quoted-printable\nX: y\n\n=80");
}

ATF_TC_WITHOUT_HEAD(multipart);
ATF_TC_BODY(multipart, tc)
{
	/* only the 8-bit part changes; the line end before a delimiter
	   stays the delimiter's; transport padding is a delimiter */
	expect("MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"b 1\"\n"
	    "Content-Transfer-Encoding: 8bit\n\npreamble\n"
	    "--b 1\nContent-Type: text/plain\n\n\xe9t\xe9\n"
	    "--b 1  \nContent-Type: application/octet-stream\n"
	    "Content-Transfer-Encoding: base64\n\nAAAA\n"
	    "--b 1--\nepilogue\n",
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"b 1\"\n"
	    "Content-Transfer-Encoding: 7bit\n\npreamble\n"
	    "--b 1\nContent-Type: text/plain\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n=E9t=E9\n"
	    "--b 1  \nContent-Type: application/octet-stream\n"
	    "Content-Transfer-Encoding: base64\n\nAAAA\n"
	    "--b 1--\nepilogue\n");
	/* nested, comments in the field, a missing close delimiter */
	expect("Content-Type: (c) multipart/mixed (x); boundary=o\n\n"
	    "--o\nContent-Type: multipart/alternative;\n boundary=i\n\n"
	    "--i\n\n\xfe\n--i--\n--o\n\nplain",
	    "Content-Type: (c) multipart/mixed (x); boundary=o\n\n"
	    "--o\nContent-Type: multipart/alternative;\n boundary=i\n\n"
	    "--i\nContent-Transfer-Encoding: quoted-printable\n\n=FE\n"
	    "--i--\n--o\n\nplain");
	/* a digest's parts are messages (RFC 2046 5.1.5) */
	expect("Content-Type: multipart/digest; boundary=d\n\n--d\n\n"
	    "Subject: in\n\n\xa0\n--d--\n",
	    "Content-Type: multipart/digest; boundary=d\n\n--d\n\n"
	    "Subject: in\nContent-Transfer-Encoding: quoted-printable\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=unknown-8bit\n\n=A0\n"
	    "--d--\n");
}

ATF_TC_WITHOUT_HEAD(message_rfc822);
ATF_TC_BODY(message_rfc822, tc)
{
	expect("MIME-Version: 1.0\nContent-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: 8bit\n\n"
	    "MIME-Version: 1.0\nSubject: inner\n\n\xc3\xa9\n",
	    "MIME-Version: 1.0\nContent-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: 7bit\n\n"
	    "MIME-Version: 1.0\nSubject: inner\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n=C3=A9\n");
}

ATF_TC_WITHOUT_HEAD(refused);
ATF_TC_BODY(refused, tc)
{
	char *deep;
	size_t i;

	expect_refused("Subject: caf\xc3\xa9\n\nx\n", "header");
	expect_refused("Subject: a\n\xc3\xa9: b\n", "header");
	expect_refused("Content-Transfer-Encoding: base64\n\n\xff\n",
	    "already encoded");
	expect_refused("Content-Transfer-Encoding: quoted-printable\n\n\xff",
	    "already encoded");
	expect_refused("Content-Transfer-Encoding: x-uuencode\n\n\xff",
	    "unknown");
	expect_refused("Content-Transfer-Encoding: 8bit 8bit\n\n\xff",
	    "unknown");
	expect_refused("Content-Type: multipart/mixed\n\n\xff", "boundary");
	expect_refused("Content-Type: multipart/mixed; boundary=b\n"
	    "Content-Transfer-Encoding: base64\n\n--b\n\n\xff", "multipart");
	expect_refused("Content-Type: multipart/mixed; boundary=b\n\n"
	    "\xff\n--b\n\nx\n--b--\n", "preamble");
	expect_refused("Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\n\nx\n--b--\n\xff", "epilogue");
	expect_refused("Content-Type: multipart/mixed; boundary=b\n\n"
	    "no delimiter \xff\n", "preamble");
	expect_refused("Content-Type: message/partial\n\n\xff", "message/");
	expect_refused("Content-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: base64\n\n\xff", "message/rfc822");
	expect_refused("Content-Type: message/rfc822\n\nSubject: \xff\n\nx",
	    "header");

	/* message/rfc822 inside message/rfc822 ... deeper than allowed */
	deep = calloc(MIME7_DEPTH + 2, 32);
	ATF_REQUIRE(deep != NULL);
	for (i = 0; i < MIME7_DEPTH + 1; i++)
		(void)strcat(deep, "Content-Type: message/rfc822\n\n");
	(void)strcat(deep, "\n\xff");
	expect_refused(deep, "nested");
	free(deep);
}

ATF_TC_WITHOUT_HEAD(quoted_printable);
ATF_TC_BODY(quoted_printable, tc)
{
	char line[200], *got, *nl;
	size_t i;

	got = qp("a = b\t\n trailing \nbare\rcr\r\n\x01");
	ATF_CHECK_STREQ(got, "a =3D b=09\n trailing=20\nbare=0Dcr\n=01");
	free(got);
	got = qp("tab\tin");
	ATF_CHECK_STREQ(got, "tab\tin");
	free(got);

	/* 100 x: 75 and a soft break, then 25 */
	memset(line, 'x', 100);
	line[100] = '\0';
	got = qp(line);
	ATF_CHECK(strlen(got) == 102 && strncmp(got + 75, "=\n", 2) == 0);
	free(got);
	/* exactly 76 fit on one line, with no soft break */
	line[76] = '\0';
	got = qp(line);
	ATF_CHECK(strchr(got, '=') == NULL);
	free(got);

	/* no =XX is cut by a soft break, and no line passes 76 */
	memset(line, '\xff', 120);
	line[120] = '\0';
	got = qp(line);
	for (i = 0, nl = got; nl != NULL; i++) {
		char *e = strchr(nl, '\n');
		size_t n = e != NULL ? (size_t)(e - nl) : strlen(nl);

		ATF_CHECK(n <= MIME7_LINE);
		ATF_CHECK(n % 3 == 0 || (n % 3 == 1 && nl[n - 1] == '='));
		nl = e != NULL ? e + 1 : NULL;
	}
	ATF_CHECK(i == 5);	/* 25 a line, with the "=": 25, 25, 25, 25, 20 */
	free(got);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, seven_bit_unchanged);
	ATF_TP_ADD_TC(tp, not_mime);
	ATF_TP_ADD_TC(tp, single_part);
	ATF_TP_ADD_TC(tp, multipart);
	ATF_TP_ADD_TC(tp, message_rfc822);
	ATF_TP_ADD_TC(tp, refused);
	ATF_TP_ADD_TC(tp, quoted_printable);
	return 0;
}
