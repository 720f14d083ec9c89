/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * relayrcpt - lookups in control/relayrecipients.cdb.  See relayrcpt.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "policy_cdb.h"
#include "relayrcpt.h"

int
relayrcpt_key(const char *plain, const char *domain, char *key, size_t size)
{
	size_t i;
	int n;

	n = snprintf(key, size, "%s@%s", plain, domain);
	if (n < 0 || (size_t)n >= size)
		return -1;
	for (i = 0; key[i] != '\0'; i++)
		key[i] = (char)tolower((unsigned char)key[i]);
	return 0;
}

int
relayrcpt_match(const char *plain, const char *domain, char sep)
{
	char key[RELAYRCPT_KEY_MAX], base[ADDR_LOCAL_MAX + 1];
	const char *s;
	int fd, r;

	if ((r = policy_cdb_open("relayrecipients", &fd)) != 1)
		return r == 0 ? 1 : -1;		/* no list: all taken */
	r = 0;
	if (relayrcpt_key(plain, domain, key, sizeof(key)) == 0)
		r = policy_cdb_has(fd, "relayrecipients", key);
	/* "user+ext" as "user" (Postfix's recipient_delimiter does so) */
	if (r == 0 && (s = strchr(plain, sep)) != NULL && s > plain &&
	    (size_t)(s - plain) < sizeof(base)) {
		memcpy(base, plain, (size_t)(s - plain));
		base[s - plain] = '\0';
		if (relayrcpt_key(base, domain, key, sizeof(key)) == 0)
			r = policy_cdb_has(fd, "relayrecipients", key);
	}
	if (r == 0 && relayrcpt_key("", domain, key, sizeof(key)) == 0)
		r = policy_cdb_has(fd, "relayrecipients", key);
	(void)close(fd);
	return r;
}
