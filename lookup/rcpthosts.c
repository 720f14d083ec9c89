/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * rcpthosts - whether smtpd accepts mail for a domain.  See rcpthosts.h.
 */
#include <ctype.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "policy_cdb.h"
#include "rcpthosts.h"

/*
 * rcpthosts_match - whether domain (case ignored; the caller has
 * refused a trailing dot) is listed, as itself or below a ".parent"
 * entry.  Returns 1, 0, or -1 on a temporary error or a broken state.
 */
int
rcpthosts_match(const char *domain)
{
	char key[ADDR_DOMAIN_MAX + 1];
	size_t i;
	int fd, r;

	/* an empty label (".x", "x..y", "x.") is no domain: it would
	 * otherwise look up a ".parent" key as if it were a name */
	if (domain == NULL || domain[0] == '\0' || domain[0] == '.' ||
	    strstr(domain, "..") != NULL ||
	    domain[strlen(domain) - 1] == '.' ||
	    strlcpy(key, domain, sizeof(key)) >= sizeof(key))
		return 0;
	for (i = 0; key[i] != '\0'; i++)
		key[i] = (char)tolower((unsigned char)key[i]);
	if ((r = policy_cdb_open("rcpthosts", &fd)) != 1)
		return r;
	/* the domain, then ".b.example.org", ".example.org", ".org" */
	r = policy_cdb_has(fd, "rcpthosts", key);
	for (i = 0; r == 0 && key[i] != '\0'; i++)
		if (key[i] == '.')
			r = policy_cdb_has(fd, "rcpthosts", key + i);
	(void)close(fd);
	return r;
}
