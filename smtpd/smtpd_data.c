/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_data - the DATA/BDAT byte state machine of smtpd_data.h: wire
 * octets in, the queue form (LF line ends, dots unstuffed) out, and
 * flags for everything that makes a message unacceptable.
 *
 * It trusts nothing in its input.  It is fed whatever arrives, in
 * pieces of any size, and keeps only a few counters between pieces, so
 * the memory it uses does not grow with the message: output goes to
 * the caller's sa and stops as soon as the message is known to be
 * refused.  The queue form is the input with exactly these octets left
 * out: the CR of each CRLF, the stuffing dot of a DATA line, and the
 * final "." CRLF; so output is copied in runs straight from the input.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "sa.h"
#include "smtpd_data.h"

enum {
	ST_LINESTART,	/* at the very start or just after CRLF */
	ST_MID,		/* inside a line */
	ST_CR,		/* a CR was seen: CRLF or a bare CR */
	ST_DOT,		/* DATA: "." at the start of a line */
	ST_DOTCR,	/* DATA: "." CR at the start of a line */
	ST_DONE		/* DATA: CRLF "." CRLF consumed */
};

#define RECEIVED	"Received:"
#define RECEIVED_LEN	(sizeof(RECEIVED) - 1)

/* data_init - start a message: dot_mode for DATA, 0 for BDAT. */
void
data_init(struct data *d, int dot_mode, unsigned long long max_size)
{
	memset(d, 0, sizeof(*d));
	d->dot_mode = dot_mode != 0;
	d->state = ST_LINESTART;
	d->in_header = 1;
	d->max_size = max_size;
}

/* The run of input octets that goes to the output unchanged. */
struct run {
	const char	*start;
	const char	*end;
};

/* run_flush - append the pending run to out; -1 if out cannot grow. */
static int
run_flush(struct run *r, struct sa *out)
{
	int rc = 0;

	if (r->end != r->start)
		rc = sa_catb(out, r->start, (size_t)(r->end - r->start));
	r->start = r->end = NULL;
	return rc;
}

/*
 * extend - the k octets at p belong to the output: extend the run when
 * p follows it, else flush it and start a new one.  -1 if out cannot
 * grow.
 */
static int
extend(struct run *r, const char *p, size_t k, struct sa *out)
{
	if (r->end != p && run_flush(r, out) == -1)
		return -1;
	if (r->start == NULL)
		r->start = p;
	r->end = p + k;
	return 0;
}

/*
 * emit - the octet at p belongs to the output.  Counts it against
 * max_size first: the one that would go over sets DATA_TOO_BIG and is
 * not output.  Returns -1 only if out cannot grow.
 */
static int
emit(struct data *d, struct run *r, const char *p, struct sa *out)
{
	if (d->flags != 0)
		return 0;
	if (d->max_size > 0 && d->size >= d->max_size) {
		d->flags |= DATA_TOO_BIG;
		return 0;
	}
	d->size++;
	return extend(r, p, 1, out);
}

/*
 * header_octet - note an octet of a line's content (after unstuffing)
 * while in the header, to count the Received: lines.
 */
static void
header_octet(struct data *d, char c)
{
	if (!d->in_header || d->headlen >= RECEIVED_LEN)
		return;
	d->head[d->headlen++] = c;
	if (d->headlen == RECEIVED_LEN &&
	    strncasecmp(d->head, RECEIVED, RECEIVED_LEN) == 0 &&
	    ++d->received > DATA_RECEIVED_MAX)
		d->flags |= DATA_LOOP;
}

/*
 * content - an octet inside a line that is neither the CR of a line end
 * nor a stuffing dot: a bare LF, a NUL or an ordinary octet.  A bare
 * CR is never seen here (ST_CR decides about it).
 */
static int
content(struct data *d, struct run *r, const char *p, struct sa *out)
{
	d->state = ST_MID;
	if (*p == '\r') {
		d->state = ST_CR;
		return 0;
	}
	if (*p == '\n')
		d->flags |= DATA_BARE_LF;	/* never a line end */
	else if (*p == '\0')
		d->flags |= DATA_NUL;
	header_octet(d, *p);
	return emit(d, r, p, out);
}

/*
 * plain_span - the octets before the first CR, LF or NUL in p[0..n-1]:
 * three memchr calls, which scan many octets at a step, take a line of
 * mail in a fraction of the time of one loop testing each octet thrice.
 */
static size_t
plain_span(const char *p, size_t n)
{
	const char *e;

	if ((e = memchr(p, '\r', n)) != NULL)
		n = (size_t)(e - p);
	if ((e = memchr(p, '\n', n)) != NULL)
		n = (size_t)(e - p);
	if ((e = memchr(p, '\0', n)) != NULL)
		n = (size_t)(e - p);
	return n;
}

