/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * srs - the Sender Rewriting Scheme, for mail qpost forwards: the
 * envelope sender bob@example.com becomes
 * SRS0=HHHH=TT=example.com=bob@SRSDOMAIN, an address of this host, so
 * that the next hop's SPF check (RFC 7208) sees a sender whose domain
 * this host may send for, and a bounce comes back here, where the
 * address is checked and turned back into bob@example.com.  HHHH is
 * the first four characters of the base64 HMAC-SHA1, under a secret
 * key, of the rest (lower case); TT the day it was made, mod 1024, in
 * two base32 characters.  An address whose hash does not match, or
 * that is older than SRS_MAXAGE days, is refused: no one can use the
 * scheme to relay through this host.  A sender that is already another
 * forwarder's SRS address becomes SRS1=HHHH=FIRST==...@SRSDOMAIN, which
 * turns back into the SRS0 address of the first forwarder.
 */
#ifndef QPOST_SRS_H
#define QPOST_SRS_H

#include <stddef.h>

#define SRS_KEY_MIN	16	/* octets of secret */
#define SRS_KEY_MAX	256
#define SRS_MAXAGE	21	/* days a rewritten address is good for */

struct srs_key {
	size_t		len;
	unsigned char	s[SRS_KEY_MAX];
};

int	srs_key_parse(const char *, size_t, struct srs_key *);
	/* the text of control/srskey: one line of SRS_KEY_MIN to
	   SRS_KEY_MAX printable octets (a trailing newline allowed); 0,
	   or -1 */
int	srs_forward(const struct srs_key *, const char *, const char *,
	    long long, char *, size_t);
	/* sender (local@domain) rewritten for the SRS domain at time now
	   (seconds) into out: SRS0, or SRS1 for an SRS address; 1; 0 when
	   it is kept as it is (empty, not a plain dot-atom local part or a
	   domain name, not ASCII, or too long once rewritten) */
int	srs_is_srs(const char *);
	/* whether a local part starts with SRS0= or SRS1= (any case) */
int	srs_reverse(const struct srs_key *, const char *, long long, char *,
	    size_t, const char **);
	/* an SRS0 or SRS1 local part made here, checked at time now: 1
	   with the address it stands for in out (for SRS1, the first
	   forwarder's SRS0 address); 0 when it is no SRS local part; -1
	   with words for the reply and the log (a broken form, a hash
	   that does not match, too old) */

#endif
