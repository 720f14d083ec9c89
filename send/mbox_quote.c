/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * mbox_quote - mboxrd ">From " quoting as a stream.  See mbox_quote.h.
 *
 * At a line start the encoder holds back the '>'s and the part of
 * "From " it has matched, since only the byte that completes (or
 * breaks) the match says whether the line needs one more '>'.  It
 * holds a count of '>'s, not the bytes, so a hostile line of a million
 * '>'s costs no memory.
 */
#include <string.h>

#include "buf.h"
#include "mbox_quote.h"

#define FROM	"From "
#define FROM_LEN	5

static const char gts[] = ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>";

/* emit - put n bytes out (or only count them). */
static int
emit(struct mbox_quote *q, const char *p, size_t n)
{
	if (n == 0)
		return 0;
	if (q->out != NULL && buf_put(q->out, p, n) == -1)
		return -1;
	q->count += (off_t)n;
	q->last = (unsigned char)p[n - 1];
	return 0;
}

/* emit_gt - put n '>' out. */
static int
emit_gt(struct mbox_quote *q, size_t n)
{
	size_t k;

	while (n > 0) {
		k = n < sizeof(gts) - 1 ? n : sizeof(gts) - 1;
		if (emit(q, gts, k) == -1)
			return -1;
		n -= k;
	}
	return 0;
}

/* release - put out what a line start held back, unquoted. */
static int
release(struct mbox_quote *q)
{
	if (emit_gt(q, q->gt) == -1 || emit(q, FROM, q->from) == -1)
		return -1;
	q->in_prefix = 0;
	q->gt = q->from = 0;
	return 0;
}

void
mbox_quote_init(struct mbox_quote *q, struct buf *out)
{
	memset(q, 0, sizeof(*q));
	q->out = out;
	q->in_prefix = 1;
	q->last = -1;
}

/*
 * prefix - feed one byte to the line-start matcher: 1 if it was taken
 * (held back, or completed a quoted "From "), 0 if the match broke and
 * the byte is an ordinary one, -1 if writing failed.
 */
static int
prefix(struct mbox_quote *q, char c)
{
	if (q->from == 0 && c == '>') {
		q->gt++;
		return 1;
	}
	if (c == FROM[q->from]) {
		if (++q->from < FROM_LEN)
			return 1;
		q->gt++;	/* the one more '>' */
		return release(q) == -1 ? -1 : 1;
	}
	return release(q) == -1 ? -1 : 0;
}

int
mbox_quote_put(struct mbox_quote *q, const char *p, size_t n)
{
	const char *nl;
	size_t k;
	int r;

	while (n > 0) {
		if (q->in_prefix) {
			if ((r = prefix(q, *p)) == -1)
				return -1;
			if (r == 1) {
				p++;
				n--;
				continue;
			}
		}
		/* the rest of this line goes out as it is */
		nl = memchr(p, '\n', n);
		k = nl == NULL ? n : (size_t)(nl - p) + 1;
		if (emit(q, p, k) == -1)
			return -1;
		if (nl != NULL)
			q->in_prefix = 1;
		p += k;
		n -= k;
	}
	return 0;
}

int
mbox_quote_end(struct mbox_quote *q)
{
	if (release(q) == -1)
		return -1;
	if (q->last != '\n' && q->last != -1 && emit(q, "\n", 1) == -1)
		return -1;
	return emit(q, "\n", 1);
}
