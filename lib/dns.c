/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * dns - MX, A, AAAA and TXT lookups through res_nquery on a resolver
 * state of our own, with the servers of control/resolvers.  See dns.h;
 * the answers are parsed by dns_parse.c.  One state per process: each
 * program asks one question at a time.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "dns.h"
#include "log.h"
#include "sa.h"

#define RESOLVERS	"resolvers"

static struct __res_state res;
static int res_ready;
static int timeout_s;			/* dns_timeout's; 0: libc's */
static int libc_retrans, libc_retry;	/* what res_ninit chose */
static int answers_ad, answers_all;	/* since the last secure_reset */

/* dns_strerror - words for a DNS_* result, for logs and result text. */
const char *
dns_strerror(int r)
{
	switch (r) {
	case DNS_OK:
		return "found";
	case DNS_NXDOMAIN:
		return "no such domain";
	case DNS_NODATA:
		return "no record of that type";
	case DNS_NULLMX:
		return "the domain accepts no mail (null MX)";
	case DNS_TEMP:
		return "temporary DNS failure";
	case DNS_BROKEN:
		return "control/resolvers is malformed";
	}
	return "unknown DNS result";
}

/* port_parse - a decimal port 1..65535, digits only; -1 if not. */
static int
port_parse(const char *s)
{
	long v = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 5)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return i == 0 || v < 1 || v > 65535 ? -1 : (int)v;
}

/*
 * dns_server_parse - one control/resolvers entry: "address",
 * "address:port", "[v6]" or "[v6]:port", into ss (port 53 when none).
 * 0, or -1 with the reason in dns_why().
 */
int
dns_server_parse(const char *s, struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN];
	const char *end, *port = NULL;
	size_t n;
	int v6 = s[0] == '[', p = 53;

	memset(ss, 0, sizeof(*ss));
	if (v6) {
		if ((end = strchr(++s, ']')) == NULL) {
			dns_why_set("no ']' after the IPv6 address");
			return -1;
		}
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0') {
			dns_why_set("junk after ']' (want [address]:port)");
			return -1;
		}
	} else {
		if ((end = strchr(s, ':')) != NULL && strchr(end + 1, ':')) {
			dns_why_set("an IPv6 address goes in brackets: [::1]");
			return -1;
		}
		if (end != NULL)
			port = end + 1;
		else
			end = s + strlen(s);
	}
	if ((n = (size_t)(end - s)) == 0 || n >= sizeof(host)) {
		dns_why_set("no address, or too long for one");
		return -1;
	}
	memcpy(host, s, n);
	host[n] = '\0';
	if (port != NULL && (p = port_parse(port)) == -1) {
		dns_why_set("the port is not a number from 1 to 65535");
		return -1;
	}
	if (v6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1) {
			dns_why_set("not an IPv6 address");
			return -1;
		}
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
			dns_why_set("not an IPv4 address");
			return -1;
		}
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
	}
	return 0;
}

/*
 * next_entry - the next entry of the file text at *p (up to end): the
 * line trimmed as ctl.c trims (blank and '#' lines skipped), copied
 * NUL-terminated into line; its number in *lineno.  1, 0 at the end,
 * -1 for a line over CTL_LINE_MAX (logged).
 */
static int
next_entry(const char **p, const char *end, char *line, size_t *lineno)
{
	const char *s, *nl;
	size_t n;

	while (*p < end) {
		s = *p;
		(*lineno)++;
		nl = memchr(s, '\n', (size_t)(end - s));
		*p = nl ? nl + 1 : end;
		n = (size_t)(*p - s);
		if (n > CTL_LINE_MAX) {
			log_warnx("control file %s: line %zu: longer than %u "
			    "bytes", RESOLVERS, *lineno, CTL_LINE_MAX);
			return -1;
		}
		while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
			n--;
		while (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
			s++;
			n--;
		}
		if (n == 0 || s[0] == '#')
			continue;
		memcpy(line, s, n);
		line[n] = '\0';
		return 1;
	}
	return 0;
}

/*
 * read_resolvers - the entries of control/resolvers into srv; their
 * count in *n (0: absent, or no entry).  0, or -1 if broken (logged).
 */
