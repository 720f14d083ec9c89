/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_dnsbl - the session's DNSBL verdict (dnsbl.h): looked up once,
 * when the session starts, and applied later, at the greeting or at
 * each RCPT (control/dnsblrefuse).
 *
 * The lookups happen before the sandbox (smtpd.c), while smtpd does
 * nothing else yet, so that the seccomp filter need not know the
 * resolver; only behind a balancer listed in control/proxyfrom, whose
 * header names the client and is read under the filter, do they wait
 * for the header: they then run under the filter, whose base list has
 * what libc's resolver calls (a UDP socket, connect, sendto, recvfrom,
 * poll; open for resolv.conf is smtpd's anyway).
 *
 * Never refused: local users (-l), relay clients (RELAYCLIENT, or
 * control/relay: their addresses are not even looked up), and a client
 * once it has authenticated.  A lookup that fails or runs out of time
 * refuses nothing (fail open) and is logged once; so is a broken
 * control/dnsbl.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns.h"
#include "dnsbl.h"
#include "log.h"
#include "proxy.h"
#include "relay.h"
#include "smtpd.h"

/*
 * session_dnsbl - look the client up, once: at DNSBL_EARLY (before
 * the sandbox) unless the peer is a balancer whose header is still to
 * come, else at DNSBL_LATE (after the header).
 */
void
session_dnsbl(struct session *s, int stage)
{
	static struct dnsbl_list list;
	struct timespec t0, t1;
	long long ms;
	int at_connect, timeout, r;

	if (s->is_local || s->dnsbl_done)
		return;
	/* no list (the common case) costs one failed open, nothing more */
	if ((r = dnsbl_load(&list, &at_connect, &timeout)) <= 0) {
		s->dnsbl_done = 1;
		if (r == -1)
			log_warnx("session=%s ip=%s dnsbl=unchecked "
			    "reason=control_broken", s->sid, s->ip);
		return;
	}
	if (stage == DNSBL_EARLY && proxy_from_listed(s->ip) != 0)
		return;
	s->dnsbl_done = 1;
	if (getenv("RELAYCLIENT") != NULL || relay_allowed(s->ip) == 1)
		return;
	if (dns_init() != 0) {
		log_warnx("session=%s ip=%s dnsbl=unchecked "
		    "reason=resolver_broken", s->sid, s->ip);
		return;
	}
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	(void)dnsbl_check(&list, s->ip, timeout, &s->dnsbl);
	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	dns_close();
	ms = (long long)(t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	s->dnsbl_at_connect = at_connect;
	if (s->dnsbl.listed)
		log_info("session=%s ip=%s dnsbl=listed zone=%s answer=%s "
		    "refuse=%s ms=%lld", s->sid, s->ip, s->dnsbl.zone,
		    s->dnsbl.answer, at_connect && !s->needs_auth ? "connect" :
		    "rcpt", ms);
	else if (s->dnsbl.nunchecked > 0)
		log_warnx("session=%s ip=%s dnsbl=unchecked zones=%s "
		    "reason=\"%s\" ms=%lld", s->sid, s->ip, s->dnsbl.unchecked,
		    s->dnsbl.why, ms);
}

/*
 * session_dnsbl_refuses - whether the listing refuses now: at the
 * greeting (at_connect 1) when control/dnsblrefuse says connect, else
 * at RCPT.  A submission listener (-a) refuses at RCPT only: there
 * every client must authenticate before MAIL, and none could at the
 * greeting.
 */
int
session_dnsbl_refuses(const struct session *s, int at_connect)
{
	if (!s->dnsbl.listed || s->is_local || s->may_relay == 1 ||
	    s->authenticated || session_access_spares(s))
		return 0;
	if (at_connect)
		return s->dnsbl_at_connect && !s->needs_auth;
	return 1;
}
