/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sa - a growable byte string.  It may hold NUL bytes; sa_0() adds a
 * terminating NUL that len does not count.  Every function returns 0,
 * or -1 with errno ENOMEM when growing would overflow or fail.
 */
#ifndef QPOST_SA_H
#define QPOST_SA_H

#include <stddef.h>

struct sa {
	char	*s;
	size_t	 len;
	size_t	 a;	/* bytes allocated */
};

#define SA_INIT	{ NULL, 0, 0 }

int	sa_ready(struct sa *, size_t);
int	sa_catb(struct sa *, const void *, size_t);
int	sa_cats(struct sa *, const char *);
int	sa_catc(struct sa *, char);
int	sa_catf(struct sa *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	sa_copyb(struct sa *, const void *, size_t);
int	sa_copys(struct sa *, const char *);
int	sa_0(struct sa *);
void	sa_free(struct sa *);
void	sa_wipe(struct sa *);

#endif
