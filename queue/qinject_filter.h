/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qinject_filter - control/filter: a program qinject runs in place of
 * its final step (the commit), speaking qmail-queue's protocol, as
 * QMAILQUEUE wrappers do on qmail.  The filter gets the message on fd 0
 * and the envelope on fd 1 (with the DSN trailer, if any, as qinject -Q
 * reads it), and queues the message (changed or not) by
 * running qinject -Q in its turn with the environment it was given:
 * QPOST_FILTERED, naming the message id the first qinject chose and
 * already told its caller (smtpd's 250 reply), makes that inner qinject
 * skip the filter and commit under that id, once.  The filter's exit
 * code is qinject's.  See qinject(1), FILTERS.
 */
#ifndef QPOST_QINJECT_FILTER_H
#define QPOST_QINJECT_FILTER_H

#include "atomic.h"
#include "dsnparam.h"
#include "sa.h"

#define QFILTER_ENV		"QPOST_FILTERED"
#define QFILTER_QINJECT_ENV	"QPOST_QINJECT"	/* qinject's path, for it */
#define QFILTER_ARGS_MAX	32

struct qfilter {
	struct sa	 line;		/* control/filter, words NUL-ended */
	char		*argv[QFILTER_ARGS_MAX + 1];
	int		 argc;		/* 0: no filter */
};

int	qfilter_load(struct qfilter *);
	/* 1: a filter is set; 0: none (control/filter absent or empty, or
	   we run under one); -1: control/filter is broken (logged) */
void	qfilter_free(struct qfilter *);
int	qfilter_parse(struct qfilter *, const char *);
	/* the words of one line: 1, or -1 (logged) when it is no absolute
	   path or has too many words */
const char *qfilter_claim_id(void);
	/* the id QFILTER_ENV names, or NULL when it is not set; dies
	   (temporary) when it is not a message id */
int	qfilter_claim(int, const char *);
	/* at commit: take the reservation drop/<id>.tmp, so that one
	   message only is queued under the id: 0, or -1 (errno) */
int	qfilter_run(const struct qfilter *, int, struct atomic *,
	    const char *, const char *, const struct sa *, int,
	    const struct dsn_msg *, const struct sa *);
	/* the filter on the message in the reservation (drop_fd, its
	   atomic), with its id, sender, recipients, SMTPUTF8 flag and DSN
	   requests (dsnparam.h: the message's, or NULL, and a list of the
	   recipients', or NULL); returns qinject's exit code, the
	   reservation gone */

#endif
