/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * batch - the SCHED_BATCH scheduling policy for a process tree.
 */
#ifndef QPOST_BATCH_H
#define QPOST_BATCH_H

void	batch_policy(void);

#endif
