/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * verify_dns - qpverify's DNS: every lookup of SPF, DKIM and DMARC goes
 * through send/dns.c's resolver (control/resolvers), never through a
 * library's own.  libspf2 gets a DNS layer of ours (an SPF_dns_server_t
 * whose lookup asks dns_query); libopendkim a key lookup callback; the
 * DMARC record is fetched here and handed to libopendmarc.
 *
 * TXT, A and AAAA come from dns.c's generic dns_query, MX from dns_mx;
 * PTR (SPF's ptr mechanism and %{p} macro), which dns_query does not
 * know, is asked with dns_query_raw and parsed here, as strictly as
 * dns_parse.c parses: the header (QR set, RCODE 0, TC clear), one
 * question echoing the name, records read within the packet
 * (ns_initparse and ns_parserr check lengths), of class IN, owned by
 * the name or by the target of a CNAME chain in the answer from it.
 */
#ifndef QPOST_VERIFY_DNS_H
#define QPOST_VERIFY_DNS_H

#include <stddef.h>

#include "sa.h"

#define VDNS_TXT_MAX	4096	/* bytes of one joined TXT record kept */

int	vdns_txt(const char *, struct sa *, size_t *);
	/* the TXT records of a name, each NUL-terminated, back to back in
	   out, their count in *n: DNS_OK, DNS_NXDOMAIN, DNS_NODATA (also
	   when no record was usable: one holding a NUL byte or over
	   VDNS_TXT_MAX bytes is skipped) or DNS_TEMP */
int	vdns_parse_ptr(const unsigned char *, size_t, const char *,
	    struct sa *, size_t *);
	/* the PTR names of an answer for the (normalised) name, each
	   NUL-terminated, back to back in out, their count in *n: DNS_OK,
	   DNS_NXDOMAIN, DNS_NODATA or DNS_TEMP; the fuzz target's entry */
void	*vdns_spf_layer(void);
	/* a new libspf2 DNS layer (an SPF_dns_server_t *) over dns.c;
	   NULL when out of memory */

#endif
