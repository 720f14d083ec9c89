/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * checks - the tables of control/headerchecks and control/bodychecks,
 * in the form of Postfix's pcre tables (pcre_table(5)) so that an
 * admin's header_checks and body_checks carry over unchanged:
 *
 *	/pattern/flags	ACTION text
 *	!/pattern/flags	ACTION text
 *	if /pattern/flags
 *	...
 *	endif
 *
 * Patterns are Perl-compatible regular expressions (PCRE2), matched
 * without regard to case and with . matching line breaks (a folded
 * field's); the flags toggle those (i, s) and PCRE2's multi-line (m),
 * extended (x), anchored (A), dollar-end-only (E) and ungreedy (U)
 * options.  Any delimiter that is not a letter, digit, blank or
 * backslash may stand for "/".  The first rule that matches decides.
 * In the result, $1 to $9 (or ${1}, $(1)) are what the pattern's
 * groups matched, $$ a dollar sign.  Blank lines and lines starting
 * with # are skipped; a line starting with a blank continues the one
 * before.
 *
 * PCRE2 rather than the C library's POSIX regex: pcre tables are what
 * Postfix admins write (\s, \d, (?:...) and the rest), a pattern
 * compiles in memory that grows with its length (glibc's compiler
 * took gigabytes for "a+++..." or nested counted groups), and a
 * match that backtracks without end gives up at CHECKS_MATCH_LIMIT
 * steps, taken as no match, so a hostile message cannot stall smtpd.
 *
 * Everything an admin can get wrong is found when the table is read,
 * with its line: an unknown or unsupported action, a pattern that does
 * not compile, a $n past the pattern's groups (or in a rule that
 * matches only when its pattern does not), an if without its endif.
 */
#ifndef QPOST_CHECKS_H
#define QPOST_CHECKS_H

#include <stddef.h>

#define PCRE2_CODE_UNIT_WIDTH	8
#include <pcre2.h>

#include "policy.h"
#include "sa.h"

#define CHECKS_RULES_MAX	10000	/* rules in a table */
#define CHECKS_WHY_MAX		256	/* a reason, with its line */
#define CHECKS_MATCH_LIMIT	100000	/* PCRE2's steps for one match */
#define CHECKS_HEAP_KIB		20480	/* ... and its memory */
#define CHECKS_GAVE_UP		2	/* checks_match: a match hit a limit */

enum check_verdict {
	CHECK_DUNNO,	/* DUNNO, OK: this header or line passes */
	CHECK_REFUSE,	/* REJECT, DEFER: the message, with refusal */
	CHECK_DISCARD,	/* accepted and dropped */
	CHECK_LOG,	/* WARN, INFO: logged, passes */
	CHECK_IGNORE,	/* the header or line is removed */
	CHECK_REPLACE,	/* ... replaced by arg */
	CHECK_PREPEND,	/* arg is put before it */
	CHECK_REDIRECT,	/* the message goes to arg only */
	CHECK_BCC,	/* ... and to arg too */
	CHECK_HOLD	/* queued held, for qctl release; checks go on */
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
	pcre2_match_data	*md;		/* one match's groups */
	pcre2_match_context	*mc;		/* its limits */
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
	   CHECKS_GAVE_UP if none but a pattern gave up at its limits
	   (taken as not matching), -1 out of memory */
int	check_action_parse(const char *, int, struct check_action *);
	/* a result (is_header as above) into the action, which points
	   into it: 0, or -1 when it is unfit (PREPEND or REPLACE in a
	   header table giving no header, a body line with a line break) */

#endif
