/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_mbox_quote - libFuzzer target for send/mbox_quote.c, the mboxrd
 * encoder local uses for every message it appends to an mbox: the
 * input is a message (the first byte picks the size of the pieces it
 * is fed in).  Besides "no sanitizer report" it checks: the bytes
 * written and the count-only mode agree; no line of the output starts
 * with "From " (only local's separator may); the output ends in a
 * blank line; and taking one '>' off each line matching ^>+From  gives
 * the message back exactly (a newline added to a last line without
 * one).  A broken property aborts, which libFuzzer and replay report.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mbox_quote.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_mbox_quote: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

struct mem {
	char	*p;
	size_t	 len, size;
};

/* mem_io - a buf transport that appends to memory (writes only). */
static ssize_t
mem_io(void *ctx, int fd, void *p, size_t n, int writing)
{
	struct mem *m = ctx;

	(void)fd;
	CHECK(writing);
	CHECK(m->len + n <= m->size);
	memcpy(m->p + m->len, p, n);
	m->len += n;
	return (ssize_t)n;
}

/* is_quoted_from - whether the line at p (n bytes) is ^>+From . */
static size_t
gt_from(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && p[i] == '>')
		i++;
	return n - i >= 5 && memcmp(p + i, "From ", 5) == 0 ? i : (size_t)-1;
}

/* unquote - the output back to the message; its length. */
static size_t
unquote(const char *o, size_t n, char *dst)
{
	const char *nl;
	size_t i = 0, k, len = 0, g;

	while (i < n) {
		nl = memchr(o + i, '\n', n - i);
		k = nl == NULL ? n - i : (size_t)(nl - (o + i)) + 1;
		g = gt_from(o + i, k);
		CHECK(g != 0);		/* no bare "From " line */
		if (g != (size_t)-1) {
			memcpy(dst + len, o + i + 1, k - 1);
			len += k - 1;
		} else {
			memcpy(dst + len, o + i, k);
			len += k;
		}
		i += k;
	}
	return len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mbox_quote q, c;
	struct mem m;
	struct buf b;
	char obuf[16], *back;
	size_t step, i, k, n, blen;

	if (size == 0)
		return 0;
	step = data[0] % 8 + 1;
	data++;
	size--;
	m.size = 2 * size + 16;
	m.len = 0;
	if ((m.p = malloc(m.size)) == NULL || (back = malloc(m.size)) == NULL)
		abort();
	buf_init(&b, -1, obuf, sizeof(obuf));
	buf_transport(&b, mem_io, &m);
	mbox_quote_init(&q, &b);
	mbox_quote_init(&c, NULL);
	for (i = 0; i < size; i += k) {
		k = size - i < step ? size - i : step;
		CHECK(mbox_quote_put(&q, (const char *)data + i, k) == 0);
		CHECK(mbox_quote_put(&c, (const char *)data + i, k) == 0);
	}
	CHECK(mbox_quote_end(&q) == 0 && mbox_quote_end(&c) == 0);
	CHECK(buf_flush(&b) == 0);
	CHECK((size_t)q.count == m.len && q.count == c.count);
	n = m.len;
	CHECK(n >= 1 && m.p[n - 1] == '\n');
	CHECK(n == 1 || (n >= 2 && m.p[n - 2] == '\n'));
	/* without the blank line, the message (with its last newline) */
	blen = unquote(m.p, n - 1, back);
	if (size > 0 && data[size - 1] != '\n') {
		CHECK(blen == size + 1 && back[size] == '\n');
		blen--;
	}
	CHECK(blen == size && memcmp(back, data, size) == 0);
	free(back);
	free(m.p);
	return 0;
}
