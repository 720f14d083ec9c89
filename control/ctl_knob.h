/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * ctl_knob - the numeric control files: each one's range and default,
 * in one table that every program reading one and qpost-check share,
 * so that what qpost-check accepts is what the programs accept.
 */
#ifndef QPOST_CTL_KNOB_H
#define QPOST_CTL_KNOB_H

#include <stddef.h>

struct ctl_knob {
	const char	*name;
	long long	 min, max;	/* the accepted range */
	long long	 dflt;		/* when the file is absent */
};

extern const struct ctl_knob	ctl_knobs[];	/* sorted by name */
extern const size_t		ctl_nknobs;

const struct ctl_knob *ctl_knob_find(const char *);
int	ctl_knob(const char *, long long *);

#endif
