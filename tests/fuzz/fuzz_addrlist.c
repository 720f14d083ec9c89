/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_addrlist - libFuzzer target for queue/addrlist.c (the address
 * lists sendmail -t reads from To:, Cc: and Bcc:) and for the input
 * filter of queue/sendmail_body.c.  Besides "no sanitizer report" it
 * checks: the parser answers OK or BAD (never NOMEM at this size), and
 * leaves the output untouched when it refuses; each address it accepts
 * is non-empty, at most 254 octets, has an '@' with text on both sides
 * and holds no control byte (a tab only, inside quotes); the accepted
 * addresses, joined with ", ", parse again to the same list (parse,
 * format, parse).  The filter, without the lone-dot rule, turns
 * exactly each CRLF into LF, whole or fed in two pieces.  A broken
 * property aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrlist.h"
#include "sendmail.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_addrlist: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

/* check_list - the properties of an accepted list of count addresses. */
static void
check_list(const struct sa *out, size_t count)
{
	const char *a = out->s, *end, *at;
	size_t n = 0, len, i;

	if (out->len == 0) {
		CHECK(count == 0);
		return;
	}
	end = out->s + out->len;
	while (a < end) {
		len = strlen(a);
		CHECK(a + len < end);
		CHECK(len > 0 && len <= 254);
		at = strrchr(a, '@');
		CHECK(at != NULL && at != a && at[1] != '\0');
		for (i = 0; i < len; i++)
			CHECK(((unsigned char)a[i] >= 32 || a[i] == '\t') &&
			    a[i] != 127);
		a += len + 1;
		n++;
	}
	CHECK(n == count);
}

/* again - join the addresses with ", " and parse: the same list. */
static void
again(const struct sa *out, size_t count)
{
	struct sa joined = SA_INIT, out2 = SA_INIT;
	const char *a, *why;
	size_t count2 = 0;

	for (a = out->s; out->len > 0 && a < out->s + out->len;
	    a += strlen(a) + 1)
		CHECK(sa_cats(&joined, a) == 0 && sa_cats(&joined, ", ") == 0);
	CHECK(addrlist_parse(joined.s, joined.len, "me.test", &out2, &count2,
	    &why) == ADDRLIST_OK);
	CHECK(count2 == count && out2.len == out->len);
	CHECK(out->len == 0 || memcmp(out2.s, out->s, out->len) == 0);
	sa_free(&joined);
	sa_free(&out2);
}

/* filter - the input filter without -i's rule: CRLF -> LF, nothing
 * else; cut is where the input is split in two calls. */
static void
filter(const char *s, size_t size, size_t cut)
{
	struct body_filter f;
	char *out = malloc(size + 4), *want = malloc(size + 1);
	size_t o, w = 0, i;

	CHECK(out != NULL && want != NULL);
	for (i = 0; i < size; i++)
		if (!(s[i] == '\r' && i + 1 < size && s[i + 1] == '\n'))
			want[w++] = s[i];
	body_filter_init(&f, 0);
	o = body_filter_run(&f, s, cut, out);
	CHECK(o <= cut + 2);
	o += body_filter_run(&f, s + cut, size - cut, out + o);
	o += body_filter_end(&f, out + o);
	CHECK(!f.ended);
	CHECK(o == w && memcmp(out, want, w) == 0);
	/* with the rule, the output is a prefix of that, up to a line */
	body_filter_init(&f, 1);
	o = body_filter_run(&f, s, size, out);
	o += body_filter_end(&f, out + o);
	CHECK(o <= w && memcmp(out, want, o) == 0);
	free(out);
	free(want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *why = NULL;
	struct sa out = SA_INIT;
	size_t count = 0;
	int r;

	if (size > 4096)
		return 0;
	r = addrlist_parse(s, size, size % 2 ? "me.test" : NULL, &out, &count,
	    &why);
	CHECK(r == ADDRLIST_OK || r == ADDRLIST_BAD);
	CHECK(why != NULL);
	if (r == ADDRLIST_OK) {
		check_list(&out, count);
		again(&out, count);
	} else
		CHECK(out.len == 0 && count == 0 && why[0] != '\0');
	sa_free(&out);
	filter(s, size, size > 0 ? data[0] % (size + 1) : 0);
	return 0;
}
