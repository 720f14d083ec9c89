/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_client - the client's host name (control/lookupclientname) and
 * control/rejectunknownclient: Postfix's peer name lookup with its
 * reject_unknown_reverse_client_hostname (1) and
 * reject_unknown_client_hostname (2).
 *
 * A name counts only when it is forward-confirmed: the PTR records of
 * the client's address give names, and one of them is the client's
 * when its own addresses (A for an IPv4 client, AAAA for IPv6) hold
 * the client's address.  Whoever has the reverse zone of an address can
 * write any name into it; only the forward zone's owner can confirm it.
 * The first name so confirmed is the client's name: the Received: line,
 * the connect log line, a policy server's client_name and a milter's
 * connect host (TCPREMOTEHOST, for qpmilter).  The first PTR name,
 * confirmed or not, is the reverse name (the log line's ptr=, a policy
 * server's reverse_client_name).  Either is "unknown" without one.
 *
 * The lookups run once, when the session starts (after a balancer's
 * PROXY header, which names the client), under smtpd's system call
 * filter, whose base list has what libc's resolver calls.  At most
 * CLIENT_NAMES_MAX PTR names are tried, in CLIENT_LOOKUP_S seconds in
 * all: a client whose reverse zone is slow waits that long at most for
 * its greeting.
 *
 * The verdict waits for MAIL, as control/rejectunknownsender's does, so
 * that a roaming user can still authenticate, and spares the same
 * clients: local users, relay clients, authenticated ones.  A refusal
 * is 450 4.7.25 (RFC 7372: reverse DNS validation failed), Postfix's
 * default code, and it is 450 whatever the code: a client whose PTR
 * record is being fixed tries again, and a lookup that failed for now
 * never refuses for good.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns.h"
#include "log.h"
#include "smtpd.h"

#define CLIENT_NAMES_MAX	4	/* PTR names checked forward */
#define CLIENT_LOOKUP_S		10	/* all the lookups together */

/* seconds_left - the budget's whole seconds left, for dns_timeout */
static int
seconds_left(time_t deadline)
{
	time_t now = time(NULL);

	return now >= deadline ? 0 : (int)(deadline - now);
}

/*
 * confirms - whether name's A (or AAAA) records hold the client's
 * address bin (len octets): 1, 0, or DNS_TEMP when that lookup failed
 * for now.
 */
static int
confirms(const char *name, int type, const unsigned char *bin, size_t len)
{
	struct dns_rrset set = { 0 };
	size_t i;
	int r, found = 0;

	if ((r = dns_query(name, type, &set)) == DNS_TEMP)
		return DNS_TEMP;
	for (i = 0; r == DNS_OK && i < set.n; i++)
		if (set.rr[i].len == len && memcmp(set.rr[i].data, bin, len)
		    == 0)
			found = 1;
	dns_rrset_free(&set);
	return found;
}

/* failed_for_now - a lookup failed for now: why, for the log line */
static void
failed_for_now(struct session *s, const char *why)
{
	s->client_temp = 1;
	strlcpy(s->client_why, why, sizeof(s->client_why));
}

/* forward_check - the first of names that confirms the client, if any */
static void
forward_check(struct session *s, const struct dns_name *names, size_t n,
    time_t deadline)
{
	unsigned char bin[16];
	int v6 = strchr(s->ip, ':') != NULL, left, r;
	size_t i;

	if (inet_pton(v6 ? AF_INET6 : AF_INET, s->ip, bin) != 1)
		return;
	for (i = 0; i < n && i < CLIENT_NAMES_MAX; i++) {
		if ((left = seconds_left(deadline)) == 0) {
			failed_for_now(s, "no time left for the forward "
			    "lookups");
			return;
		}
		dns_timeout(left);
		r = confirms(names[i].name, v6 ? ns_t_aaaa : ns_t_a, bin,
		    v6 ? 16 : 4);
		if (r == 1) {
			strlcpy(s->host, names[i].name, sizeof(s->host));
			return;
		}
		if (r == DNS_TEMP)
			failed_for_now(s, dns_why());
	}
}

/* names_lookup - the PTR names, then which of them is confirmed */
static void
names_lookup(struct session *s, time_t deadline)
{
	struct dns_name *names = NULL;
	size_t n;
	int r;

	dns_timeout(CLIENT_LOOKUP_S);
	if ((r = dns_ptr(s->ip, &names, &n)) == DNS_OK) {
		s->client_ptr = CLIENT_PTR_FOUND;
		strlcpy(s->ptr, names[0].name, sizeof(s->ptr));
		forward_check(s, names, n, deadline);
	} else if (r == DNS_TEMP) {
		s->client_ptr = CLIENT_PTR_TEMP;
		failed_for_now(s, dns_why());
	} else
		s->client_ptr = CLIENT_PTR_NONE;
	free(names);
	dns_timeout(0);
}

/*
 * session_client_lookup - the client's names, once, when either file
 * asks for them or access_wants them (control/clientaccess has rules
 * by name); TCPREMOTEHOST follows what was found.
 */
void
session_client_lookup(struct session *s, int access_wants)
{
	time_t deadline = time(NULL) + CLIENT_LOOKUP_S;
	int r;

	if (s->is_local || (!access_wants && s->set.lookup_client_name == 0 &&
	    s->set.reject_unknown_client == 0))
		return;
	strlcpy(s->host, "unknown", sizeof(s->host));
	strlcpy(s->ptr, "unknown", sizeof(s->ptr));
	if ((r = dns_init()) != 0) {
		s->client_ptr = CLIENT_PTR_TEMP;
		failed_for_now(s, r == DNS_BROKEN ? "control/resolvers is "
		    "broken" : "the resolver cannot be set up");
	} else {
		names_lookup(s, deadline);
		dns_close();
	}
	if (strcmp(s->host, "unknown") != 0)
		(void)setenv("TCPREMOTEHOST", s->host, 1);
	else
		unsetenv("TCPREMOTEHOST");
}

/* refuse - the 450 reply and its log line; 1 */
static int
refuse(struct session *s, char *line, size_t size, const char *what,
    const char *reason)
{
	(void)snprintf(line, size, "450 4.7.25 Client host rejected: cannot "
	    "find your %s, [%s]", what, s->ip);
	if (strcmp(reason, "dns_temp") == 0)
		log_info("session=%s ip=%s deferred client=%s reason=%s "
		    "why=\"%s\"", s->sid, s->ip, s->ptr, reason,
		    s->client_why);
	else
		log_info("session=%s ip=%s refused client=%s reason=%s",
		    s->sid, s->ip, s->ptr, reason);
	return 1;
}

/*
 * session_client_refused - control/rejectunknownclient's verdict, for
 * MAIL: 1 with the reply in line, or 0.  The caller spares its own
 * clients (session_is_own).
 */
int
session_client_refused(struct session *s, char *line, size_t size)
{
	long long level = s->set.reject_unknown_client;

	if (level == 0 || s->client_ptr == CLIENT_PTR_UNASKED)
		return 0;
	if (s->client_ptr == CLIENT_PTR_TEMP)
		return refuse(s, line, size, "reverse hostname", "dns_temp");
	if (s->client_ptr == CLIENT_PTR_NONE)
		return refuse(s, line, size, "reverse hostname", "no_ptr");
	if (level < 2 || strcmp(s->host, "unknown") != 0)
		return 0;
	return refuse(s, line, size, "hostname", s->client_temp ?
	    "dns_temp" : "not_confirmed");
}
