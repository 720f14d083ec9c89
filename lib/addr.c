/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * addr - parse and check RFC 5321 addresses strictly.  Nothing here
 * repairs input: an address is accepted as written or refused.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

/* atext of RFC 5322 3.2.3, the characters of a Dot-string atom. */
static int
is_atext(unsigned char c, int flags)
{
	if (c >= 0x80)
		return (flags & ADDR_UTF8) != 0;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/*
 * valid_utf8 - well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF), as RFC 6531's UTF8-non-ascii
 * requires of the octets ADDR_UTF8 lets in.
 */
static int
valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, len;
	unsigned long cp;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			len = 2;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			len = 3;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			len = 4;
		else
			return 0;
		cp = p[i] & (0x7f >> len);
		if (len > n - i)
			return 0;
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		i += len;
	}
	return 1;
}

/* valid_dotstring - Atom *("." Atom). */
static int
valid_dotstring(const char *s, size_t n, int flags)
{
	size_t i;
	int atom = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (atom == 0)
				return 0;
			atom = 0;
		} else if (is_atext((unsigned char)s[i], flags))
			atom++;
		else
			return 0;
	}
	return atom > 0;
}

/* valid_quoted - DQUOTE *QcontentSMTP DQUOTE (RFC 5321 4.1.2). */
static int
valid_quoted(const char *s, size_t n, int flags)
{
	size_t i;
	unsigned char c;

	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return 0;
	for (i = 1; i < n - 1; i++) {
		c = (unsigned char)s[i];
		if (c == '\\') {
			if (++i >= n - 1)
				return 0;
			c = (unsigned char)s[i];
			if (c < 32 || c > 126)
				return 0;
		} else if (c == '"')
			return 0;
		else if (c >= 0x80) {
			if (!(flags & ADDR_UTF8))
				return 0;
		} else if (c < 32 || c == 127)
			return 0;
	}
	return 1;
}

/* valid_label - Let-dig [Ldh-str], at most 63 octets. */
static int
valid_label(const char *s, size_t n, int flags)
{
	size_t i;
	unsigned char c;

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x80 && (flags & ADDR_UTF8))
			continue;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}

/* valid_literal - "[" IPv4 "]" or "[IPv6:" IPv6 "]". */
static int
valid_literal(const char *s, size_t n)
{
	char tmp[64];
	unsigned char bin[16];

	if (n < 3 || s[0] != '[' || s[n - 1] != ']' || n - 2 >= sizeof(tmp))
		return 0;
	if (n > 7 && strncasecmp(s + 1, "IPv6:", 5) == 0) {
		memcpy(tmp, s + 6, n - 7);
		tmp[n - 7] = '\0';
		return inet_pton(AF_INET6, tmp, bin) == 1;
	}
	memcpy(tmp, s + 1, n - 2);
	tmp[n - 2] = '\0';
	return inet_pton(AF_INET, tmp, bin) == 1;
}

/* addr_valid_domain - a Domain or address literal of n octets. */
int
addr_valid_domain(const char *s, size_t n, int flags)
{
	size_t start = 0, i;

	if (n == 0 || n > ADDR_DOMAIN_MAX)
		return 0;
	if ((flags & ADDR_UTF8) && !valid_utf8(s, n))
		return 0;
	if (s[0] == '[')
		return valid_literal(s, n);
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (!valid_label(s + start, i - start, flags))
				return 0;
			start = i + 1;
		}
	}
	return 1;
}

/*
 * addr_parse - check a Mailbox (Local-part "@" Domain) of n octets and
 * fill a.  Returns 1 if valid, 0 if not.
 */
int
addr_parse(const char *s, size_t n, struct addr *a, int flags)
{
	size_t at, i;
	int in_quote = 0;

	memset(a, 0, sizeof(*a));
	if (n == 0 || n > ADDR_PATH_MAX - 2 || memchr(s, '\0', n) != NULL)
		return 0;
	if ((flags & ADDR_UTF8) && !valid_utf8(s, n))
		return 0;
	/* the last '@' outside a quoted string splits the address */
	at = n;
	for (i = 0; i < n; i++) {
		if (s[i] == '\\' && in_quote)
			i++;
		else if (s[i] == '"')
			in_quote = !in_quote;
		else if (s[i] == '@' && !in_quote)
			at = i;
	}
	if (at == n && !(flags & ADDR_BARE))
		return 0;
	if (at == 0 || at > ADDR_LOCAL_MAX)
		return 0;
	if (!(s[0] == '"' ? valid_quoted(s, at, flags) :
	    valid_dotstring(s, at, flags)))
		return 0;
	memcpy(a->local, s, at);
	a->local[at] = '\0';
	if (at == n)
		return 1;
	if (!addr_valid_domain(s + at + 1, n - at - 1, flags))
		return 0;
	memcpy(a->domain, s + at + 1, n - at - 1);
	a->domain[n - at - 1] = '\0';
	return 1;
}

