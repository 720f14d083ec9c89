/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * rcpthosts - the domains smtpd accepts mail for besides the local
 * ones: control/rcpthosts, compiled by qcdb into rcpthosts.cdb.
 *
 * Text lines: a domain ("example.org": that domain only) or a dot and
 * a domain (".example.org": every domain below it, at any depth, but
 * not example.org itself).  The cdb maps each line, lowercased, to an
 * empty value.
 *
 * The cdb is used only while it is in force (see policy_cdb.h):
 * control/rcpthosts present with rcpthosts.cdb missing or older than
 * it (an edit without qcdb) is a broken state and gives -1, so smtpd
 * answers 451 rather than apply an old policy; neither file present
 * means no domains.
 */
#ifndef QPOST_RCPTHOSTS_H
#define QPOST_RCPTHOSTS_H

int	rcpthosts_match(const char *);

#endif
