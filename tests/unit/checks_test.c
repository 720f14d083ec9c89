/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * checks_test - tests of smtpd/checks.c (control/headerchecks and
 * control/bodychecks in Postfix's regexp-table form: the parser's
 * errors word for word, matching, $n, the actions) and smtpd/content.c
 * (the checks applied to a streaming message, its MIME parts and
 * attached messages): whole messages in, in pieces of several sizes,
 * the exact bytes out and what was decided for the message.
 */
#include <atf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "content.h"
#include "sa.h"
#include "lsan_atf.h"

/* what the log function was told, since the last filter() */
static struct {
	unsigned	header, body, unfit;
	char		subject[CONTENT_FIELD_MAX + 1];
	char		word[16];
	char		problem[128];
} seen;

static void
logged(void *arg, const char *where, const char *subject,
    const struct check_action *a, const char *problem)
{
	(void)arg;
	if (a == NULL) {
		seen.unfit++;
		(void)strlcpy(seen.problem, problem, sizeof(seen.problem));
	} else if (strcmp(where, "header") == 0)
		seen.header++;
	else {
		ATF_CHECK_STREQ(where, "body");
		seen.body++;
	}
	(void)strlcpy(seen.subject, subject, sizeof(seen.subject));
	(void)strlcpy(seen.word, a != NULL ? a->word : "", sizeof(seen.word));
}

/* table - text parsed into c, which must succeed */
static void
table(struct checks *c, const char *text, int is_header)
{
	char why[CHECKS_WHY_MAX];

	ATF_REQUIRE_MSG(checks_parse(c, text, strlen(text), is_header, why,
	    sizeof(why)) == 0, "%s: %s", text, why);
}

/* refused - text[0, len) refused with exactly want, the table left empty */
static void
refused(const char *text, size_t len, int is_header, const char *want)
{
	struct checks c;
	char why[CHECKS_WHY_MAX] = "";

	if (checks_parse(&c, text, len, is_header, why, sizeof(why)) != -1) {
		checks_free(&c);
		atf_tc_fail_nonfatal("took \"%.100s\"", text);
		return;
	}
	ATF_CHECK_STREQ_MSG(want, why, "for \"%.100s\"", text);
	ATF_CHECK(c.n == 0 && c.rule == NULL);
}

#define REFUSED(text, hdr, want)	refused(text, strlen(text), hdr, want)

/* expect_match - subject against the header table text: want, or none */
static void
expect_match(const char *text, const char *subject, const char *want)
{
	struct checks c;
	struct sa res = SA_INIT;
	int r;

	table(&c, text, 1);
	r = checks_match(&c, subject, &res);
	checks_free(&c);
	if (want == NULL)
		ATF_CHECK_MSG(r == 0, "%s matched \"%s\": %s", text, subject,
		    r == 1 ? res.s : "");
	else if (r != 1)
		atf_tc_fail_nonfatal("%s did not match \"%s\"", text, subject);
	else
		ATF_CHECK_STREQ_MSG(want, res.s, "%s on \"%s\"", text, subject);
	sa_free(&res);
}

/* action - res parsed, which must succeed */
static struct check_action
action(const char *res, int is_header)
{
	struct check_action a;

	ATF_REQUIRE_MSG(check_action_parse(res, is_header, &a) == 0, "%s",
	    res);
	return a;
}

/*
 * filter - msg through the tables' texts (NULL: none) fed in pieces of
 * piece octets (0: whole); c holds what was decided (the caller frees
 * it), out the output, NUL-terminated.
 */
static void
filter(const char *htext, const char *btext, const char *msg, size_t piece,
    struct content *c, struct sa *out)
{
	struct checks h, b;
	size_t len = strlen(msg), i, k;

	memset(&seen, 0, sizeof(seen));
	if (htext != NULL)
		table(&h, htext, 1);
	if (btext != NULL)
		table(&b, btext, 0);
	memset(c, 0, sizeof(*c));
	content_init(c, htext != NULL ? &h : NULL, btext != NULL ? &b : NULL,
	    logged, NULL);
	out->len = 0;
	for (i = 0; i < len; i += k) {
		k = piece == 0 || len - i < piece ? len - i : piece;
		ATF_REQUIRE(content_feed(c, msg + i, k, out) == 0);
	}
	ATF_REQUIRE(content_end(c, out) == 0);
	ATF_REQUIRE(sa_0(out) == 0);
	ATF_REQUIRE(!c->nomem);
	c->header = c->body = NULL;
	if (htext != NULL)
		checks_free(&h);
	if (btext != NULL)
		checks_free(&b);
}

static const size_t pieces[] = { 0, 1, 2, 3, 7, 64, 1000 };
#define NPIECES	(sizeof(pieces) / sizeof(pieces[0]))

/*
 * expect_verdict - msg comes out as want, fed whole and in pieces, and
 * verdict is what the checks decided
 */
static void
expect_verdict(const char *htext, const char *btext, const char *msg,
    const char *want, enum check_verdict verdict)
{
	struct content c;
	struct sa out = SA_INIT;
	size_t i;

	for (i = 0; i < NPIECES; i++) {
		filter(htext, btext, msg, pieces[i], &c, &out);
		if (out.len != strlen(want) ||
		    memcmp(out.s, want, out.len) != 0)
			atf_tc_fail_nonfatal("pieces of %zu: \"%.300s\" came "
			    "out as\n\"%.300s\"\nwanted\n\"%.300s\"", pieces[i],
			    msg, out.s, want);
		ATF_CHECK_EQ_MSG(c.verdict, verdict, "pieces of %zu: %.300s",
		    pieces[i], msg);
		content_free(&c);
	}
	sa_free(&out);
}

#define EXPECT(h, b, msg, want) \
	expect_verdict(h, b, msg, want, CHECK_DUNNO)

/* ---- parsing ---------------------------------------------------- */

ATF_TC_WITHOUT_HEAD(parse_skipped);
ATF_TC_BODY(parse_skipped, tc)
{
	struct checks c;
	const char *t = "# a comment\n"
	    "\n"
	    "   \t\n"
	    "  # an indented comment\n"
	    "/^Subject: a/ REJECT go\n"
	    "\taway\n"
	    "# between\n"
	    "  now   \n"
	    "/^Subject: b/\n"
	    " WARN\n"
	    "/^Subject: c/ INFO last";	/* no line end */

	table(&c, t, 1);
	ATF_CHECK_EQ(c.n, 3);
	checks_free(&c);
	/* continued lines are joined as they are, less the line ends */
	expect_match(t, "Subject: a", "REJECT go\taway  now");
	expect_match(t, "Subject: b", "WARN");
	expect_match(t, "Subject: c", "INFO last");
	expect_match(t, "Subject: d", NULL);
	/* nothing but comments: an empty table */
	table(&c, "# x\n\n", 1);
	ATF_CHECK(c.n == 0);
	checks_free(&c);
	table(&c, "", 0);
	ATF_CHECK(c.n == 0);
	checks_free(&c);
}

