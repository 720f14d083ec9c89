/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_content - libFuzzer target for smtpd/checks.c and
 * smtpd/content.c: the admin's header and body checks applied by smtpd
 * to a message a stranger sent.  The input is a table's text, a line
 * "%%", then the message; with no such line, all of it is the message.
 * The text is read as a header table and as a body table; where it
 * does not parse (or is absent), a fixed table with IGNORE, REPLACE,
 * PREPEND, REJECT, BCC and REDIRECT rules stands in.  The message is
 * fed whole, then in pieces whose sizes come from the input's hash.
 * Besides "no sanitizer report" (a table refused leaks nothing) it
 * checks: a refused table's reason names its line; both feedings give
 * the same output, verdict, refusal, recipients and log; the output
 * has no NUL the message lacked; with no tables, or tables of DUNNO
 * and WARN, and whenever no rule matched that changes the message, the
 * output is the message byte for byte; a refusal has a 4xx or 5xx code
 * of its class and printable text; REDIRECT and BCC give addresses, no
 * more than CONTENT_BCC_MAX of BCC; the message is held exactly when a
 * HOLD rule matched.  A broken property aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "checks.h"
#include "content.h"
#include "sa.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_content: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

#define SEP	"%%\n"

static const char fixed_header[] =
    "/^X-Drop:/ IGNORE\n"
    "/^Subject: (.*)$/ REPLACE Subject: [checked] $1\n"
    "/^From:/ PREPEND X-Seen: yes\n"
    "/^X-Bad:/ REJECT 5.7.1 bad header\n"
    "/name=\"?.*\\.exe/ REJECT no executables\n"
    "/^X-Later:/ DEFER\n"
    "/^To:/ BCC copy@example.org\n"
    "/^X-Redirect: ([a-z]+)/ REDIRECT $1@example.org\n"
    "/^X-Discard:/ DISCARD\n"
    "/^X-Hold:/ HOLD for review\n"
    "if /^Received:/\n"
    "/ESMTPSA/ IGNORE\n"
    "!/by / PREPEND X-Odd: $$\n"
    "endif\n";
static const char fixed_body[] =
    "/^drop/ IGNORE\n"
    "/^secret (.*)/ REPLACE hidden $1\n"
    "/^mark/ PREPEND marked\n"
    "/^reject/ REJECT\n"
    "/^warn/ WARN\n"
    "/^bcc ([a-z]+)/ BCC $1@example.org\n";
static const char quiet[] =		/* decides nothing */
    "/./ WARN $$\n"
    "/^(.)/ DUNNO\n"
    "if !/x/\n"
    "/a/ INFO\n"
    "endif\n";

/* what the log was told */
struct seen {
	unsigned long	n;		/* calls */
	unsigned long	changed;	/* actions changing the output */
	unsigned long	holds;		/* HOLD actions */
	uint32_t	hash;		/* of everything it was told */
};

static uint32_t
fnv(uint32_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n-- > 0)
		h = (h ^ *s++) * 16777619u;
	return h;
}

static void
logged(void *arg, const char *where, const char *subject,
    const struct check_action *a, const char *problem)
{
	struct seen *s = arg;

	s->n++;
	s->hash = fnv(s->hash, where, strlen(where) + 1);
	s->hash = fnv(s->hash, subject, strlen(subject) + 1);
	if (a == NULL) {
		s->hash = fnv(s->hash, problem, strlen(problem) + 1);
		return;
	}
	s->hash = fnv(s->hash, a->word, strlen(a->word) + 1);
	s->hash = fnv(s->hash, a->arg, strlen(a->arg) + 1);
	switch (a->verdict) {
	case CHECK_REFUSE:
	case CHECK_DISCARD:
	case CHECK_IGNORE:
	case CHECK_REPLACE:
	case CHECK_PREPEND:
		s->changed++;
		break;
	case CHECK_HOLD:
		s->holds++;
		break;
	default:
		break;
	}
}

/* table - text, or the fallback where it does not parse */
static void
table(struct checks *c, const char *text, size_t n, int is_header,
    const char *fallback)
{
	char why[CHECKS_WHY_MAX];

	if (text != NULL) {
		why[0] = '\0';
		if (checks_parse(c, text, n, is_header, why,
		    sizeof(why)) == 0)
			return;
		CHECK(strncmp(why, "line ", 5) == 0 && why[5] >= '1' &&
		    why[5] <= '9');
		CHECK(c->n == 0 && c->rule == NULL);
	}
	CHECK(checks_parse(c, fallback, strlen(fallback), is_header, why,
	    sizeof(why)) == 0);
}

struct run {
	struct content	c;
	struct sa	out;
	struct seen	seen;
};

/*
 * run - msg through the tables, whole (seed 0) or in pieces sized by
 * the seed
 */
static void
run(struct run *r, const struct checks *h, const struct checks *b,
    const char *msg, size_t n, uint32_t seed)
{
	size_t i, k;

	memset(r, 0, sizeof(*r));
	r->seen.hash = 2166136261u;
	content_init(&r->c, h, b, logged, &r->seen);
	for (i = 0; i < n; i += k) {
		k = n - i;
		if (seed != 0) {
			seed ^= seed << 13;
			seed ^= seed >> 17;
			seed ^= seed << 5;
			k = seed % 8 == 0 ? 1 + seed % 700 : 1 + seed % 17;
			if (k > n - i)
				k = n - i;
		}
		CHECK(content_feed(&r->c, msg + i, k, &r->out) == 0);
	}
	CHECK(content_end(&r->c, &r->out) == 0);
	CHECK(!r->c.nomem);
}

