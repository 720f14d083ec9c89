/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * verify_ar - the Authentication-Results: header field of RFC 8601 as
 * qpverify meets it in a message from outside, and as it writes it.
 *
 * On the way in, any Authentication-Results field whose authserv-id is
 * ours was forged (RFC 8601 section 5): only we may claim our id, and
 * we have not seen the message yet.  The reader is deliberately
 * lenient in what counts as a claim: the first word of the value after
 * comments and blanks, compared without regard to case, a trailing dot
 * or quotes, is the id, whatever follows it; a receiver further on that
 * parses as loosely must not find a forgery we left in place.
 *
 * The walk over the header section takes the message as the queue
 * stores it: lines ending in LF, or CRLF; a field is its first line and
 * the continuation lines (starting with a blank) after it.  The header
 * section ends at an empty line, at a line that is neither a field nor
 * a continuation, or at the end of the input.
 */
#ifndef QPOST_VERIFY_AR_H
#define QPOST_VERIFY_AR_H

#include <stddef.h>

#include "sa.h"

#define AR_ID_MAX	255	/* bytes of an authserv-id we compare */

size_t	ar_field_len(const char *, size_t);
	/* the length of the header field that starts at p (n bytes
	   available), line ends of its lines included; 0 if p starts no
	   field (the empty line, a line that is not a field, or n == 0) */
int	ar_field_id(const char *, size_t, char *);
	/* one whole field: 1 if it is an Authentication-Results field with
	   an authserv-id, copied lower case without quotes or a trailing
	   dot into id (AR_ID_MAX + 1 bytes); 0 if it is another field; -1
	   if it is one without a readable id (empty, over AR_ID_MAX) */
int	ar_is_ours(const char *, size_t, const char *);
	/* 1 if the field is an Authentication-Results field claiming the
	   authserv-id ours (lower case, no trailing dot); else 0 */
size_t	ar_strip(const char *, size_t, const char *, struct sa *, size_t *);
	/* copies the header section at p (n bytes) to out without the
	   fields that claim ours; returns the length of the header
	   section read (the rest, from the empty line on, is the caller's
	   to copy); the number of fields removed in *removed.  out->len
	   is (size_t)-1 when out of memory. */
int	verify_from_domain(const char *, size_t, char *);
	/* the domain (normalised, DNS_NAME_MAX + 1 bytes) of the one
	   address of the one From: field of a header section; 0, or -1
	   when there is not exactly one such address */
int	ar_is_token(const char *);
	/* whether s is a non-empty RFC 2045 token, so it can be written
	   as a property value without quotes */
int	ar_is_dot_atom(const char *, size_t);
	/* whether n bytes are an RFC 5322 dot-atom (for a local part) */

#endif
