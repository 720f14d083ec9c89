/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * badaddr - the addresses smtpd refuses whatever the rest of its policy
 * says, as qmail's badmailfrom and badrcptto: control/badmailfrom for
 * envelope senders, control/badrcptto for recipients.  One entry a
 * line: an address (alice@example.org) or "@" and a domain
 * (@example.org: every address there), case ignored.
 */
#ifndef QPOST_BADADDR_H
#define QPOST_BADADDR_H

#include "sa.h"

int	badaddr_listed(const struct sa *, const char *);
	/* whether addr (local@domain) is in the list (ctl_list's entries):
	   as it is, or by "@domain"; 1 or 0 */

#endif