ATF_TC_WITHOUT_HEAD(parse_actions);
ATF_TC_BODY(parse_actions, tc)
{
	static const struct {
		const char		*res;
		enum check_verdict	 verdict;
		const char		*word;
	} ok[] = {
		{ "DUNNO", CHECK_DUNNO, "DUNNO" },
		{ "OK", CHECK_DUNNO, "OK" },
		{ "REJECT", CHECK_REFUSE, "REJECT" },
		{ "REJECT 5.7.1 go away", CHECK_REFUSE, "REJECT" },
		{ "DEFER", CHECK_REFUSE, "DEFER" },
		{ "DEFER later", CHECK_REFUSE, "DEFER" },
		{ "DISCARD", CHECK_DISCARD, "DISCARD" },
		{ "DISCARD quietly", CHECK_DISCARD, "DISCARD" },
		{ "HOLD", CHECK_HOLD, "HOLD" },
		{ "hold for review", CHECK_HOLD, "HOLD" },
		{ "WARN", CHECK_LOG, "WARN" },
		{ "WARN look at this", CHECK_LOG, "WARN" },
		{ "INFO", CHECK_LOG, "INFO" },
		{ "IGNORE", CHECK_IGNORE, "IGNORE" },
		{ "REPLACE X-A: b", CHECK_REPLACE, "REPLACE" },
		{ "PREPEND X-B: c", CHECK_PREPEND, "PREPEND" },
		{ "REDIRECT a@example.org", CHECK_REDIRECT, "REDIRECT" },
		{ "BCC b@example.org", CHECK_BCC, "BCC" },
		{ "reject lower case", CHECK_REFUSE, "REJECT" },
		{ "Prepend X-C: d", CHECK_PREPEND, "PREPEND" },
	};
	struct check_action a;
	char text[128];
	size_t i;
	int hdr;

	for (hdr = 0; hdr <= 1; hdr++)
		for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
			(void)snprintf(text, sizeof(text), "/^a$/ %s\n",
			    ok[i].res);
			/* the result as written, the action canonical */
			expect_match(text, "a", ok[i].res);
			a = action(ok[i].res, hdr);
			ATF_CHECK_EQ_MSG(a.verdict, ok[i].verdict, "%s",
			    ok[i].res);
			ATF_CHECK_STREQ(a.word, ok[i].word);
			if (hdr == 0) {
				struct checks c;

				table(&c, text, 0);
				checks_free(&c);
			}
		}
}

ATF_TC_WITHOUT_HEAD(parse_errors);
ATF_TC_BODY(parse_errors, tc)
{
	static const char nul[] = "# x\n/a/ RE\0JECT\n";
	char *big;
	struct checks c;
	size_t i;

	REFUSED("/a/ FROB\n", 1, "line 1: unknown action \"FROB\"");
	REFUSED("/a/ OK\n\n# c\n/b/ FROB x\n", 1,
	    "line 4: unknown action \"FROB\"");
	REFUSED("/a/ 0123456789012345678901234567890123456789xyz\n", 0,
	    "line 1: unknown action "
	    "\"0123456789012345678901234567890123456789\"");
	REFUSED("/a/ FILTER smtp:[127.0.0.1]:10025\n", 1,
	    "line 1: FILTER is not supported: use control/filter");
	REFUSED("/abc REJECT\n", 1, "line 1: the pattern has no closing /");
	REFUSED("/a\\/ REJECT\n", 1, "line 1: the pattern has no closing /");
	REFUSED("// REJECT\n", 1, "line 1: an empty pattern");
	REFUSED("/a/q REJECT\n", 1,
	    "line 1: unknown flag 'q' (i, m, s, x, A, E, U and X are known)");
	REFUSED("/a/i\x01 REJECT\n", 1,
	    "line 1: unknown flag '?' (i, m, s, x, A, E, U and X are known)");
	/* the reason is PCRE2's own, with where it was found */
	REFUSED("/a/ OK\n/a(/ REJECT\n", 1, "line 2: the pattern does not "
	    "compile: missing closing parenthesis at octet 3");
	/* what makes a POSIX compiler take gigabytes is refused at once */
	REFUSED("/[a-z]+++/ REJECT\n", 1, "line 1: the pattern does not "
	    "compile: quantifier does not follow a repeatable item at octet "
	    "8");
	REFUSED("/(a)/ REJECT $3\n", 1,
	    "line 1: $3 names no group of the pattern");
	REFUSED("/(a)/ REJECT ${2}\n", 1,
	    "line 1: $2 names no group of the pattern");
	REFUSED("/a/ REPLACE X-A: $1\n", 1,
	    "line 1: $1 names no group of the pattern");
	REFUSED("!/(a)/ REJECT $1\n", 1,
	    "line 1: $1 names no group of the pattern");
	REFUSED("/a/ REJECT $x\n", 1,
	    "line 1: a $ that is neither $$ nor $1 to $9");
	REFUSED("/(a)/ REJECT $0\n", 1,
	    "line 1: a $ that is neither $$ nor $1 to $9");
	REFUSED("/(a)/ REJECT ${1\n", 1,
	    "line 1: a $ that is neither $$ nor $1 to $9");
	REFUSED("/(a)/ REJECT $(1}\n", 1,
	    "line 1: a $ that is neither $$ nor $1 to $9");
	REFUSED("/(a)/ REJECT cost $\n", 1,
	    "line 1: a $ that is neither $$ nor $1 to $9");
	REFUSED("/a/ REPLACE\n", 1, "line 1: REPLACE needs a text");
	REFUSED("/a/ PREPEND  \t \n", 0, "line 1: PREPEND needs a text");
	REFUSED("/a/ REDIRECT\n", 1, "line 1: REDIRECT needs a text");
	REFUSED("/a/ BCC\n", 0, "line 1: BCC needs a text");
	REFUSED("/a/ PREPEND not a header\n", 1,
	    "line 1: PREPEND's text is not a header field");
	REFUSED("/a/ REPLACE X A: b\n", 1,
	    "line 1: REPLACE's text is not a header field");
	table(&c, "/a/ PREPEND not a header\n/b/ REPLACE nor this\n", 0);
	ATF_CHECK_EQ(c.n, 2);
	checks_free(&c);
	REFUSED("/a/ REDIRECT nobody\n", 1,
	    "line 1: REDIRECT's text is not an address");
	REFUSED("/a/ BCC two words@example.org\n", 0,
	    "line 1: BCC's text is not an address");
	REFUSED("endif\n", 1, "line 1: an endif without its if");
	REFUSED("if /a/\nendif\nendif\n", 1, "line 3: an endif without its if");
	REFUSED("if /a/\n/b/ OK\n", 1, "line 1: an if without its endif");
	REFUSED("if /a/\nif /b/\nendif\n# c", 1,
	    "line 1: an if without its endif");
	REFUSED("if /a/\nendif x\n", 1, "line 2: text after endif");
	REFUSED("if /a/ OK\nendif\n", 1, "line 1: text after an if's pattern");
	refused(nul, sizeof(nul) - 1, 1, "line 2: a NUL byte");
	REFUSED("x REJECT\n", 1,
	    "line 1: a rule starts with /pattern/ or !/pattern/");
	REFUSED(" /a/ OK\n", 1,
	    "line 1: a continued line with no rule before it");
	REFUSED("/a/\n", 1, "line 1: the pattern has no action after it");
	/* a continued rule's errors name its first line */
	REFUSED("/a/ OK\n/b/\n  FROB\n", 1, "line 2: unknown action \"FROB\"");
	/* an if too many */
	ATF_REQUIRE((big = malloc(66 * 8)) != NULL);
	big[0] = '\0';
	for (i = 0; i < 65; i++)
		(void)strlcat(big, "if /a/\n", 66 * 8);
	REFUSED(big, 1, "line 65: ifs nested too deeply");
	free(big);
	/* a line too long, as in every control file, and a rule too long
	   of continued lines */
	ATF_REQUIRE((big = malloc(9000)) != NULL);
	memset(big, 'a', 8999);
	memcpy(big, "/a/ WARN ", 9);
	big[8999] = '\0';
	REFUSED(big, 1, "line 1: longer than 1024 bytes");
	for (i = 1000; i < 8999; i += 1000) {
		big[i] = '\n';
		big[i + 1] = ' ';
	}
	REFUSED(big, 1, "line 1: a rule longer than 8192 octets");
	free(big);
}

ATF_TC_WITHOUT_HEAD(parse_crlf);
ATF_TC_BODY(parse_crlf, tc)
{
	const char *t = "# a table written on another system\r\n"
	    "/^Subject: (a+)$/ REJECT got $1\r\n"
	    "\r\n"
	    "/^Subject: b$/\r\n"
	    "  WARN\r\n";

	expect_match(t, "Subject: aa", "REJECT got aa");
	expect_match(t, "Subject: b", "WARN");
	/* the lines counted as the admin's editor counts them */
	REFUSED("/a/ OK\r\n/b/ FROB\r\n", 1, "line 2: unknown action \"FROB\"");
	REFUSED("/a/ OK\r\n\r\n/b/ OK\r\nif /x/\r\n", 1,
	    "line 4: an if without its endif");
}

/* ---- matching --------------------------------------------------- */

