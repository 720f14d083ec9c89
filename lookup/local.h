/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local - where a local part of a local domain goes: the lookups lspawn
 * resolves a recipient with and smtpd's RCPT check shares, so smtpd
 * refuses at RCPT time exactly the recipients lspawn would bounce.
 *
 * 1. control/virtualdomains (lookup/vdomains.h): for a virtual domain
 *    the local part becomes prefix<extsep>local;
 * 2. the result L, lowercased, is looked up: aliases.cdb, then the
 *    built-in defaults (postmaster and mailer-daemon to root, root to
 *    the user in control/admin), then users.cdb, then (system mode,
 *    names without extsep) the passwd file; then L cut at each extsep
 *    from the right, longest base first: a base found the same way
 *    takes the rest as its extension EXT.
 * A virtual domain's postmaster not found that way is the local one.
 * control/extsep holds the one separator byte (default '+').
 */
#ifndef QPOST_LOCAL_H
#define QPOST_LOCAL_H

#include "addr.h"
#include "sa.h"
#include "users.h"

#define LFIND_ALIAS	1	/* targets from aliases.cdb */
#define LFIND_DEFAULT	2	/* a built-in alias: targets set */
#define LFIND_USER	3	/* a mailbox: user set */
#define LFIND_NOADMIN	4	/* root, with no control/admin to send it to */

#define LOCAL_EXTSEP_DEFAULT	'+'

struct local_found {
	char		 local[ADDR_LOCAL_MAX + 1];	/* L, lowercased */
	char		 base[ADDR_LOCAL_MAX + 1];	/* the name found */
	const char	*ext;		/* in local, after base's extsep; "" */
	int		 kind;		/* LFIND_* */
	struct sa	 targets;	/* ALIAS, DEFAULT: NUL-terminated */
	struct user_entry user;		/* USER */
};

int	local_extsep(char *);
int	local_prefix(const char *, char *, size_t);
int	local_domain(const struct sa *, const char *, char *, size_t);
int	local_rewrite(const char *, const char *, char, char *, size_t);
int	local_find(const char *, char, struct local_found *);
int	local_mailbox(const char *, const char *);
int	local_exists(const char *, const char *);

#endif
