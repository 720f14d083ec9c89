/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_addr - libFuzzer target for lib/addr.c, the RFC 5321 path and
 * mailbox parser every address from a peer goes through.  The first
 * input byte picks the flags (ADDR_UTF8, ADDR_NULL, ADDR_POSTMASTER,
 * ADDR_BARE), the rest is the text.  Besides "no sanitizer report" it
 * checks: an accepted address holds no CR, LF or NUL and keeps to the
 * RFC 5321 limits; the normalisation is idempotent (parse, format,
 * parse gives the same address, and so does the path form "<...>");
 * the consumed length of a path stays inside the input; the plain
 * local part used for lookups and file names has no control byte and
 * no '/'.  A broken property aborts, which libFuzzer and replay report.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_addr: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

static int
same_addr(const struct addr *a, const struct addr *b)
{
	return a->is_null == b->is_null && strcmp(a->local, b->local) == 0 &&
	    strcmp(a->domain, b->domain) == 0;
}

/* check_clean - an accepted address is clean and within the limits. */
static void
check_clean(const struct addr *a, int flags)
{
	size_t ll = strnlen(a->local, sizeof(a->local));
	size_t dl = strnlen(a->domain, sizeof(a->domain));
	char plain[ADDR_LOCAL_MAX + 1];
	size_t i;

	CHECK(ll <= ADDR_LOCAL_MAX && dl <= ADDR_DOMAIN_MAX);
	CHECK(strpbrk(a->local, "\r\n") == NULL);
	CHECK(strpbrk(a->domain, "\r\n") == NULL);
	if (a->is_null) {
		CHECK(ll == 0 && dl == 0);
		return;
	}
	CHECK(ll > 0);
	if (!(flags & ADDR_UTF8)) {
		CHECK(addr_is_ascii(a->local) && addr_is_ascii(a->domain));
	}
	if (dl > 0)
		CHECK(addr_valid_domain(a->domain, dl, flags));
	if (addr_localpart_plain(a, plain, sizeof(plain)) == 0) {
		CHECK(strlen(plain) <= ll);
		for (i = 0; plain[i] != '\0'; i++)
			CHECK((unsigned char)plain[i] >= 32 &&
			    plain[i] != 127 && plain[i] != '/');
	}
}

/* again - format a, parse it back bare and as a path: the same address. */
static void
again(const struct addr *a, int flags)
{
	char text[ADDR_PATH_MAX + 1], path[ADDR_PATH_MAX + 3];
	struct addr b;
	size_t used, n;

	CHECK(addr_format(a, text, sizeof(text)) == 0);
	n = strlen(text);
	snprintf(path, sizeof(path), "<%s>", text);
	if (!a->is_null) {
		CHECK(addr_parse(text, n, &b, flags | ADDR_BARE) == 1);
		CHECK(same_addr(a, &b));
	}
	/* a bare local part has no path form, except <Postmaster> */
	if (!a->is_null && a->domain[0] == '\0' &&
	    !((flags & ADDR_POSTMASTER) &&
	    strcasecmp(a->local, "postmaster") == 0))
		return;
	if (n + 2 <= ADDR_PATH_MAX) {
		CHECK(addr_parse_path(path, n + 2, &b, flags, &used) == 1);
		CHECK(used == n + 2);
		CHECK(same_addr(a, &b));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;
	struct addr a;
	size_t n, used, span;
	int flags;

	if (size < 1 || size > 1024)
		return 0;
	flags = data[0] & (ADDR_UTF8 | ADDR_NULL | ADDR_POSTMASTER |
	    ADDR_BARE);
	n = size - 1;
	if (addr_parse(s, n, &a, flags) == 1) {
		CHECK(memchr(s, '\0', n) == NULL);
		CHECK(!a.is_null);
		check_clean(&a, flags);
		again(&a, flags);
	}
	span = addr_path_span(s, n);
	CHECK(span <= n);
	if (span > 0)
		CHECK(s[0] == '<' && s[span - 1] == '>');
	used = (size_t)-1;
	if (addr_parse_path(s, n, &a, flags, &used) == 1) {
		CHECK(used == span && used <= n && used <= ADDR_PATH_MAX);
		CHECK(!a.is_null || (flags & ADDR_NULL));
		check_clean(&a, flags);
		again(&a, flags);
	}
	(void)addr_valid_domain(s, n, flags);
	return 0;
}
