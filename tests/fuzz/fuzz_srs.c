/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_srs - libFuzzer target for lib/srs.c: the input, as a recipient's
 * local part a stranger sends, goes through srs_reverse, and as a
 * sender through srs_forward.  Besides "no sanitizer report" it checks:
 * srs_reverse answers 1, 0 or -1, -1 with a reason, 1 with an address
 * that has a domain; a sender srs_forward rewrites has a local part of
 * at most 64 octets at the SRS domain; a plain one turns back into
 * exactly itself, that day and SRS_MAXAGE days later, but not the day
 * after; another forwarder's SRS address becomes SRS1, which turns
 * back into an SRS0 address whatever the day.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srs.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_srs: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

#define NOW	1764633600LL
#define DAY	86400LL

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char keytext[] = "fuzz-key-0123456789";
	char in[600], out[700], back[700], *at;
	const char *why = NULL;
	struct srs_key k;
	int r;

	if (size >= sizeof(in))
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	CHECK(srs_key_parse(keytext, sizeof(keytext) - 1, &k) == 0);
	r = srs_reverse(&k, in, NOW, out, sizeof(out), &why);
	CHECK(r == 1 || r == 0 || r == -1);
	CHECK(r != -1 || (why != NULL && why[0] != '\0'));
	CHECK(r != 1 || ((at = strrchr(out, '@')) != NULL && at[1] != '\0'));
	if (srs_forward(&k, in, "fwd.test", NOW, out, sizeof(out)) != 1)
		return 0;
	at = strrchr(out, '@');
	CHECK(at != NULL && strcmp(at, "@fwd.test") == 0);
	CHECK((size_t)(at - out) <= 64);
	*at = '\0';
	CHECK(srs_is_srs(out));
	CHECK(srs_reverse(&k, out, NOW, back, sizeof(back), &why) == 1);
	if (srs_is_srs(in)) {
		CHECK(strncmp(out, "SRS1=", 5) == 0);
		CHECK(strncmp(back, "SRS0=", 5) == 0);
		CHECK(srs_reverse(&k, out, NOW + 1000 * DAY, back,
		    sizeof(back), &why) == 1);
		return 0;
	}
	CHECK(strcmp(back, in) == 0);
	CHECK(srs_reverse(&k, out, NOW + SRS_MAXAGE * DAY, back, sizeof(back),
	    &why) == 1);
	CHECK(srs_reverse(&k, out, NOW + (SRS_MAXAGE + 1) * DAY, back,
	    sizeof(back), &why) == -1);
	return 0;
}
