/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * queue_id - message ids: 16 lowercase hex digits, random, chosen by
 * qinject when it commits a message and kept by sched for its life;
 * or, for a message sched makes from another (a forward), derived
 * from what it is made of, so that making it again gives the same id.
 */
#ifndef QPOST_QUEUE_ID_H
#define QPOST_QUEUE_ID_H

#include <stddef.h>
#include <stdint.h>

#define QID_LEN	16

void	qid_new(char [QID_LEN + 1]);
void	qid_of_hash(char [QID_LEN + 1], uint64_t);
int	qid_valid(const char *, size_t);

#endif
