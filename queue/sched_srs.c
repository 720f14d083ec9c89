/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sched_srs - the Sender Rewriting Scheme (lib/srs.h) for the mail sched
 * forwards: a forwarded copy bound for another domain leaves with the
 * sender SRS0=...@SRSDOMAIN, so that the next hop's SPF check sees this
 * host's domain; a bounce or delay notice of such a copy goes back to
 * the original sender.  (A bounce that another host sends back comes in
 * through smtpd, which turns the address back itself.)
 *
 * The key is control/srskey, which qpost-start opened as root and put
 * on $QPOST_SRSKEYFD: sched, as qpqueue, cannot open it itself, and
 * neither can remote, which shares sched's group.  It is read once, at
 * start: a new key takes a restart.  SRSDOMAIN is control/srsdomain,
 * else control/me, read with the other files.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "ctl.h"
#include "log.h"
#include "sched.h"
#include "srs.h"

/* sched_srs_load - the key from $QPOST_SRSKEYFD, if qpost-start gave one */
void
sched_srs_load(struct sched *s)
{
	const char *v = getenv("QPOST_SRSKEYFD"), *err;
	char text[SRS_KEY_MAX + 2];
	ssize_t n;
	int fd;

	s->has_srs = 0;
	if (v == NULL)
		return;
	fd = strtonum(v, 3, 1023, &err);
	if (err != NULL)
		diex(EXIT_TEMP, "QPOST_SRSKEYFD=%s is %s", v, err);
	n = pread(fd, text, sizeof(text), 0);
	(void)close(fd);
	(void)unsetenv("QPOST_SRSKEYFD");
	if (n < 0)
		die(EXIT_TEMP, "unable to read control/srskey");
	if (srs_key_parse(text, (size_t)n, &s->srs) == -1)
		diex(EXIT_TEMP, "control/srskey is broken: want one line of "
		    "%d to %d printable characters; fix it and restart",
		    SRS_KEY_MIN, SRS_KEY_MAX);
	explicit_bzero(text, sizeof(text));
	s->has_srs = 1;
}

/* sched_srs_domain - control/srsdomain, else me: 0, or -1 if broken */
int
sched_srs_domain(struct sched *s)
{
	int r;

	sa_free(&s->srs_domain);
	if ((r = ctl_line("srsdomain", &s->srs_domain)) == 1)
		return 0;
	sa_free(&s->srs_domain);
	if (r == -1)
		return -1;
	return sa_copys(&s->srs_domain, s->trust.me.s) == -1 ? -1 : 0;
}

/* sched_srs_is_ours - whether addr's domain is this host's name, its
   origin or a local or virtual domain */
int
sched_srs_is_ours(const struct sched *s, const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL && (strcasecmp(at + 1, s->trust.me.s) == 0 ||
	    strcasecmp(at + 1, s->trust.origin.s) == 0 ||
	    trust_is_local_domain(&s->trust, at + 1));
}

/*
 * sched_srs_sender - the sender for a forwarded copy that leaves for
 * another domain (SPF looks at the sender only where mail leaves):
 * rewritten into buf when SRS is on and the sender is another domain's;
 * else sender as it is, and buf empty.
 */
const char *
sched_srs_sender(const struct sched *s, const char *sender, char *buf,
    size_t size)
{
	if (s->has_srs && sender[0] != '\0' && !sched_srs_is_ours(s, sender) &&
	    srs_forward(&s->srs, sender, s->srs_domain.s,
	    (long long)time(NULL), buf, size) == 1)
		return buf;
	buf[0] = '\0';
	return sender;
}

/*
 * sched_srs_back - the address a notice goes to: for one of this
 * host's SRS addresses, the original sender it stands for; else addr.
 */
const char *
sched_srs_back(const struct sched *s, const char *addr, char *buf,
    size_t size)
{
	char local[ADDR_LOCAL_MAX + 1];
	const char *at = strrchr(addr, '@'), *why;

	if (!s->has_srs || at == NULL || (size_t)(at - addr) >= sizeof(local) ||
	    strcasecmp(at + 1, s->srs_domain.s) != 0)
		return addr;
	memcpy(local, addr, (size_t)(at - addr));
	local[at - addr] = '\0';
	if (srs_reverse(&s->srs, local, (long long)time(NULL), buf, size,
	    &why) != 1)
		return addr;
	return buf;
}
