/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_srs - this host's SRS addresses as recipients.  See smtpd_srs.c.
 */
#ifndef QPOST_SMTPD_SRS_H
#define QPOST_SMTPD_SRS_H

#include <stddef.h>

int	smtpd_srs_rcpt(const char *, const char *, const char *, char *,
	    size_t, const char **);
	/* plain@domain (plain: the local part unquoted), me: 1 with the
	   original address in out; 0 when it is no SRS address of ours
	   (or SRS is off); -1 with words in *why when refused (forged,
	   expired, broken); -2 when control/srskey or srsdomain is broken
	   (logged) */

#endif
