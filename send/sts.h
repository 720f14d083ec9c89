/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sts - the parsers of MTA-STS (RFC 8461) for the remote sender: the
 * _mta-sts TXT record, the HTTP response that carries a policy, the
 * policy itself and its mx patterns.  Pure functions on bytes from the
 * network (a fuzz target's entries); remote_sts.c does the lookups.
 */
#ifndef QPOST_STS_H
#define QPOST_STS_H

#include <stddef.h>

#include "dns.h"

#define STS_NONE	0	/* no policy, or one of mode none */
#define STS_TESTING	1	/* report only: delivered as without one */
#define STS_ENFORCE	2	/* only mx hosts, verified TLS */

#define STS_ID_MAX	32	/* RFC 8461 3.1: 1*32(ALPHA / DIGIT) */
#define STS_MX_MAX	32	/* mx patterns kept of a policy */
#define STS_AGE_MAX	31557600L	/* RFC 8461 3.2: a year */
#define STS_BODY_MAX	65536	/* a policy's bytes (RFC 8461 3.3: 64 KiB) */
#define STS_HEAD_MAX	16384	/* the HTTP response's header */

struct sts_policy {
	int	mode;			/* STS_* */
	long	max_age;		/* seconds, at most STS_AGE_MAX */
	size_t	nmx;
	char	mx[STS_MX_MAX][DNS_NAME_MAX + 1];	/* lower case, a
						   "*." prefix kept */
};

int	sts_txt_id(const char *, size_t, char *);
	/* one TXT record: 1 when it is an STSv1 record, its id (1 to 32
	   letters and digits) copied into a buffer of STS_ID_MAX + 1;
	   0 when it does not start with "v=STSv1" (another record, to be
	   ignored); -1 when it does but is broken */
int	sts_http_body(const char *, size_t, int, size_t *, size_t *,
	    const char **);
	/* an HTTP/1.x response: 0 with the policy's offset and length when
	   it is a 200 of type text/plain with a whole body of at most
	   STS_BODY_MAX (and a Content-Length, when the third argument says
	   the connection's end was not a clean one); -1 with words for the
	   log otherwise (a redirect is never followed: RFC 8461 3.3) */
int	sts_policy_parse(const char *, size_t, struct sts_policy *,
	    const char **);
	/* a policy's text: 0 with p filled, or -1 with words for the log */
void	sts_sweep(void);
	/* QUEUE/sts's files without a policy removed (sts_sweep.c) */
int	sts_mx_match(const struct sts_policy *, const char *);
	/* whether a host name (lower case, no trailing dot, as dns_mx
	   gives them) matches one of the policy's mx patterns: exactly,
	   or "*.example.org" for one label more (RFC 8461 4.1) */

#endif
