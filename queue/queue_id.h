/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * queue_id - message ids: 16 lowercase hex digits, random, chosen by
 * qinject when it commits a message and kept by sched for its life.
 */
#ifndef QPOST_QUEUE_ID_H
#define QPOST_QUEUE_ID_H

#include <stddef.h>

#define QID_LEN	16

void	qid_new(char [QID_LEN + 1]);
int	qid_valid(const char *, size_t);

#endif
