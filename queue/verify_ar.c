/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * verify_ar - finding and removing forged Authentication-Results
 * fields.  See verify_ar.h.
 */
#include <string.h>
#include <strings.h>

#include "dns.h"
#include "header.h"
#include "verify_ar.h"

#define AR_NAME		"Authentication-Results"

/* line_len - the bytes of the line at p, its LF included if there. */
static size_t
line_len(const char *p, size_t n)
{
	const char *nl = memchr(p, '\n', n);

	return nl == NULL ? n : (size_t)(nl - p) + 1;
}

/* is_empty_line - a line of nothing but its end (LF or CRLF). */
static int
is_empty_line(const char *p, size_t n)
{
	return (n >= 1 && p[0] == '\n') ||
	    (n >= 2 && p[0] == '\r' && p[1] == '\n') || (n == 1 && p[0] == '\r');
}

/* ar_field_len - the field at p with its continuation lines. */
size_t
ar_field_len(const char *p, size_t n)
{
	size_t len, k;

	if (n == 0 || is_empty_line(p, n) || !header_is_field(p, n))
		return 0;
	len = line_len(p, n);
	/* a field that is its own last line without LF ends the input */
	while (len < n && p[len - 1] == '\n' &&
	    (p[len] == ' ' || p[len] == '\t')) {
		k = line_len(p + len, n - len);
		len += k;
	}
	return len;
}

/*
 * skip_cfws - past blanks, line ends and (nested) comments with their
 * quoted-pairs.  An unclosed comment runs to the end.
 */
static size_t
skip_cfws(const char *p, size_t n, size_t i)
{
	int depth = 0;

	while (i < n) {
		if (depth > 0 && p[i] == '\\' && i + 1 < n) {
			i += 2;
			continue;
		}
		if (p[i] == '(')
			depth++;
		else if (p[i] == ')' && depth > 0)
			depth--;
		else if (depth == 0 && strchr(" \t\r\n", p[i]) == NULL)
			break;
		i++;
	}
	return i;
}

/* lower - ASCII lower case, whatever the locale. */
static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* ar_field_id - the authserv-id of an Authentication-Results field. */
int
ar_field_id(const char *f, size_t n, char *id)
{
	size_t i, k = 0, namelen = sizeof(AR_NAME) - 1;

	id[0] = '\0';
	if (!header_is(f, n, AR_NAME))
		return 0;
	i = skip_cfws(f, n, namelen + 1);
	if (i < n && f[i] == '"') {
		/* a quoted-string: its quoted-pairs stand for themselves */
		for (i++; i < n && f[i] != '"'; i++) {
			if (f[i] == '\\' && i + 1 < n)
				i++;
			/* folding and NUL bytes are no part of a name */
			if (f[i] == '\r' || f[i] == '\n' || f[i] == '\0')
				continue;
			if (k == AR_ID_MAX)
				return -1;
			id[k++] = lower(f[i]);
		}
	} else {
		/* strchr finds the NUL too: a NUL byte ends the word */
		for (; i < n && strchr(" \t\r\n;(\"", f[i]) == NULL; i++) {
			if (k == AR_ID_MAX)
				return -1;
			id[k++] = lower(f[i]);
		}
	}
	while (k > 0 && id[k - 1] == '.')
		k--;
	id[k] = '\0';
	return k == 0 ? -1 : 1;
}

/* ar_is_ours - whether the field claims the authserv-id ours. */
int
ar_is_ours(const char *f, size_t n, const char *ours)
{
	char id[AR_ID_MAX + 1];

	return ar_field_id(f, n, id) == 1 && strcmp(id, ours) == 0;
}

/* ar_strip - the header section without the fields claiming ours. */
size_t
ar_strip(const char *p, size_t n, const char *ours, struct sa *out,
    size_t *removed)
{
	size_t i = 0, k;

	*removed = 0;
	while ((k = ar_field_len(p + i, n - i)) > 0) {
		if (ar_is_ours(p + i, k, ours))
			(*removed)++;
		else if (sa_catb(out, p + i, k) == -1) {
			out->len = (size_t)-1;
			return i;
		}
		i += k;
	}
	return i;
}

/* ar_is_token - an RFC 2045 token: no tspecials, blanks or controls. */
int
ar_is_token(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 32 || (unsigned char)*s >= 127 ||
		    strchr("()<>@,;:\\\"/[]?=", *s) != NULL)
			return 0;
	return 1;
}

/* ar_is_dot_atom - RFC 5322 atext runs joined by single dots. */
int
ar_is_dot_atom(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (s[i + 1] == '.')
				return 0;
			continue;
		}
		if (c <= 32 || c >= 127 || strchr("()<>[]:;@\\,\"", c) != NULL)
			return 0;
	}
	return 1;
}

/* verify_from_domain - the one From: address's domain.  See verify_ar.h. */
int
verify_from_domain(const char *hdr, size_t n, char *domain)
{
	struct sa value = SA_INIT, list = SA_INIT;
	size_t i = 0, k, j, count = 0, nfrom = 0;
	const char *at;
	int r = -1;

	while ((k = ar_field_len(hdr + i, n - i)) > 0) {
		if (header_is(hdr + i, k, "From")) {
			nfrom++;
			for (j = 5; j < k; j++)
				if (hdr[i + j] != '\r' && hdr[i + j] != '\n' &&
				    sa_catc(&value, hdr[i + j]) == -1)
					goto out;
		}
		i += k;
	}
	if (nfrom != 1 || header_addresses(value.s, value.len, &list,
	    &count) == -1 || count != 1)
		goto out;
	if ((at = strrchr(list.s, '@')) != NULL &&
	    dns_name_norm(at + 1, domain) == 0)
		r = 0;
out:
	sa_free(&value);
	sa_free(&list);
	return r;
}
