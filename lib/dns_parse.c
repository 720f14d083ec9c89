/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * dns_parse - the strict parsers of DNS answers.  See dns.h for the
 * rules.  Pure functions of their input (but for the shuffle of equal
 * MX preferences and dns_why's note): they never read past len, never
 * allocate more than DNS_RR_MAX results, and give DNS_TEMP, with a
 * reason in dns_why(), for any answer that breaks a rule.
 */
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

#define HDR_LEN		12	/* the fixed header */
#define RR_FIXED	10	/* type, class, ttl, rdlength */
#define NAME_WIRE_MAX	255	/* octets of a name on the wire */
#define NAME_HOPS_MAX	128	/* compression pointers in one name */

#define FLAG_QR		0x8000
#define FLAG_TC		0x0200

struct rr {
	unsigned	type, class;
	int		owner_ok, target_ok;
	unsigned	pref;			/* MX */
	size_t		rdoff, rdlen;
	char		owner[DNS_NAME_MAX + 1];
	char		target[DNS_NAME_MAX + 1];	/* CNAME, MX, PTR */
};

struct answer {
	char		qname[DNS_NAME_MAX + 1];	/* normalised */
	size_t		nrr;
	struct rr	rr[DNS_RR_MAX];
};

static char why_buf[96];
static const char *why = "";

/* dns_why - why the last lookup or parse gave DNS_TEMP. */
const char *
dns_why(void)
{
	return why;
}

/* dns_why_set - for dns.c: note why a query failed. */
void
dns_why_set(const char *s)
{
	why = s;
}

/* bad - note why an answer is refused; DNS_TEMP. */
static int
bad(const char *s)
{
	why = s;
	return DNS_TEMP;
}

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* name_byte - a byte of a host name label, lower-cased; 0 if not one. */
static char
name_byte(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return (char)(c - 'A' + 'a');
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	    c == '_')
		return (char)c;
	return 0;
}

/*
 * name_read - the name at *off in msg: its text form into out (lower
 * case, labels joined by '.', "" for the root) and *off past it in
 * place.  *ok is 0 when a label holds a byte that no host name has
 * (out is then unusable).  -1 when the name is malformed: it runs past
 * len, uses a label type other than 0 and pointer, is over 255 octets,
 * or a pointer does not point before the stretch it is in (which is
 * what makes loops impossible) or points into the header.
 */
static int
name_read(const unsigned char *msg, size_t len, size_t *off, char *out,
    int *ok)
{
	size_t p = *off, start = *off, end = 0, wire = 1, o = 0, i;
	unsigned c, hops = 0;
	char b;

	*ok = 1;
	for (;;) {
		if (p >= len)
			return -1;
		c = msg[p];
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (p + 1 >= len || ++hops > NAME_HOPS_MAX)
				return -1;
			target = (size_t)(c & 0x3f) << 8 | msg[p + 1];
			if (target >= start || target < HDR_LEN)
				return -1;
			if (end == 0)
				end = p + 2;
			p = start = target;
			continue;
		}
		if (c & 0xc0)
			return -1;	/* 0x40, 0x80: no such labels today */
		if (c == 0)
			break;
		if (c > len - p - 1)
			return -1;
		wire += c + 1;
		if (wire > NAME_WIRE_MAX)
			return -1;
		if (o > 0)
			out[o++] = '.';
		for (i = 1; i <= c; i++) {
			if ((b = name_byte(msg[p + i])) == 0) {
				*ok = 0;
				b = '?';
			}
			out[o++] = b;
		}
		p += 1 + c;
	}
	out[o] = '\0';
	*off = end != 0 ? end : p + 1;
	return 0;
}

/*
 * dns_name_norm - the name a caller gives, in the form name_read
 * writes (lower case, no trailing dot), into out (DNS_NAME_MAX + 1).
 * -1 if it cannot be a host name: empty, the root, over 253 octets
 * without the trailing dot, an empty label or one over 63 octets, a
 * byte other than letters, digits, '-' and '_'.
 */
int
dns_name_norm(const char *in, char *out)
{
	size_t n = strlen(in), i, label = 0;

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return -1;
	for (i = 0; i < n; i++) {
		if (in[i] == '.') {
			if (label == 0)
				return -1;
			label = 0;
			out[i] = '.';
			continue;
		}
		if (++label > 63 || (out[i] = name_byte((unsigned char)in[i]))
		    == 0)
			return -1;
	}
	if (label == 0)
		return -1;
	out[n] = '\0';
	return 0;
}

