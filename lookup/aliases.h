/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * aliases - control/aliases, compiled by qcdb into aliases.cdb.
 *
 * Text lines "name: target, target" (a line starting with a blank
 * continues the one before; '#' lines are comments).  The cdb maps the
 * lowercased name to its targets, each NUL-terminated.  A target is a
 * local part or an address; lspawn expands them recursively, at most
 * ALIASES_DEPTH_MAX levels deep.
 */
#ifndef QPOST_ALIASES_H
#define QPOST_ALIASES_H

#include "sa.h"

#define ALIASES_DEPTH_MAX	10
#define ALIASES_TARGETS_MAX	1000

int	aliases_lookup(const char *, struct sa *);

#endif
