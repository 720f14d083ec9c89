/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * dnsbl - DNS blocklists (RFC 5782) for smtpd: the zones of
 * control/dnsbl, the query name of a client address in a zone, and the
 * lookups, through lib/dns.h within a time budget.
 *
 * control/dnsbl, one zone a line (blank and '#' lines skipped):
 *
 *	zone [answers [message]]
 *
 * zone: a DNS name (letters, digits, '-', '_'; a trailing dot allowed;
 * at most DNSBL_ZONE_MAX octets, so that an IPv6 query name fits).
 * answers: "*" (the default: any address in 127.0.0.0/8 but the
 * 127.255.255.x codes with which lists such as Spamhaus report an
 * error, not a listing) or up to DNSBL_ANSWERS_MAX IPv4 addresses of
 * 127.0.0.0/8 joined by ',': the client is listed only when an A record
 * is one of them.  message: the rest of the line, printable ASCII, at
 * most DNSBL_MSG_MAX octets, the reply's text in place of the list's
 * TXT record; "%i" stands for the client's address, "%z" for the zone,
 * "%%" for '%' (any other '%' is an error).  At most DNSBL_ZONES_MAX
 * zones.  Anything else makes the file broken: one log line names the
 * line and what is wrong.
 */
#ifndef QPOST_DNSBL_H
#define QPOST_DNSBL_H

#include <stddef.h>

#define DNSBL_ZONES_MAX		16
#define DNSBL_ZONE_MAX		189	/* 253 less an IPv6 name's 64 */
#define DNSBL_ANSWERS_MAX	8
#define DNSBL_MSG_MAX		200
#define DNSBL_TEXT_MAX		300	/* octets of a reply's text */
#define DNSBL_QNAME_MAX		253

struct dnsbl_zone {
	char		name[DNSBL_ZONE_MAX + 1];	/* lower case, no dot */
	size_t		nanswers;	/* 0: the default (see above) */
	unsigned char	answers[DNSBL_ANSWERS_MAX][4];
	char		msg[DNSBL_MSG_MAX + 1];	/* "": the list's TXT */
};

struct dnsbl_list {
	size_t			nzones;
	struct dnsbl_zone	zone[DNSBL_ZONES_MAX];
};

struct dnsbl_result {
	int	listed;
	char	zone[DNSBL_ZONE_MAX + 1];	/* the first that lists */
	char	answer[16];			/* its A record */
	char	text[DNSBL_TEXT_MAX + 1];	/* the reply's text */
	size_t	nunchecked;			/* zones not checked */
	char	unchecked[256];			/* their names, ',' */
	char	why[96];			/* the first failure */
};

int	dnsbl_parse(const char *text, size_t len, struct dnsbl_list *,
	    size_t *lineno, const char **why);
	/* the text of control/dnsbl: 0, or -1 with the line's number and
	   what is wrong (*lineno 0 for the file as a whole) */
int	dnsbl_load(struct dnsbl_list *, int *at_connect, int *timeout);
	/* control/dnsbl, dnsblrefuse and timeoutdnsbl: 1 with zones to
	   check, 0 with none (the file absent or without entries), -1 when
	   a file is broken (logged) */
int	dnsbl_qname(const char *ip, const char *zone, char *out, size_t size);
	/* the query name of a client address (TCPREMOTEIP's form: IPv4,
	   IPv6, IPv4-mapped IPv6 as IPv4) in zone: the IPv4 octets or the
	   IPv6 nibbles reversed, lower-case hex, then zone (RFC 5782 2.1,
	   2.4).  0, or -1 when ip is no address or the name is too long */
int	dnsbl_answer_counts(const struct dnsbl_zone *, const unsigned char *);
	/* whether an A record (4 octets) means the zone lists the client */
void	dnsbl_expand(const char *msg, const char *ip, const char *zone,
	    char *out, size_t size);
	/* a message with %i, %z, %% replaced, cut to size */
void	dnsbl_clean(const unsigned char *txt, size_t len, char *out,
	    size_t size);
	/* a list's TXT text fit for a reply: octets outside printable
	   ASCII become '?', cut to size */
int	dnsbl_check(const struct dnsbl_list *, const char *ip, int timeout,
	    struct dnsbl_result *);
	/* the zones in order until one lists ip, all within timeout
	   seconds (whole seconds: see dns_timeout); dns_init must have
	   been called.  1 listed (res says where, and the reply's text),
	   0 not listed anywhere checked; res->nunchecked counts the zones
	   a timeout or DNS failure left unchecked, which count as not
	   listing (fail open). */

#endif
