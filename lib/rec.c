/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * rec - tagged fields and framed records.  See rec.h and qpost-queue(5).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rec.h"

#define LEN_DIGITS_MAX	10

int
rec_put(struct sa *sa, char tag, const void *v, size_t n)
{
	if (sa_catf(sa, "%c%zu:", tag, n) == -1 || sa_catb(sa, v, n) == -1)
		return -1;
	return sa_catc(sa, ',');
}

int
rec_puts(struct sa *sa, char tag, const char *s)
{
	return rec_put(sa, tag, s, strlen(s));
}

int
rec_putu(struct sa *sa, char tag, unsigned long long u)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%llu", u);

	return rec_put(sa, tag, num, (size_t)n);
}

void
rec_reader_init(struct rec_reader *r, const char *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->pos = 0;
}

/* parse_len - strict decimal, no leading zeros, at most 10 digits. */
static int
parse_len(const char *p, size_t avail, size_t *val, size_t *used)
{
	size_t i = 0, v = 0;

	while (i < avail && p[i] >= '0' && p[i] <= '9') {
		if (i == LEN_DIGITS_MAX)
			return -1;
		v = v * 10 + (size_t)(p[i] - '0');
		i++;
	}
	if (i == 0 || (i > 1 && p[0] == '0'))
		return -1;
	*val = v;
	*used = i;
	return 0;
}

/*
 * rec_next - the next field: 1 with tag, value and length set; 0 at the
 * exact end of the record; -1 if the rest is not a well-formed field.
 */
int
rec_next(struct rec_reader *r, char *tag, const char **v, size_t *vlen)
{
	size_t left = r->len - r->pos, n, used;
	const char *p = r->p + r->pos;
	char t;

	if (left == 0)
		return 0;
	t = p[0];
	if (!((t >= 'A' && t <= 'Z') || (t >= 'a' && t <= 'z')))
		return -1;
	if (parse_len(p + 1, left - 1, &n, &used) == -1)
		return -1;
	/* tag, digits, ':', value, ',' */
	if (1 + used + 1 > left || p[1 + used] != ':' ||
	    n > left - used - 2 || n + used + 3 > left ||
	    p[1 + used + 1 + n] != ',')
		return -1;
	*tag = t;
	*v = p + 1 + used + 1;
	*vlen = n;
	r->pos += n + used + 3;
	return 1;
}

/* rec_getu - a field value as an unsigned number; strict decimal. */
int
rec_getu(const char *v, size_t n, unsigned long long *u)
{
	unsigned long long x = 0;
	size_t i;

	if (n == 0 || n > 20 || (n > 1 && v[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (x > (~0ULL - (unsigned)(v[i] - '0')) / 10)
			return -1;
		x = x * 10 + (unsigned)(v[i] - '0');
	}
	*u = x;
	return 0;
}

/* rec_value_ok - no NUL, CR or LF: safe to log and to use as text. */
int
rec_value_ok(const char *v, size_t n)
{
	return memchr(v, '\0', n) == NULL && memchr(v, '\n', n) == NULL &&
	    memchr(v, '\r', n) == NULL;
}

/* rec_frame_write - write one record as a netstring and flush. */
int
rec_frame_write(struct buf *b, const struct sa *rec)
{
	char head[24];
	int n = snprintf(head, sizeof(head), "%zu:", rec->len);

	if (buf_put(b, head, (size_t)n) == -1 ||
	    buf_put(b, rec->s, rec->len) == -1 || buf_put(b, ",", 1) == -1)
		return -1;
	return buf_flush(b);
}

/*
 * rec_frame_read - read one netstring-framed record of at most max
 * bytes into rec.  Returns 1, 0 on EOF before the first byte, or -1
 * (errno EPROTO for a malformed or truncated frame).
 */
int
rec_frame_read(struct buf *b, struct sa *rec, size_t max)
{
	size_t len = 0, digits = 0;
	char c;
	ssize_t r;

	rec->len = 0;
	for (;;) {
		if ((r = buf_read(b, &c, 1)) == -1)
			return -1;
		if (r == 0) {
			if (digits == 0)
				return 0;
			return (errno = EPROTO, -1);
		}
		if (c == ':')
			break;
		if (c < '0' || c > '9' || digits == LEN_DIGITS_MAX ||
		    (digits == 1 && len == 0))
			return (errno = EPROTO, -1);
		len = len * 10 + (size_t)(c - '0');
		digits++;
	}
	if (digits == 0 || len > max)
		return (errno = EPROTO, -1);
	if (sa_ready(rec, len) == -1)
		return -1;
	while (rec->len < len) {
		r = buf_read(b, rec->s + rec->len, len - rec->len);
		if (r == -1)
			return -1;
		if (r == 0)
			return (errno = EPROTO, -1);
		rec->len += (size_t)r;
	}
	if ((r = buf_read(b, &c, 1)) == -1)
		return -1;
	if (r == 0 || c != ',')
		return (errno = EPROTO, -1);
	return 1;
}
