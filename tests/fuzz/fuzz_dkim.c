/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_dkim - libFuzzer target for queue/dkim_req.c, what the DKIM
 * signer (qpdkim) parses from others: the request line a local user's
 * program may write, the header of the message (From), control/dkim,
 * and the answer qinject checks before it puts it on top of a message.
 * The input is cut in four at its first three NUL bytes.  Besides "no
 * sanitizer report" it checks: a parsed request has a valid id and a
 * known origin; the header end lies within the input, after an LF; a
 * From address found has exactly one '@', not at either end, and a
 * lower-case domain; every key found names the domain asked for with a
 * selector of the allowed bytes, and a broken file names a line within
 * it; an answer judged valid starts with the field name and ends in
 * LF.  A broken property aborts.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim_req.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_dkim: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

/* cut - the next part of the input, up to a NUL or the end. */
static const char *
cut(const char **p, const char *end, size_t *n)
{
	const char *s = *p, *nul = memchr(s, '\0', (size_t)(end - s));

	*n = (size_t)((nul != NULL ? nul : end) - s);
	*p = nul != NULL ? nul + 1 : end;
	return s;
}

static void
conf(const char *c, size_t cn, const char *dom)
{
	struct dkim_key keys[DKIM_SIG_MAX];
	size_t found, bad, i, j, lines = 1;

	for (i = 0; i < cn; i++)
		lines += c[i] == '\n';
	if (dkim_conf_keys(c, cn, dom, keys, DKIM_SIG_MAX, &found,
	    &bad) == -1) {
		CHECK(bad >= 1 && bad <= lines && found == 0);
		return;
	}
	CHECK(found <= DKIM_SIG_MAX);
	for (i = 0; i < found; i++) {
		CHECK(keys[i].selector[0] != '\0' && keys[i].keyfile[0] != '\0');
		for (j = 0; keys[i].selector[j] != '\0'; j++)
			CHECK(isalnum((unsigned char)keys[i].selector[j]) ||
			    strchr("._-", keys[i].selector[j]) != NULL);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *s, *at;
	char from[512];
	struct dkim_req rq;
	size_t n, e, i;
	int r;

	if (size > 1 << 20)
		return 0;
	s = cut(&p, end, &n);
	if (dkim_req_parse(s, n, &rq) == 0)
		CHECK(qid_valid(rq.id, strlen(rq.id)) &&
		    (rq.origin == DKIM_ORIGIN_LOCAL ||
		    rq.origin == DKIM_ORIGIN_AUTH));
	s = cut(&p, end, &n);
	e = dkim_header_end(s, n);
	CHECK(e <= n && (e == 0 || s[e - 1] == '\n'));
	r = dkim_from_address(s, e > 0 ? e : n, from, sizeof(from));
	CHECK(r == 0 || r == 1);
	if (r == 1) {
		at = strrchr(from, '@');
		CHECK(at != NULL && at != from && at[1] != '\0');
		for (i = (size_t)(at - from) + 1; from[i] != '\0'; i++)
			CHECK(!isupper((unsigned char)from[i]));
		conf(p, (size_t)(end - p), at + 1);
	}
	s = cut(&p, end, &n);
	conf(s, n, "example.test");
	if (dkim_reply_valid(p, (size_t)(end - p))) {
		CHECK(end - p >= 15 && end[-1] == '\n');
	}
	return 0;
}
