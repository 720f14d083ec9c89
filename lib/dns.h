/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * dns - the one resolver of every qpost program: the remote sender's
 * MX, A and AAAA lookups, smtpd's DNSBL queries and whatever else asks
 * the DNS (a generic query of A, AAAA, TXT or TLSA records), all through
 * libc's res_nquery on a resolver state of our own, with the servers
 * of control/resolvers and a timeout the caller may set; and the
 * strict parsers of the answers.
 *
 * Servers: /etc/resolv.conf (res_ninit), unless control/resolvers has
 * entries, one a line: "address" or "address:port", IPv6 in brackets
 * ("127.0.0.1", "127.0.0.1:5353", "[::1]", "[::1]:5353").  Blank lines
 * and '#' comment lines are skipped; a file with no entry counts as
 * absent.  At most DNS_SERVERS_MAX entries (libc's MAXNS).  Anything
 * else makes the file broken: one log line names the file and line.
 * The options of /etc/resolv.conf and RES_OPTIONS (timeout, attempts)
 * still apply; the search list never does (res_nquery, not res_nsearch).
 *
 * IPv6 servers: glibc (2.26 and later; checked on 2.36) keeps an IPv6
 * server as nsaddr_list[i].sin_family = 0 with a malloc'd sockaddr_in6
 * in _u._ext.nsaddrs[i], the way res_ninit itself stores the IPv6
 * "nameserver" lines of resolv.conf, and res_nclose frees it.  dns.c
 * installs them the same way.  On other C libraries, whose private
 * state differs, an IPv6 entry is refused with a log line.
 *
 * The parsers take an answer as it came off the wire and trust nothing:
 * header (QR set, opcode 0, RCODE, TC clear), exactly one question that
 * echoes qname (case aside), type and class IN; at most DNS_RR_MAX answer
 * records, each read within the packet, rdata lengths exact for CNAME,
 * MX, A and AAAA, and (in an answer to a TXT question) a TXT record's
 * strings filling its rdata exactly, a TLSA record's rdata at least its
 * three fixed octets; compression pointers must point backwards (RFC 1035
 * 4.1.4: to a prior occurrence), so they cannot loop.  Only records of
 * class IN owned by qname, or by a name a CNAME chain inside the answer
 * leads to from qname (at most DNS_CNAME_MAX links, no loops), count.
 * Names come out lower case, without the trailing dot, and only of the
 * bytes a-z, 0-9, '-' and '_'; an MX whose exchange is any other name
 * is skipped.  An answer that breaks a rule is DNS_TEMP (a broken or
 * hostile server may be fixed), never a guess.
 */
#ifndef QPOST_DNS_H
#define QPOST_DNS_H

#include <sys/socket.h>
#include <stddef.h>

#define DNS_NAME_MAX	255
#define DNS_RR_MAX	100	/* answer records: more is a broken answer */
#define DNS_CNAME_MAX	8	/* CNAME links followed inside one answer */
#define DNS_SERVERS_MAX	3	/* lines in control/resolvers (MAXNS) */

struct dns_mx {
	unsigned	pref;
	char		host[DNS_NAME_MAX + 1];	/* lower case, no trailing dot */
};

struct dns_name {			/* a host name a PTR record gives */
	char		name[DNS_NAME_MAX + 1];	/* lower case, no trailing dot */
};

struct dns_addr {			/* one address of a host */
	int		family;		/* AF_INET or AF_INET6 */
	unsigned char	addr[16];	/* 4 or 16 bytes, network order */
};

#define DNS_OK		0	/* answers found */
#define DNS_NXDOMAIN	1	/* the name does not exist: permanent */
#define DNS_NODATA	2	/* the name exists, no record of that type */
#define DNS_NULLMX	3	/* RFC 7505 null MX: the domain takes no mail */
#define DNS_TEMP	(-1)	/* SERVFAIL, timeout, no answer: try later */
#define DNS_BROKEN	(-2)	/* control/resolvers is malformed (logged) */

int	dns_init(void);
	/* reads control/resolvers (via control/ctl.h); 0, DNS_BROKEN when
	   the file is unreadable or malformed (logged), or DNS_TEMP when
	   libc's resolver cannot be set up (logged); must be called first,
	   may be called again (it starts afresh) */
void	dns_close(void);
	/* frees what dns_init set up; dns_init may be called again */
int	dns_mx(const char *domain, struct dns_mx **mx, size_t *n);
	/* DNS_OK: *mx (malloc, caller frees) sorted by preference, equal
	   preferences shuffled (arc4random_uniform), each host once (its
	   lowest preference); DNS_NULLMX when any record is the null MX
	   (pref 0, exchange "."); DNS_NODATA when the domain exists without
	   MX (caller falls back to its A/AAAA); DNS_NXDOMAIN also for a
	   domain that cannot be a DNS name (empty, over 253 bytes, an empty
	   label or one over 63, a byte other than letters, digits, '-' and
	   '_': an IDN domain must come as A-labels); DNS_TEMP also when
	   MX records exist but none names a usable host.  A trailing dot
	   on domain is allowed. */
int	dns_addrs(const char *host, struct dns_addr **a, size_t *n);
	/* AAAA and A of host, AAAA first (each family in answer order, each
	   address once); DNS_OK if either had records; DNS_NXDOMAIN /
	   DNS_NODATA / DNS_TEMP otherwise (TEMP wins over NODATA when one
	   query failed temporarily) */
int	dns_ptr(const char *ip, struct dns_name **names, size_t *n);
	/* the names the PTR records of ip's reverse name give (an IPv4 or
	   IPv6 address in text): DNS_OK with *names (malloc, caller frees)
	   in answer order, each once, only names a host can have;
	   DNS_NXDOMAIN, DNS_NODATA (also when no record names a host) or
	   DNS_TEMP; DNS_NXDOMAIN too for ip that is no address */
int	dns_reverse_name(const char *ip, char *out, size_t size);
	/* ip's name under in-addr.arpa (RFC 1035 3.5) or ip6.arpa (RFC
	   3596 2.5) into out: 0, or -1 when ip is no address or out is
	   too small (DNS_REVERSE_MAX is enough) */
#define DNS_REVERSE_MAX	73	/* 32 nibbles and dots, "ip6.arpa", NUL */

/* the pure answer parsers, the fuzz target's entry points: */
int	dns_parse_mx(const unsigned char *ans, size_t len, const char *qname,
	    struct dns_mx **mx, size_t *n);
	/* as dns_mx, on an answer to the MX query of qname;
	   *n <= DNS_RR_MAX */
int	dns_parse_addrs(const unsigned char *ans, size_t len, const char *qname,
	    int type /* ns_t_a or ns_t_aaaa */, struct dns_addr **a, size_t *n);
	/* the A (or AAAA) records of an answer: DNS_OK with *a (malloc,
	   caller frees), or DNS_NXDOMAIN, DNS_NODATA, DNS_TEMP */
int	dns_parse_ptr(const unsigned char *ans, size_t len, const char *qname,
	    struct dns_name **names, size_t *n);
	/* as dns_ptr, on an answer to the PTR query of qname;
	   *n <= DNS_RR_MAX */
void	dns_mx_sort(struct dns_mx *, size_t);
	/* sort by preference, shuffle each run of equal preferences */
const char *dns_strerror(int);	/* words for logs and result text */
const char *dns_why(void);
	/* why the last lookup or parse gave DNS_TEMP, for logs: "SERVFAIL
	   or timeout", "answer: question does not echo the name"...; ""
	   when it did not */

int	dns_name_norm(const char *, char *);
	/* a name as the parsers write them (lower case, no trailing dot)
	   into a buffer of DNS_NAME_MAX + 1; -1 if it cannot be a host
	   name (see dns_mx) */

/*
 * The generic query, for any program: the records of one type (A, AAAA,
 * TXT or TLSA) of one name.  The result says which of the three
 * outcomes it is: records (DNS_OK), none for good (DNS_NXDOMAIN: the
 * name does not exist; DNS_NODATA: it exists without records of that
 * type), or
 * nothing known yet (DNS_TEMP: timeout, SERVFAIL, a broken answer; ask
 * again later, never treat as "none").
 */
struct dns_rr {			/* one record */
	size_t		 len;	/* A: 4, AAAA: 16, TXT: octets of s,
				   TLSA: octets of the rdata (>= 3) */
	unsigned char	*data;	/* A, AAAA: the address, network order;
				   TXT: the record's strings joined, with
				   no separator (RFC 7208 3.3, RFC 6376
				   3.6.2.2), and a NUL after them (the
				   text itself may hold NUL octets: check
				   len);
				   TLSA: the rdata as it came: usage,
				   selector, matching type, then the
				   association data (RFC 6698 2.1) */
};
struct dns_rrset {
	int		 type;	/* ns_t_a, ns_t_aaaa, ns_t_txt, ns_t_tlsa */
	size_t		 n;	/* 1 .. DNS_RR_MAX when DNS_OK, else 0 */
	struct dns_rr	*rr;	/* in answer order, NULL when n is 0 */
};
int	dns_query(const char *name, int type, struct dns_rrset *set);
	/* the type records of name: DNS_OK with set filled (the caller
	   frees it with dns_rrset_free), else DNS_NXDOMAIN, DNS_NODATA or
	   DNS_TEMP (the reason in dns_why()) with set empty; DNS_NXDOMAIN
	   also for a name that cannot be a DNS name (see dns_mx).  A type
	   other than A, AAAA, TXT or TLSA is a caller's bug: DNS_TEMP.  A
	   and AAAA addresses come once each, TXT and TLSA records as they
	   came. */
int	dns_query_raw(const char *, int, const unsigned char **, size_t *);
	/* one query of any type for a normalised name: DNS_OK with the
	   answer as it came (a static buffer, valid until the next query)
	   in *ans, *len, for the caller to parse strictly; or
	   DNS_NXDOMAIN, DNS_NODATA, DNS_TEMP */
int	dns_secure(void);
	/* 1 when every answer the last lookup (dns_mx, dns_addrs,
	   dns_query, dns_query_raw) read records from had the AD bit set:
	   the resolver validated them with DNSSEC (RFC 4035 3.2.3).  0 when
	   one did not, or none came (a denial, a failure: negative answers
	   are not counted).  The bit is only as good as the path from the
	   resolver: trust it from a validating resolver on this host. */
void	dns_rrset_free(struct dns_rrset *);
	/* frees what a query or parse put in set, and empties it */
int	dns_parse_rrset(const unsigned char *ans, size_t len,
	    const char *qname, int type, struct dns_rrset *set);
	/* the pure parser behind dns_query, the fuzz target's entry */
void	dns_timeout(int seconds);
	/* each query from now on gives up after about seconds (one try of
	   each server, the time shared among them, at least 1 s each:
	   libc's resolver counts whole seconds); 0 (the start) gives back
	   libc's own timeout and attempts (resolv.conf's options,
	   RES_OPTIONS).  Whole seconds: a caller with a budget passes what
	   is left of it, rounded down (smtpd/dnsbl.c: with a grace of a
	   tenth of a second), and stops at 0. */

/* the resolvers in use, for tests and logs */
int	dns_server_parse(const char *, struct sockaddr_storage *);
	/* one control/resolvers entry: 0, or -1 with dns_why() saying why */
size_t	dns_servers(struct sockaddr_storage *, size_t);
	/* copies up to size servers of the state dns_init set up; the count */

/* for dns.c only: dns_why's note lives with the parsers */
void	dns_why_set(const char *);

#endif