ATF_TC_WITHOUT_HEAD(match_first);
ATF_TC_BODY(match_first, tc)
{
	struct checks c;
	struct sa res = SA_INIT;
	const char *t = "/a/ WARN one\n/ab/ WARN two\n/b/ WARN three\n";

	expect_match(t, "xab", "WARN one");
	expect_match(t, "b", "WARN three");
	expect_match(t, "c", NULL);
	expect_match(t, "", NULL);
	table(&c, "", 1);
	ATF_CHECK(checks_match(&c, "anything", &res) == 0);
	checks_free(&c);
	sa_free(&res);
}

ATF_TC_WITHOUT_HEAD(match_flags);
ATF_TC_BODY(match_flags, tc)
{
	/* without regard to case unless i says otherwise */
	expect_match("/^subject: hi/ WARN\n", "SUBJECT: HI there", "WARN");
	expect_match("/^Subject: Hi/i WARN\n", "Subject: hi", NULL);
	expect_match("/^Subject: Hi/i WARN\n", "Subject: Hi", "WARN");
	expect_match("/^Subject: Hi/ii WARN\n", "subject: hi", "WARN");
	/* x: blanks and # comments in the pattern are not matched */
	expect_match("/a+b/ WARN\n", "aaab", "WARN");
	expect_match("/a + b # a and b/x WARN\n", "aaab", "WARN");
	expect_match("/a b/ WARN\n", "ab", NULL);
	/* m: ^ and $ at line breaks too */
	expect_match("/^ b$/ WARN\n", "Subject: a\n b", NULL);
	expect_match("/^ b$/m WARN\n", "Subject: a\n b", "WARN");
	/* s (on by default, as in pcre_table(5)): . across line breaks */
	expect_match("/a.b/ WARN\n", "a\nb", "WARN");
	expect_match("/a.b/s WARN\n", "a\nb", NULL);
	/* A: anchored at the start; E: $ only at the very end; U: ungreedy */
	expect_match("/b/A WARN\n", "ab", NULL);
	expect_match("/a$/ WARN\n", "a\n", "WARN");
	expect_match("/a$/E WARN\n", "a\n", NULL);
	expect_match("/(a+)/U REJECT $1\n", "aaa", "REJECT a");
	expect_match("/(a+)/ REJECT $1\n", "aaa", "REJECT aaa");
	/* Perl's classes, and X taken for PCRE1's tables */
	expect_match("/^x\\s+\\d{2}\\b/X WARN\n", "x \t42 y", "WARN");
	/* an escaped slash is part of the pattern, and another delimiter
	   needs none */
	expect_match("/a\\/b/ WARN\n", "a/b", "WARN");
	expect_match("#a/b# WARN\n", "a/b", NULL);	/* a comment */
	expect_match("|a/b| WARN\n", "a/b", "WARN");
	expect_match("!|a/b| WARN\n", "a/c", "WARN");
}

ATF_TC_WITHOUT_HEAD(match_limit);
ATF_TC_BODY(match_limit, tc)
{
	const char *m = "Subject: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\n\n";
	char why[CHECKS_WHY_MAX];
	struct checks c;
	struct content ct;
	struct sa res = SA_INIT, out = SA_INIT;

	/* a pattern that backtracks without end gives up, taken as not
	   matching; the next rule is still tried */
	ATF_REQUIRE(checks_parse(&c, "/^Subject: (a+)+$/ REJECT\n", 26, 1,
	    why, sizeof(why)) == 0);
	ATF_CHECK_EQ(checks_match(&c, "Subject: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaab", &res), CHECKS_GAVE_UP);
	ATF_CHECK_EQ(checks_match(&c, "Subject: aaa", &res), 1);
	checks_free(&c);
	expect_match("/^Subject: (a+)+$/ REJECT\n/b$/ WARN\n",
	    "Subject: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "WARN");
	/* and the log says so, the message going on as it was */
	table(&c, "/^Subject: (a+)+$/ REJECT\n", 1);
	memset(&ct, 0, sizeof(ct));
	memset(&seen, 0, sizeof(seen));
	content_init(&ct, &c, NULL, logged, NULL);
	ATF_REQUIRE(content_feed(&ct, m, strlen(m), &out) == 0);
	ATF_REQUIRE(content_end(&ct, &out) == 0 && sa_0(&out) == 0);
	ATF_CHECK_STREQ(out.s, m);
	ATF_CHECK_EQ(ct.verdict, CHECK_DUNNO);
	ATF_CHECK_EQ(seen.unfit, 1);
	ATF_CHECK_STREQ(seen.problem, "a pattern gave up at its match limit, "
	    "taken as not matching");
	content_free(&ct);
	checks_free(&c);
	sa_free(&res);
	sa_free(&out);
}

ATF_TC_WITHOUT_HEAD(match_negate);
ATF_TC_BODY(match_negate, tc)
{
	expect_match("!/^From:/ WARN not from\n", "To: x", "WARN not from");
	expect_match("!/^From:/ WARN not from\n", "From: x", NULL);
	expect_match("!/a/ WARN $$5\n", "b", "WARN $5");
}

ATF_TC_WITHOUT_HEAD(match_if);
ATF_TC_BODY(match_if, tc)
{
	const char *t = "if /^Subject:/\n"
	    "if !/ham/\n"
	    "/viagra/ REJECT both\n"
	    "endif\n"
	    "/x/ WARN inner\n"
	    "endif\n"
	    "/./ INFO fall\n";

	expect_match(t, "Subject: viagra", "REJECT both");
	expect_match(t, "Subject: ham viagra", "INFO fall");
	expect_match(t, "Subject: ham x", "WARN inner");
	expect_match(t, "Subject: viagra x", "REJECT both");
	expect_match(t, "To: viagra x", "INFO fall");
	expect_match(t, "", NULL);
	/* an if whose block is empty */
	expect_match("if /a/\nendif\n/a/ WARN\n", "a", "WARN");
}

ATF_TC_WITHOUT_HEAD(match_dollar);
ATF_TC_BODY(match_dollar, tc)
{
	const char *t = "/^Subject: (a+) (b+)(c)?$/ "
	    "REPLACE X-S: $2 ${1} $(1) $$ $$1 [$3]\n";

	expect_match(t, "Subject: aa bbb", "REPLACE X-S: bbb aa aa $ $1 []");
	expect_match(t, "Subject: a bc", "REPLACE X-S: b a a $ $1 [c]");
	expect_match("/(.)(.)(.)(.)(.)(.)(.)(.)(.)/ WARN $9$8$7$6$5$4$3$2$1\n",
	    "123456789", "WARN 987654321");
	expect_match("/^(x+)$/ WARN <$1>\n", "xxx", "WARN <xxx>");
}

/* ---- actions ---------------------------------------------------- */

ATF_TC_WITHOUT_HEAD(action_refuse);
ATF_TC_BODY(action_refuse, tc)
{
	struct check_action a;

	a = action("REJECT", 1);
	ATF_CHECK_EQ(a.verdict, CHECK_REFUSE);
	ATF_CHECK_EQ(a.refusal.code, 550);
	ATF_CHECK_STREQ(a.refusal.status, "5.7.1");
	ATF_CHECK_STREQ(a.refusal.text, "Message content rejected");
	a = action("REJECT 5.7.9 custom text", 0);
	ATF_CHECK_EQ(a.refusal.code, 550);
	ATF_CHECK_STREQ(a.refusal.status, "5.7.9");
	ATF_CHECK_STREQ(a.refusal.text, "custom text");
	ATF_CHECK_STREQ(a.arg, "5.7.9 custom text");
	/* a status of the other class is text */
	a = action("REJECT 4.7.9 x", 1);
	ATF_CHECK_STREQ(a.refusal.status, "5.7.1");
	ATF_CHECK_STREQ(a.refusal.text, "4.7.9 x");
	a = action("DEFER", 1);
	ATF_CHECK_EQ(a.verdict, CHECK_REFUSE);
	ATF_CHECK_STREQ(a.word, "DEFER");
	ATF_CHECK_EQ(a.refusal.code, 450);
	ATF_CHECK_STREQ(a.refusal.status, "4.7.1");
	ATF_CHECK_STREQ(a.refusal.text, "Try again later");
	a = action("defer 4.3.0 busy", 1);
	ATF_CHECK_EQ(a.refusal.code, 450);
	ATF_CHECK_STREQ(a.refusal.status, "4.3.0");
	ATF_CHECK_STREQ(a.refusal.text, "busy");
	/* nothing unprintable reaches the reply */
	a = action("REJECT a\x01" "b\x7f\xe9" "c\td", 1);
	ATF_CHECK_STREQ(a.refusal.text, "a?b??c?d");
	a = action("REJECT \t spaced", 1);
	ATF_CHECK_STREQ(a.arg, "spaced");
	ATF_CHECK_STREQ(a.refusal.text, "spaced");
}

ATF_TC_WITHOUT_HEAD(action_texts);
ATF_TC_BODY(action_texts, tc)
{
	struct check_action a;
	static const char *const unfit_header[] = { "PREPEND no header",
	    "PREPEND X A: b", "PREPEND : b", "PREPEND X-A: b\nc",
	    "PREPEND X-A: b\r\n c", "PREPEND X-A: b\n", "REPLACE",
	    "REPLACE X-\xe9: b" };
	static const char *const unfit_body[] = { "PREPEND a\nb",
	    "REPLACE a\rb", "REDIRECT nobody", "BCC <a@example.org>",
	    "BCC", "FROB", "FILTER x:y", "" };
	size_t i;

	a = action("PREPEND X-A: b", 1);
	ATF_CHECK_EQ(a.verdict, CHECK_PREPEND);
	ATF_CHECK_STREQ(a.arg, "X-A: b");
	a = action("PREPEND X-A: b\n c\n\td", 1);
	ATF_CHECK_STREQ(a.arg, "X-A: b\n c\n\td");
	a = action("REPLACE X-A: b", 1);
	ATF_CHECK_EQ(a.verdict, CHECK_REPLACE);
	for (i = 0; i < sizeof(unfit_header) / sizeof(unfit_header[0]); i++)
		ATF_CHECK_MSG(check_action_parse(unfit_header[i], 1, &a) == -1,
		    "took %s", unfit_header[i]);
	/* a body line is any text of one line */
	a = action("PREPEND no header", 0);
	ATF_CHECK_STREQ(a.arg, "no header");
	a = action("REPLACE", 0);
	ATF_CHECK_STREQ(a.arg, "");
	for (i = 0; i < sizeof(unfit_body) / sizeof(unfit_body[0]); i++)
		ATF_CHECK_MSG(check_action_parse(unfit_body[i], 0, &a) == -1,
		    "took %s", unfit_body[i]);
	a = action("REDIRECT a@example.org", 0);
	ATF_CHECK_EQ(a.verdict, CHECK_REDIRECT);
	ATF_CHECK_STREQ(a.arg, "a@example.org");
	a = action("BCC b@example.org", 1);
	ATF_CHECK_EQ(a.verdict, CHECK_BCC);
	a = action("WARN any\ntext\r", 1);
	ATF_CHECK_EQ(a.verdict, CHECK_LOG);
	ATF_CHECK_STREQ(a.arg, "any\ntext\r");
	a = action("OK", 1);
	ATF_CHECK_EQ(a.verdict, CHECK_DUNNO);
	ATF_CHECK_STREQ(a.arg, "");
}

/* ---- content ---------------------------------------------------- */

ATF_TC_WITHOUT_HEAD(content_identity);
ATF_TC_BODY(content_identity, tc)
{
	static const char *const msgs[] = {
	    "Received: from a\n\tby b\nFrom: <a@example.org>\n"
	    "Subject: hi\n  there\n\nbody\n\n--x\nlast line without end",
	    "Content-Type: multipart/mixed; boundary=b\n\npre\n--b\n"
	    "Content-Type: message/rfc822\n\nSubject: in\n\nx\n--b--\nepi\n",
	    "", "\n", "no header at all\n", " starts with a blank\n",
	    "Subject: x\r\n\r\nCRLF\r\n",
	};
	struct content c;
	struct sa out = SA_INIT;
	size_t i;

	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		EXPECT(NULL, NULL, msgs[i], msgs[i]);
		EXPECT("", "# none\n", msgs[i], msgs[i]);
		/* rules that decide nothing change nothing */
		EXPECT("/./ WARN\n/^/ DUNNO\n", "/./ WARN\n/^/ OK\n", msgs[i],
		    msgs[i]);
	}
	filter("/./ WARN\n", "/./ INFO\n", msgs[0], 1, &c, &out);
	ATF_CHECK_EQ(seen.header, 3);
	ATF_CHECK_EQ(seen.body, 3);	/* "body", "--x", the last */
	ATF_CHECK_STREQ(seen.subject, "last line without end");
	ATF_CHECK_STREQ(seen.word, "INFO");
	ATF_CHECK(c.redirect.len == 0 && c.nbcc == 0);
	content_free(&c);
	sa_free(&out);
}

