/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * clock - the monotonic clock.  See clock.h.
 */
#include <time.h>

#include "clock.h"

long long
clock_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
