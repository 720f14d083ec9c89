/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * vdomains - control/virtualdomains: domains whose mail is local and
 * whose local parts are prefixed, qmail style.  See qpost-control(5).
 *
 * Text lines "domain:prefix" (that domain) or ".domain:prefix" (every
 * domain below it); '#' lines are comments.  An exact line beats a
 * wildcard, and the longest wildcard wins.  Mail for local@domain is
 * then resolved as the local part prefix<extsep>local (lookup/local.h).
 * The file is small and read on each lookup, so an edit takes effect at
 * once with no qcdb.
 */
#ifndef QPOST_VDOMAINS_H
#define QPOST_VDOMAINS_H

#include <stddef.h>

#include "addr.h"

#define VDOM_PREFIX_MAX	ADDR_LOCAL_MAX

int	vdom_match(const char *, size_t, const char *, char *, size_t,
	    size_t *);
int	vdom_lookup(const char *, char *, size_t);

#endif
