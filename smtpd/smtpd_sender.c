/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_sender - control/rejectunknownsender and control/rejectbadhelo:
 * Postfix's reject_unknown_sender_domain (with reject_non_fqdn_sender)
 * and reject_invalid_helo_hostname (with reject_non_fqdn_helo_hostname),
 * the checks most admins put before everything else, asked at MAIL.
 *
 * A sender domain that does not exist, or has neither MX nor address,
 * gets 450 4.1.8 as from Postfix (its unknown_address_reject_code): a
 * legitimate sender whose DNS failed for a moment tries again, and a
 * forger gets nothing; one whose MX is RFC 7505's null MX says it takes
 * no mail, so its bounces could not be delivered: 550 5.7.27.  A lookup
 * that fails for now gets 451 4.4.3.  Lookups take the resolver's own
 * timeouts (resolv.conf), as the remote sender's do.
 *
 * Not asked, as with the policy servers: local users (-l), relay
 * clients and authenticated clients, whose mail is the site's own.
 * Nor is the sender of a domain of control/locals (the site's own, which
 * need not be in public DNS) or an address literal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "ctl.h"
#include "dns.h"
#include "log.h"
#include "smtpd.h"

int
session_is_own(const struct session *s)
{
	return s->is_local || s->may_relay == 1 || s->authenticated;
}

/* helo_refused - control/rejectbadhelo's verdict on the HELO name */
static int
helo_refused(struct session *s, char *line, size_t size)
{
	const char *h = s->helo;
	size_t n = strlen(h);
	const char *why;

	if (addr_valid_domain(h, n, 0) && (h[0] == '[' ||
	    (strchr(h, '.') != NULL && h[n - 1] != '.')))
		return 0;
	if (!addr_valid_domain(h, n, 0)) {
		why = "invalid";
		(void)snprintf(line, size, "501 5.5.2 <%s>: Helo command "
		    "rejected: Invalid name", h);
	} else {
		why = "non_fqdn";
		(void)snprintf(line, size, "504 5.5.2 <%s>: Helo command "
		    "rejected: need fully-qualified hostname", h);
	}
	log_info("session=%s ip=%s refused helo=<%s> reason=%s", s->sid,
	    s->ip, h, why);
	return 1;
}

/* domain_found - dns's word on domain: DNS_OK, DNS_NULLMX, _NXDOMAIN... */
static int
domain_found(const char *domain)
{
	static int ready;
	struct dns_mx *mx = NULL;
	struct dns_addr *a = NULL;
	size_t n;
	int r;

	if (!ready) {
		if ((r = dns_init()) != 0)
			return r;
		ready = 1;
	}
	r = dns_mx(domain, &mx, &n);
	free(mx);
	if (r != DNS_NODATA)
		return r;
	r = dns_addrs(domain, &a, &n);	/* RFC 5321 5.1: the implicit MX */
	free(a);
	return r;
}

/* sender_refused - control/rejectunknownsender's verdict on the sender */
static int
sender_refused(struct session *s, char *line, size_t size)
{
	const char *d = strrchr(s->sender, '@'), *why;
	int r;

	if (d == NULL || d[1] == '[' || ctl_list_has(&s->set.locals, d + 1))
		return 0;
	d++;
	if (strchr(d, '.') == NULL) {
		why = "non_fqdn";
		(void)snprintf(line, size, "504 5.5.2 <%s>: Sender address "
		    "rejected: need fully-qualified address", s->sender);
	} else if ((r = domain_found(d)) == DNS_OK)
		return 0;
	else if (r == DNS_NULLMX) {
		why = "null_mx";
		(void)snprintf(line, size, "550 5.7.27 <%s>: Sender address "
		    "rejected: Domain %s does not accept mail (null MX)",
		    s->sender, d);
	} else if (r == DNS_NXDOMAIN || r == DNS_NODATA) {
		why = "unknown_domain";
		(void)snprintf(line, size, "450 4.1.8 <%s>: Sender address "
		    "rejected: Domain not found", s->sender);
	} else {
		why = r == DNS_BROKEN ? "resolvers_broken" : "dns_temp";
		(void)snprintf(line, size, "451 4.4.3 <%s>: Sender address "
		    "rejected: unable to look up %s now, try again later",
		    s->sender, d);
	}
	if (strcmp(why, "dns_temp") == 0)
		log_info("session=%s ip=%s deferred sender=<%s> reason=%s "
		    "why=\"%s\"", s->sid, s->ip, s->sender, why, dns_why());
	else
		log_info("session=%s ip=%s refused sender=<%s> reason=%s",
		    s->sid, s->ip, s->sender, why);
	return 1;
}

int
session_sender_check(struct session *s, char *line, size_t size)
{
	if (session_is_own(s))
		return 0;
	if (session_access_refused(s, line, size))
		return 1;
	if (!session_access_spares(s) &&
	    session_client_refused(s, line, size))
		return 1;
	if (s->set.reject_bad_helo && helo_refused(s, line, size))
		return 1;
	if (s->set.reject_unknown_sender && s->sender[0] != '\0' &&
	    sender_refused(s, line, size))
		return 1;
	return 0;
}
