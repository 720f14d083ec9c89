/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_sts - libFuzzer target for send/sts_parse.c, MTA-STS's parsers:
 * the input goes through each of them as a TXT record, as an HTTP
 * response (with and without a clean end) and as a policy, and the
 * body an accepted response yields through the policy parser.  Besides
 * "no sanitizer report" it checks: an id is 1 to 32 letters and digits;
 * a refusal says why; an accepted body lies inside the input, at most
 * 64 KiB, and with need_length set is accepted without it too; an
 * accepted policy has a known mode, a max_age within a year, 1 to 32
 * mx patterns unless its mode is none, each a lower-case host name
 * (or "*." and one) that the matcher finds: the name itself, or for a
 * wildcard the name with a label in its place.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_sts: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

/* check_policy - an accepted policy as sts.h promises it */
static void
check_policy(const struct sts_policy *p)
{
	char host[DNS_NAME_MAX + 3];
	const char *s;
	size_t i;

	CHECK(p->mode == STS_NONE || p->mode == STS_TESTING ||
	    p->mode == STS_ENFORCE);
	CHECK(p->max_age >= 0 && p->max_age <= STS_AGE_MAX);
	CHECK(p->nmx <= STS_MX_MAX);
	CHECK(p->mode == STS_NONE || p->nmx > 0);
	for (i = 0; i < p->nmx; i++) {
		CHECK(p->mx[i][0] != '\0' && strlen(p->mx[i]) <= DNS_NAME_MAX);
		for (s = p->mx[i]; *s != '\0'; s++)
			CHECK(!isupper((unsigned char)*s) && (isalnum(
			    (unsigned char)*s) || strchr("-_.", *s) != NULL ||
			    (*s == '*' && s == p->mx[i])));
		if (p->mx[i][0] != '*') {
			CHECK(sts_mx_match(p, p->mx[i]));
			continue;
		}
		(void)snprintf(host, sizeof(host), "x%s", p->mx[i] + 1);
		CHECK(sts_mx_match(p, host));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *why;
	char id[STS_ID_MAX + 1];
	struct sts_policy p;
	size_t off, len, off2, len2, i;
	int r;

	if ((r = sts_txt_id(s, size, id)) == 1) {
		CHECK(id[0] != '\0' && strlen(id) <= STS_ID_MAX);
		for (i = 0; id[i] != '\0'; i++)
			CHECK(isalnum((unsigned char)id[i]));
	} else
		CHECK(r == 0 || r == -1);
	why = NULL;
	if (sts_policy_parse(s, size, &p, &why) == 0)
		check_policy(&p);
	else
		CHECK(why != NULL && why[0] != '\0');
	why = NULL;
	if (sts_http_body(s, size, 1, &off, &len, &why) == 0) {
		CHECK(sts_http_body(s, size, 0, &off2, &len2, &why) == 0);
		CHECK(off2 == off && len2 == len);
	} else
		CHECK(why != NULL && why[0] != '\0');
	why = NULL;
	if (sts_http_body(s, size, 0, &off, &len, &why) == 0) {
		CHECK(off <= size && len == size - off && len <= STS_BODY_MAX);
		if (sts_policy_parse(s + off, len, &p, &why) == 0)
			check_policy(&p);
	} else
		CHECK(why != NULL && why[0] != '\0');
	return 0;
}