ATF_TC_WITHOUT_HEAD(content_ignore);
ATF_TC_BODY(content_ignore, tc)
{
	/* a folded field goes with all its lines; a body line is not one */
	EXPECT("/^X-Spam:/ IGNORE\n", NULL,
	    "From: a\nX-Spam: yes\n\tmore\n  and more\nSubject: s\n"
	    "X-Spam: again\n\nX-Spam: body\n",
	    "From: a\nSubject: s\n\nX-Spam: body\n");
	EXPECT(NULL, "/^drop/ IGNORE\n", "X: y\n\ndrop\nkeep\ndropped\n",
	    "X: y\n\nkeep\n");
	/* every field gone */
	EXPECT("/./ IGNORE\n", NULL, "A: 1\nB: 2\n  3\n\nbody\n", "\nbody\n");
}

ATF_TC_WITHOUT_HEAD(content_replace);
ATF_TC_BODY(content_replace, tc)
{
	EXPECT("/^Subject: (.*)$/ REPLACE Subject: [ext] $1\n"
	    "/^(X-Old:.*)$/ REPLACE X-$1\n", NULL,
	    "Subject: hi\nX-Old: a\n b\nTo: c\n\nSubject: body\n",
	    "Subject: [ext] hi\nX-X-Old: a\n b\nTo: c\n\nSubject: body\n");
	/* a folded field replaced by one line */
	EXPECT("/^Subject:/ REPLACE X-Subject: gone\n", NULL,
	    "Subject: a\n\tb\n c\nTo: d\n\n", "X-Subject: gone\nTo: d\n\n");
	EXPECT(NULL, "/^secret (.*)/ REPLACE hidden: $1\n",
	    "Subject: secret 1\n\nsecret 42\nsecrets\n",
	    "Subject: secret 1\n\nhidden: 42\nsecrets\n");
}

ATF_TC_WITHOUT_HEAD(content_prepend);
ATF_TC_BODY(content_prepend, tc)
{
	EXPECT("/^Subject:/ PREPEND X-Seen: yes\n", NULL,
	    "From: a\nSubject: hi\n there\n\nSubject: body\n",
	    "From: a\nX-Seen: yes\nSubject: hi\n there\n\nSubject: body\n");
	EXPECT(NULL, "/^mark/ PREPEND > marked\n", "X: y\n\nmark me\nno\n",
	    "X: y\n\n> marked\nmark me\nno\n");
	/* a prepended field may be folded, from the subject */
	EXPECT("/^(Subject:.*)$/ PREPEND X-Was-$1\n", NULL,
	    "Subject: a\n b\n\n", "X-Was-Subject: a\n b\nSubject: a\n b\n\n");
}

ATF_TC_WITHOUT_HEAD(content_fold);
ATF_TC_BODY(content_fold, tc)
{
	struct content c;
	struct sa out = SA_INIT;

	/* the field is checked with its line break */
	EXPECT("/^Subject: one[[:space:]]+two$/ REPLACE Subject: matched\n",
	    NULL, "Subject: one\n two\nTo: x\n\n",
	    "Subject: matched\nTo: x\n\n");
	EXPECT("/one two/ IGNORE\n", NULL, "Subject: one\n two\n\n",
	    "Subject: one\n two\n\n");
	EXPECT("/^Subject: one$/m IGNORE\n", NULL, "Subject: one\n two\n\n",
	    "\n");
	filter("/two/ WARN\n", NULL, "Subject: one\n two\n\n", 1, &c, &out);
	ATF_CHECK_EQ(seen.header, 1);
	ATF_CHECK_STREQ(seen.subject, "Subject: one\n two");
	content_free(&c);
	sa_free(&out);
}