/* rdata_name - the name that fills the rdata from off to its end. */
static int
rdata_name(const unsigned char *msg, size_t len, size_t off, struct rr *r)
{
	if (name_read(msg, len, &off, r->target, &r->target_ok) == -1 ||
	    off != r->rdoff + r->rdlen)
		return -1;
	return 0;
}

/*
 * txt_check - TXT rdata: one or more character-strings (a length
 * octet, then that many octets) that fill it exactly (RFC 1035 3.3.14).
 */
static int
txt_check(const unsigned char *rd, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return -1;
	while (off < len) {
		if (rd[off] > len - off - 1)
			return -1;
		off += 1 + rd[off];
	}
	return 0;
}

/* rr_read - the answer record at *off into r, its rdata checked. */
static int
rr_read(const unsigned char *msg, size_t len, size_t *off, struct rr *r)
{
	size_t o = *off;

	if (name_read(msg, len, &o, r->owner, &r->owner_ok) == -1)
		return bad("answer: malformed owner name");
	if (len - o < RR_FIXED)
		return bad("answer: record cut short");
	r->type = get16(msg + o);
	r->class = get16(msg + o + 2);
	r->rdlen = get16(msg + o + 8);
	r->rdoff = o + RR_FIXED;
	r->target_ok = 0;
	r->target[0] = '\0';
	if (r->rdlen > len - r->rdoff)
		return bad("answer: rdata past the end");
	*off = r->rdoff + r->rdlen;
	if (r->class != ns_c_in)
		return DNS_OK;
	switch (r->type) {
	case ns_t_cname:
		if (rdata_name(msg, len, r->rdoff, r) == -1)
			return bad("answer: malformed CNAME");
		break;
	case ns_t_mx:
		if (r->rdlen < 3)
			return bad("answer: MX rdata too short");
		r->pref = get16(msg + r->rdoff);
		if (rdata_name(msg, len, r->rdoff + 2, r) == -1)
			return bad("answer: malformed MX exchange");
		break;
	case ns_t_ptr:
		if (rdata_name(msg, len, r->rdoff, r) == -1)
			return bad("answer: malformed PTR");
		break;
	case ns_t_a:
		if (r->rdlen != 4)
			return bad("answer: A record not 4 octets");
		break;
	case ns_t_aaaa:
		if (r->rdlen != 16)
			return bad("answer: AAAA record not 16 octets");
		break;
	}
	/* TXT rdata is checked where it is read (dns_parse_rrset): in an
	   answer to another question it is data nobody reads */
	return DNS_OK;
}

/*
 * parse_answer - header, question and answer records of msg, the
 * answer to the qtype query of qname (normalised).  DNS_OK with the
 * records in a, DNS_NXDOMAIN, or DNS_TEMP.
 */
static int
parse_answer(const unsigned char *msg, size_t len, const char *qname,
    unsigned qtype, struct answer *a)
{
	char name[DNS_NAME_MAX + 1];
	unsigned flags, rcode, qd, an, i;
	size_t off = HDR_LEN;
	int ok;

	a->nrr = 0;
	if (len < HDR_LEN)
		return bad("answer shorter than a header");
	flags = get16(msg + 2);
	if (!(flags & FLAG_QR))
		return bad("answer: QR bit clear");
	if ((flags >> 11 & 0xf) != ns_o_query)
		return bad("answer: opcode is not QUERY");
	if (flags & FLAG_TC)
		return bad("answer truncated (TC bit)");
	rcode = flags & 0xf;
	if (rcode == ns_r_servfail)
		return bad("SERVFAIL");
	if (rcode != ns_r_noerror && rcode != ns_r_nxdomain) {
		snprintf(why_buf, sizeof(why_buf), "answer: RCODE %u", rcode);
		return bad(why_buf);
	}
	qd = get16(msg + 4);
	an = get16(msg + 6);
	if (qd != 1)
		return bad("answer: not exactly one question");
	if (name_read(msg, len, &off, name, &ok) == -1)
		return bad("answer: malformed question name");
	if (!ok || strcmp(name, qname) != 0)
		return bad("answer: question does not echo the name");
	if (len - off < 4)
		return bad("answer: question cut short");
	if (get16(msg + off) != qtype || get16(msg + off + 2) != ns_c_in)
		return bad("answer: question type or class differs");
	off += 4;
	if (rcode == ns_r_nxdomain)
		return DNS_NXDOMAIN;
	if (an > DNS_RR_MAX) {
		snprintf(why_buf, sizeof(why_buf), "answer: %u records, over "
		    "the limit of %d", an, DNS_RR_MAX);
		return bad(why_buf);
	}
	for (i = 0; i < an; i++)
		if (rr_read(msg, len, &off, &a->rr[i]) != DNS_OK)
			return DNS_TEMP;
	a->nrr = an;
	return DNS_OK;
}

