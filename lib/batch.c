/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * batch - the SCHED_BATCH policy (sched(7)) for the two trees of
 * long-running processes: qpost-start's (sched, lspawn, rspawn, and
 * every local and remote) and smtpd -L's (its runner, its sessions and
 * every qinject they run).  Each process inherits it from its parent.
 *
 * Under the default policy a process that wakes another is, more often
 * than not, preempted by it: qinject's trigger woke sched, which took
 * the processor from qinject; sched's request woke lspawn, which took
 * it from sched, and so on at every hand-off, each a pair of context
 * switches, and work that would have gone on in one slice was cut up.
 * A SCHED_BATCH process that is woken does not preempt: it runs when a
 * processor is free or the running process's slice ends, and meanwhile
 * the work behind it gathers (sched takes a larger group of new mail
 * for one commit).  Mail is not interactive: a few milliseconds of
 * delay under load are nothing to SMTP.  Two instances of one build,
 * alternating, 2,000 messages of 4 KiB over 10 sessions: 9% less CPU a
 * message, and the last copy delivered 6% sooner (issue 10).
 *
 * A process started under another policy than the default (an
 * administrator's chrt(1), or a supervisor's) keeps it.  SCHED_BATCH
 * needs no privilege; a failure only costs that, logged.
 */
#include <sched.h>

#include "batch.h"
#include "log.h"

void
batch_policy(void)
{
	struct sched_param sp = { .sched_priority = 0 };

	if (sched_getscheduler(0) == SCHED_OTHER &&
	    sched_setscheduler(0, SCHED_BATCH, &sp) == -1)
		log_warn("unable to take the SCHED_BATCH scheduling policy");
}
