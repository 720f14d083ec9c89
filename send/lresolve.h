/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * lresolve - what lspawn does with one local recipient: the list of
 * deliveries it resolves to, or why it resolves to none.
 *
 * The recipient goes through lookup/local.h (virtualdomains, extsep,
 * aliases, defaults, users); an alias's targets are expanded in turn
 * (lookup/aliases.h): local parts and local addresses again (depth at
 * most ALIASES_DEPTH_MAX, a name met again inside its own expansion is
 * a loop, 5.4.6), \user as a mailbox, :include: files (regular, owned
 * by root or the alias user, writable by nobody else); other addresses
 * (forwards), files, programs and LMTP servers become instructions for
 * `local -t' run as control/aliasuser (default nobody; in single-user
 * mode the instance's user), never as root.  A mailbox is a user of
 * uid other than 0.  Resolution is all or nothing: any failure, and no
 * delivery starts, so a temporary one cannot cause duplicates on the
 * retry and a permanent one bounces once.
 *
 * It reads control files, cdbs, the passwd file and :include: files,
 * and nothing else; it starts nothing (lspawn does).
 */
#ifndef QPOST_LRESOLVE_H
#define QPOST_LRESOLVE_H

#include "addr.h"
#include "aliases.h"
#include "sa.h"
#include "spawn_rec.h"
#include "users.h"

#define LRES_ALIASUSER_DEFAULT	"nobody"

/* one delivery: `local -u name -r rcpt -d user.home -l local -e ext
   -m domain [-t target]' under user.uid and user.gid */
struct lres_delivery {
	int		 is_mailbox;	/* else a target of an alias */
	char		 name[ADDR_LOCAL_MAX + 1];	/* -u: the account */
	struct user_entry user;
	char		 local[ADDR_LOCAL_MAX + 1];	/* -l: LOCAL */
	char		 ext[ADDR_LOCAL_MAX + 1];	/* -e: EXT */
	char		 rcpt[ADDR_PATH_MAX + 1];	/* -r: RECIPIENT */
	char		 target[ALIASES_TARGET_MAX + 2]; /* -t; "" mailbox */
	char		 alias[ADDR_LOCAL_MAX + 1];	/* whose target; "" */
};

struct lres {
	/* out: the deliveries, or status and text */
	struct lres_delivery	*d;
	size_t			 n;
	char			 status;	/* SPAWN_PERM, SPAWN_TEMP */
	char			 text[SPAWN_TEXT_MAX + 1];

	/* the recipient, resolved */
	const char		*rcpt;
	struct addr		 addr;
	char			 plain[ADDR_LOCAL_MAX + 1];
	char			 local[ADDR_LOCAL_MAX + 1];	/* L */
	char			 ext[ADDR_LOCAL_MAX + 1];
	char			 sep;
	int			 is_virtual;

	/* loaded when needed */
	struct sa		 locals;
	int			 has_locals;
	struct user_entry	 aliasuser;
	char			 aliasuser_name[ADDR_LOCAL_MAX + 1];
	int			 has_aliasuser;
};

int	lres_resolve(struct lres *, const char *);
void	lres_free(struct lres *);

#endif