/* find_cname - the CNAME record owned by name, or NULL. */
static const struct rr *
find_cname(const struct answer *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->nrr; i++)
		if (a->rr[i].type == ns_t_cname && a->rr[i].class == ns_c_in &&
		    a->rr[i].owner_ok && strcmp(a->rr[i].owner, name) == 0)
			return &a->rr[i];
	return NULL;
}

/*
 * follow_chain - the names whose records count: qname, then each CNAME
 * target from it.  Fills chain and *n; DNS_OK or DNS_TEMP (a loop, a
 * chain too long, a target that is no host name).
 */
static int
follow_chain(const struct answer *a, const char *qname,
    const char *chain[DNS_CNAME_MAX + 1], size_t *n)
{
	const struct rr *c;
	size_t i;

	chain[0] = qname;
	*n = 1;
	while ((c = find_cname(a, chain[*n - 1])) != NULL) {
		if (!c->target_ok || c->target[0] == '\0')
			return bad("answer: CNAME to a name that is no host");
		for (i = 0; i < *n; i++)
			if (strcmp(chain[i], c->target) == 0)
				return bad("answer: CNAME loop");
		if (*n > DNS_CNAME_MAX)
			return bad("answer: CNAME chain too long");
		chain[(*n)++] = c->target;
	}
	return DNS_OK;
}

/* counts - whether r is of class IN and type, owned by a chain name. */
static int
counts(const struct rr *r, unsigned type, const char **chain, size_t n)
{
	size_t i;

	if (r->type != type || r->class != ns_c_in || !r->owner_ok)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(r->owner, chain[i]) == 0)
			return 1;
	return 0;
}

/* prepare - normalise qname and parse; the answer is malloc'd in *ap. */
static int
prepare(const unsigned char *ans, size_t len, const char *qname,
    unsigned type, struct answer **ap, const char **chain, size_t *nchain)
{
	struct answer *a;
	int r;

	why = "";
	*ap = NULL;
	if ((a = malloc(sizeof(*a))) == NULL)
		return bad("out of memory");
	if (dns_name_norm(qname, a->qname) == -1) {
		free(a);
		return DNS_NXDOMAIN;
	}
	if ((r = parse_answer(ans, len, a->qname, type, a)) == DNS_OK)
		r = follow_chain(a, a->qname, chain, nchain);
	if (r != DNS_OK) {
		free(a);
		return r;
	}
	*ap = a;
	return DNS_OK;
}

/*
 * prepare_results - prepare, then room for one result of size octets
 * for each record of the answer (at least one), in *out.
 */
static int
prepare_results(const unsigned char *ans, size_t len, const char *qname,
    unsigned type, struct answer **ap, const char **chain, size_t *nchain,
    size_t size, void **out)
{
	int r;

	*out = NULL;
	if ((r = prepare(ans, len, qname, type, ap, chain, nchain)) != DNS_OK)
		return r;
	if ((*out = reallocarray(NULL, (*ap)->nrr ? (*ap)->nrr : 1, size)) ==
	    NULL) {
		free(*ap);
		*ap = NULL;
		return bad("out of memory");
	}
	return DNS_OK;
}

/* dns_parse_mx - the MX records of an answer.  See dns.h. */
int
dns_parse_mx(const unsigned char *ans, size_t len, const char *qname,
    struct dns_mx **mxp, size_t *np)
{
	const char *chain[DNS_CNAME_MAX + 1];
	struct answer *a;
	struct dns_mx *mx;
	size_t nchain, i, j, n = 0, unusable = 0;
	int r, nullmx = 0;
	void *room;

