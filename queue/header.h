/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * header - the little of RFC 5322 that injection needs: recognise a
 * header field by name and pull the addresses out of an address list
 * (for qinject -t).
 */
#ifndef QPOST_HEADER_H
#define QPOST_HEADER_H

#include <stddef.h>

#include "sa.h"

#define HEADER_BLOCK_MAX	(4u * 1024 * 1024)	/* header bytes */

int	header_is(const char *, size_t, const char *);
int	header_is_field(const char *, size_t);
int	header_addresses(const char *, size_t, struct sa *, size_t *);

#endif