ATF_TC_WITHOUT_HEAD(content_reject);
ATF_TC_BODY(content_reject, tc)
{
	const char *h = "/^Subject: buy/ REJECT 5.7.1 no spam\n"
	    "/^To:/ BCC x@example.org\n";
	struct content c;
	struct sa out = SA_INIT;
	size_t i;

	/* what came before goes out; nothing after, nothing more decided */
	expect_verdict(h, "/./ REJECT\n",
	    "From: a\nSubject: buy now\nTo: b\n\nbody\n", "From: a\n",
	    CHECK_REFUSE);
	for (i = 0; i < NPIECES; i++) {
		filter(h, NULL, "From: a\nSubject: buy now\nTo: b\n\nbody\n",
		    pieces[i], &c, &out);
		ATF_CHECK_EQ(c.refusal.code, 550);
		ATF_CHECK_STREQ(c.refusal.status, "5.7.1");
		ATF_CHECK_STREQ(c.refusal.text, "no spam");
		ATF_CHECK_EQ(c.nbcc, 0);
		ATF_CHECK_EQ(seen.header, 1);
		content_free(&c);
	}
	expect_verdict(NULL, "/^bad$/ DEFER\n", "From: a\n\ngood\nbad\nafter\n",
	    "From: a\n\ngood\n", CHECK_REFUSE);
	filter(NULL, "/^bad$/ DEFER\n", "From: a\n\ngood\nbad\nafter\n", 0, &c,
	    &out);
	ATF_CHECK_EQ(c.refusal.code, 450);
	ATF_CHECK_STREQ(c.refusal.status, "4.7.1");
	ATF_CHECK_STREQ(c.refusal.text, "Try again later");
	content_free(&c);
	sa_free(&out);
}

ATF_TC_WITHOUT_HEAD(content_discard);
ATF_TC_BODY(content_discard, tc)
{
	expect_verdict(NULL, "/^drop me$/ DISCARD\n/^more$/ REJECT\n",
	    "Subject: s\n\nkeep\ndrop me\nmore\n", "Subject: s\n\nkeep\n",
	    CHECK_DISCARD);
	expect_verdict("/^X-Drop:/ DISCARD\n", NULL, "X-Drop: 1\n\nbody\n", "",
	    CHECK_DISCARD);
}

ATF_TC_WITHOUT_HEAD(content_hold);
ATF_TC_BODY(content_hold, tc)
{
	struct content c;
	struct sa out = SA_INIT;
	const char *msg = "Subject: review\nX-A: 1\n\nbody\n";
	size_t i;

	/* the message goes on whole, and the rules after HOLD still act */
	for (i = 0; i < NPIECES; i++) {
		filter("/^Subject: review/ HOLD for a look\n"
		    "/^X-A:/ BCC copy@example.org\n", NULL, msg, pieces[i], &c,
		    &out);
		ATF_CHECK_EQ(c.verdict, CHECK_DUNNO);
		ATF_CHECK(c.hold);
		ATF_CHECK_STREQ(out.s, msg);
		ATF_CHECK_EQ(c.nbcc, 1);
		ATF_CHECK_EQ(seen.header, 2);
		content_free(&c);
	}
	/* a refusal later in the message still refuses it */
	expect_verdict("/^Subject:/ HOLD\n", "/^body$/ REJECT\n", msg,
	    "Subject: review\nX-A: 1\n\n", CHECK_REFUSE);
	/* and a message with no HOLD rule matching is not held */
	filter("/^Subject: other/ HOLD\n", NULL, msg, 0, &c, &out);
	ATF_CHECK(!c.hold);
	content_free(&c);
	sa_free(&out);
}

ATF_TC_WITHOUT_HEAD(content_redirect);
ATF_TC_BODY(content_redirect, tc)
{
	struct content c;
	struct sa msg = SA_INIT, bcc = SA_INIT, out = SA_INIT;
	size_t i;

	ATF_REQUIRE(sa_cats(&msg, "To: u@example.org\n") == 0);
	for (i = 1; i <= 20; i++)
		ATF_REQUIRE(sa_catf(&msg, "X-B: %zu\n", i) == 0);
	ATF_REQUIRE(sa_cats(&msg, "\nbody\n") == 0 && sa_0(&msg) == 0);
	for (i = 1; i <= CONTENT_BCC_MAX; i++)
		ATF_REQUIRE(sa_catf(&bcc, "b%zu@example.org", i) == 0 &&
		    sa_catc(&bcc, '\0') == 0);
	for (i = 0; i < NPIECES; i++) {
		filter("/^To:/ REDIRECT spam@example.org\n"
		    "/^X-B: ([0-9]+)$/ BCC b$1@example.org\n",
		    "/^body$/ REDIRECT other@example.org\n", msg.s, pieces[i],
		    &c, &out);
		ATF_CHECK_EQ(c.verdict, CHECK_DUNNO);
		ATF_CHECK(out.len == msg.len && memcmp(out.s, msg.s,
		    msg.len) == 0);
		/* the last REDIRECT wins */
		ATF_CHECK(c.redirect.len == 17 && memcmp(c.redirect.s,
		    "other@example.org", 17) == 0);
		ATF_CHECK_EQ(c.nbcc, CONTENT_BCC_MAX);
		ATF_CHECK(c.bcc.len == bcc.len && memcmp(c.bcc.s, bcc.s,
		    bcc.len) == 0);
		ATF_CHECK_EQ(seen.header, 21); /* logged, capped or not */
		content_free(&c);
	}
	/* an address once, however many rules name it */
	filter("/^X-/ BCC Same@example.org\n/^To:/ BCC same@EXAMPLE.org\n",
	    NULL, "To: a\nX-A: 1\nX-B: 2\n\nbody\n", 0, &c, &out);
	ATF_CHECK_EQ(c.nbcc, 1);
	ATF_CHECK(c.bcc.len == 17 && memcmp(c.bcc.s, "same@EXAMPLE.org", 17)
	    == 0);
	content_free(&c);
	sa_free(&msg);
	sa_free(&bcc);
	sa_free(&out);
}

ATF_TC_WITHOUT_HEAD(content_body);
ATF_TC_BODY(content_body, tc)
{
	const char *m = "Subject: hello\nX-Hello: x\n\nhello world\nbye\n";

	EXPECT(NULL, "/hello/ REPLACE HIDDEN\n", m,
	    "Subject: hello\nX-Hello: x\n\nHIDDEN\nbye\n");
	EXPECT("/hello/ REPLACE X-H: 1\n", NULL, m,
	    "X-H: 1\nX-H: 1\n\nhello world\nbye\n");
	EXPECT("/hello/ REPLACE X-H: 1\n", "/hello/ REPLACE HIDDEN\n", m,
	    "X-H: 1\nX-H: 1\n\nHIDDEN\nbye\n");
	/* the empty line that ends the header is neither's */
	EXPECT("/^$/ REPLACE X-E: 1\n", "/^$/ REPLACE empty\n",
	    "A: b\n\n\nx\n", "A: b\n\nempty\nx\n");
}

static const char mime[] =
    "From: a\n"
    "Content-Type: multipart/mixed; boundary=\"BB\"\n"
    "\n"
    "preamble\n"
    "--BB\n"
    "Content-Type: text/plain\n"
    "\n"
    "hello\n"
    "--BB  \n"
    "Content-Type: application/octet-stream; name=\"x.exe\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "AAAA\n"
    "--BB--\n"
    "epilogue\n";

