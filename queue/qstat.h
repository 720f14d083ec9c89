/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qstat - the queue as qstat read it (qstat.c), and the ways it prints
 * it (qstat_print.c).  See qstat(8) for every output format.
 */
#ifndef QPOST_QSTAT_H
#define QPOST_QSTAT_H

#include <time.h>

#include "buf.h"
#include "queue_env.h"

struct qstat_msg {
	struct qenv	 env;
	long long	 size;		/* bytes of mess/<id> */
};

struct qstat {
	time_t		  now;		/* ages and waits are relative to it */
	struct qstat_msg *msgs;		/* by arrival, then id */
	size_t		  nmsgs;
	char		(*broken)[QID_LEN + 1];	/* envelopes not readable */
	size_t		  nbroken;
	size_t		  waiting;	/* committed drop files */
};

int	qstat_print_text(const struct qstat *, struct buf *);
int	qstat_print_json(const struct qstat *, struct buf *);
int	qstat_print_summary(const struct qstat *, struct buf *, int);
int	qstat_print_mailq(const struct qstat *, struct buf *);

#endif