static int
read_resolvers(struct sockaddr_storage *srv, size_t *n)
{
	struct sa raw = SA_INIT;
	char line[CTL_LINE_MAX + 1];
	const char *p, *end;
	size_t lineno = 0;
	int r;

	*n = 0;
	if ((r = ctl_read(RESOLVERS, &raw)) <= 0) {
		sa_free(&raw);
		return r;
	}
	p = raw.s;
	end = raw.s + raw.len;
	while ((r = next_entry(&p, end, line, &lineno)) == 1) {
		if (*n == DNS_SERVERS_MAX) {
			log_warnx("control file %s: line %zu: more than %d "
			    "resolvers (the C library uses %d)", RESOLVERS,
			    lineno, DNS_SERVERS_MAX, DNS_SERVERS_MAX);
			r = -1;
			break;
		}
		if (dns_server_parse(line, &srv[*n]) == -1) {
			log_warnx("control file %s: line %zu: \"%s\": %s",
			    RESOLVERS, lineno, line, dns_why());
			r = -1;
			break;
		}
#ifndef __GLIBC__
		if (srv[*n].ss_family == AF_INET6) {
			log_warnx("control file %s: line %zu: \"%s\": IPv6 "
			    "resolvers work only with the GNU C library",
			    RESOLVERS, lineno, line);
			r = -1;
			break;
		}
#endif
		(*n)++;
	}
	sa_free(&raw);
	dns_why_set("");
	return r;
}

/*
 * install - make srv the state's servers, in order.  An IPv4 server
 * goes into nsaddr_list as everywhere.  An IPv6 one is kept as glibc's
 * res_ninit keeps the IPv6 "nameserver" lines of resolv.conf (glibc
 * 2.26 and later, resolv/resolv_conf.c update_from_conf): sin_family 0
 * in nsaddr_list and a malloc'd sockaddr_in6 in _u._ext.nsaddrs, which
 * res_send reads (__res_get_nsaddr) and res_nclose frees.  The copies
 * res_ninit made are freed first; _u._ext.nscount stays 0 so res_send
 * sets up its sockets afresh.  The changed list no longer matches
 * resolv.conf's, so glibc never reloads it over ours.
 */
static int
install(const struct sockaddr_storage *srv, size_t n)
{
	size_t i;

#ifdef __GLIBC__
	for (i = 0; i < MAXNS; i++) {
		free(res._u._ext.nsaddrs[i]);
		res._u._ext.nsaddrs[i] = NULL;
		res._u._ext.nssocks[i] = -1;
	}
	res._u._ext.nscount = 0;
#endif
	for (i = 0; i < n; i++) {
		memset(&res.nsaddr_list[i], 0, sizeof(res.nsaddr_list[i]));
		if (srv[i].ss_family == AF_INET) {
			memcpy(&res.nsaddr_list[i], &srv[i],
			    sizeof(struct sockaddr_in));
			continue;
		}
#ifdef __GLIBC__
		if ((res._u._ext.nsaddrs[i] = malloc(sizeof(struct
		    sockaddr_in6))) == NULL) {
			res.nscount = (int)i;
			return -1;
		}
		memcpy(res._u._ext.nsaddrs[i], &srv[i],
		    sizeof(struct sockaddr_in6));
		res.nsaddr_list[i].sin_family = 0;
#endif
	}
	res.nscount = (int)n;
	return 0;
}

/* dns_close - free the resolver state. */
void
dns_close(void)
{
	if (res_ready)
		res_nclose(&res);
	res_ready = 0;
}

/* dns_init - set up the resolver state.  See dns.h. */
int
dns_init(void)
{
	struct sockaddr_storage srv[DNS_SERVERS_MAX];
	size_t n;

	dns_close();
	if (read_resolvers(srv, &n) == -1)
		return DNS_BROKEN;
	memset(&res, 0, sizeof(res));
	if (res_ninit(&res) == -1) {
		log_warnx("unable to set up the resolver (res_ninit)");
		return DNS_TEMP;
	}
	res_ready = 1;
#ifdef RES_TRUSTAD
	/* ask for the AD bit, and keep it: DANE reads it (dns_secure) */
	res.options |= RES_TRUSTAD;
#endif
	libc_retrans = res.retrans;
	libc_retry = res.retry;
	if (n > 0 && install(srv, n) == -1) {
		log_warnx("unable to set up the resolvers: out of memory");
		dns_close();
		return DNS_TEMP;
	}
	return 0;
}

