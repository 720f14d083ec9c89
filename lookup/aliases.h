/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * aliases - control/aliases, compiled by qcdb into aliases.cdb, and the
 * :include: files its entries name.  See qpost-aliases(5).
 *
 * Text lines "name: target, target" (a line starting with a blank
 * continues the one before; '#' lines are comments; a name or a target
 * may be quoted, "a b": x, "|cmd with, comma").  The cdb maps the
 * plain, lowercased name to its targets, each NUL-terminated, unquoted:
 *
 *	local, local@domain	a local part or an address (expanded again
 *				when its domain is local, else forwarded)
 *	\user			a mailbox, not expanded again
 *	/path, /path/		an mbox file, a Maildir
 *	|command		a program
 *	lmtp:...		an LMTP server
 *	:include:/file		more targets, one per line or comma-separated
 *
 * lspawn expands them recursively, at most ALIASES_DEPTH_MAX levels
 * deep (send/lresolve.h).  The parsers here are pure (no I/O), so the
 * unit tests and the fuzzer call them directly.
 */
#ifndef QPOST_ALIASES_H
#define QPOST_ALIASES_H

#include <stddef.h>

#include "sa.h"

#define ALIASES_DEPTH_MAX	10
#define ALIASES_TARGETS_MAX	1000
#define ALIASES_TARGET_MAX	1000		/* bytes in one target */
#define ALIASES_VALUE_MAX	(256u * 1024)	/* bytes: one entry's targets */
#define ALIASES_INCLUDE_MAX	(1024u * 1024)	/* bytes in an :include: file */

/* what a stored target is (aliases_kind) */
#define ALIASES_ADDRESS		1	/* local part or address */
#define ALIASES_MAILBOX		2	/* \user */
#define ALIASES_FILE		3	/* /path or /path/ */
#define ALIASES_PROGRAM		4	/* |command */
#define ALIASES_LMTP		5	/* lmtp:... */
#define ALIASES_INCLUDE		6	/* :include:/file */

/* aliases_parse results */
#define ALIASES_OK		0
#define ALIASES_SYNTAX		(-1)	/* the error says where and why */
#define ALIASES_SYSERR		(-2)	/* out of memory, or add() failed */

struct aliases_error {
	size_t	line;			/* 1-based; 0 for the whole file */
	char	name[65];		/* the alias being read, "" if none */
	char	text[256];
};

/* one alias, as the parser hands it over */
struct aliases_entry {
	const char	*key;		/* plain, lowercased */
	size_t		 line;		/* where its name is */
	const char	*val;		/* targets, each NUL-terminated */
	size_t		 vlen;
	size_t		 ntargets;
};

/* add returns ALIASES_OK, or ALIASES_SYNTAX (filling the error, e.g. a
   duplicate name) or ALIASES_SYSERR, which stop the parse */
typedef int	(*aliases_add_fn)(void *, const struct aliases_entry *,
		    struct aliases_error *);

int	aliases_parse(const char *, size_t, aliases_add_fn, void *,
	    struct aliases_error *);
int	aliases_parse_list(const char *, size_t, struct sa *, size_t *,
	    struct aliases_error *);
int	aliases_kind(const char *);
int	aliases_get(int, const char *, struct sa *);

#endif
