/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sched_fair - what sched_fair.c (timers, waiting lines, dispatch) and
 * sched_dom.c (destinations and their backoff) share.  The rest of
 * sched sees only the fair_* functions of sched.h.
 *
 * The shape: every message in memory has one timer in a heap, keyed by
 * the earliest moment one of its idle recipients is due (or its
 * lifetime ends).  When it fires, the due recipients join the waiting
 * line of their destination: one per remote domain, one for all local
 * mailboxes.  A destination with mail waiting and room to start is on
 * its kind's active list; dispatch takes destinations from that list in
 * turn, one delivery each, so no destination and no backlog can take
 * every slot.  Each destination keeps two lines, new mail and retries,
 * and serves them alternately.
 */
#ifndef QPOST_SCHED_FAIR_H
#define QPOST_SCHED_FAIR_H

#include <sys/queue.h>
#include <stddef.h>
#include <time.h>

#include "sched.h"
#include "sched_heap.h"

#define TMR_MSG		1	/* a message's next due recipient */
#define TMR_DOM		2	/* the end of a destination's backoff */

#define DOM_OK		0	/* deliveries start freely */
#define DOM_BACKOFF	1	/* unreachable: nothing starts until the timer */
#define DOM_PROBE	2	/* the timer ran out: one delivery goes first */

/* work - recipients of one message waiting in one destination's line */
struct work {
	TAILQ_ENTRY(work)	 line;		/* in its dom's fresh or retry */
	struct work		*mnext;		/* the message's other works */
	struct qmsg		*m;
	struct dom		*d;
	int			 is_fresh;	/* new mail, not a retry */
	size_t			 n, cap;
	size_t			*rcpt;		/* indices into m->env.rcpt */
	size_t			 one;		/* rcpt's room while cap is 1 */
};
TAILQ_HEAD(work_list, work);

/* dom - a destination: one remote domain, or every local mailbox */
struct dom {
	struct tmr		 tmr;		/* end of backoff (TMR_DOM) */
	char			*name;		/* lower case; "" for local */
	int			 kind;		/* SPAWN_LOCAL or SPAWN_REMOTE */
	int			 state;		/* DOM_* */
	unsigned		 failures;	/* backoffs in a row */
	size_t			 running;	/* deliveries under way */
	int			 is_probing;	/* the probe is under way */
	int			 is_active;	/* on fair->active[kind] */
	int			 turn;		/* 1: retries go next */
	size_t			 nwait;		/* recipients waiting */
	struct work_list	 fresh, retry;
	TAILQ_ENTRY(dom)	 act;
	struct dom		*hnext;		/* hash chain */
	char			*why;		/* the connection error */
};
TAILQ_HEAD(dom_list, dom);

struct fair {
	struct heap		 timers;
	struct dom		**dtab;		/* destinations by name */
	size_t			 dcap, ndom;
	struct qmsg		**mtab;		/* messages by id */
	size_t			 mcap;
	struct dom		*local;
	struct dom_list		 active[2];	/* by kind */
};

/* sched_dom.c */
struct dom	*dom_new(const char *, int);
struct dom	*dom_get(struct sched *, const char *);
int		 dom_can_start(const struct sched *, const struct dom *);
void		 dom_activate(struct sched *, struct dom *);
void		 dom_maybe_free(struct sched *, struct dom *);
void		 dom_started(struct sched *, struct dom *, int,
		    const struct qmsg *);
void		 dom_result(struct sched *, struct dom *, int, int,
		    const char *, time_t);
void		 dom_timer(struct sched *, struct dom *);
int		 dom_is_connection_error(const char *);

/* sched_fair.c */
void		 fair_blocked(struct sched *, struct dom *);
void		 fair_oom(void) __attribute__((noreturn));

#endif
