/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * remote_route - which hosts to try for a domain, in order: the relay
 * control/smtproutes names, else the domain's MX hosts from DNS (by
 * preference, equal ones shuffled by dns_mx), else the domain itself
 * (RFC 5321 5.1).  The answer for a domain that can never take mail
 * (NXDOMAIN, RFC 7505 null MX, MX hosts that do not exist, an MX list
 * that leads back to this host) is permanent; a DNS failure is
 * temporary.
 */
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <idn2.h>

#include "ctl.h"
#include "log.h"
#include "remote.h"

#define SMTPROUTES	"smtproutes"
#define SMTPAUTH	"smtpauth"

/* relay - an smtproutes entry's right-hand side, split. */
struct relay {
	char	host[DNS_NAME_MAX + 1];	/* name or address, no brackets */
	int	port;
};

/* literal_addr - s as an IPv4 or IPv6 address; 1 if it is one. */
static int
literal_addr(const char *s, struct dns_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->addr) == 1) {
		a->family = AF_INET;
		return 1;
	}
	if (inet_pton(AF_INET6, s, a->addr) == 1) {
		a->family = AF_INET6;
		return 1;
	}
	return 0;
}

/*
 * parse_relay - "host", "host:port", "[v6]" or "[v6]:port" into r; an
 * empty string leaves r->host empty (use the MX records).  -1 if bad.
 */
static int
parse_relay(const char *s, struct relay *r)
{
	const char *host = s, *port, *end, *err;
	size_t n;

	memset(r, 0, sizeof(*r));
	r->port = 25;
	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL ||
		    (end[1] != ':' && end[1] != '\0'))
			return -1;
		host = s + 1;
		n = (size_t)(end - host);
		port = end[1] == ':' ? end + 2 : NULL;
	} else {
		port = strchr(s, ':');
		n = port != NULL ? (size_t)(port - s) : strlen(s);
		if (port != NULL)
			port++;
	}
	if (n >= sizeof(r->host) || (n == 0 && port != NULL))
		return -1;
	memcpy(r->host, host, n);
	r->host[n] = '\0';
	if (port != NULL) {
		r->port = (int)strtonum(port, 1, 65535, &err);
		if (err != NULL)
			return -1;
	}
	return 0;
}

/*
 * find_route - the smtproutes entry for domain: 1 with r set, 0 when
 * none applies, -1 when the file is broken (logged).
 */
static int
find_route(const char *domain, struct relay *r)
{
	struct sa list = SA_INIT;
	const char *p, *colon, *best = NULL;
	size_t rank, top = 0, lineno = 0;
	int ret;

	if ((ret = ctl_list(SMTPROUTES, &list)) != 1) {
		sa_free(&list);
		return ret;
	}
	for (p = list.s; p < list.s + list.len; p += strlen(p) + 1) {
		lineno++;
		if ((colon = strchr(p, ':')) == NULL ||
		    parse_relay(colon + 1, r) == -1) {
			log_warnx("control file %s: entry %zu: want "
			    "domain:host[:port], not \"%s\"", SMTPROUTES,
			    lineno, p);
			sa_free(&list);
			return -1;
		}
		rank = remote_domain_rank(p, (size_t)(colon - p), domain);
		if (rank > top) {
			top = rank;
			best = colon + 1;
		}
	}
	ret = best != NULL && parse_relay(best, r) == 0;
	sa_free(&list);
	return ret;
}

/*
 * find_auth - control/smtpauth's "host:user:password" for the relay
 * host.  The file holds secrets: it must be readable by its owner
 * alone, or remote refuses to use it.  -1 when broken (logged).
 */
