/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * ctl_knob - the table of numeric control files.  See ctl_knob.h and
 * qpost-control(5), which gives the same ranges and defaults.
 */
#include <limits.h>
#include <string.h>

#include "ctl.h"
#include "ctl_knob.h"
#include "log.h"

const struct ctl_knob ctl_knobs[] = {
	/* qpauth: the SMTP server waits AUTH_TIMEOUT (60) for an answer */
	{ "authdelay", 0, 50, 30 },
	{ "authfailmax", 1, 100000, 10 },
	{ "authwindow", 1, 86400 * 7, 900 },
	{ "bouncemaxbytes", 0, 1000000000, 100000 },
	{ "concurrencylocal", 1, 1000, 10 },
	{ "concurrencyperdomain", 1, 1000, 10 },
	{ "concurrencyremote", 1, 1000, 20 },
	{ "databytes", 0, 1LL << 40, 0 },		/* 0: no limit */
	{ "delaynotice", 0, 100000000, 14400 },
	{ "dkimrequired", 0, 1, 0 },	/* 1: defer when signing fails */
	{ "greetdelay", 0, 60, 0 },	/* 0: greet at once */
	{ "localworkers", 0, 1000, 16 },	/* 0: exec local each time */
	{ "lookupclientname", 0, 1, 0 },	/* 1: the client's FCrDNS */
	{ "mailboxsizelimit", 0, LLONG_MAX, 0 },	/* 0: no limit */
	{ "maxerrors", 1, 100000, 20 },
	{ "maxrcpt", 1, 100000, 100 },
	{ "minfree", 0, 1LL << 50, 10000000 },
	{ "queuelifetime", 0, 100000000, 432000 },
	{ "rejectbadhelo", 0, 1, 0 },	/* 1: HELO must be an FQDN */
	{ "rejectunknownclient", 0, 2, 0 },	/* 1: a PTR; 2: confirmed */
	{ "rejectunknownsender", 0, 1, 0 },	/* 1: its domain in DNS */
	{ "remoteport", 1, 65535, 25 },
	{ "retrymax", 1, 100000000, 3600 },
	{ "retrymin", 1, 100000000, 60 },
	{ "softbounce", 0, 1, 0 },	/* 1: no 5xx, no bounce: they wait */
	{ "timeoutconnect", 1, 3600, 60 },
	{ "timeoutdnsbl", 1, 60, 4 },			/* all zones together */
	{ "timeoutmboxlock", 1, 86400, 60 },
	{ "timeoutpolicy", 1, 3600, 100 },	/* Postfix's default */
	{ "timeoutprogram", 1, 7 * 86400, 3600 },
	{ "timeoutremote", 1, 3600, 0 },		/* 0: RFC 5321's */
	{ "timeoutsession", 1, 864000, 3600 },
	{ "timeoutsmtpd", 1, 86400, 300 },
};
const size_t ctl_nknobs = sizeof(ctl_knobs) / sizeof(ctl_knobs[0]);

/* ctl_knob_find - the entry of name; NULL if it is no numeric file. */
const struct ctl_knob *
ctl_knob_find(const char *name)
{
	size_t i;

	for (i = 0; i < ctl_nknobs; i++)
		if (strcmp(ctl_knobs[i].name, name) == 0)
			return &ctl_knobs[i];
	return NULL;
}

/*
 * ctl_knob - control/<name> within its range into *v, its default when
 * absent: ctl_int's 1, 0 or -1 (broken, logged).  A name not in the
 * table is a bug in the caller.
 */
int
ctl_knob(const char *name, long long *v)
{
	const struct ctl_knob *k = ctl_knob_find(name);
	int r;

	if (k == NULL)
		panic("ctl_knob: %s is not a numeric control file", name);
	if ((r = ctl_int(name, k->min, k->max, v)) == 0)
		*v = k->dflt;
	return r;
}
