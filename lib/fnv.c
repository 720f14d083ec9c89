/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fnv - see fnv.h.
 */
#include "fnv.h"

/* fnv1a_bytes - the hash of n octets at p, on top of h */
uint64_t
fnv1a_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *u = p;

	while (n-- > 0) {
		h ^= *u++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

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
