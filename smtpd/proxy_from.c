/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * proxy_from - the load balancers smtpd takes a PROXY header from:
 * control/proxyfrom.  See proxy.h.  A small text file read for each
 * connection (no cdb: a handful of balancers, and no stale copy to
 * forget), with control/relay's syntax and matcher, so an address or
 * network is written the same way in both.
 */
#include <string.h>

#include "ctl.h"
#include "log.h"
#include "proxy.h"
#include "relay.h"
#include "sa.h"

/*
 * proxy_from_listed - whether ip is in control/proxyfrom: 1, 0 (also
 * when the file is absent: then no peer is a balancer), or -1 when the
 * file cannot be read or a line is not an address or network (logged).
 * Every line is checked, so a broken file is broken for every peer,
 * not only for those after the first match.
 */
int
proxy_from_listed(const char *ip)
{
	struct sa list = SA_INIT;
	struct relay_net net;
	const char *e, *why;
	int r, listed = 0;

	if ((r = ctl_list("proxyfrom", &list)) <= 0) {
		sa_free(&list);
		return r;
	}
	for (e = list.s; e < list.s + list.len; e += strlen(e) + 1) {
		if ((why = relay_net_parse(e, strlen(e), &net)) != NULL) {
			log_warnx("control file proxyfrom: \"%s\": %s", e, why);
			listed = -1;
			break;
		}
		if (relay_net_match(&net, ip))
			listed = 1;
	}
	sa_free(&list);
	return listed;
}
