/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtp_dot - a message converted for DATA: CRLF line ends and dot
 * stuffing.  See smtp_dot.h.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "smtp_dot.h"

void
smtp_dot_init(struct smtp_dot *d)
{
	d->at_bol = 1;
	d->is_cr = 0;
}

/* plain_run - how many bytes from p (at most n) are neither CR nor LF. */
static size_t
plain_run(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && p[i] != '\r' && p[i] != '\n'; i++)
		;
	return i;
}

/*
 * smtp_dot_put - p[0..n) converted into b.  Runs of ordinary bytes go
 * out in one buf_put; only line ends and a dot at a line start are
 * looked at one by one.
 */
int
smtp_dot_put(struct smtp_dot *d, struct buf *b, const char *p, size_t n)
{
	size_t k = 0, run;

	while (k < n) {
		if (d->is_cr && p[k] == '\n') {
			d->is_cr = 0;
			k++;
			continue;	/* CRLF: ended at the CR */
		}
		d->is_cr = p[k] == '\r';
		if (p[k] == '\r' || p[k] == '\n') {
			d->at_bol = 1;
			if (buf_put(b, "\r\n", 2) == -1)
				return -1;
			k++;
			continue;
		}
		if (d->at_bol && p[k] == '.' && buf_put(b, ".", 1) == -1)
			return -1;
		d->at_bol = 0;
		run = plain_run(p + k, n - k);
		if (buf_put(b, p + k, run) == -1)
			return -1;
		k += run;
	}
	return 0;
}

int
smtp_dot_file(struct smtp_dot *d, struct buf *b, int fd)
{
	char chunk[16384];
	off_t off = 0;
	ssize_t n;

	for (;;) {
		do
			n = pread(fd, chunk, sizeof(chunk), off);
		while (n == -1 && errno == EINTR);
		if (n == -1)
			return -2;
		if (n == 0)
			return 0;
		off += n;
		if (smtp_dot_put(d, b, chunk, (size_t)n) == -1)
			return -1;
	}
}

int
smtp_dot_end(struct smtp_dot *d, struct buf *b)
{
	if (!d->at_bol && buf_put(b, "\r\n", 2) == -1)
		return -1;
	d->at_bol = 1;
	d->is_cr = 0;
	return buf_put(b, ".\r\n", 3);
}