/*
 * addr_path_span - the length of "<...>" at the start of s, up to the
 * first '>' outside a quoted string, or 0 if there is none.
 */
size_t
addr_path_span(const char *s, size_t n)
{
	size_t i;
	int in_quote = 0;

	if (n < 2 || s[0] != '<')
		return 0;
	for (i = 1; i < n; i++) {
		if (s[i] == '\\' && in_quote)
			i++;
		else if (s[i] == '"')
			in_quote = !in_quote;
		else if (s[i] == '>' && !in_quote)
			return i + 1;
	}
	return 0;
}

/*
 * addr_parse_path - parse "<" [ A-d-l ":" ] Mailbox ">" at the start of
 * s (n octets), stripping a source route.  With ADDR_NULL, "<>" is the
 * null path; with ADDR_POSTMASTER, "<Postmaster>" (any case) is valid.
 * Stores the octets consumed in *used.  Returns 1 if valid, else 0.
 */
int
addr_parse_path(const char *s, size_t n, struct addr *a, int flags,
    size_t *used)
{
	const char *p, *end;
	size_t i;

	memset(a, 0, sizeof(*a));
	if ((i = addr_path_span(s, n)) == 0 || i > ADDR_PATH_MAX)
		return 0;
	i--;	/* the '>' */
	*used = i + 1;
	p = s + 1;
	end = s + i;
	if (p == end) {
		a->is_null = 1;
		return (flags & ADDR_NULL) != 0;
	}
	if ((flags & ADDR_POSTMASTER) && end - p == 10 &&
	    strncasecmp(p, "postmaster", 10) == 0) {
		memcpy(a->local, p, 10);
		return 1;
	}
	if (*p == '@') {
		/* A-d-l: "@" Domain *( "," "@" Domain ) ":" */
		const char *colon = memchr(p, ':', (size_t)(end - p));
		const char *d = p;

		if (colon == NULL)
			return 0;
		while (d < colon) {
			const char *next, *comma;

			if (*d != '@')
				return 0;
			comma = memchr(d, ',', (size_t)(colon - d));
			next = comma ? comma : colon;
			if (!addr_valid_domain(d + 1, (size_t)(next - d - 1),
			    flags))
				return 0;
			d = comma ? comma + 1 : colon;
		}
		/* a comma must be followed by another At-domain */
		if (colon[-1] == ',')
			return 0;
		p = colon + 1;
	}
	return addr_parse(p, (size_t)(end - p), a, flags & ~ADDR_BARE);
}

/* addr_format - "local@domain", or "" for the null path; -1 if too long. */
int
addr_format(const struct addr *a, char *dst, size_t size)
{
	int n;

	if (a->is_null)
		n = snprintf(dst, size, "%s", "");
	else if (a->domain[0] == '\0')
		n = snprintf(dst, size, "%s", a->local);
	else
		n = snprintf(dst, size, "%s@%s", a->local, a->domain);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * addr_localpart_plain - the local part with quoting undone, for
 * lookups.  Returns -1 if the result would not fit or holds a byte
 * unsafe in a lookup key or a file name (NUL, '/', control bytes).
 */
int
addr_localpart_plain(const struct addr *a, char *dst, size_t size)
{
	const char *s = a->local;
	size_t n = 0, len = strlen(s), i;

	if (len >= 2 && s[0] == '"') {
		s++;
		len -= 2;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\' && a->local[0] == '"')
			c = (unsigned char)s[++i];
		if (c < 32 || c == 127 || c == '/')
			return -1;
		if (n + 1 >= size)
			return -1;
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
	return 0;
}

/*
 * addr_is_ascii - whether s has no byte over 0x7f: an address that has
 * one can travel only with SMTPUTF8 (RFC 6531).
 */
int
addr_is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s > 0x7f)
			return 0;
	return 1;
}