/* dns_servers - the servers in use.  See dns.h. */
size_t
dns_servers(struct sockaddr_storage *out, size_t size)
{
	size_t i, n;

	if (!res_ready)
		return 0;
	n = res.nscount < 0 ? 0 : (size_t)res.nscount;
	for (i = 0; i < n && i < size; i++) {
		memset(&out[i], 0, sizeof(out[i]));
#ifdef __GLIBC__
		if (res.nsaddr_list[i].sin_family == 0 &&
		    res._u._ext.nsaddrs[i] != NULL) {
			memcpy(&out[i], res._u._ext.nsaddrs[i],
			    sizeof(struct sockaddr_in6));
			continue;
		}
#endif
		memcpy(&out[i], &res.nsaddr_list[i],
		    sizeof(struct sockaddr_in));
	}
	return n;
}

/*
 * query - send the type query for name (normalised) and return the
 * answer in a static buffer: DNS_OK with *ans, *len, or what
 * res_nquery's h_errno says (it gives -1 for NXDOMAIN, NODATA and
 * every failure alike).
 */
static int
query(const char *name, int type, const unsigned char **ans, size_t *len)
{
	static unsigned char buf[65536];
	int n, ns;

	if (!res_ready) {
		dns_why_set("dns_init was not called");
		return DNS_TEMP;
	}
	/*
	 * glibc gives server i (retrans << i) / nscount seconds (the first
	 * one retrans) on each try: one try, and retrans the budget shared
	 * among the servers, keep the whole query near timeout_s.
	 */
	ns = res.nscount > 0 ? res.nscount : 1;
	res.retrans = timeout_s > 0 ? (timeout_s / ns > 0 ? timeout_s / ns :
	    1) : libc_retrans;
	res.retry = timeout_s > 0 ? 1 : libc_retry;
	n = res_nquery(&res, name, ns_c_in, type, buf, (int)sizeof(buf));
	if (n < 0) {
		switch (res.res_h_errno) {
		case HOST_NOT_FOUND:
			return DNS_NXDOMAIN;
		case NO_DATA:
			return DNS_NODATA;
		case TRY_AGAIN:
			dns_why_set("SERVFAIL, REFUSED or no answer in time");
			return DNS_TEMP;
		default:
			/* NO_RECOVERY: FORMERR, NOTIMP, or no query made */
			dns_why_set("the server could not answer the query");
			return DNS_TEMP;
		}
	}
	*ans = buf;
	*len = (size_t)n > sizeof(buf) ? sizeof(buf) : (size_t)n;
	answers_all++;
	/* the header's fourth octet: RA, Z, AD, CD, RCODE */
	if (*len >= 4 && (buf[3] & 0x20) != 0)
		answers_ad++;
	return DNS_OK;
}

/* dns_secure - whether the answers read were all authentic.  See dns.h. */
int
dns_secure(void)
{
	return answers_all > 0 && answers_ad == answers_all;
}

/* secure_reset - a public lookup starts: count its answers afresh. */
static void
secure_reset(void)
{
	answers_ad = answers_all = 0;
}

/* dns_timeout - the time each query may take from now on.  See dns.h. */
void
dns_timeout(int seconds)
{
	timeout_s = seconds > 0 ? seconds : 0;
}

/* dns_query - the A, AAAA, TXT or TLSA records of name.  See dns.h. */
int
dns_query(const char *name, int type, struct dns_rrset *set)
{
	char norm[DNS_NAME_MAX + 1];
	const unsigned char *ans;
	size_t len;
	int r;

	set->type = type;
	set->n = 0;
	set->rr = NULL;
	dns_why_set("");
	secure_reset();
	if (type != ns_t_a && type != ns_t_aaaa && type != ns_t_txt &&
	    type != ns_t_tlsa) {
		dns_why_set("dns_query: type is not A, AAAA, TXT or TLSA");
		return DNS_TEMP;
	}
	if (dns_name_norm(name, norm) == -1)
		return DNS_NXDOMAIN;
	if ((r = query(norm, type, &ans, &len)) != DNS_OK)
		return r;
	return dns_parse_rrset(ans, len, norm, type, set);
}

/*
 * dns_query_raw - one query's answer as it came, for qpverify, whose
 * libraries parse records of types dns_query does not know (PTR, for
 * SPF).  See dns.h.
 */
