/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qinject_nss - hand the run to qinject-nss when the caller's account
 * is not one musl's C library can find.  See qinject_nss.c.
 */
#ifndef QPOST_QINJECT_NSS_H
#define QPOST_QINJECT_NSS_H

void	qinject_nss_check(char *[]);

#endif
