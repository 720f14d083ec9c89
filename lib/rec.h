/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * rec - the one record format of qpost's pipes and state files.
 *
 * A field is a tag letter, a decimal length, ':', that many bytes of
 * value and ','; e.g. "F13:a@example.org,".  A record is a run of
 * fields.  On a pipe each record travels inside a netstring,
 * "LEN:" record ",", so the reader knows where it ends before it
 * parses a byte of it.  Readers must consume every byte: a record with
 * a short, long or unknown field is rejected whole.  The formats built
 * on this are documented in qpost-queue(5).
 */
#ifndef QPOST_REC_H
#define QPOST_REC_H

#include <stddef.h>

#include "buf.h"
#include "sa.h"

#define REC_FRAME_MAX	(4u * 1024 * 1024)	/* bytes in one pipe record */

struct rec_reader {
	const char	*p;
	size_t		 len;
	size_t		 pos;
};

int	rec_put(struct sa *, char, const void *, size_t);
int	rec_puts(struct sa *, char, const char *);
int	rec_putu(struct sa *, char, unsigned long long);

void	rec_reader_init(struct rec_reader *, const char *, size_t);
int	rec_next(struct rec_reader *, char *, const char **, size_t *);
int	rec_getu(const char *, size_t, unsigned long long *);
int	rec_value_ok(const char *, size_t);

int	rec_frame_write(struct buf *, const struct sa *);
int	rec_frame_read(struct buf *, struct sa *, size_t);

#endif
