/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * musl_compat - the few BSD and Linux functions qpost's code takes from
 * libbsd and glibc that musl's C library lacks, for the programs built
 * with musl (qinject: Makefile, QINJECT_LIBC).  The compiler includes
 * this header first in every file of such a program (-include).
 */
#ifndef QPOST_MUSL_COMPAT_H
#define QPOST_MUSL_COMPAT_H

#include <stddef.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	(1 << 0)
#endif

void		 arc4random_buf(void *, size_t);
void		 closefrom(int);
void		 freezero(void *, size_t);
long long	 strtonum(const char *, long long, long long, const char **);
int		 renameat2(int, const char *, int, const char *, unsigned int);

#endif
