/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * addr - RFC 5321 addresses: Local-part "@" Domain, with quoted local
 * parts, address literals and the limits of section 4.5.3.1.
 */
#ifndef QPOST_ADDR_H
#define QPOST_ADDR_H

#include <stddef.h>

#define ADDR_LOCAL_MAX	64	/* octets, RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX	255	/* octets, RFC 5321 4.5.3.1.2 */
#define ADDR_PATH_MAX	256	/* octets with the brackets, 4.5.3.1.3 */

/* flags */
#define ADDR_UTF8	0x01	/* accept UTF-8 (SMTPUTF8, RFC 6531) */
#define ADDR_NULL	0x02	/* accept the null path <> */
#define ADDR_POSTMASTER	0x04	/* accept <Postmaster> with no domain */
#define ADDR_BARE	0x08	/* accept a local part with no domain */

struct addr {
	char	local[ADDR_LOCAL_MAX + 1];	/* as written, quotes kept */
	char	domain[ADDR_DOMAIN_MAX + 1];	/* "" for <>, Postmaster */
	int	is_null;
};

int	addr_parse(const char *, size_t, struct addr *, int);
size_t	addr_path_span(const char *, size_t);
int	addr_parse_path(const char *, size_t, struct addr *, int, size_t *);
int	addr_valid_domain(const char *, size_t, int);
int	addr_format(const struct addr *, char *, size_t);
int	addr_localpart_plain(const struct addr *, char *, size_t);
int	addr_is_ascii(const char *);

#endif
