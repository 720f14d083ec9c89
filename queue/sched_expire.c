/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sched_expire - what the scheduler checks of a message on each turn
 * besides its due deliveries: the queue lifetime, and notices that
 * wait (sched_bounce.c makes them).
 *
 * No recipient is tried after its message has been queued for
 * control/queuelifetime seconds: its next attempt is capped at arrival
 * plus the lifetime, and when that moment comes it fails for good
 * there and then, without another attempt ("4.4.7 message expired in
 * the queue", with the last error it had), and is bounced.  The cap is
 * applied again on every turn, so a queue written before the cap
 * existed, or a lifetime shortened by SIGHUP, is honoured too.  A
 * recipient never tried yet gets its one attempt first.
 *
 * A bounce or delay notice that could not be queued (disk full, a
 * broken control file) is tried again control/retrymin seconds later,
 * its steps so far being saved.
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

/* expire - recipient r has run out of time: failed, with the reason. */
static void
expire(struct qmsg *m, struct qrcpt *r, time_t now)
{
	char text[QENV_ERR_MAX + 64];

	snprintf(text, sizeof(text), "4.4.7 message expired in the queue; "
	    "last error: %s", r->error != NULL ? r->error : "");
	(void)qenv_set_error(r, text);
	r->state = RCPT_FAILED;
	log_info("id=%s to=<%s> result=bounce expired age=%lld try=%u "
	    "text=\"%s\"", m->env.id, r->addr,
	    (long long)(now - m->env.arrival), r->tries, r->error);
}

/*
 * expire_check - cap m's next attempts at its deadline, fail the
 * recipients that reached it, and make the bounce and delay notice
 * that are due.  Returns 1 when m is finished and gone (freed), else 0.
 */
int
expire_check(struct sched *s, struct qmsg *m, time_t now)
{
	time_t deadline = expire_deadline(s, m);
	size_t i;
	int expired = 0;

	for (i = 0; i < m->env.nrcpt; i++) {
		struct qrcpt *r = &m->env.rcpt[i];

		if (r->state != RCPT_PENDING || r->busy || r->tries == 0)
			continue;
		if (now < deadline) {
			if (r->next > deadline)
				r->next = deadline;
			continue;
		}
		expire(m, r, now);
		expired = 1;
	}
	/* a failed save keeps the old state on disk: tried again later */
	if (expired)
		(void)sched_save(s, m);
	if (now >= m->dsn_retry) {
		if ((bounce_due(m) && bounce_make(s, m) == -1) ||
		    delay_check(s, m, now) == -1)
			m->dsn_retry = now + (time_t)s->retry_min;
	}
	return sched_finish(s, m);
}
