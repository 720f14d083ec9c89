/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * musl_compat - what libbsd and glibc give the other programs, for the
 * ones built with musl: the kernel does the work (getrandom,
 * close_range, renameat2), or the C library (strtoll, explicit_bzero).
 */
#include <sys/random.h>
#include <sys/syscall.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "musl_compat.h"

/*
 * arc4random_buf - n bytes from the kernel's random number generator.
 * Like OpenBSD's it cannot fail: a process that cannot have random
 * bytes (a kernel without getrandom) stops rather than go on without.
 */
void
arc4random_buf(void *buf, size_t n)
{
	unsigned char *p = buf;
	ssize_t r;

	while (n > 0) {
		r = getrandom(p, n, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			abort();
		p += r;
		n -= (size_t)r;
	}
}

/* closefrom - close every descriptor from lowfd up. */
void
closefrom(int lowfd)
{
	long fd, max;

	if (syscall(SYS_close_range, (unsigned int)lowfd, ~0U, 0U) == 0)
		return;
	/* a kernel before 5.9: every number up to the limit */
	max = sysconf(_SC_OPEN_MAX);
	for (fd = lowfd; fd < (max > 0 ? max : 1024); fd++)
		(void)close((int)fd);
}

/* freezero - free p after overwriting its n bytes. */
void
freezero(void *p, size_t n)
{
	if (p == NULL)
		return;
	explicit_bzero(p, n);
	free(p);
}

/*
 * strtonum - s as a decimal number from min to max; else 0 and *errstr
 * says why ("invalid", "too small", "too large"), as on OpenBSD.
 */
long long
strtonum(const char *s, long long min, long long max, const char **errstr)
{
	long long v;
	char *end;
	int saved = errno;

	*errstr = NULL;
	if (min > max) {
		*errstr = "invalid";
		errno = EINVAL;
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0') {
		*errstr = "invalid";
		errno = EINVAL;
		return 0;
	}
	if ((v == LLONG_MIN && errno == ERANGE) || v < min) {
		*errstr = "too small";
		errno = ERANGE;
		return 0;
	}
	if ((v == LLONG_MAX && errno == ERANGE) || v > max) {
		*errstr = "too large";
		errno = ERANGE;
		return 0;
	}
	errno = saved;
	return v;
}

/* renameat2 - the system call; musl 1.2.3 has no wrapper for it */
int
renameat2(int fromdir, const char *from, int todir, const char *to,
    unsigned int flags)
{
	return (int)syscall(SYS_renameat2, fromdir, from, todir, to, flags);
}
