/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_verify - libFuzzer target for what qpverify parses from outside:
 * the header section of a message from port 25 (queue/verify_ar.c: the
 * field walk, the authserv-id of each Authentication-Results field,
 * the removal of those claiming ours, the From: domain) and the DNS
 * answers of its PTR lookups (queue/verify_ptr.c).  The first
 * byte picks the parser.  Besides "no sanitizer report" it checks:
 * ar_strip keeps every byte of the header section that is not in a
 * removed field, in order, and what it keeps claims ours nowhere; an
 * authserv-id read is non-empty, lower case, without a trailing dot;
 * the PTR parser returns exactly *n NUL-terminated names.  A broken
 * property aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "verify_ar.h"
#include "verify_dns.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_verify: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

#define OURS	"mx.example.org"

/* header - the header walk, the ids, the removal, the From: domain. */
static void
header(const char *p, size_t n)
{
	char id[AR_ID_MAX + 1], dom[DNS_NAME_MAX + 1];
	struct sa out = SA_INIT, again = SA_INIT;
	size_t i = 0, k, len, removed, removed2, kept = 0;

	while ((k = ar_field_len(p + i, n - i)) > 0) {
		CHECK(k <= n - i);
		if (ar_field_id(p + i, k, id) == 1) {
			CHECK(id[0] != '\0' && strlen(id) <= AR_ID_MAX);
			CHECK(id[strlen(id) - 1] != '.');
			for (const char *c = id; *c; c++)
				CHECK(*c < 'A' || *c > 'Z');
		}
		if (!ar_is_ours(p + i, k, OURS))
			kept += k;
		i += k;
	}
	len = ar_strip(p, n, OURS, &out, &removed);
	CHECK(len == i);
	CHECK(out.len == kept);
	/* what is kept claims ours nowhere: a second pass removes nothing */
	ar_strip(out.s != NULL ? out.s : "", out.len, OURS, &again, &removed2);
	CHECK(removed2 == 0 && again.len == out.len);
	if (verify_from_domain(p, n, dom) == 0)
		CHECK(dom[0] != '\0' && strlen(dom) <= DNS_NAME_MAX);
	sa_free(&out);
	sa_free(&again);
}

/* answer - the PTR parser on a DNS answer. */
static void
answer(const uint8_t *p, size_t n)
{
	struct sa out = SA_INIT;
	size_t cnt = 0, i, off = 0;
	int r;

	r = vdns_parse_ptr(p, n, "1.0.0.127.in-addr.arpa", &out, &cnt);
	if (r == DNS_OK) {
		CHECK(cnt > 0);
		for (i = 0; i < cnt; i++) {
			size_t l = strnlen(out.s + off, out.len - off);

			CHECK(off + l < out.len);
			off += l + 1;
		}
		CHECK(off == out.len);
	} else
		CHECK(cnt == 0);
	sa_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		answer(data + 1, size - 1);
	else
		header((const char *)data + 1, size - 1);
	return 0;
}
