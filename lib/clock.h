/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * clock - the monotonic clock, for intervals and deadlines.
 */
#ifndef QPOST_CLOCK_H
#define QPOST_CLOCK_H

long long	clock_ms(void);
	/* CLOCK_MONOTONIC in milliseconds */

#endif