static void
run_free(struct run *r)
{
	content_free(&r->c);
	sa_free(&r->out);
}

static int
same(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* is_message - the output is the message, byte for byte */
static int
is_message(const struct run *r, const char *msg, size_t n)
{
	return same(r->out.s, r->out.len, msg, n);
}

static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

static int
is_addr(const char *s, size_t n)
{
	struct addr a;

	return memchr(s, '\0', n) == NULL && addr_parse(s, n, &a, 0);
}

/* decided - what was decided for the message holds together */
static void
decided(const struct run *r)
{
	const struct content *c = &r->c;
	const char *p, *end;
	size_t k = 0;

	CHECK(c->verdict == CHECK_DUNNO || c->verdict == CHECK_REFUSE ||
	    c->verdict == CHECK_DISCARD);
	CHECK(c->hold == (r->seen.holds > 0));
	if (c->verdict == CHECK_REFUSE) {
		CHECK(c->refusal.code == 450 || c->refusal.code == 550);
		CHECK(c->refusal.status[0] == '0' + c->refusal.code / 100 &&
		    c->refusal.status[1] == '.');
		CHECK(c->refusal.text[0] != '\0' && printable(c->refusal.text));
	}
	if (c->redirect.len > 0)
		CHECK(is_addr(c->redirect.s, c->redirect.len));
	CHECK(c->nbcc <= CONTENT_BCC_MAX);
	if (c->nbcc == 0) {
		CHECK(c->bcc.len == 0);
		return;
	}
	CHECK(c->bcc.len > 0 && c->bcc.s[c->bcc.len - 1] == '\0');
	for (p = c->bcc.s, end = p + c->bcc.len; k < c->nbcc; k++) {
		size_t len = strlen(p);

		CHECK(p + len < end && is_addr(p, len));
		p += len + 1;
	}
	CHECK(p == end);
}

/* alike - two feedings of one message decided the same */
static void
alike(const struct run *a, const struct run *b)
{
	CHECK(same(a->out.s, a->out.len, b->out.s, b->out.len));
	CHECK(a->c.verdict == b->c.verdict);
	CHECK(a->c.refusal.code == b->c.refusal.code &&
	    strcmp(a->c.refusal.status, b->c.refusal.status) == 0 &&
	    strcmp(a->c.refusal.text, b->c.refusal.text) == 0);
	CHECK(same(a->c.redirect.s, a->c.redirect.len, b->c.redirect.s,
	    b->c.redirect.len));
	CHECK(same(a->c.bcc.s, a->c.bcc.len, b->c.bcc.s, b->c.bcc.len));
	CHECK(a->c.nbcc == b->c.nbcc);
	CHECK(a->c.hold == b->c.hold);
	CHECK(a->seen.n == b->seen.n && a->seen.changed == b->seen.changed &&
	    a->seen.hash == b->seen.hash);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *text = NULL, *msg = in;
	const char *sep = NULL;
	struct checks h, b, qh, qb;
	struct run *whole, *pieces;
	size_t tn = 0, n = size;
	uint32_t seed;

	if (size >= 3 && memcmp(in, SEP, 3) == 0)
		sep = in;
	else if ((sep = memmem(in, size, "\n" SEP, 4)) != NULL)
		sep++;
	if (sep != NULL) {
		text = in;
		tn = (size_t)(sep - in);
		msg = sep + 3;
		n = size - tn - 3;
	}
	seed = fnv(2166136261u, data, size) | 1;
	if ((whole = calloc(1, sizeof(*whole))) == NULL ||
	    (pieces = calloc(1, sizeof(*pieces))) == NULL) {
		free(whole);
		return 0;
	}

	/* the tables as read, or the fixed ones */
	table(&h, text, tn, 1, fixed_header);
	table(&b, text, tn, 0, fixed_body);
	run(whole, &h, &b, msg, n, 0);
	run(pieces, &h, &b, msg, n, seed);
	decided(whole);
	alike(whole, pieces);
	if (whole->out.len > 0 &&
	    memchr(whole->out.s, '\0', whole->out.len) != NULL)
		CHECK(memchr(msg, '\0', n) != NULL);
	if (whole->seen.changed == 0)
		CHECK(whole->c.verdict == CHECK_DUNNO &&
		    is_message(whole, msg, n));
	run_free(whole);
	run_free(pieces);
	checks_free(&h);
	checks_free(&b);

	/* no tables: the message as it came */
	run(whole, NULL, NULL, msg, n, 0);
	CHECK(is_message(whole, msg, n) && whole->seen.n == 0);
	run_free(whole);
	run(pieces, NULL, NULL, msg, n, seed);
	CHECK(is_message(pieces, msg, n));
	run_free(pieces);

	/* rules that decide nothing change nothing */
	table(&qh, NULL, 0, 1, quiet);
	table(&qb, NULL, 0, 0, quiet);
	run(pieces, &qh, &qb, msg, n, seed);
	CHECK(is_message(pieces, msg, n) && pieces->seen.changed == 0);
	CHECK(pieces->c.verdict == CHECK_DUNNO && pieces->c.redirect.len == 0 &&
	    pieces->c.nbcc == 0 && !pieces->c.hold);
	run_free(pieces);
	checks_free(&qh);
	checks_free(&qb);
	free(whole);
	free(pieces);
	return 0;
}
