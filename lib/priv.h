/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * priv - dropping privilege, in one order, checked afterwards.
 */
#ifndef QPOST_PRIV_H
#define QPOST_PRIV_H

#include <sys/types.h>

int	priv_single_user(void);
int	priv_lookup(const char *, uid_t *, gid_t *);
void	priv_drop_ids(uid_t, gid_t);
void	priv_drop(const char *);

#endif
