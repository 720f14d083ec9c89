/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_smtp_data - libFuzzer target for smtpd/smtpd_data.c.  The input:
 * octet 0 picks the mode (bit 0: DATA, else BDAT) and the size limit
 * (bits 1-2); octet 1 says how many piece sizes follow (0 to 7), each
 * one octet; the rest is the wire data.  The data is fed once whole
 * and once in pieces of those sizes, in turn (0 means an empty piece).
 * Properties: both give the same result, octets consumed, output, flags
 * and counters; the output holds no CR; 1 is returned only when the
 * consumed octets end with CRLF "." CRLF (or are exactly "." CRLF, the
 * empty message, where the DATA command's CRLF is the one before);
 * a message with no flags comes out as a plain reference conversion
 * says; the output never goes over the limit.  A broken property
 * aborts, which libFuzzer and replay report.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sa.h"
#include "smtpd_data.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_smtp_data: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

static const unsigned long long limits[] = { 0, 1, 100, 5000 };

/*
 * reference - what a message without flags must come out as: in DATA
 * mode the consumed lines but the last ("."), each CRLF made LF, a
 * leading dot removed; in BDAT mode every CRLF made LF.
 */
static void
reference(const char *s, size_t n, int dot_mode, int ended, struct sa *ref)
{
	size_t i, start = 0;

	if (dot_mode && ended)
		n -= 3;		/* the final "." CRLF */
	for (i = 0; i < n; i++) {
		int linestart = i == start;

		if (dot_mode && linestart && s[i] == '.')
			continue;
		/* a CR is CRLF's, or the last octet, waiting for its LF */
		if (s[i] == '\r' && (i + 1 == n || s[i + 1] == '\n'))
			continue;
		CHECK(sa_catc(ref, s[i]) == 0);
		if (s[i] == '\n')
			start = i + 1;
	}
}

/*
 * long_line - whether a line of s (split at each CRLF, the CRLF
 * counted; the last may be unended) is longer than DATA_LINE_MAX.
 */
static int
long_line(const char *s, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i + 1 < n; i++)
		if (s[i] == '\r' && s[i + 1] == '\n') {
			if (i + 2 - start > DATA_LINE_MAX)
				return 1;
			start = i + 2;
			i++;
		}
	return n - start > DATA_LINE_MAX;
}

/*
 * clean - whether s has nothing but the size that could flag it: no
 * NUL, no LF without its CR, no CR without its LF (but the last octet
 * of DATA not yet ended, still waiting), no long line, and no
 * "received" anywhere (a loop is not worth modelling here).
 */
static int
clean(const char *s, size_t n, int waiting)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\0' || (s[i] == '\n' && (i == 0 ||
		    s[i - 1] != '\r')))
			return 0;
		if (s[i] == '\r' && (i + 1 == n ? !waiting : s[i + 1] != '\n'))
			return 0;
		if (n - i >= 8 && strncasecmp(s + i, "received", 8) == 0)
			return 0;
	}
	return !long_line(s, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sa whole = SA_INIT, parts = SA_INIT, ref = SA_INIT;
	struct data d1, d2;
	const char *s;
	size_t nsizes, n, off, used, used1, k, piece, i;
	unsigned char sizes[7];
	unsigned long long max;
	int dot_mode, rc1, rc2 = 0;

	if (size < 2)
		return 0;
	dot_mode = data[0] & 1;
	max = limits[(data[0] >> 1) & 3];
	nsizes = data[1] % 8;
	if (size < 2 + nsizes)
		return 0;
	memcpy(sizes, data + 2, nsizes);
	s = (const char *)data + 2 + nsizes;
	n = size - 2 - nsizes;

	/* whole */
	data_init(&d1, dot_mode, max);
	rc1 = data_feed(&d1, s, n, &used1, &whole);
	CHECK(rc1 == 0 || rc1 == 1);
	if (rc1 == 0)
		CHECK(used1 == n);
	else
		CHECK(used1 <= n);
	if (!dot_mode) {
		CHECK(rc1 == 0);
		data_end_chunks(&d1, &whole);
	}

	/* in pieces; all sizes 0 (or none) means one octet at a time */
	for (i = 0; i < nsizes && sizes[i] == 0; i++)
		;
	if (i == nsizes)
		nsizes = 0;
	data_init(&d2, dot_mode, max);
	for (off = 0, k = 0;; k++) {
		piece = nsizes ? sizes[k % nsizes] : 1;
		if (piece > n - off)
			piece = n - off;
		rc2 = data_feed(&d2, s + off, piece, &used, &parts);
		CHECK(rc2 == 0 || rc2 == 1);
		CHECK(used <= piece);
		off += used;
		if (rc2 == 1)
			break;
		CHECK(used == piece);
		if (off == n)
			break;
	}
	if (!dot_mode)
		data_end_chunks(&d2, &parts);

	CHECK(rc1 == rc2 && used1 == off);
	CHECK(whole.len == parts.len &&
	    (whole.len == 0 || memcmp(whole.s, parts.s, whole.len) == 0));
	CHECK(d1.flags == d2.flags && d1.size == d2.size &&
	    d1.received == d2.received && d1.in_header == d2.in_header);
	CHECK(whole.len == d1.size);
	if (max > 0)
		CHECK(d1.size <= max);
	if (whole.len > 0)
		CHECK(memchr(whole.s, '\r', whole.len) == NULL);
	if (rc1 == 1)
		CHECK((used1 >= 5 && memcmp(s + used1 - 5, "\r\n.\r\n", 5) == 0) ||
		    (used1 == 3 && memcmp(s, ".\r\n", 3) == 0));
	if (d1.flags == 0) {
		reference(s, used1, dot_mode, rc1, &ref);
		CHECK(ref.len == whole.len &&
		    (ref.len == 0 || memcmp(ref.s, whole.s, ref.len) == 0));
	}
	if (d1.flags & DATA_LOOP)
		CHECK(d1.received > DATA_RECEIVED_MAX);
	/* the flags as the input deserves: the line limit exactly, and a
	 * clean input flagged for its size alone, and only over max */
	CHECK(!(d1.flags & DATA_LONG_LINE) == !long_line(s, used1));
	if (clean(s, used1, dot_mode && rc1 == 0)) {
		sa_free(&ref);
		reference(s, used1, dot_mode, rc1, &ref);
		CHECK(d1.flags == (max > 0 && ref.len > max ? DATA_TOO_BIG : 0));
	}
	for (i = 0; i < whole.len; i++)
		CHECK(whole.s[i] != '\0');
	sa_free(&whole);
	sa_free(&parts);
	sa_free(&ref);
	return 0;
}
