/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fnv - see fnv.h.
 */
#include "fnv.h"

/* fnv1a - the hash of s, its NUL included, on top of h */
uint64_t
fnv1a(uint64_t h, const char *s)
{
	do {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	} while (*s++ != '\0');
	return h;
}
