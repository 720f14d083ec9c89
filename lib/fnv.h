/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fnv - the 64-bit FNV-1a hash of strings, for names that must come out
 * the same each time the same thing is done again (a Maildir copy, a
 * forward's queue id), and of octets, for the slots of smtpd -L's table
 * of connection rates, where a collision only loses a count
 * (smtpd_rate.c).  Not for anything an attacker could turn against
 * someone else: it is not a cryptographic hash.
 */
#ifndef QPOST_FNV_H
#define QPOST_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A_INIT	0xcbf29ce484222325ULL

uint64_t	fnv1a(uint64_t, const char *);
uint64_t	fnv1a_bytes(uint64_t, const void *, size_t);

#endif
