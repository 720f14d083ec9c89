/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * checks - the tables of control/headerchecks and control/bodychecks,
 * in the form of Postfix's regexp tables (regexp_table(5)) so that an
 * admin's header_checks and body_checks carry over unchanged:
 *
 *	/pattern/flags	ACTION text
 *	!/pattern/flags	ACTION text
 *	if /pattern/flags
 *	...
 *	endif
 *
 * Patterns are POSIX extended regular expressions, matched without
 * regard to case; the flags toggle that (i), extended syntax (x) and
 * REG_NEWLINE (m).  The first rule that matches decides.  In the
 * result, $1 to $9 (or ${1}, $(1)) are what the pattern's groups
 * matched, $$ a dollar sign.  Blank lines and lines starting with #
 * are skipped; a line starting with a blank continues the one before.
 *
 * Everything an admin can get wrong is found when the table is read,
 * with its line: an unknown or unsupported action, a pattern that does
 * not compile, a $n past the pattern's groups (or in a rule that
 * matches only when its pattern does not), an if without its endif.
 */
#ifndef QPOST_CHECKS_H
#define QPOST_CHECKS_H

#include <regex.h>
#include <stddef.h>

#include "policy.h"
#include "sa.h"

#define CHECKS_RULES_MAX	10000	/* rules in a table */
#define CHECKS_WHY_MAX		256	/* a reason, with its line */

enum check_verdict {
	CHECK_DUNNO,	/* DUNNO, OK: this header or line passes */
	CHECK_REFUSE,	/* REJECT, DEFER: the message, with refusal */
	CHECK_DISCARD,	/* accepted and dropped */
	CHECK_LOG,	/* WARN, INFO: logged, passes */
	CHECK_IGNORE,	/* the header or line is removed */
	CHECK_REPLACE,	/* ... replaced by arg */
	CHECK_PREPEND,	/* arg is put before it */
	CHECK_REDIRECT,	/* the message goes to arg only */
	CHECK_BCC	/* ... and to arg too */
};

struct check_action {
	enum check_verdict	 verdict;
	const char		*word;	/* the action, upper case */
	const char		*arg;	/* the text after it, "" if none */
	struct policy_action	 refusal;	/* CHECK_REFUSE's reply */
};

struct check_rule;

struct checks {
	struct check_rule	*rule;
	size_t			 n;
	int			 is_header;	/* a header table */
};

int	checks_parse(struct checks *, const char *, size_t, int, char *,
	    size_t);
	/* a table's text (is_header: headerchecks, not bodychecks) into
	   the table: 0, or -1 with "line N: why" */
int	checks_load(const char *, struct checks *, int);
	/* the control file (absent: an empty table), is_header as above:
	   0, or -1 when it is broken (logged with its line) */
void	checks_free(struct checks *);
int	checks_match(const struct checks *, const char *, struct sa *);
	/* the first rule matching the NUL-terminated subject: 1 and its
	   result with $n replaced in the sa (NUL-terminated), 0 if none,
	   -1 out of memory */
int	check_action_parse(const char *, int, struct check_action *);
	/* a result (is_header as above) into the action, which points
	   into it: 0, or -1 when it is unfit (PREPEND or REPLACE in a
	   header table giving no header, a body line with a line break) */

#endif
