/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sa - growable byte strings.  See sa.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sa.h"

/* sa_ready - make room for n more bytes after len (plus a NUL). */
int
sa_ready(struct sa *sa, size_t n)
{
	size_t want, na;
	char *p;

	if (n > SIZE_MAX - sa->len - 1) {
		errno = ENOMEM;
		return -1;
	}
	want = sa->len + n + 1;
	if (want <= sa->a)
		return 0;
	na = sa->a < 64 ? 64 : sa->a;
	while (na < want) {
		if (na > SIZE_MAX / 2) {
			na = want;
			break;
		}
		na *= 2;
	}
	if ((p = realloc(sa->s, na)) == NULL)
		return -1;
	sa->s = p;
	sa->a = na;
	return 0;
}

int
sa_catb(struct sa *sa, const void *p, size_t n)
{
	if (sa_ready(sa, n) == -1)
		return -1;
	if (n > 0)
		memcpy(sa->s + sa->len, p, n);
	sa->len += n;
	sa->s[sa->len] = '\0';
	return 0;
}

int
sa_cats(struct sa *sa, const char *s)
{
	return sa_catb(sa, s, strlen(s));
}

int
sa_catc(struct sa *sa, char c)
{
	return sa_catb(sa, &c, 1);
}

int
sa_catf(struct sa *sa, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || sa_ready(sa, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	vsnprintf(sa->s + sa->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sa->len += (size_t)n;
	return 0;
}

int
sa_copyb(struct sa *sa, const void *p, size_t n)
{
	sa->len = 0;
	return sa_catb(sa, p, n);
}

int
sa_copys(struct sa *sa, const char *s)
{
	return sa_copyb(sa, s, strlen(s));
}

int
sa_0(struct sa *sa)
{
	if (sa_ready(sa, 0) == -1)
		return -1;
	sa->s[sa->len] = '\0';
	return 0;
}

void
sa_free(struct sa *sa)
{
	free(sa->s);
	sa->s = NULL;
	sa->len = sa->a = 0;
}

/* sa_wipe - free, clearing the contents first: for secrets. */
void
sa_wipe(struct sa *sa)
{
	if (sa->s != NULL)
		freezero(sa->s, sa->a);
	sa->s = NULL;
	sa->len = sa->a = 0;
}