ATF_TC_WITHOUT_HEAD(content_mime);
ATF_TC_BODY(content_mime, tc)
{
	struct content c;
	struct sa out = SA_INIT;

	/* a part's header fields are header-checked */
	expect_verdict("/name=\"?.*\\.exe/ REJECT 5.7.1 no executables\n",
	    NULL, mime,
	    "From: a\nContent-Type: multipart/mixed; boundary=\"BB\"\n\n"
	    "preamble\n--BB\nContent-Type: text/plain\n\nhello\n--BB  \n",
	    CHECK_REFUSE);
	filter("/name=\"?.*\\.exe/ REJECT 5.7.1 no executables\n", NULL, mime,
	    0, &c, &out);
	ATF_CHECK_STREQ(c.refusal.text, "no executables");
	ATF_CHECK_STREQ(seen.subject, "Content-Type: application/octet-stream;"
	    " name=\"x.exe\"");
	content_free(&c);
	sa_free(&out);
	/* delimiter lines are body lines, as to Postfix's body_checks */
	filter(NULL, "/^--BB--$/ REJECT\n", mime, 0, &c, &out);
	ATF_CHECK_EQ(c.verdict, CHECK_REFUSE);
	ATF_CHECK_STREQ(seen.subject, "--BB--");
	content_free(&c);
	sa_free(&out);
	/* each part's body lines are body-checked, its header fields not */
	EXPECT(NULL, "/^(preamble|hello|AAAA|epilogue)$/ "
	    "REPLACE [$1]\n/^Content-/ REJECT\n/^From/ REJECT\n", mime,
	    "From: a\nContent-Type: multipart/mixed; boundary=\"BB\"\n\n"
	    "[preamble]\n--BB\nContent-Type: text/plain\n\n[hello]\n--BB  \n"
	    "Content-Type: application/octet-stream; name=\"x.exe\"\n"
	    "Content-Transfer-Encoding: base64\n\n[AAAA]\n--BB--\n"
	    "[epilogue]\n");
	EXPECT("/^Content-Type: text.plain/ PREPEND X-Part: text\n"
	    "/^(preamble|hello|--)/ REJECT\n", NULL, mime,
	    "From: a\nContent-Type: multipart/mixed; boundary=\"BB\"\n\n"
	    "preamble\n--BB\nX-Part: text\nContent-Type: text/plain\n\nhello\n"
	    "--BB  \n"
	    "Content-Type: application/octet-stream; name=\"x.exe\"\n"
	    "Content-Transfer-Encoding: base64\n\nAAAA\n--BB--\nepilogue\n");
	/* a part's header section ended by the next delimiter */
	EXPECT("/^X-In:/ IGNORE\n", NULL,
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\nX-In: 1\n"
	    "--b\nX-In: 2\n\nX-In: 3\n--b--\n",
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n\n"
	    "X-In: 3\n--b--\n");
	/* a nested multipart, closed by the outer delimiter */
	EXPECT("/^X-In:/ IGNORE\n", "/^body/ REPLACE checked\n",
	    "Content-Type: multipart/mixed; boundary=o\n\n--o\n"
	    "Content-Type: multipart/alternative;\n boundary=i\n\n--i\n"
	    "X-In: 1\n\nbody 1\n--o\nX-In: 2\n\nbody 2\n--o--\nbody 3\n",
	    "Content-Type: multipart/mixed; boundary=o\n\n--o\n"
	    "Content-Type: multipart/alternative;\n boundary=i\n\n--i\n"
	    "\nchecked\n--o\n\nchecked\n--o--\nchecked\n");
}

ATF_TC_WITHOUT_HEAD(content_rfc822);
ATF_TC_BODY(content_rfc822, tc)
{
	EXPECT("/^Subject: inner/ IGNORE\n",
	    "/^From: x$/ REJECT\n/^inner body$/ REPLACE checked\n",
	    "Subject: outer\nContent-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: message/rfc822\n\nSubject: inner spam\n"
	    "From: x\n\ninner body\n--b--\n",
	    "Subject: outer\nContent-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: message/rfc822\n\n"
	    "From: x\n\nchecked\n--b--\n");
	/* the whole message's body an attached message */
	EXPECT("/^Subject: inner/ IGNORE\n", NULL,
	    "Content-Type: message/rfc822\n\nSubject: inner spam\n\nbody\n",
	    "Content-Type: message/rfc822\n\n\nbody\n");
	/* a digest's parts are messages (RFC 2046 5.1.5) */
	EXPECT("/^Subject: inner/ IGNORE\n", NULL,
	    "Content-Type: multipart/digest; boundary=d\n\n--d\n\n"
	    "Subject: inner spam\n\nx\n--d\nContent-Type: text/plain\n\n"
	    "Subject: inner text\n--d--\n",
	    "Content-Type: multipart/digest; boundary=d\n\n--d\n\n\nx\n"
	    "--d\nContent-Type: text/plain\n\nSubject: inner text\n--d--\n");
	/* an attached message's own parts */
	expect_verdict("/name=\"?.*\\.exe/ REJECT\n", NULL,
	    "Content-Type: message/rfc822\n\n"
	    "Content-Type: multipart/mixed; boundary=z\n\n--z\n"
	    "Content-Disposition: attachment; filename=\"a.exe\"\n\nMZ\n"
	    "--z--\n",
	    "Content-Type: message/rfc822\n\n"
	    "Content-Type: multipart/mixed; boundary=z\n\n--z\n",
	    CHECK_REFUSE);
}

ATF_TC_WITHOUT_HEAD(content_deep);
ATF_TC_BODY(content_deep, tc)
{
	struct content c;
	struct sa msg = SA_INIT, want = SA_INIT, out = SA_INIT;
	size_t piece;
	int i;

	for (i = 0; i < 40; i++)
		ATF_REQUIRE(sa_catf(&msg, "Content-Type: multipart/mixed; "
		    "boundary=b%d\n\n--b%d\n", i, i) == 0);
	ATF_REQUIRE(sa_copyb(&want, msg.s, msg.len) == 0);
	ATF_REQUIRE(sa_cats(&msg, "Content-Type: text/plain\n\n"
	    "X-Deep: yes\n") == 0);
	ATF_REQUIRE(sa_cats(&want, "Content-Type: text/plain\n\n"
	    "body-hit\n") == 0);
	for (i = 39; i >= 0; i--)
		ATF_REQUIRE(sa_catf(&msg, "--b%d--\n", i) == 0 &&
		    sa_catf(&want, "--b%d--\n", i) == 0);
	ATF_REQUIRE(sa_0(&msg) == 0 && sa_0(&want) == 0);
	/*
	 * The first CONTENT_DEPTH multiparts are walked: 33 Content-Type
	 * fields are header fields (the 33rd opens a multipart not
	 * followed); past it all is body, its 8 delimiters opening and
	 * 8 closing, 8 Content-Type lines and the X-Deep line.
	 */
	for (piece = 0; piece <= 1; piece++) {
		filter("/^Content-Type: multipart/ WARN\n"
		    "/^X-Deep:/ REPLACE X-Header: hit\n",
		    "/^Content-Type:/ WARN\n/^--b3[2-9]/ WARN\n"
		    "/^X-Deep:/ REPLACE body-hit\n", msg.s, piece, &c, &out);
		ATF_CHECK_EQ(c.verdict, CHECK_DUNNO);
		ATF_CHECK_STREQ(out.s, want.s);
		ATF_CHECK_EQ(seen.header, 33);
		ATF_CHECK_EQ(seen.body, 8 + 8 + 8 + 1);
		content_free(&c);
	}
	sa_free(&msg);
	sa_free(&want);
	sa_free(&out);
}

/* filler - n body lines of 100 octets */
static void
filler(struct sa *s, size_t n)
{
	char line[101];

	memset(line, 'a', 99);
	line[99] = '\n';
	line[100] = '\0';
	while (n-- > 0)
		ATF_REQUIRE(sa_cats(s, line) == 0);
}

