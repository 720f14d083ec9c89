/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local - whether a local part of a local domain has somewhere to go,
 * decided from the data lspawn resolves it with (aliases.cdb, then
 * users.cdb and, in system mode, the accounts of the machine), so that
 * smtpd refuses an unknown recipient at RCPT time instead of accepting
 * the mail and bouncing it later.
 */
#ifndef QPOST_LOCAL_H
#define QPOST_LOCAL_H

int	local_exists(const char *);

#endif
