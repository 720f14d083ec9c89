/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_proxy - libFuzzer target for smtpd/proxy.c: the input is the
 * first bytes a listed load balancer sends.  Besides "no sanitizer
 * report" it checks: the result is one of the three; PROXY_MORE never
 * asks past PROXY_MAX (nor past 107 bytes for v1); an accepted header
 * is at most the input, within its version's limits, and every strict
 * prefix of it wants more; reading it as smtpd does (adding what
 * proxy_parse asks for) ends where the one-shot parse says, never past
 * the header; an accepted client address prints and reads back to the
 * same bytes.  A broken property aborts, which libFuzzer and replay
 * report.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_proxy: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

/* check_client - the client's text reads back to the same address. */
static void
check_client(const struct proxy_hdr *h)
{
	char ip[INET6_ADDRSTRLEN];
	unsigned char a[16];

	if (h->is_local) {
		CHECK(proxy_client(h, ip, sizeof(ip)) == -1);
		return;
	}
	CHECK(h->family == AF_INET || h->family == AF_INET6);
	CHECK(h->sport <= 65535 && h->dport <= 65535);
	CHECK(proxy_client(h, ip, sizeof(ip)) == 0);
	CHECK(inet_pton(h->family, ip, a) == 1);
	CHECK(memcmp(a, h->src, h->family == AF_INET ? 4 : 16) == 0);
}

/* feed - as proxy_read reads: what is asked, or what is left. */
static int
feed(const uint8_t *data, size_t size, struct proxy_hdr *h, size_t *got)
{
	size_t need;
	int r;

	*got = 0;
	for (;;) {
		r = proxy_parse(data, *got, h, &need);
		if (r != PROXY_MORE || *got == size)
			return r;
		CHECK(need >= 1 && *got + need <= PROXY_MAX);
		*got += need < size - *got ? need : size - *got;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_hdr h, h2;
	size_t need, got, i;
	int r, r2;

	if (size > 2 * PROXY_MAX)
		return 0;
	r = proxy_parse(data, size, &h, &need);
	CHECK(r == PROXY_OK || r == PROXY_MORE || r == PROXY_BAD);
	if (r == PROXY_MORE) {
		CHECK(need >= 1 && size + need <= PROXY_MAX);
		if (size > 0 && data[0] == 'P')
			CHECK(size + need <= PROXY_V1_MAX);
	}
	if (r == PROXY_BAD)
		CHECK(h.why != NULL && strlen(h.why) < 40 &&
		    strchr(h.why, ' ') == NULL);
	if (r == PROXY_OK) {
		CHECK(h.len >= 1 && h.len <= size);
		CHECK(h.version == 1 || h.version == 2);
		if (h.version == 1)
			CHECK(h.len <= PROXY_V1_MAX && h.len >= 15);
		else
			CHECK(h.len >= PROXY_V2_HEAD && h.len <= PROXY_MAX);
		check_client(&h);
		/* the header alone is the same header */
		CHECK(proxy_parse(data, h.len, &h2, &need) == PROXY_OK);
		CHECK(h2.len == h.len && h2.is_local == h.is_local &&
		    h2.sport == h.sport);
		for (i = 0; i < h.len; i++)
			CHECK(proxy_parse(data, i, &h2, &need) == PROXY_MORE &&
			    i + need <= h.len);
	}
	/* the reader's way ends as the one-shot parse says */
	r2 = feed(data, size, &h2, &got);
	CHECK(r2 == r);
	if (r == PROXY_OK)
		CHECK(got == h.len && h2.len == h.len);
	if (r == PROXY_MORE)
		CHECK(got == size);
	return 0;
}