	*mxp = NULL;
	*np = 0;
	if ((r = prepare_results(ans, len, qname, ns_t_mx, &a, chain, &nchain,
	    sizeof(*mx), &room)) != DNS_OK)
		return r;
	mx = room;
	for (i = 0; i < a->nrr; i++) {
		const struct rr *rr = &a->rr[i];

		if (!counts(rr, ns_t_mx, chain, nchain))
			continue;
		if (rr->target_ok && rr->target[0] == '\0') {
			/* RFC 7505: "." with preference 0; "." with another
			   preference names no host either */
			if (rr->pref == 0)
				nullmx = 1;
			else
				unusable++;
			continue;
		}
		if (!rr->target_ok) {
			unusable++;
			continue;
		}
		for (j = 0; j < n; j++)
			if (strcmp(mx[j].host, rr->target) == 0)
				break;
		if (j < n) {
			if (rr->pref < mx[j].pref)
				mx[j].pref = rr->pref;
			continue;
		}
		mx[n].pref = rr->pref;
		memcpy(mx[n].host, rr->target, sizeof(mx[n].host));
		n++;
	}
	free(a);
	if (nullmx || n == 0) {
		free(mx);
		if (nullmx)
			return DNS_NULLMX;
		return unusable ? bad("answer: no MX names a usable host") :
		    DNS_NODATA;
	}
	dns_mx_sort(mx, n);
	*mxp = mx;
	*np = n;
	return DNS_OK;
}

/* dns_parse_ptr - the PTR records of an answer.  See dns.h. */
int
dns_parse_ptr(const unsigned char *ans, size_t len, const char *qname,
    struct dns_name **np, size_t *nn)
{
	const char *chain[DNS_CNAME_MAX + 1];
	struct answer *a;
	struct dns_name *out;
	size_t nchain, i, j, n = 0;
	int r;
	void *room;

	*np = NULL;
	*nn = 0;
	if ((r = prepare_results(ans, len, qname, ns_t_ptr, &a, chain,
	    &nchain, sizeof(*out), &room)) != DNS_OK)
		return r;
	out = room;
	for (i = 0; i < a->nrr; i++) {
		const struct rr *rr = &a->rr[i];

		/* a name no host can have (the root, odd bytes) names none */
		if (!counts(rr, ns_t_ptr, chain, nchain) || !rr->target_ok ||
		    rr->target[0] == '\0')
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(out[j].name, rr->target) == 0)
				break;
		if (j == n)
			memcpy(out[n++].name, rr->target, sizeof(out[0].name));
	}
	free(a);
	if (n == 0) {
		free(out);
		return DNS_NODATA;
	}
	*np = out;
	*nn = n;
	return DNS_OK;
}

/* dns_parse_addrs - the A or AAAA records of an answer.  See dns.h. */
int
dns_parse_addrs(const unsigned char *ans, size_t len, const char *qname,
    int type, struct dns_addr **ap, size_t *np)
{
	const char *chain[DNS_CNAME_MAX + 1];
	struct answer *a;
	struct dns_addr *out;
	size_t nchain, i, j, n = 0, alen;
	int r, family;
	void *room;

	*ap = NULL;
	*np = 0;
	if (type == ns_t_a) {
		family = AF_INET;
		alen = 4;
	} else if (type == ns_t_aaaa) {
		family = AF_INET6;
		alen = 16;
	} else
		return bad("dns_parse_addrs: type is neither A nor AAAA");
	if ((r = prepare_results(ans, len, qname, (unsigned)type, &a, chain,
	    &nchain, sizeof(*out), &room)) != DNS_OK)
		return r;
	out = room;
	for (i = 0; i < a->nrr; i++) {
		const struct rr *rr = &a->rr[i];

		if (!counts(rr, (unsigned)type, chain, nchain))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].family = family;
		memcpy(out[n].addr, ans + rr->rdoff, alen);
		for (j = 0; j < n; j++)
			if (memcmp(out[j].addr, out[n].addr, alen) == 0)
				break;
		if (j == n)
			n++;
	}
	free(a);
	if (n == 0) {
		free(out);
		return DNS_NODATA;
	}
	*ap = out;
	*np = n;
	return DNS_OK;
}

/*
 * rr_data - a record's data as dns_rrset gives it: the address, or a
 * TXT record's strings joined, NUL-terminated; in *d (malloc'd).
 */
