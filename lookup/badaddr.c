/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * badaddr - matching an address against a list of refused ones.  See
 * badaddr.h.
 */
#include <string.h>
#include <strings.h>

#include "badaddr.h"

int
badaddr_listed(const struct sa *list, const char *addr)
{
	const char *p, *at = strrchr(addr, '@');

	for (p = list->s; p != NULL && p < list->s + list->len;
	    p += strlen(p) + 1) {
		if (p[0] == '\0')
			continue;
		if (p[0] == '@' ? at != NULL && strcasecmp(p + 1, at + 1) == 0 :
		    strcasecmp(p, addr) == 0)
			return 1;
	}
	return 0;
}
