/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_queue - one message handed to qinject -Q, exactly as qmail's
 * qmail-queue is fed: the message on its fd 0, then the envelope on
 * its fd 1 (with qpost's DSN trailer after it, only when the client
 * asked for notices).  qinject tells its message id first, on fd 3
 * (QPOST_ID_FD), so the Received: line and the 250 reply can name it.
 * Closing the pipes without an envelope makes qinject queue nothing.
 */
#ifndef QPOST_SMTPD_QUEUE_H
#define QPOST_SMTPD_QUEUE_H

#include <sys/types.h>

#include "buf.h"
#include "dsnparam.h"
#include "queue_id.h"
#include "sa.h"

/* qjob's pid while the runner's qinject runs: its pid is not known */
#define RUNNER_PID	((pid_t)-1)

struct qjob {
	pid_t	 pid;		/* 0: no qinject runs for it */
	int	 envfd;
	int	 is_broken;	/* qinject went away early */
	char	 id[QID_LEN + 1];
	struct buf out;		/* the message pipe */
	char	 outbuf[65536];
};

int	qjob_start(struct qjob *, int);
void	qjob_write(struct qjob *, const char *, size_t);
int	qjob_finish(struct qjob *, const char *, const struct sa *,
	    const struct dsn_msg *, const struct sa *);
void	qjob_abort(struct qjob *);

#endif
