/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * vdomains - which virtual domain, and which prefix.  See vdomains.h.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "ctl.h"
#include "log.h"
#include "sa.h"
#include "vdomains.h"

/* valid_prefix - a prefix: a plain local part's bytes, no blanks. */
static int
valid_prefix(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > VDOM_PREFIX_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f ||
		    strchr("@/\\\"(),:;<>[]", s[i]) != NULL)
			return 0;
	return 1;
}

/*
 * vdom_match - look domain up in the text of control/virtualdomains
 * (len bytes, pure: no I/O).  Returns 1 and the prefix (lowercased),
 * 0 if no line matches, -1 if a line is malformed (*bad_line set).
 */
int
vdom_match(const char *text, size_t len, const char *domain, char *prefix,
    size_t size, size_t *bad_line)
{
	const char *p = text, *end, *line, *nl, *colon, *d;
	size_t n, dl, plen, ln = 0, best = 0, want = strlen(domain), i;
	int found = 0, is_wild;

	*bad_line = 0;
	if (len == 0)
		return 0;	/* text may be NULL then */
	end = text + len;
	while (p < end) {
		ln++;
		nl = memchr(p, '\n', (size_t)(end - p));
		line = p;
		n = (size_t)((nl ? nl : end) - p);
		p = nl ? nl + 1 : end;
		line = ctl_trim(line, &n);
		if (n == 0 || line[0] == '#')
			continue;
		colon = memchr(line, ':', n);
		if (n > CTL_LINE_MAX || colon == NULL ||
		    memchr(line, '\0', n) != NULL) {
			*bad_line = ln;
			return -1;
		}
		is_wild = line[0] == '.';
		d = line + is_wild;
		dl = (size_t)(colon - d);
		plen = n - (size_t)(colon + 1 - line);
		if (!addr_valid_domain(d, dl, ADDR_UTF8) ||
		    !valid_prefix(colon + 1, plen) || plen >= size) {
			*bad_line = ln;
			return -1;
		}
		if (!is_wild) {		/* exact: beats any wildcard */
			if (dl != want || strncasecmp(d, domain, dl) != 0)
				continue;
			best = (size_t)-1;
		} else {		/* .parent: a proper subdomain */
			if (want <= dl + 1 || domain[want - dl - 1] != '.' ||
			    strncasecmp(domain + want - dl, d, dl) != 0 ||
			    best >= dl + 1)
				continue;
			best = dl + 1;
		}
		memcpy(prefix, colon + 1, plen);
		prefix[plen] = '\0';
		found = 1;
		if (best == (size_t)-1)
			break;
	}
	for (i = 0; found && prefix[i] != '\0'; i++)
		prefix[i] = (char)tolower((unsigned char)prefix[i]);
	return found;
}

/*
 * vdom_lookup - domain's prefix from control/virtualdomains (read now).
 * Returns 1, 0 (no such file, or not listed), -1 broken (logged).
 */
int
vdom_lookup(const char *domain, char *prefix, size_t size)
{
	struct sa raw = SA_INIT;
	size_t bad;
	int r;

	if (domain == NULL || domain[0] == '\0')
		return 0;
	if ((r = ctl_read("virtualdomains", &raw)) <= 0) {
		sa_free(&raw);
		return r;
	}
	r = vdom_match(raw.s, raw.len, domain, prefix, size, &bad);
	if (r == -1)
		log_warnx("control file virtualdomains: line %zu: want "
		    "domain:prefix or .domain:prefix", bad);
	sa_free(&raw);
	return r;
}