ATF_TC_WITHOUT_HEAD(content_body_limit);
ATF_TC_BODY(content_body_limit, tc)
{
	struct sa msg = SA_INIT, want = SA_INIT;
	const char *b = "/^SPAM$/ REPLACE gone\n";

	ATF_REQUIRE(CONTENT_BODY_MAX % 100 == 0);
	/* a line starting within the limit is checked */
	ATF_REQUIRE(sa_cats(&msg, "Subject: s\n\n") == 0);
	filler(&msg, CONTENT_BODY_MAX / 100 - 1);
	ATF_REQUIRE(sa_copyb(&want, msg.s, msg.len) == 0);
	ATF_REQUIRE(sa_cats(&msg, "SPAM\n") == 0 && sa_0(&msg) == 0);
	ATF_REQUIRE(sa_cats(&want, "gone\n") == 0 && sa_0(&want) == 0);
	EXPECT(NULL, b, msg.s, want.s);
	/* one past it is not */
	msg.len = 0;
	ATF_REQUIRE(sa_cats(&msg, "Subject: s\n\n") == 0);
	filler(&msg, CONTENT_BODY_MAX / 100);
	ATF_REQUIRE(sa_cats(&msg, "SPAM\n") == 0 && sa_0(&msg) == 0);
	EXPECT(NULL, b, msg.s, msg.s);
	/* a part starts counting again */
	msg.len = 0;
	ATF_REQUIRE(sa_cats(&msg, "Content-Type: multipart/mixed; "
	    "boundary=b\n\n--b\n\n") == 0);
	filler(&msg, CONTENT_BODY_MAX / 100);
	ATF_REQUIRE(sa_copyb(&want, msg.s, msg.len) == 0);
	ATF_REQUIRE(sa_cats(&msg, "SPAM\n--b\n\nSPAM\n--b--\nSPAM\n") == 0 &&
	    sa_0(&msg) == 0);
	ATF_REQUIRE(sa_cats(&want, "SPAM\n--b\n\ngone\n--b--\ngone\n") == 0 &&
	    sa_0(&want) == 0);
	EXPECT(NULL, b, msg.s, want.s);
	sa_free(&msg);
	sa_free(&want);
}

ATF_TC_WITHOUT_HEAD(content_field_limit);
ATF_TC_BODY(content_field_limit, tc)
{
	struct content c;
	struct sa field = SA_INIT, msg = SA_INIT, want = SA_INIT, out = SA_INIT;
	char line[101];
	size_t i;

	/* "X-Long: a" and 300 continued lines: 30010 octets */
	memset(line, 'b', sizeof(line));
	line[0] = ' ';
	line[99] = '\n';
	line[100] = '\0';
	ATF_REQUIRE(sa_cats(&field, "X-Long: a\n") == 0);
	for (i = 0; i < 299; i++)
		ATF_REQUIRE(sa_cats(&field, line) == 0);
	line[50] = 'Z';		/* past the limit */
	ATF_REQUIRE(sa_cats(&field, line) == 0 && sa_0(&field) == 0);
	ATF_REQUIRE(sa_copys(&msg, field.s) == 0 &&
	    sa_cats(&msg, "Subject: s\n\nbody\n") == 0 && sa_0(&msg) == 0);
	/* the whole field goes, though only its start was checked */
	EXPECT("/^X-Long:/ IGNORE\n", NULL, msg.s, "Subject: s\n\nbody\n");
	EXPECT("/^X-Long: (a)/ REPLACE X-Was-Long: $1\n", NULL, msg.s,
	    "X-Was-Long: a\nSubject: s\n\nbody\n");
	ATF_REQUIRE(sa_copys(&want, "X-Before: 1\n") == 0 &&
	    sa_cats(&want, msg.s) == 0 && sa_0(&want) == 0);
	EXPECT("/^X-Long:/ PREPEND X-Before: 1\n", NULL, msg.s, want.s);
	/* what is past the limit is not seen */
	EXPECT("/Z/ IGNORE\n", NULL, msg.s, msg.s);
	ATF_REQUIRE(sa_copys(&want, field.s) == 0 &&
	    sa_cats(&want, "\nbody\n") == 0 && sa_0(&want) == 0);
	EXPECT("/^Subject:/ IGNORE\n", NULL, msg.s, want.s);
	filter("/^X-Long:/ IGNORE\n", NULL, msg.s, 0, &c, &out);
	ATF_CHECK_EQ(seen.header, 1);
	/* 163 continued lines fit, less the last line end */
	ATF_CHECK_EQ(strlen(seen.subject), 10 + 163 * 100 - 1);
	content_free(&c);
	sa_free(&field);
	sa_free(&msg);
	sa_free(&want);
	sa_free(&out);
}

ATF_TC_WITHOUT_HEAD(content_line_limit);
ATF_TC_BODY(content_line_limit, tc)
{
	struct sa msg = SA_INIT, want = SA_INIT;
	char x[CONTENT_LINE_MAX + 2];
	const char *b = "/^x+$/ REPLACE long\n/^SPAM$/ IGNORE\n";

	memset(x, 'x', sizeof(x) - 1);
	x[sizeof(x) - 1] = '\0';
	/* a long header line: nothing is checked, all comes out */
	ATF_REQUIRE(sa_cats(&msg, "X-A: ") == 0 && sa_cats(&msg, x) == 0 &&
	    sa_cats(&msg, "\nSubject: spam\n\nSPAM\n") == 0 && sa_0(&msg) == 0);
	EXPECT("/^Subject:/ IGNORE\n", b, msg.s, msg.s);
	/* in the body: checked up to it, not after */
	ATF_REQUIRE(sa_copys(&msg, "Subject: s\n\nSPAM\n") == 0 &&
	    sa_cats(&msg, x) == 0 && sa_cats(&msg, "\nSPAM\n") == 0 &&
	    sa_0(&msg) == 0);
	ATF_REQUIRE(sa_copys(&want, "Subject: s\n\n") == 0 &&
	    sa_cats(&want, x) == 0 && sa_cats(&want, "\nSPAM\n") == 0 &&
	    sa_0(&want) == 0);
	EXPECT(NULL, b, msg.s, want.s);
	/* CONTENT_LINE_MAX octets with the line end are within it */
	x[CONTENT_LINE_MAX - 1] = '\0';
	ATF_REQUIRE(sa_copys(&msg, "Subject: s\n\n") == 0 &&
	    sa_cats(&msg, x) == 0 && sa_cats(&msg, "\nSPAM\n") == 0 &&
	    sa_0(&msg) == 0);
	EXPECT(NULL, b, msg.s, "Subject: s\n\nlong\n");
	/* one more is not */
	x[CONTENT_LINE_MAX - 1] = 'x';
	x[CONTENT_LINE_MAX] = '\0';
	ATF_REQUIRE(sa_copys(&msg, "Subject: s\n\n") == 0 &&
	    sa_cats(&msg, x) == 0 && sa_cats(&msg, "\nSPAM\n") == 0 &&
	    sa_0(&msg) == 0);
	EXPECT(NULL, b, msg.s, msg.s);
	/* nor is a last line without its end */
	x[CONTENT_LINE_MAX] = 'x';
	ATF_REQUIRE(sa_copys(&msg, "Subject: s\n\nSPAM\n") == 0 &&
	    sa_cats(&msg, x) == 0 && sa_0(&msg) == 0);
	ATF_REQUIRE(sa_copys(&want, "Subject: s\n\n") == 0 &&
	    sa_cats(&want, x) == 0 && sa_0(&want) == 0);
	EXPECT(NULL, b, msg.s, want.s);
	sa_free(&msg);
	sa_free(&want);
}

