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

/* wants_dane - whether the domain's policy is dane or dane-only. */
static int
wants_dane(const struct remote_cfg *c)
{
	return c->tls_policy == TLS_DANE || c->tls_policy == TLS_DANE_ONLY;
}

/*
 * add_host - a host and its addresses to the route; with dane set (a
 * DANE policy, and the MX records, if any, were secure), its TLSA
 * records too when its addresses are secure.  Returns the DNS outcome,
 * DNS_OK when it was added, with *what naming the lookup that failed.
 */
static int
add_host(struct remote_route *rt, const char *name, int port, int is_relay,
    int dane, const char **what)
{
	struct remote_host *h;
	struct dns_addr *a = NULL;
	size_t n = 0, i;
	int r, secure;

	if (rt->nhost == REMOTE_HOSTS_MAX)
		return DNS_OK;
	h = &rt->host[rt->nhost];
	memset(h, 0, sizeof(*h));
	(void)strlcpy(h->name, name, sizeof(h->name));
	h->port = port;
	h->is_relay = is_relay;
	*what = "address";
	if (literal_addr(name, &h->addr[0])) {
		h->naddr = 1;
		rt->nhost++;
		return DNS_OK;
	}
	if ((r = dns_addrs(name, &a, &n)) != DNS_OK) {
		free(a);
		return r;
	}
	secure = dns_secure();
	for (i = 0; i < n && i < REMOTE_ADDRS_MAX; i++)
		h->addr[h->naddr++] = a[i];
	free(a);
	/* a host whose TLSA records cannot be known is not used */
	if (dane && secure) {
		*what = "TLSA";
		if (remote_dane_lookup(h) == DNS_TEMP)
			return DNS_TEMP;
	}
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
 * remote_a_label - the domain as DNS knows it: an internationalized domain (a
 * UTF-8 one, which SMTPUTF8 mail may carry) in A-labels (IDNA2008,
 * RFC 5891), others as they are.  -1 if it cannot be converted.
 */
int
remote_a_label(const char *domain, char *out, size_t size)
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
	const char *what;
	size_t n = 0, i, k;
	unsigned int mine = ~0u;
	int r, temp = 0, dane = wants_dane(c);

	if (remote_a_label(j->domain, name, sizeof(name)) == -1) {
		remote_set_all(j, SPAWN_PERM, "5.1.2 domain %s is not a valid "
		    "internationalized domain name", j->domain);
		return -1;
	}
	r = dns_mx(name, &mx, &n);
	if (r == DNS_NODATA) {	/* implicit MX, RFC 5321 5.1 */
		free(mx);
		if ((r = add_host(rt, name, c->port, 0, dane, &what)) ==
		    DNS_OK)
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
	/* MX records DNSSEC does not vouch for: no DANE (RFC 7672 2.2.1) */
	dane = dane && dns_secure();
	for (i = 0; i < n; i++)
		if (is_me(c, mx[i].host) && mx[i].pref < mine)
			mine = mx[i].pref;
	for (i = k = 0; i < n && mx[i].pref < mine; i++, k++) {
		r = add_host(rt, mx[i].host, c->port, 0, dane, &what);
		if (r != DNS_OK)
			log_info("domain=%s mx=%s skipped: %s lookup: %s",
			    j->domain, mx[i].host, what, dns_strerror(r));
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
	struct remote_relay relay;
	const char *what;
	int r;

	memset(rt, 0, sizeof(*rt));
	if ((r = remote_find_route(j->domain, &relay)) == -1) {
		remote_set_all(j, SPAWN_TEMP, "4.3.5 control/%s is broken",
		    SMTPROUTES);
		return -1;
	}
	if (r == 1 && relay.host[0] != '\0') {
		if (remote_find_auth(relay.host, rt) == -1) {
			remote_set_all(j, SPAWN_TEMP, "4.3.5 control/%s is "
			    "broken", SMTPAUTH);
			return -1;
		}
		if ((r = add_host(rt, relay.host, relay.port, 1,
		    wants_dane(c), &what)) == DNS_OK)
			return 0;
		remote_set_all(j, r == DNS_TEMP ? SPAWN_TEMP : SPAWN_PERM,
		    "%s relay host %s from control/%s: %s lookup: %s",
		    r == DNS_TEMP ? "4.4.3" : "5.4.4", relay.host, SMTPROUTES,
		    what, dns_strerror(r));
		return -1;
	}
	if (j->domain[0] == '[')
		return literal_domain(c, j, rt);
	return mx_hosts(c, j, rt);
}
