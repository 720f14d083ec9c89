/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sched_expire - the queue lifetime.
 *
 * No recipient is tried after its message has been queued for
 * control/queuelifetime seconds: record() caps each next attempt at
 * arrival plus the lifetime, the message's timer (sched_fair.c) fires
 * at that moment, and each recipient still to do fails for good there
 * and then, without another attempt ("4.4.7 message expired in the
 * queue", with the last error it or its domain had), and is bounced.
 * A recipient never tried yet gets its one attempt first, unless its
 * domain is backed off: then it expires like the others.
 */
#include <stdio.h>

#include "log.h"
#include "sched.h"

/* expire_deadline - when m's recipients stop being tried. */
time_t
expire_deadline(const struct sched *s, const struct qmsg *m)
{
	return m->env.arrival + (time_t)s->lifetime;
}

/*
 * expire_rcpt - recipient i of m has run out of time: failed, with the
 * last error it (or its domain) had; logged.
 */
void
expire_rcpt(struct sched *s, struct qmsg *m, size_t i, const char *last,
    time_t now)
{
	struct qrcpt *r = &m->env.rcpt[i];
	char text[QENV_ERR_MAX + 64];

	(void)s;
	snprintf(text, sizeof(text), "4.4.7 message expired in the queue; "
	    "last error: %s", last != NULL ? last : "");
	(void)qenv_set_error(r, text);
	r->state = RCPT_FAILED;
	log_info("id=%s to=<%s> result=bounce expired age=%lld try=%u "
	    "text=\"%s\"", m->env.id, r->addr,
	    (long long)(now - m->env.arrival), r->tries,
	    r->error != NULL ? r->error : "");
}