/*
 * plain_run - how many octets from p on (at most avail) are the plain
 * middle of a line, which the per-octet path below would only count
 * and output: no CR, LF or NUL, the line below its limit, the message
 * below max_size, no Received: prefix still being matched and no flag
 * set (a flagged message outputs nothing more).  0 sends the octet at
 * p through the per-octet path.  Taking such runs whole, not an octet
 * at a time, took smtpd's DATA from a tenth of all CPU time at 100 KiB
 * messages to a small part of it.
 */
static size_t
plain_run(const struct data *d, const char *p, size_t avail)
{
	size_t lim = avail;

	if (d->state != ST_MID || d->flags != 0 ||
	    (d->in_header && d->headlen < RECEIVED_LEN) ||
	    d->linelen >= DATA_LINE_MAX)
		return 0;
	if (lim > DATA_LINE_MAX - d->linelen)
		lim = DATA_LINE_MAX - d->linelen;
	if (d->max_size > 0) {
		if (d->size >= d->max_size)
			return 0;
		if (lim > d->max_size - d->size)
			lim = (size_t)(d->max_size - d->size);
	}
	return plain_span(p, lim);
}

/*
 * data_feed - consume n wire octets at s, appending the queue form to
 * out.  Returns 1 when the DATA end (CRLF "." CRLF) has been consumed,
 * with *used the octets up to and including it (the rest is the next
 * command); else 0 with *used = n.  BDAT (dot_mode 0) never returns 1.
 * Returns -1 (errno ENOMEM) if out cannot grow; the state is then
 * undefined and the message must be given up.  After the end has been
 * returned, further calls consume nothing and return 1 again.
 */
int
data_feed(struct data *d, const char *s, size_t n, size_t *used,
    struct sa *out)
{
	struct run r = { NULL, NULL };
	size_t i, k;
	const char *p;

	*used = 0;
	if (d->state == ST_DONE)
		return 1;
	for (i = 0; i < n; i++) {
		p = s + i;
		if ((k = plain_run(d, p, n - i)) > 0) {
			/* what emit would do, octet by octet */
			if (extend(&r, p, k, out) == -1)
				return -1;
			d->size += k;
			d->linelen += k;
			i += k - 1;
			continue;
		}
		/*
		 * The line length counts the wire form, before a stuffing
		 * dot is removed, CRLF included: that is the line the client
		 * sent, which is what RFC 5321 4.5.3.1.6 limits.  It stops
		 * counting just past the limit, so it cannot overflow.
		 */
		if (d->linelen <= DATA_LINE_MAX && ++d->linelen > DATA_LINE_MAX)
			d->flags |= DATA_LONG_LINE;
		switch (d->state) {
		case ST_LINESTART:
			if (d->dot_mode && *p == '.') {
				d->state = ST_DOT;
				break;
			}
			if (content(d, &r, p, out) == -1)
				return -1;
			break;
		case ST_DOT:
			if (*p == '\r') {
				d->state = ST_DOTCR;
				break;
			}
			if (content(d, &r, p, out) == -1)
				return -1;
			break;
		case ST_DOTCR:
			if (*p == '\n') {
				d->state = ST_DONE;
				if (run_flush(&r, out) == -1)
					return -1;
				*used = i + 1;
				return 1;
			}
			/* ".\r" then something else: the CR was bare */
			d->flags |= DATA_BARE_CR;
			if (content(d, &r, p, out) == -1)
				return -1;
			break;
		case ST_MID:
			if (content(d, &r, p, out) == -1)
				return -1;
			break;
		case ST_CR:
			if (*p == '\n') {
				/* CRLF: the line ends; the LF is the output */
				if (d->in_header && d->linelen == 2)
					d->in_header = 0;
				if (emit(d, &r, p, out) == -1)
					return -1;
				d->state = ST_LINESTART;
				d->linelen = 0;
				d->headlen = 0;
				break;
			}
			d->flags |= DATA_BARE_CR;
			if (content(d, &r, p, out) == -1)
				return -1;
			break;
		default:
			errno = EINVAL;
			return -1;
		}
	}
	if (run_flush(&r, out) == -1)
		return -1;
	*used = n;
	return 0;
}

/*
 * data_end_chunks - BDAT: the last chunk has been fed.  A final line
 * without CRLF is already in the output as it came; only a CR left
 * waiting for its LF remains, and that CR was bare.
 */
void
data_end_chunks(struct data *d, struct sa *out)
{
	(void)out;
	if (d->state == ST_CR || d->state == ST_DOTCR)
		d->flags |= DATA_BARE_CR;
}