ATF_TC_WITHOUT_HEAD(content_last_line);
ATF_TC_BODY(content_last_line, tc)
{
	struct checks h, b;
	struct content c;
	struct sa out = SA_INIT;
	const char *m = "Subject: s\n\nhello\nSPAM";

	EXPECT(NULL, "/^SPAM$/ IGNORE\n", m, "Subject: s\n\nhello\n");
	EXPECT("/^Subject: spam$/ IGNORE\n", NULL, "From: a\nSubject: spam",
	    "From: a\n");
	EXPECT("/^Subject: spam$/ IGNORE\n", NULL, "Subject: spam\n fold",
	    "Subject: spam\n fold");
	/* held until the end, checked then */
	table(&h, "/^From:/ WARN\n", 1);
	table(&b, "/^SPAM$/ WARN\n", 0);
	memset(&c, 0, sizeof(c));
	memset(&seen, 0, sizeof(seen));
	content_init(&c, &h, &b, logged, NULL);
	ATF_REQUIRE(content_feed(&c, m, strlen(m), &out) == 0);
	ATF_CHECK(out.len == 18 && memcmp(out.s, m, 18) == 0);
	ATF_CHECK_EQ(seen.body, 0);
	ATF_REQUIRE(content_end(&c, &out) == 0 && sa_0(&out) == 0);
	ATF_CHECK_STREQ(out.s, m);
	ATF_CHECK_EQ(seen.body, 1);
	/* a field is held until the next line shows it is not continued */
	out.len = 0;
	content_init(&c, &h, &b, logged, NULL);
	ATF_REQUIRE(content_feed(&c, "From: a\n", 8, &out) == 0);
	ATF_CHECK(out.len == 0 && seen.header == 0);
	ATF_REQUIRE(content_end(&c, &out) == 0 && sa_0(&out) == 0);
	ATF_CHECK_STREQ(out.s, "From: a\n");
	ATF_CHECK_EQ(seen.header, 1);
	content_free(&c);
	checks_free(&h);
	checks_free(&b);
	sa_free(&out);
}

ATF_TC_WITHOUT_HEAD(content_received);
ATF_TC_BODY(content_received, tc)
{
	const char *m = "Received: from client (client [192.0.2.1])\n"
	    "\tby mx.example.org (qpost) with ESMTPSA id 1\n"
	    "\tfor <u@example.org>; Mon, 1 Dec 2026 10:00:00 +0000\n"
	    "Received: from relay\n\tby x with ESMTP\nFrom: a\n\nbody\n";

	/* Postfix's recipe: . matches the line breaks of the field (unless
	   s turns that off) */
	EXPECT("/^Received: from .* with ESMTPSA/ IGNORE\n", NULL, m,
	    "Received: from relay\n\tby x with ESMTP\nFrom: a\n\nbody\n");
	EXPECT("/^Received: from .* with ESMTPSA/s IGNORE\n", NULL, m, m);
	EXPECT("/^Received: from ([^ ]+) .*192\\.0\\.2\\.1/ "
	    "REPLACE Received: from $1 (hidden)\n", NULL, m,
	    "Received: from client (hidden)\n"
	    "Received: from relay\n\tby x with ESMTP\nFrom: a\n\nbody\n");
}

ATF_TC_WITHOUT_HEAD(content_crlf);
ATF_TC_BODY(content_crlf, tc)
{
	EXPECT("/^X-Spam: (yes|part)$/ IGNORE\n"
	    "/^Subject: hi[[:space:]]+there$/ WARN\n", "/^SPAM$/ IGNORE\n",
	    "Subject: hi\r\n there\r\nX-Spam: yes\r\n"
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\npre\r\n"
	    "--b\r\nX-Spam: part\r\n\r\nSPAM\r\nok\r\n--b--\r\n",
	    "Subject: hi\r\n there\r\n"
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\npre\r\n"
	    "--b\r\n\r\nok\r\n--b--\r\n");
	expect_verdict("/^Subject: hi[[:space:]]+there$/ REJECT\n", NULL,
	    "From: a\r\nSubject: hi\r\n there\r\n\r\nx\r\n", "From: a\r\n",
	    CHECK_REFUSE);
}

ATF_TC_WITHOUT_HEAD(content_unfit);
ATF_TC_BODY(content_unfit, tc)
{
	struct content c;
	struct sa out = SA_INIT;

	/* a result unfit for the message is logged and does nothing */
	EXPECT("/^Subject: (.*)$/ REPLACE $1\n", NULL, "Subject: hi\n\nx\n",
	    "Subject: hi\n\nx\n");
	ATF_CHECK_EQ(seen.unfit, 1);
	ATF_CHECK_STREQ(seen.subject, "Subject: hi");
	filter(NULL, "/^(.*)$/ REDIRECT $1\n", "S: 1\n\nnot an address\n"
	    "u@example.org\n", 1, &c, &out);
	ATF_CHECK_STREQ(out.s, "S: 1\n\nnot an address\nu@example.org\n");
	ATF_CHECK_EQ(seen.unfit, 1);
	ATF_CHECK_EQ(seen.body, 1);
	ATF_CHECK(c.redirect.len == 13 && memcmp(c.redirect.s,
	    "u@example.org", 13) == 0);
	content_free(&c);
	sa_free(&out);
}

ATF_TC_WITHOUT_HEAD(content_reuse);
ATF_TC_BODY(content_reuse, tc)
{
	struct checks h, b;
	struct content c;
	struct sa out = SA_INIT;
	const char *m1 = "To: a\nSubject: go\nContent-Type: multipart/mixed;"
	    " boundary=q\n\n--q\nX: 1\n";
	const char *m2 = "Subject: ok\n\n--q\nX: 1\nbody\n";

	table(&h, "/^To:/ BCC c@example.org\n/^X:/ REDIRECT r@example.org\n",
	    1);
	table(&b, "/^body$/ REJECT\n", 0);
	memset(&c, 0, sizeof(c));
	content_init(&c, &h, &b, NULL, NULL);
	/* left in a part's header, with a field and a line held */
	ATF_REQUIRE(content_feed(&c, m1, strlen(m1), &out) == 0);
	ATF_REQUIRE(content_feed(&c, "Y: 2", 4, &out) == 0);
	ATF_CHECK_EQ(c.nbcc, 1);
	/* the next message starts afresh */
	out.len = 0;
	content_init(&c, &h, NULL, NULL, NULL);
	ATF_REQUIRE(content_feed(&c, m2, strlen(m2), &out) == 0);
	ATF_REQUIRE(content_end(&c, &out) == 0 && sa_0(&out) == 0);
	ATF_CHECK_STREQ(out.s, m2);
	ATF_CHECK_EQ(c.verdict, CHECK_DUNNO);
	ATF_CHECK(c.nbcc == 0 && c.bcc.len == 0 && c.redirect.len == 0);
	content_free(&c);
	checks_free(&h);
	checks_free(&b);
	sa_free(&out);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, parse_skipped);
	ATF_TP_ADD_TC(tp, parse_actions);
	ATF_TP_ADD_TC(tp, parse_errors);
	ATF_TP_ADD_TC(tp, parse_crlf);
	ATF_TP_ADD_TC(tp, match_first);
	ATF_TP_ADD_TC(tp, match_flags);
	ATF_TP_ADD_TC(tp, match_limit);
	ATF_TP_ADD_TC(tp, match_negate);
	ATF_TP_ADD_TC(tp, match_if);
	ATF_TP_ADD_TC(tp, match_dollar);
	ATF_TP_ADD_TC(tp, action_refuse);
	ATF_TP_ADD_TC(tp, action_texts);
	ATF_TP_ADD_TC(tp, content_identity);
	ATF_TP_ADD_TC(tp, content_ignore);
	ATF_TP_ADD_TC(tp, content_replace);
	ATF_TP_ADD_TC(tp, content_prepend);
	ATF_TP_ADD_TC(tp, content_fold);
	ATF_TP_ADD_TC(tp, content_reject);
	ATF_TP_ADD_TC(tp, content_discard);
	ATF_TP_ADD_TC(tp, content_hold);
	ATF_TP_ADD_TC(tp, content_redirect);
	ATF_TP_ADD_TC(tp, content_body);
	ATF_TP_ADD_TC(tp, content_mime);
	ATF_TP_ADD_TC(tp, content_rfc822);
	ATF_TP_ADD_TC(tp, content_deep);
	ATF_TP_ADD_TC(tp, content_body_limit);
	ATF_TP_ADD_TC(tp, content_field_limit);
	ATF_TP_ADD_TC(tp, content_line_limit);
	ATF_TP_ADD_TC(tp, content_last_line);
	ATF_TP_ADD_TC(tp, content_received);
	ATF_TP_ADD_TC(tp, content_crlf);
	ATF_TP_ADD_TC(tp, content_unfit);
	ATF_TP_ADD_TC(tp, content_reuse);
	return 0;
}
