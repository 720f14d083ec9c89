/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_header - libFuzzer target for queue/header.c, the header
 * scanners qinject -t runs over a local user's message: header_is_field
 * and header_is on each line, and header_addresses on the unfolded
 * value of each To, Cc and Bcc field, with the continuation lines
 * joined as qinject's header_line() joins them.  (That loop is static
 * in qinject.c, tied to its reads and exits; this target walks the
 * lines the same way and fuzzes the functions it calls.)  Besides "no
 * sanitizer report" it checks: the field tests agree with the RFC 5322
 * field-name rule; header_addresses, on input without NUL, appends
 * exactly *count non-empty, NUL-terminated strings without a blank at
 * either end, in memory bounded by the input (out.len <= n + count);
 * an address written alone, with no comment, angle bracket, group or
 * list separator, comes back exactly as written (quoted-pairs kept).
 * A broken property aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "header.h"
#include "sa.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_header: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

/* field_name_ok - the RFC 5322 field-name rule, written out again. */
static int
field_name_ok(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	const char *p;

	if (colon == NULL || colon == s)
		return 0;
	for (p = s; p < colon; p++)
		if ((unsigned char)*p <= 32 || (unsigned char)*p >= 127)
			return 0;
	return 1;
}

/* has_any - whether one of the n bytes at v is in set. */
static int
has_any(const char *v, size_t n, const char *set)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] != '\0' && strchr(set, v[i]) != NULL)
			return 1;
	return 0;
}

/* addresses - header_addresses on v, with its properties. */
static void
addresses(const char *v, size_t n)
{
	struct sa out = SA_INIT;
	size_t count = 0, k = 0;
	const char *a, *end;

	CHECK(header_addresses(v, n, &out, &count) == 0);
	CHECK(count <= n / 1 + 1);
	CHECK(out.len <= n + count);
	if (out.len > 0 && memchr(v, '\0', n) == NULL) {
		for (a = out.s, end = out.s + out.len; a < end;
		    a += strlen(a) + 1, k++) {
			size_t l = strlen(a);

			CHECK(l > 0 && a + l < end);
			CHECK(a[0] != ' ' && a[0] != '\t' &&
			    a[l - 1] != ' ' && a[l - 1] != '\t');
		}
		CHECK(k == count);
	} else if (out.len == 0)
		CHECK(count == 0);
	/* one bare addr-spec: comes back as written, trimmed */
	if (n > 0 && memchr(v, '\0', n) == NULL &&
	    !has_any(v, n, "(<>,;:\r\n \t") && count == 1)
		CHECK(out.len == n + 1 && memcmp(out.s, v, n) == 0);
	sa_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *line, *nl, *end = s + size;
	struct sa field = SA_INIT;
	int in_rcpt = 0;

	if (size > 65536)
		return 0;
	/* the whole input as one field value, too */
	addresses(s, size);
	for (line = s; line < end; line = nl) {
		size_t n;
		int cont;

		nl = memchr(line, '\n', (size_t)(end - line));
		nl = nl ? nl + 1 : end;
		n = (size_t)(nl - line);
		cont = line[0] == ' ' || line[0] == '\t';
		if (!cont) {
			if (in_rcpt)
				addresses(field.s, field.len);
			in_rcpt = 0;
			field.len = 0;
			CHECK(header_is_field(line, n) ==
			    field_name_ok(line, n));
			if (!header_is_field(line, n))
				break;	/* the header ends */
			in_rcpt = header_is(line, n, "To") ||
			    header_is(line, n, "Cc") ||
			    header_is(line, n, "Bcc");
			if (in_rcpt) {
				const char *colon = memchr(line, ':', n);

				CHECK(colon != NULL);
				n -= (size_t)(colon + 1 - line);
				line = colon + 1;
			}
		}
		if (in_rcpt)
			CHECK(sa_catb(&field, line, n) == 0);
	}
	if (in_rcpt)
		addresses(field.s, field.len);
	sa_free(&field);
	return 0;
}