static int
find_auth(const char *host, struct remote_route *rt)
{
	struct sa list = SA_INIT;
	char path[1024];
	struct stat st;
	const char *p, *c1, *c2;
	int r;

	if (ctl_path(path, sizeof(path), SMTPAUTH) == -1)
		return -1;
	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : (log_warn("control file %s",
		    SMTPAUTH), -1);
	/* the control directory is root's: only root can swap the file */
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0) {
		log_warnx("control file %s: must be a regular file of uid %lu "
		    "with mode 0600 or 0400 (it holds passwords)", SMTPAUTH,
		    (unsigned long)geteuid());
		return -1;
	}
	if ((r = ctl_list(SMTPAUTH, &list)) != 1) {
		sa_free(&list);
		return r;
	}
	for (p = list.s; p < list.s + list.len; p += strlen(p) + 1) {
		if ((c1 = strchr(p, ':')) == NULL ||
		    (c2 = strchr(c1 + 1, ':')) == NULL ||
		    (size_t)(c2 - c1 - 1) >= sizeof(rt->auth_user) ||
		    strlen(c2 + 1) >= sizeof(rt->auth_pass)) {
			log_warnx("control file %s: want host:user:password",
			    SMTPAUTH);
			explicit_bzero(list.s, list.len);
			sa_free(&list);
			return -1;
		}
		if ((size_t)(c1 - p) == strlen(host) &&
		    strncasecmp(p, host, strlen(host)) == 0) {
			memcpy(rt->auth_user, c1 + 1, (size_t)(c2 - c1 - 1));
			rt->auth_user[c2 - c1 - 1] = '\0';
			(void)strlcpy(rt->auth_pass, c2 + 1,
			    sizeof(rt->auth_pass));
			rt->has_auth = 1;
			break;
		}
	}
	explicit_bzero(list.s, list.len);
	sa_free(&list);
	return 0;
}

/*
 * add_host - a host and its addresses to the route.  Returns the DNS
 * outcome of the address lookup (DNS_OK when it was added).
 */
static int
add_host(struct remote_route *rt, const char *name, int port, int is_relay)
{
	struct remote_host *h;
	struct dns_addr *a = NULL;
	size_t n = 0, i;
	int r;

	if (rt->nhost == REMOTE_HOSTS_MAX)
		return DNS_OK;
	h = &rt->host[rt->nhost];
	memset(h, 0, sizeof(*h));
	(void)strlcpy(h->name, name, sizeof(h->name));
	h->port = port;
	h->is_relay = is_relay;
	if (literal_addr(name, &h->addr[0])) {
		h->naddr = 1;
		rt->nhost++;
		return DNS_OK;
	}
	if ((r = dns_addrs(name, &a, &n)) != DNS_OK) {
		free(a);
		return r;
	}
	for (i = 0; i < n && i < REMOTE_ADDRS_MAX; i++)
		h->addr[h->naddr++] = a[i];
	free(a);
	rt->nhost++;
	return DNS_OK;
}

/* is_me - whether an MX host name is this host (me or a local domain). */
static int
is_me(const struct remote_cfg *c, const char *host)
{
	return strcasecmp(host, c->me.s) == 0 || ctl_list_has(&c->locals, host);
}

/*
 * a_label - the domain as DNS knows it: an internationalized domain (a
 * UTF-8 one, which SMTPUTF8 mail may carry) in A-labels (IDNA2008,
 * RFC 5891), others as they are.  -1 if it cannot be converted.
 */
static int
a_label(const char *domain, char *out, size_t size)
{
	const char *p;
	char *ascii;
	int ok;

	for (p = domain; *p != '\0' && (unsigned char)*p < 0x80; p++)
		;
	if (*p == '\0')
		return strlcpy(out, domain, size) < size ? 0 : -1;
	if (idn2_to_ascii_8z(domain, &ascii, IDN2_NONTRANSITIONAL) !=
	    IDN2_OK)
		return -1;
	ok = strlcpy(out, ascii, size) < size;
	idn2_free(ascii);
	return ok ? 0 : -1;
}

/*
 * mx_hosts - the domain's MX hosts into rt.  If this host is among
 * them it is a backup MX: only more preferred hosts may be used.
 * Returns 0, or -1 with every recipient's result set.
 */
static int
mx_hosts(const struct remote_cfg *c, struct remote_job *j,
    struct remote_route *rt)
{
	struct dns_mx *mx = NULL;
	char name[DNS_NAME_MAX + 1];
	size_t n = 0, i, k;
	unsigned int mine = ~0u;
	int r, temp = 0;

