/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * verify_dns - TXT lookups over dns.c, and libspf2's DNS layer on top
 * of dns.c.  See verify_dns.h.
 */
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <spf2/spf.h>
#include <spf2/spf_dns.h>

#include "dns.h"
#include "verify_dns.h"

/* vdns_txt - the TXT records of name.  See verify_dns.h. */
int
vdns_txt(const char *name, struct sa *out, size_t *n)
{
	struct dns_rrset set;
	size_t i;
	int r;

	*n = 0;
	if ((r = dns_query(name, ns_t_txt, &set)) != DNS_OK)
		return r;
	for (i = 0; i < set.n; i++) {
		const struct dns_rr *t = &set.rr[i];

		/* SPF, DKIM and DMARC records are text: NUL is no part */
		if (t->len > VDNS_TXT_MAX || memchr(t->data, '\0', t->len))
			continue;
		if (sa_catb(out, t->data, t->len) == -1 ||
		    sa_catc(out, '\0') == -1) {
			dns_rrset_free(&set);
			*n = 0;
			return DNS_TEMP;
		}
		(*n)++;
	}
	dns_rrset_free(&set);
	return *n > 0 ? DNS_OK : DNS_NODATA;
}

/* ---- libspf2's DNS layer ------------------------------------------ */

/* herrno - the h_errno libspf2 expects for a DNS_* result. */
static int
herrno(int r)
{
	switch (r) {
	case DNS_OK:
		return NETDB_SUCCESS;
	case DNS_NXDOMAIN:
		return HOST_NOT_FOUND;
	case DNS_NODATA:
	case DNS_NULLMX:
		return NO_DATA;
	}
	return TRY_AGAIN;
}

/* put_str - string record i of rr; -1 when out of memory. */
static int
put_str(SPF_dns_rr_t *rr, int i, const char *s)
{
	size_t n = strlen(s) + 1;

	if (SPF_dns_rr_buf_realloc(rr, i, n) != SPF_E_SUCCESS)
		return -1;
	memcpy(rr->rr[i], s, n);
	return 0;
}

/* fill_strings - TXT or PTR records (NUL-separated in list) into rr. */
static int
fill_strings(SPF_dns_rr_t *rr, const struct sa *list, size_t n)
{
	const char *s = list->s;
	size_t i;

	for (i = 0; i < n; i++, s += strlen(s) + 1)
		if (put_str(rr, (int)i, s) == -1)
			return -1;
	rr->num_rr = (int)n;
	return 0;
}

/* fill_addrs - the A or AAAA records of name into rr. */
static int
fill_addrs(SPF_dns_rr_t *rr, const char *name, int type)
{
	struct dns_rrset set;
	size_t i;
	int r;

	r = dns_query(name, type, &set);
	for (i = 0; r == DNS_OK && i < set.n; i++) {
		if (SPF_dns_rr_buf_realloc(rr, (int)i, sizeof(struct
		    in6_addr)) != SPF_E_SUCCESS) {
			r = DNS_TEMP;
			break;
		}
		if (type == ns_t_a && set.rr[i].len == 4)
			memcpy(&rr->rr[i]->a, set.rr[i].data, 4);
		else if (type == ns_t_aaaa && set.rr[i].len == 16)
			memcpy(&rr->rr[i]->aaaa, set.rr[i].data, 16);
		else {
			r = DNS_TEMP;
			break;
		}
		rr->num_rr = (int)i + 1;
	}
	dns_rrset_free(&set);
	return r;
}

/* fill_mx - the exchanges of name's MX records into rr. */
static int
fill_mx(SPF_dns_rr_t *rr, const char *name)
{
	struct dns_mx *mx = NULL;
	size_t n = 0, i;
	int r;

	r = dns_mx(name, &mx, &n);
	for (i = 0; r == DNS_OK && i < n; i++)
		if (put_str(rr, (int)i, mx[i].host) == -1)
			r = DNS_TEMP;
	if (r == DNS_OK)
		rr->num_rr = (int)n;
	free(mx);
	return r;
}

/* fill_list - TXT or PTR records of name into rr. */
static int
fill_list(SPF_dns_rr_t *rr, const char *name, int type)
{
	struct sa list = SA_INIT;
	const unsigned char *ans;
	size_t len, n = 0;
	int r;

	if (type == ns_t_txt)
		r = vdns_txt(name, &list, &n);
	else if ((r = dns_query_raw(name, type, &ans, &len)) == DNS_OK)
		r = vdns_parse_ptr(ans, len, name, &list, &n);
	if (r == DNS_OK && fill_strings(rr, &list, n) == -1)
		r = DNS_TEMP;
	sa_free(&list);
	return r;
}

/*
 * spf_lookup - libspf2's lookup entry: one query of our resolver,
 * turned into the SPF_dns_rr_t it wants, h_errno set as libresolv
 * would (TRY_AGAIN makes SPF's temperror).  A name that cannot be a
 * DNS name does not exist.
 */
static SPF_dns_rr_t *
spf_lookup(SPF_dns_server_t *srv, const char *domain, ns_type type,
    int should_cache)
{
	char name[DNS_NAME_MAX + 1];
	SPF_dns_rr_t *rr;
	int r;

	(void)should_cache;
	rr = SPF_dns_rr_new_init(srv, domain, type, 0, NETDB_SUCCESS);
	if (rr == NULL)
		return NULL;
	if (dns_name_norm(domain, name) == -1)
		r = DNS_NXDOMAIN;
	else if (type == ns_t_a || type == ns_t_aaaa)
		r = fill_addrs(rr, name, type);
	else if (type == ns_t_mx)
		r = fill_mx(rr, name);
	else if (type == ns_t_txt || type == ns_t_ptr)
		r = fill_list(rr, name, type);
	else
		r = DNS_NODATA;		/* the SPF RR type is obsolete */
	rr->herrno = herrno(r);
	if (r != DNS_OK)
		rr->num_rr = 0;
	return rr;
}

/* spf_destroy - the layer's destructor. */
static void
spf_destroy(SPF_dns_server_t *srv)
{
	free(srv);
}

/* vdns_spf_layer - a libspf2 DNS layer over dns.c. */
void *
vdns_spf_layer(void)
{
	SPF_dns_server_t *srv;

	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return NULL;
	srv->destroy = spf_destroy;
	srv->lookup = spf_lookup;
	srv->name = "qpost";
	return srv;
}
