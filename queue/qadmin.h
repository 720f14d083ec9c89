/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qadmin - what the admin commands qstat and qctl share: becoming the
 * queue's owner when run by root, and reading an envelope file
 * strictly, read-only.
 */
#ifndef QPOST_QADMIN_H
#define QPOST_QADMIN_H

#include "queue_env.h"

#define QADMIN_OK	0
#define QADMIN_GONE	1	/* no such file: the message left */
#define QADMIN_BROKEN	2	/* not a regular file, too big, or unparsable */

void	qadmin_become_owner(void);
int	qadmin_open_queue(void);
int	qadmin_open_dir(int, const char *);
int	qadmin_read_env(int, const char *, struct qenv *);

#endif
