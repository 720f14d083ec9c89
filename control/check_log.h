/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * check_log - a parser's log line about a control file, taken apart
 * for qpost-check: which file, which line or entry, what is wrong.
 *
 * The readers write "prog: [warning: |fatal: ]control file NAME: line
 * N: what", "control/NAME: line N: what" (qcdb), "... entry N: ..." (the
 * N-th entry of a list, blank and comment lines not counted), or some
 * other text; check_log_parse never fails: text it does not know is a
 * problem of the file being checked, with no line.
 */
#ifndef QPOST_CHECK_LOG_H
#define QPOST_CHECK_LOG_H

#include <stddef.h>

#define CHECK_NAME_MAX	63	/* bytes in a control file's name */

struct check_log {
	char		 file[CHECK_NAME_MAX + 1];
	size_t		 line;		/* 0: none given */
	size_t		 entry;		/* 0: none given; else map to a line */
	const char	*what;		/* into the text parsed */
};

void	check_log_parse(const char *, const char *, struct check_log *);

#endif