	if (a_label(j->domain, name, sizeof(name)) == -1) {
		remote_set_all(j, SPAWN_PERM, "5.1.2 domain %s is not a valid "
		    "internationalized domain name", j->domain);
		return -1;
	}
	r = dns_mx(name, &mx, &n);
	if (r == DNS_NODATA) {	/* implicit MX, RFC 5321 5.1 */
		free(mx);
		if ((r = add_host(rt, name, c->port, 0)) == DNS_OK)
			return 0;
		remote_set_all(j, r == DNS_TEMP ? SPAWN_TEMP : SPAWN_PERM,
		    r == DNS_TEMP ? "4.4.3 DNS lookup for %s failed, will "
		    "retry" : "5.1.2 domain %s has no MX and no address",
		    j->domain);
		return -1;
	}
	if (r != DNS_OK) {
		free(mx);
		if (r == DNS_NULLMX)
			remote_set_all(j, SPAWN_PERM, "5.1.10 domain %s "
			    "accepts no mail (null MX, RFC 7505)", j->domain);
		else if (r == DNS_NXDOMAIN)
			remote_set_all(j, SPAWN_PERM, "5.1.2 domain %s does "
			    "not exist", j->domain);
		else
			remote_set_all(j, SPAWN_TEMP, "4.4.3 DNS lookup of MX "
			    "for %s failed (%s), will retry", j->domain,
			    dns_strerror(r));
		return -1;
	}
	for (i = 0; i < n; i++)
		if (is_me(c, mx[i].host) && mx[i].pref < mine)
			mine = mx[i].pref;
	for (i = k = 0; i < n && mx[i].pref < mine; i++, k++) {
		r = add_host(rt, mx[i].host, c->port, 0);
		if (r != DNS_OK)
			log_info("domain=%s mx=%s skipped: address lookup: %s",
			    j->domain, mx[i].host, dns_strerror(r));
		temp += r == DNS_TEMP || r == DNS_BROKEN;
	}
	free(mx);
	if (rt->nhost > 0)
		return 0;
	if (k == 0)
		remote_set_all(j, SPAWN_PERM, "5.4.6 mail for %s loops back "
		    "to myself (this host is its best MX)", j->domain);
	else if (temp > 0)
		remote_set_all(j, SPAWN_TEMP, "4.4.3 DNS lookup of the MX "
		    "hosts of %s failed, will retry", j->domain);
	else
		remote_set_all(j, SPAWN_PERM, "5.1.2 no MX host of %s has "
		    "an address", j->domain);
	return -1;
}

/*
 * literal_domain - a domain written as an address literal, [192.0.2.1]
 * or [IPv6:2001:db8::1] (RFC 5321 4.1.3): that address, no DNS.
 */
static int
literal_domain(const struct remote_cfg *c, struct remote_job *j,
    struct remote_route *rt)
{
	struct remote_host *h = &rt->host[0];
	const char *s = j->domain + 1;
	size_t n = strlen(s);
	int want = AF_INET;

	if (n > 5 && strncasecmp(s, "IPv6:", 5) == 0) {
		s += 5;
		n -= 5;
		want = AF_INET6;
	}
	memset(h, 0, sizeof(*h));
	if (n >= 2 && s[n - 1] == ']' && n - 1 < sizeof(h->name)) {
		memcpy(h->name, s, n - 1);
		h->name[n - 1] = '\0';
		if (literal_addr(h->name, &h->addr[0]) &&
		    h->addr[0].family == want) {
			h->naddr = 1;
			h->port = c->port;
			rt->nhost = 1;
			return 0;
		}
	}
	remote_set_all(j, SPAWN_PERM, "5.1.2 bad address literal %s",
	    j->domain);
	return -1;
}

/*
 * remote_route - the hosts for j's domain into rt.  Returns 0, or -1
 * when there is nothing to try; then every recipient's result is set.
 */
int
remote_route(const struct remote_cfg *c, struct remote_job *j,
    struct remote_route *rt)
{
	struct relay relay;
	int r;

	memset(rt, 0, sizeof(*rt));
	if ((r = find_route(j->domain, &relay)) == -1) {
		remote_set_all(j, SPAWN_TEMP, "4.3.5 control/%s is broken",
		    SMTPROUTES);
		return -1;
	}
	if (r == 1 && relay.host[0] != '\0') {
		if (find_auth(relay.host, rt) == -1) {
			remote_set_all(j, SPAWN_TEMP, "4.3.5 control/%s is "
			    "broken", SMTPAUTH);
			return -1;
		}
		if ((r = add_host(rt, relay.host, relay.port, 1)) == DNS_OK)
			return 0;
		remote_set_all(j, r == DNS_TEMP ? SPAWN_TEMP : SPAWN_PERM,
		    "%s relay host %s from control/%s: %s",
		    r == DNS_TEMP ? "4.4.3" : "5.4.4", relay.host, SMTPROUTES,
		    dns_strerror(r));
		return -1;
	}
	if (j->domain[0] == '[')
		return literal_domain(c, j, rt);
	return mx_hosts(c, j, rt);
}
