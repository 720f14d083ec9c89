/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * policy_cdb - open a policy cdb (rcpthosts.cdb, relay.cdb) only if it
 * is in force: what smtpd decides from it must be what the text file
 * says, since a stale policy can make an open relay.
 *
 * The rule: control/<name>.cdb is consulted when it exists and either
 * control/<name> (the text) does not exist or the cdb is not older
 * than it (st_mtim, to the precision the file system keeps; equal
 * times count as current).  A text file that exists while its cdb is
 * missing or older means someone edited it without running qcdb: that
 * is a broken state, not the old policy and not "no policy".  Neither
 * file existing means no entries.
 */
#ifndef QPOST_POLICY_CDB_H
#define QPOST_POLICY_CDB_H

int	policy_cdb_open(const char *, int *);
int	policy_cdb_has(int, const char *, const char *);
	/* whether a key is in a set (a cdb of empty values: rcpthosts,
	   relayrecipients) open on the fd: 1, 0, or -1 (logged) */

#endif
