/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * senders - which envelope senders an authenticated user owns, so that
 * no account can send as another: control/senders, compiled by qcdb
 * into senders.cdb.
 *
 * Text lines: "user: address, address, ..." (one line per user, the
 * user lowercased as qpasswd stores it); the cdb maps the user to the
 * addresses, each NUL-terminated, as written.  A user with an entry
 * owns exactly those addresses.  A user with none owns the default:
 * user@<control/me> and user@<each domain of control/locals> (case
 * ignored).  The null sender <> belongs to no one, so any
 * authenticated user may use it (bounces, vacation replies).
 *
 * The cdb is used only while in force (policy_cdb.h): control/senders
 * edited without running qcdb is a broken state, -1, never the old
 * list and never the default.
 */
#ifndef QPOST_SENDERS_H
#define QPOST_SENDERS_H

#define SENDERS_MAX	1000	/* addresses for one user */

int	sender_allowed(const char *, const char *);

#endif