static int
rr_data(const unsigned char *msg, const struct rr *rr, struct dns_rr *d)
{
	const unsigned char *rd = msg + rr->rdoff;
	size_t off, n = 0;

	if ((d->data = malloc(rr->rdlen + 1)) == NULL)
		return -1;
	if (rr->type != ns_t_txt) {
		memcpy(d->data, rd, rr->rdlen);
		n = rr->rdlen;
	} else
		for (off = 0; off < rr->rdlen; off += 1 + rd[off]) {
			memcpy(d->data + n, rd + off + 1, rd[off]);
			n += rd[off];
		}
	d->data[n] = '\0';
	d->len = n;
	return 0;
}

/* same_addr - whether an address is among the first n of set. */
static int
same_addr(const struct dns_rrset *set, const unsigned char *addr,
    size_t len)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->rr[i].len == len &&
		    memcmp(set->rr[i].data, addr, len) == 0)
			return 1;
	return 0;
}

/* dns_rrset_free - free and empty set.  See dns.h. */
void
dns_rrset_free(struct dns_rrset *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		free(set->rr[i].data);
	free(set->rr);
	set->rr = NULL;
	set->n = 0;
}

/* dns_parse_rrset - the A, AAAA, TXT or TLSA records of an answer. */
int
dns_parse_rrset(const unsigned char *ans, size_t len, const char *qname,
    int type, struct dns_rrset *set)
{
	const char *chain[DNS_CNAME_MAX + 1];
	struct answer *a;
	size_t nchain, i;
	int r;

	set->type = type;
	set->n = 0;
	set->rr = NULL;
	if (type != ns_t_a && type != ns_t_aaaa && type != ns_t_txt &&
	    type != ns_t_tlsa)
		return bad("dns_parse_rrset: type is not A, AAAA, TXT or "
		    "TLSA");
	if ((r = prepare(ans, len, qname, (unsigned)type, &a, chain,
	    &nchain)) != DNS_OK)
		return r;
	if ((set->rr = reallocarray(NULL, a->nrr ? a->nrr : 1,
	    sizeof(*set->rr))) == NULL) {
		free(a);
		return bad("out of memory");
	}
	for (i = 0; i < a->nrr; i++) {
		const struct rr *rr = &a->rr[i];

		if (!counts(rr, (unsigned)type, chain, nchain))
			continue;
		if (type == ns_t_txt && txt_check(ans + rr->rdoff, rr->rdlen) ==
		    -1) {
			free(a);
			dns_rrset_free(set);
			return bad("answer: TXT strings do not fill the rdata");
		}
		/* usage, selector and matching type (RFC 6698 2.1) */
		if (type == ns_t_tlsa && rr->rdlen < 3) {
			free(a);
			dns_rrset_free(set);
			return bad("answer: TLSA rdata too short");
		}
		/* an address once, as dns_parse_addrs gives them */
		if ((type == ns_t_a || type == ns_t_aaaa) &&
		    same_addr(set, ans + rr->rdoff, rr->rdlen))
			continue;
		if (rr_data(ans, rr, &set->rr[set->n]) == -1) {
			free(a);
			dns_rrset_free(set);
			return bad("out of memory");
		}
		set->n++;
	}
	free(a);
	if (set->n == 0) {
		dns_rrset_free(set);
		return DNS_NODATA;
	}
	return DNS_OK;
}

static int
pref_cmp(const void *a, const void *b)
{
	unsigned pa = ((const struct dns_mx *)a)->pref;
	unsigned pb = ((const struct dns_mx *)b)->pref;

	return pa < pb ? -1 : pa > pb;
}

/*
 * dns_mx_sort - sort by preference and shuffle each run of equal
 * preferences (Fisher-Yates), so equal MX hosts share the load.
 */
void
dns_mx_sort(struct dns_mx *mx, size_t n)
{
	struct dns_mx tmp;
	size_t start, end, i, j;

	if (n < 2)
		return;
	qsort(mx, n, sizeof(*mx), pref_cmp);
	for (start = 0; start < n; start = end) {
		for (end = start + 1; end < n && mx[end].pref == mx[start].pref;
		    end++)
			;
		for (i = end - 1; i > start; i--) {
			j = start +
			    arc4random_uniform((uint32_t)(i - start + 1));
			tmp = mx[i];
			mx[i] = mx[j];
			mx[j] = tmp;
		}
	}
}