int
dns_query_raw(const char *name, int type, const unsigned char **ans,
    size_t *len)
{
	dns_why_set("");
	secure_reset();
	return query(name, type, ans, len);
}

/* dns_mx - the MX hosts of domain.  See dns.h. */
int
dns_mx(const char *domain, struct dns_mx **mx, size_t *n)
{
	char name[DNS_NAME_MAX + 1];
	const unsigned char *ans;
	size_t len;
	int r;

	*mx = NULL;
	*n = 0;
	dns_why_set("");
	secure_reset();
	if (dns_name_norm(domain, name) == -1)
		return DNS_NXDOMAIN;
	if ((r = query(name, ns_t_mx, &ans, &len)) != DNS_OK)
		return r;
	return dns_parse_mx(ans, len, name, mx, n);
}

/* dns_reverse_name - ip's name for a PTR query.  See dns.h. */
int
dns_reverse_name(const char *ip, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char a[16];
	size_t o = 0;
	int i, n;

	if (inet_pton(AF_INET, ip, a) == 1) {
		n = snprintf(out, size, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2],
		    a[1], a[0]);
		return n < 0 || (size_t)n >= size ? -1 : 0;
	}
	if (inet_pton(AF_INET6, ip, a) != 1 || size < DNS_REVERSE_MAX)
		return -1;
	for (i = 15; i >= 0; i--) {
		out[o++] = hex[a[i] & 0xf];
		out[o++] = '.';
		out[o++] = hex[a[i] >> 4];
		out[o++] = '.';
	}
	memcpy(out + o, "ip6.arpa", sizeof("ip6.arpa"));
	return 0;
}

/* dns_ptr - the host names of ip's PTR records.  See dns.h. */
int
dns_ptr(const char *ip, struct dns_name **names, size_t *n)
{
	char name[DNS_REVERSE_MAX];
	const unsigned char *ans;
	size_t len;
	int r;

	*names = NULL;
	*n = 0;
	dns_why_set("");
	secure_reset();
	if (dns_reverse_name(ip, name, sizeof(name)) == -1)
		return DNS_NXDOMAIN;
	if ((r = query(name, ns_t_ptr, &ans, &len)) != DNS_OK)
		return r;
	return dns_parse_ptr(ans, len, name, names, n);
}

/* lookup - the type (A or AAAA) addresses of name (normalised). */
static int
lookup(const char *name, int type, struct dns_addr **a, size_t *n)
{
	const unsigned char *ans;
	size_t len;
	int r;

	*a = NULL;
	*n = 0;
	if ((r = query(name, type, &ans, &len)) != DNS_OK)
		return r;
	return dns_parse_addrs(ans, len, name, type, a, n);
}

/* dns_addrs - the AAAA, then A, addresses of host.  See dns.h. */
int
dns_addrs(const char *host, struct dns_addr **a, size_t *n)
{
	char name[DNS_NAME_MAX + 1];
	const char *why6;
	struct dns_addr *a6, *a4, *all;
	size_t n6, n4;
	int r6, r4;

	*a = NULL;
	*n = 0;
	dns_why_set("");
	secure_reset();
	if (dns_name_norm(host, name) == -1)
		return DNS_NXDOMAIN;
	r6 = lookup(name, ns_t_aaaa, &a6, &n6);
	why6 = dns_why();
	dns_why_set("");
	r4 = lookup(name, ns_t_a, &a4, &n4);
	if (r4 != DNS_TEMP && r6 == DNS_TEMP)
		dns_why_set(why6);
	if (r6 != DNS_OK && r4 != DNS_OK) {
		if (r6 == DNS_TEMP || r4 == DNS_TEMP)
			return DNS_TEMP;
		if (r6 == DNS_NXDOMAIN && r4 == DNS_NXDOMAIN)
			return DNS_NXDOMAIN;
		return DNS_NODATA;
	}
	if ((all = reallocarray(NULL, n6 + n4, sizeof(*all))) == NULL) {
		free(a6);
		free(a4);
		dns_why_set("out of memory");
		return DNS_TEMP;
	}
	if (n6 > 0)
		memcpy(all, a6, n6 * sizeof(*all));
	if (n4 > 0)
		memcpy(all + n6, a4, n4 * sizeof(*all));
	free(a6);
	free(a4);
	*a = all;
	*n = n6 + n4;
	return DNS_OK;
}
