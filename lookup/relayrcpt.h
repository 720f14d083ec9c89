/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * relayrcpt - which addresses of the relay domains (control/rcpthosts)
 * exist: control/relayrecipients, compiled by qcdb into
 * relayrecipients.cdb.  A backup MX or a filtering gateway that took
 * mail for any address of a domain it relays would have to bounce what
 * the next hop refuses, to senders that are mostly forged (backscatter);
 * with the list, smtpd refuses an unknown address at RCPT time, as it
 * does for local domains.
 *
 * Text lines: an address ("alice@example.org"), or "@" and a domain
 * ("@example.org": every address there).  The cdb maps each, lower
 * case, the local part unquoted, to an empty value.
 *
 * The cdb is used only while in force (policy_cdb.h): neither file
 * present means no list (every address of a relay domain is taken, as
 * before the list existed); control/relayrecipients edited without
 * running qcdb is a broken state, -1.
 */
#ifndef QPOST_RELAYRCPT_H
#define QPOST_RELAYRCPT_H

#include <stddef.h>

#include "addr.h"

int	relayrcpt_match(const char *, const char *, char);
	/* whether plain@domain (plain: the local part unquoted) is
	   listed: as it is, as its base before the first extension
	   separator (the third argument; control/extsep), or by "@domain";
	   case ignored.  1 (also when there is no list), 0, or -1 on a
	   temporary error or a broken state (logged). */
int	relayrcpt_key(const char *, const char *, char *, size_t);
	/* the key of plain@domain (plain "" for "@domain") into a buffer:
	   0, or -1 when it does not fit */

#define RELAYRCPT_KEY_MAX	(ADDR_LOCAL_MAX + 1 + ADDR_DOMAIN_MAX + 1)

#endif
