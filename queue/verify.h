/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * verify - what qpverify found about one message, filled in by its
 * parts (verify_spf.c, verify_dkim.c, verify_dmarc.c) and written out
 * as one Authentication-Results field (verify_header.c).  Result words
 * are RFC 8601's and RFC 7489's: "pass", "fail", "softfail", "neutral",
 * "none", "temperror", "permerror" (and "policy" for none of ours).
 */
#ifndef QPOST_VERIFY_H
#define QPOST_VERIFY_H

#include <stddef.h>

#include "dns.h"
#include "sa.h"

#define VERIFY_DKIM_MAX	8	/* signatures reported; more are ignored */

struct verify_in {			/* what smtpd saw */
	const char	*ip;		/* the client's address */
	const char	*helo;		/* its HELO/EHLO argument */
	const char	*sender;	/* MAIL FROM, "" for the null one,
					   NULL when not known */
};

struct verify_dkim {
	const char	*result;
	char		 d[DNS_NAME_MAX + 1];	/* header.d */
	char		 s[64];			/* header.s ("" if unusable) */
	char		 b[9];			/* header.b: 8 bytes of b= */
	int		 is_pass;
};

struct verify {
	/* SPF: NULL when the identity was not checked */
	const char	*spf_mfrom;
	const char	*spf_helo;
	char		 mfrom[DNS_NAME_MAX + 70];	/* smtp.mailfrom value */
	char		 mfrom_domain[DNS_NAME_MAX + 1];
	char		 helo[DNS_NAME_MAX + 1];	/* smtp.helo value */
	/* DKIM: "none" when the message has no signature */
	size_t		 ndkim;
	struct verify_dkim dkim[VERIFY_DKIM_MAX];
	const char	*dkim_none;
	/* DMARC */
	const char	*dmarc;
	const char	*dmarc_policy;	/* the p= (or sp=) applied, on fail */
	char		 from_domain[DNS_NAME_MAX + 1];
	int		 dmarc_reject;	/* fail under p=reject */
};

/* verify_spf.c */
int	verify_spf(const struct verify_in *, struct verify *);
	/* both identities; 0, or -1 if libspf2 could not be set up */
/* verify_dkim.c */
int	verify_dkim(int, const char *, size_t, struct verify *);
	/* the signatures of the message: its header section (hdr, n
	   bytes) and the body read from fd; 0, or -1 (logged) */
/* verify_dmarc.c */
int	verify_dmarc(const struct verify_in *, const char *, size_t,
	    struct verify *);
	/* the From: domain's DMARC policy against the SPF and DKIM
	   results already in v; 0, or -1 (logged) */
/* verify_header.c */
int	verify_header(const char *, const struct verify *, struct sa *);
	/* the Authentication-Results field (with its LF) for authserv-id */

#endif
