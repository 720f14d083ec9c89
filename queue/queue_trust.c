/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * queue_trust - the trusted-sender rule and the local domains.  See
 * queue_trust.h and qpost-control(5).
 */
#include <sys/stat.h>
#include <ctype.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "ctl.h"
#include "log.h"
#include "paths.h"
#include "priv.h"
#include "queue_trust.h"
#include "vdomains.h"

/*
 * trust_me - this host's name: control/me, else the host name.
 * Returns 0, or -1 if control/me is broken.
 */
int
trust_me(struct sa *me)
{
	char host[256];
	int r;

	if ((r = ctl_line("me", me)) == -1)
		return -1;
	if (r == 1)
		return 0;
	if (gethostname(host, sizeof(host)) == -1)
		return -1;
	host[sizeof(host) - 1] = '\0';
	return sa_copys(me, host) == -1 || sa_0(me) == -1 ? -1 : 0;
}

/*
 * trust_origin - the domain that addresses with none get (a local
 * user's sender, a recipient "root"): control/origin, as Postfix's
 * myorigin and Debian's /etc/mailname, else me.  0, or -1 if broken.
 */
int
trust_origin(struct sa *origin, const char *me)
{
	int r;

	if ((r = ctl_line("origin", origin)) == -1)
		return -1;
	if (r == 1 && !addr_valid_domain(origin->s, origin->len, 0)) {
		log_warnx("control file origin: \"%s\" is not a domain",
		    origin->s);
		return -1;
	}
	if (r == 1)
		return 0;
	return sa_copys(origin, me) == -1 || sa_0(origin) == -1 ? -1 : 0;
}

/*
 * trust_load - read control/trusted, control/locals, control/me and
 * control/virtualdomains (checked now, so a broken one stops sched
 * here rather than mis-route mail later),
 * and the queue root's owner (trusted by default: in single-user mode
 * it is the instance's user).  queue_fd is the open queue root.
 * Returns 0, or -1 when a file is broken (logged).
 */
int
trust_load(struct trust *t, int queue_fd)
{
	char prefix[VDOM_PREFIX_MAX + 1];
	struct stat st;
	size_t bad;
	int r;

	memset(t, 0, sizeof(*t));
	if (fstat(queue_fd, &st) == -1) {
		log_warn("unable to stat the queue directory");
		return -1;
	}
	t->queue_owner = st.st_uid;
	if ((r = ctl_list("trusted", &t->trusted)) == -1)
		return -1;
	t->has_list = r == 1;
	if (trust_me(&t->me) == -1 || trust_origin(&t->origin, t->me.s) == -1)
		return -1;
	if ((r = ctl_list("locals", &t->locals)) == -1)
		return -1;
	if (r == 0 && (sa_catb(&t->locals, t->me.s, t->me.len) == -1 ||
	    sa_catc(&t->locals, '\0') == -1))
		return -1;
	if (ctl_read("virtualdomains", &t->vdomains) == -1)
		return -1;
	if (vdom_match(t->vdomains.s, t->vdomains.len, "", prefix,
	    sizeof(prefix), &bad) == -1) {
		log_warnx("control file virtualdomains: line %zu: want "
		    "domain:prefix or .domain:prefix", bad);
		return -1;
	}
	return 0;
}

void
trust_free(struct trust *t)
{
	sa_free(&t->trusted);
	sa_free(&t->locals);
	sa_free(&t->me);
	sa_free(&t->origin);
	sa_free(&t->vdomains);
}

/* listed - whether control/trusted names uid, by name or number. */
static int
listed(const struct trust *t, uid_t uid)
{
	struct passwd *pw = getpwuid(uid);
	const char *p, *err;
	long long n;

	for (p = t->trusted.s; p != NULL && p < t->trusted.s + t->trusted.len;
	    p += strlen(p) + 1) {
		n = strtonum(p, 0, 0x7fffffff, &err);
		if (err == NULL && (uid_t)n == uid)
			return 1;
		if (pw != NULL && strcmp(p, pw->pw_name) == 0)
			return 1;
	}
	return 0;
}

/*
 * trust_uid_trusted - root always; then control/trusted if it exists;
 * without it, the queue owner and, in system mode, smtpd's account.
 */
int
trust_uid_trusted(const struct trust *t, uid_t uid)
{
	uid_t su;
	gid_t sg;

	if (uid == 0)
		return 1;
	if (t->has_list)
		return listed(t, uid);
	if (uid == t->queue_owner)
		return 1;
	return priv_lookup(USER_SMTPD, &su, &sg) == 0 && su == uid;
}

/*
 * trust_is_local_domain - whether mail for domain is delivered here:
 * control/locals (or me), or a virtual domain of control/virtualdomains.
 */
int
trust_is_local_domain(const struct trust *t, const char *domain)
{
	char prefix[VDOM_PREFIX_MAX + 1];
	size_t bad;

	if (ctl_list_has(&t->locals, domain))
		return 1;
	return vdom_match(t->vdomains.s, t->vdomains.len, domain, prefix,
	    sizeof(prefix), &bad) == 1;
}

/*
 * trust_sender_ok - may uid claim sender?  A trusted uid may claim
 * anything; any other only login@D or login+ext@D for D this host's
 * name, control/origin or a local domain.  Returns 1 or 0.
 */
int
trust_sender_ok(const struct trust *t, uid_t uid, const char *sender)
{
	struct passwd *pw;
	const char *at;
	size_t n;

	if (trust_uid_trusted(t, uid))
		return 1;
	if ((pw = getpwuid(uid)) == NULL || (at = strrchr(sender, '@')) == NULL)
		return 0;
	n = strlen(pw->pw_name);
	if (strncasecmp(sender, pw->pw_name, n) != 0 ||
	    (sender + n != at && sender[n] != '+'))
		return 0;
	/* not a virtual domain: login@virt names another's mailbox */
	return strcasecmp(at + 1, t->me.s) == 0 ||
	    strcasecmp(at + 1, t->origin.s) == 0 ||
	    ctl_list_has(&t->locals, at + 1);
}
