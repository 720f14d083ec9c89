/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * verify_ptr - the strict parser of PTR answers for qpverify's SPF
 * layer (see verify_dns.h); apart from verify_dns.c so the fuzz target
 * needs no libspf2.  (TXT, A and AAAA go through dns.c's dns_query.)
 */
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <resolv.h>
#include <string.h>
#include <strings.h>

#include "dns.h"
#include "verify_dns.h"

/* same_name - two names equal, case and a trailing dot aside. */
static int
same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/*
 * owners - the names whose records answer qname: qname and the CNAME
 * targets the answer leads to from it (at most DNS_CNAME_MAX links).
 */
static size_t
owners(ns_msg *msg, const char *qname, char names[][NS_MAXDNAME])
{
	ns_rr rr;
	size_t n = 1, k;
	int i, changed = 1, count = ns_msg_count(*msg, ns_s_an);

	strlcpy(names[0], qname, NS_MAXDNAME);
	while (changed && n <= DNS_CNAME_MAX) {
		changed = 0;
		for (i = 0; i < count && n <= DNS_CNAME_MAX; i++) {
			if (ns_parserr(msg, ns_s_an, i, &rr) == -1 ||
			    ns_rr_type(rr) != ns_t_cname ||
			    ns_rr_class(rr) != ns_c_in ||
			    !same_name(ns_rr_name(rr), names[n - 1]))
				continue;
			if (dn_expand(ns_msg_base(*msg), ns_msg_end(*msg),
			    ns_rr_rdata(rr), names[n], NS_MAXDNAME) == -1)
				return n;
			for (k = 0; k < n; k++)
				if (same_name(names[k], names[n]))
					return n;	/* a loop */
			n++;
			changed = 1;
		}
	}
	return n;
}

/* is_owner - whether name is one of the n owners. */
static int
is_owner(char names[][NS_MAXDNAME], size_t n, const char *name)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (same_name(names[k], name))
			return 1;
	return 0;
}

/*
 * open_answer - check the header and question of an answer for qname
 * of type; the owner names in names.  The count of owners, or a DNS_*
 * result (negative or above 0) through *r when not DNS_OK.
 */
static size_t
open_answer(const unsigned char *ans, size_t len, const char *qname, int type,
    ns_msg *msg, char names[][NS_MAXDNAME], int *r)
{
	ns_rr q;

	*r = DNS_TEMP;
	if (len > 65535 || ns_initparse(ans, (int)len, msg) == -1)
		return 0;
	if (!ns_msg_getflag(*msg, ns_f_qr) || ns_msg_getflag(*msg, ns_f_tc) ||
	    ns_msg_getflag(*msg, ns_f_opcode) != 0)
		return 0;
	switch (ns_msg_getflag(*msg, ns_f_rcode)) {
	case ns_r_noerror:
		break;
	case ns_r_nxdomain:
		*r = DNS_NXDOMAIN;
		return 0;
	default:
		return 0;
	}
	if (ns_msg_count(*msg, ns_s_qd) != 1 ||
	    ns_parserr(msg, ns_s_qd, 0, &q) == -1 ||
	    (int)ns_rr_type(q) != type || ns_rr_class(q) != ns_c_in ||
	    !same_name(ns_rr_name(q), qname) ||
	    ns_msg_count(*msg, ns_s_an) > DNS_RR_MAX)
		return 0;
	*r = DNS_OK;
	return owners(msg, qname, names);
}

/* vdns_parse_ptr - the PTR names of an answer.  See verify_dns.h. */
int
vdns_parse_ptr(const unsigned char *ans, size_t len, const char *qname,
    struct sa *out, size_t *n)
{
	char names[DNS_CNAME_MAX + 1][NS_MAXDNAME], host[NS_MAXDNAME];
	ns_msg msg;
	ns_rr rr;
	size_t nown;
	int i, r;

	*n = 0;
	nown = open_answer(ans, len, qname, ns_t_ptr, &msg, names, &r);
	if (r != DNS_OK)
		return r;
	for (i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) == -1)
			return (*n = 0, DNS_TEMP);
		if (ns_rr_type(rr) != ns_t_ptr || ns_rr_class(rr) != ns_c_in ||
		    !is_owner(names, nown, ns_rr_name(rr)))
			continue;
		if (dn_expand(ns_msg_base(msg), ns_msg_end(msg),
		    ns_rr_rdata(rr), host, sizeof(host)) == -1)
			continue;
		if (sa_cats(out, host) == -1 || sa_catc(out, '\0') == -1)
			return (*n = 0, DNS_TEMP);
		(*n)++;
	}
	return *n > 0 ? DNS_OK : DNS_NODATA;
}

