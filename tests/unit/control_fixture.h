/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * control_fixture - for unit tests that read control files: a fresh
 * ./control in the test's work directory, and files written into it.
 * Included by each such test program (static: one copy per program).
 */
#ifndef QPOST_CONTROL_FIXTURE_H
#define QPOST_CONTROL_FIXTURE_H

#include <sys/stat.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

/* setup - make ./control and point QPOST_CONTROL at it (absolute). */
static void
setup(void)
{
	char cwd[PATH_MAX], dir[PATH_MAX + 16];

	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	snprintf(dir, sizeof(dir), "%s/control", cwd);
	ATF_REQUIRE_EQ(mkdir(dir, 0755), 0);
	ATF_REQUIRE_EQ(setenv("QPOST_CONTROL", dir, 1), 0);
}

/* put - write control/name with n bytes (may hold NUL). */
static void
put(const char *name, const void *p, size_t n)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "control/%s", name);
	ATF_REQUIRE((f = fopen(path, "w")) != NULL);
	ATF_REQUIRE_EQ(fwrite(p, 1, n, f), n);
	ATF_REQUIRE_EQ(fclose(f), 0);
}

/* puts0 - write control/name holding the string s. */
static void __attribute__((unused))
puts0(const char *name, const char *s)
{
	put(name, s, strlen(s));
}

#endif
