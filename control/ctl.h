/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * ctl - reading control files, knowing absent from broken.
 *
 * Each function returns 1 when the file was read, 0 when it is absent
 * (the caller applies the documented default, or refuses where there
 * is no safe one), and -1 when it exists but cannot be read or is
 * malformed; then one log line has said which file and line, and the
 * caller fails temporarily.
 */
#ifndef QPOST_CTL_H
#define QPOST_CTL_H

#include <stddef.h>

#include "sa.h"

#define CTL_FILE_MAX	(16u * 1024 * 1024)	/* bytes in a text file */
#define CTL_LINE_MAX	1024			/* bytes in one line */

int	ctl_path(char *, size_t, const char *);
int	ctl_read(const char *, struct sa *);
int	ctl_line(const char *, struct sa *);
int	ctl_int(const char *, long long, long long, long long *);
int	ctl_list(const char *, struct sa *);
int	ctl_list_has(const struct sa *, const char *);
const char *ctl_trim(const char *, size_t *);
int	ctl_cdb_open(const char *);
int	ctl_cdb_open_opt(const char *, int *);

#endif
