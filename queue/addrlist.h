/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * addrlist - the recipients of an RFC 5322 address-list (the value of
 * To:, Cc: or Bcc:, folded lines joined), for sendmail -t, and of the
 * recipient arguments of sendmail, which may be written the same way.
 *
 * Accepted: bare addr-specs, name-addrs with display names (atoms,
 * quoted strings, encoded words, all dropped), comments (nested, with
 * quoted-pairs) anywhere CFWS may be, groups ("undisclosed-recipients:;"
 * or "team: a@x, b@y;"), obsolete routes (<@a,@b:u@d>), empty list
 * elements (RFC 5322 4.4) and CR/LF from folding.  An address without
 * a domain gets "@" and the domain the caller gives (control/me).
 * Refused, never repaired: unbalanced quotes, comments, brackets or
 * angle brackets, two words where one address must be ("John Doe"),
 * nested groups, NUL and control bytes, addresses over ADDR_PATH_MAX
 * octets and lists of more than ADDRLIST_MAX addresses.  Each address
 * found is appended to the output NUL-terminated, exactly as written
 * (quotes kept), without checking it against RFC 5321: qinject does.
 */
#ifndef QPOST_ADDRLIST_H
#define QPOST_ADDRLIST_H

#include <stddef.h>

#include "sa.h"

#define ADDRLIST_MAX	10000	/* addresses from one call */

#define ADDRLIST_OK	0
#define ADDRLIST_NOMEM	(-1)
#define ADDRLIST_BAD	(-2)	/* *why says what is wrong */

int	addrlist_parse(const char *, size_t, const char *, struct sa *,
	    size_t *, const char **);

#endif
