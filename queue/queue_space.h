/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * queue_space - whether the queue's filesystem keeps control/minfree
 * bytes free, so a full disk refuses new mail with a temporary error
 * before it breaks anything (qinject, and smtpd at MAIL time).
 */
#ifndef QPOST_QUEUE_SPACE_H
#define QPOST_QUEUE_SPACE_H

#define MINFREE_DEFAULT	10000000LL	/* bytes */

int	queue_space_ok(int, long long *);

#endif
