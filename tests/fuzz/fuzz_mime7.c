/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_mime7 - libFuzzer target for send/mime7.c, which remote runs on
 * any message a local user or a stranger had queued, when the next hop
 * lacks 8BITMIME.  Besides "no sanitizer report" it checks: the answer
 * is 0 or 1 (1 with a reason, and nothing appended); a message with no
 * byte over 0x7f comes out byte for byte; a converted one has no such
 * byte left and converts again to itself.  The input as a body:
 * mime7_qp's lines are at most 76 bytes, only printable ASCII, blanks
 * never last, and decoding gives the input back with each CR LF made LF.
 * A broken property aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime7.h"
#include "sa.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_mime7: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

#define PREFIX	"kept\n"	/* what out held before: never touched */

/* hex - a hex digit's value, or -1 */
static int
hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* check_qp - q's lines obey RFC 2045 6.7, and q decodes to in */
static void
check_qp(const char *in, size_t n, const struct sa *q)
{
	struct sa dec = SA_INIT, want = SA_INIT;
	size_t i, col = 0;

	for (i = 0; i < q->len; i++) {
		unsigned char b = (unsigned char)q->s[i];

		if (b == '\n') {
			CHECK(i == 0 || (q->s[i - 1] != ' ' &&
			    q->s[i - 1] != '\t'));
			col = 0;
			CHECK(sa_catc(&dec, '\n') == 0);
			continue;
		}
		CHECK((b >= 33 && b <= 126) || b == ' ' || b == '\t');
		CHECK(++col <= MIME7_LINE);
		if (b != '=') {
			CHECK(sa_catc(&dec, (char)b) == 0);
			continue;
		}
		if (i + 1 < q->len && q->s[i + 1] == '\n') {
			i++;	/* a soft break */
			col = 0;
			continue;
		}
		CHECK(i + 2 < q->len);
		CHECK(hex(q->s[i + 1]) >= 0 && hex(q->s[i + 2]) >= 0);
		CHECK(sa_catc(&dec, (char)(hex(q->s[i + 1]) * 16 +
		    hex(q->s[i + 2]))) == 0);
		i += 2;
		col += 2;
		CHECK(col <= MIME7_LINE);
	}
	CHECK(q->len == 0 || (q->s[q->len - 1] != ' ' &&
	    q->s[q->len - 1] != '\t'));
	for (i = 0; i < n; i++)
		if (!(in[i] == '\r' && i + 1 < n && in[i + 1] == '\n'))
			CHECK(sa_catc(&want, in[i]) == 0);
	CHECK(dec.len == want.len && (dec.len == 0 ||
	    memcmp(dec.s, want.s, dec.len) == 0));
	sa_free(&dec);
	sa_free(&want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *why = NULL;
	struct sa out = SA_INIT, again = SA_INIT, q = SA_INIT;
	size_t kept = strlen(PREFIX);
	int r;

	CHECK(sa_cats(&out, PREFIX) == 0);
	r = mime7_convert(in, size, &out, &why);
	CHECK(r == 0 || r == 1);
	CHECK(memcmp(out.s, PREFIX, kept) == 0);
	if (r == 1) {
		CHECK(why != NULL && out.len == kept);
		CHECK(mime7_has8(in, size));
	} else {
		CHECK(!mime7_has8(out.s, out.len));
		if (!mime7_has8(in, size))
			CHECK(out.len - kept == size &&
			    memcmp(out.s + kept, in, size) == 0);
		CHECK(mime7_convert(out.s + kept, out.len - kept, &again,
		    &why) == 0);
		CHECK(again.len == out.len - kept && (again.len == 0 ||
		    memcmp(again.s, out.s + kept, again.len) == 0));
	}
	CHECK(mime7_qp(&q, in, size) == 0);
	check_qp(in, size, &q);
	sa_free(&out);
	sa_free(&again);
	sa_free(&q);
	return 0;
}
