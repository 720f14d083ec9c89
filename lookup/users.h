/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * users - who a local part is: a mailbox of control/users (compiled
 * into users.cdb by qcdb), else, in system mode, an account of the
 * machine.  lspawn uses it to choose the uid for a delivery, and smtpd
 * will use it to refuse unknown recipients at RCPT time.
 *
 * control/users lines: "localpart:uid:gid:home"; the cdb maps the
 * lowercased local part to "uid:gid:home".
 */
#ifndef QPOST_USERS_H
#define QPOST_USERS_H

#include <sys/types.h>
#include <limits.h>

#define USERS_HOME_MAX	1024

struct user_entry {
	uid_t	uid;
	gid_t	gid;
	char	home[USERS_HOME_MAX];
	int	is_virtual;	/* from control/users, not the passwd file */
};

int	users_parse_value(const char *, size_t, struct user_entry *);
int	users_lookup(const char *, struct user_entry *);
int	users_get(int, const char *, int, struct user_entry *);

#endif
