/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * paths - find the instance's directories.  See paths.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "paths.h"

static const char *
env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v != NULL && v[0] == '/' ? v : dflt;
}

const char *
paths_control(void)
{
	return env_or("QPOST_CONTROL", QPOST_CONTROLDIR);
}

const char *
paths_queue(void)
{
	return env_or("QPOST_QUEUE", QPOST_QUEUEDIR);
}

const char *
paths_libexec(void)
{
	return env_or("QPOST_LIBEXEC", QPOST_LIBEXECDIR);
}

/* paths_program - the full path of an internal program; -1 if too long. */
int
paths_program(char *dst, size_t size, const char *name)
{
	int n = snprintf(dst, size, "%s/%s", paths_libexec(), name);

	if (n < 0 || (size_t)n >= size)
		return (errno = ENAMETOOLONG, -1);
	return 0;
}
