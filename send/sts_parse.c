/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sts_parse - MTA-STS's three formats (RFC 8461), read strictly: what
 * does not parse is no policy, never a guess, and every length is
 * bounded before a byte is copied.  See sts.h.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sts.h"

/* is_wsp - RFC 5234 WSP */
static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* trim - s[*b..*e) without WSP at either end */
static void
trim(const char *s, size_t *b, size_t *e)
{
	while (*b < *e && is_wsp((unsigned char)s[*b]))
		(*b)++;
	while (*e > *b && is_wsp((unsigned char)s[*e - 1]))
		(*e)--;
}

/* equals - whether s[b..e) is the word w */
static int
equals(const char *s, size_t b, size_t e, const char *w)
{
	return e - b == strlen(w) && memcmp(s + b, w, e - b) == 0;
}

/*
 * sts_txt_id - sts-text-record = sts-version 1*(sts-field-delim
 * sts-field) [sts-field-delim]: "v=STSv1" first, then fields of which
 * id is required and the others ignored (RFC 8461 3.1).
 */
int
sts_txt_id(const char *s, size_t n, char *id)
{
	size_t at, fe, b, e, eq, k;
	int has_id = 0;

	if (n < 7 || memcmp(s, "v=STSv1", 7) != 0)
		return 0;
	for (at = 7; at < n && is_wsp((unsigned char)s[at]); at++)
		;
	if (at < n && s[at] != ';')
		return -1;		/* "v=STSv10", say */
	for (at++; at < n; at = fe + 1) {
		for (fe = at; fe < n && s[fe] != ';'; fe++)
			;
		b = at;
		e = fe;
		trim(s, &b, &e);
		if (b == e) {		/* only the last may be empty */
			if (fe < n)
				return -1;
			continue;
		}
		for (eq = b; eq < e && s[eq] != '='; eq++)
			if (!isalnum((unsigned char)s[eq]) && s[eq] != '_' &&
			    s[eq] != '.' && s[eq] != '-')
				return -1;
		if (eq == b || eq + 1 >= e)
			return -1;	/* a name and a value, neither empty */
		for (k = eq + 1; k < e; k++)
			if ((unsigned char)s[k] < 0x21 ||
			    (unsigned char)s[k] > 0x7e)
				return -1;
		if (!equals(s, b, eq, "id"))
			continue;	/* an extension field: ignored */
		if (has_id || e - eq - 1 > STS_ID_MAX)
			return -1;
		for (k = eq + 1; k < e; k++)
			if (!isalnum((unsigned char)s[k]))
				return -1;
		memcpy(id, s + eq + 1, e - eq - 1);
		id[e - eq - 1] = '\0';
		has_id = 1;
	}
	return has_id ? 1 : -1;
}

/* line_end - the end of the line at s[b] (its LF, or n) */
static size_t
line_end(const char *s, size_t n, size_t b)
{
	const char *lf = memchr(s + b, '\n', n - b);

	return lf == NULL ? n : (size_t)(lf - s);
}

/* name_char - a byte of a policy's field name, or of an HTTP one */
static int
name_char(int c, int is_policy)
{
	if (is_policy)
		return isalnum(c) || c == '_' || c == '.' || c == '-';
	return c > 0x20 && c <= 0x7e && c != ':';
}

/*
 * split_field - "name: value" at s[b..e): the colon's place and the
 * value without WSP at either end; -1 when the name is empty or has a
 * byte it may not, or there is no colon
 */
static int
split_field(const char *s, size_t b, size_t e, int is_policy, size_t *colon,
    size_t *vb, size_t *ve)
{
	for (*colon = b; *colon < e && s[*colon] != ':'; (*colon)++)
		if (!name_char((unsigned char)s[*colon], is_policy))
			return -1;
	if (*colon == b || *colon == e)
		return -1;
	*vb = *colon + 1;
	*ve = e;
	trim(s, vb, ve);
	return 0;
}

/* status_ok - the status line "HTTP/1.x 200 ..." */
static int
status_ok(const char *s, size_t e, const char **why)
{
	if (e < 12 || memcmp(s, "HTTP/1.", 7) != 0 || !isdigit(
	    (unsigned char)s[7]) || s[8] != ' ' || !isdigit((unsigned char)
	    s[9]) || !isdigit((unsigned char)s[10]) || !isdigit(
	    (unsigned char)s[11]) || (e > 12 && s[12] != ' ' &&
	    s[12] != '\r')) {
		*why = "not an HTTP/1 response";
		return -1;
	}
	if (s[9] == '3') {
		*why = "a redirect, which RFC 8461 3.3 forbids following";
		return -1;
	}
	if (memcmp(s + 9, "200", 3) != 0) {
		*why = "an HTTP status other than 200";
		return -1;
	}
	return 0;
}

/* header_field - one field of the response; -1 when it refuses it */
static int
header_field(const char *s, size_t b, size_t e, int *has_type,
    long long *clen, const char **why)
{
	size_t colon, vb, ve, k;

	if (split_field(s, b, e, 0, &colon, &vb, &ve) == -1) {
		*why = "a broken HTTP header field";
		return -1;
	}
	if (colon - b == 12 && strncasecmp(s + b, "Content-Type", 12) == 0) {
		for (k = vb; k < ve && s[k] != ';'; k++)
			;
		trim(s, &vb, &k);
		if (k - vb != 10 || strncasecmp(s + vb, "text/plain", 10) !=
		    0) {
			*why = "a Content-Type other than text/plain";
			return -1;
		}
		*has_type = 1;
	} else if (colon - b == 17 &&
	    strncasecmp(s + b, "Transfer-Encoding", 17) == 0) {
		*why = "a Transfer-Encoding, which HTTP/1.0 does not have";
		return -1;
	} else if (colon - b == 14 &&
	    strncasecmp(s + b, "Content-Length", 14) == 0) {
		if (vb == ve || ve - vb > 9 || *clen != -1) {
			*why = "a broken Content-Length";
			return -1;
		}
		*clen = 0;
		for (k = vb; k < ve; k++) {
			if (!isdigit((unsigned char)s[k])) {
				*why = "a broken Content-Length";
				return -1;
			}
			*clen = *clen * 10 + (s[k] - '0');
		}
	}
	return 0;
}

/*
 * sts_http_body - the response to an HTTP/1.0 GET: a status line,
 * header fields (lines end in CRLF or LF), an empty line, the body to
 * the end of the connection, or as long as Content-Length says; with
 * need_length (the connection ended without TLS's close_notify, so the
 * end may be an attacker's) only as long as Content-Length says.
 */
int
sts_http_body(const char *s, size_t n, int need_length, size_t *off,
    size_t *len, const char **why)
{
	size_t b, e, ce;
	long long clen = -1;
	int has_type = 0, first = 1, ended = 0;

	for (b = 0; b < n; b = e + 1) {
		e = line_end(s, n, b);
		if (e == n || e > STS_HEAD_MAX) {
			*why = "no end to the HTTP header";
			return -1;
		}
		ce = e > b && s[e - 1] == '\r' ? e - 1 : e;
		if (first) {
			if (status_ok(s, ce, why) == -1)
				return -1;
			first = 0;
		} else if (ce == b) {
			ended = 1;
			break;
		} else if (header_field(s, b, ce, &has_type, &clen, why) == -1)
			return -1;
	}
	if (!ended) {
		*why = "no end to the HTTP header";
		return -1;
	}
	if (!has_type) {
		*why = "no Content-Type (RFC 8461 3.2 wants text/plain)";
		return -1;
	}
	*off = e + 1;
	*len = n - *off;
	if (clen == -1 && need_length) {
		*why = "no Content-Length, and no TLS close_notify at the end";
		return -1;
	}
	if (clen != -1 && (unsigned long long)clen != *len) {
		*why = "a body of another length than its Content-Length";
		return -1;
	}
	if (*len > STS_BODY_MAX) {
		*why = "a policy over 64 KiB";
		return -1;
	}
	return 0;
}

/*
 * mx_pattern - an mx value: a host name, or "*." and one, of letters,
 * digits, hyphens and dots, into p (lower case, no trailing dot).
 */
static int
mx_pattern(const char *s, size_t b, size_t e, struct sts_policy *p)
{
	char *out;
	size_t k, label = 0;

	if (p->nmx == STS_MX_MAX)
		return -1;
	if (e > b && s[e - 1] == '.')
		e--;
	if (e - b < 1 || e - b > DNS_NAME_MAX)
		return -1;
	out = p->mx[p->nmx];
	for (k = b; k < e; k++) {
		unsigned char c = (unsigned char)s[k];

		if (c == '*' && k == b && e - b > 2 && s[k + 1] == '.')
			label = 1;	/* the wildcard is a label */
		else if (c == '.') {
			if (label == 0)
				return -1;	/* an empty label */
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return -1;
		} else
			return -1;
		out[k - b] = (char)tolower(c);
	}
	if (label == 0)
		return -1;
	out[e - b] = '\0';
	p->nmx++;
	return 0;
}

/* policy_field - one "key: value" line of a policy */
static int
policy_field(const char *s, size_t b, size_t e, struct sts_policy *p,
    unsigned int *seen, const char **why)
{
	size_t colon, vb, ve, k;

	if (split_field(s, b, e, 1, &colon, &vb, &ve) == -1) {
		*why = "a line that is not a field";
		return -1;
	}
	for (k = vb; k < ve; k++)
		if ((unsigned char)s[k] < 0x20 || (unsigned char)s[k] > 0x7e) {
			*why = "a control or non-ASCII byte in a value";
			return -1;
		}
	if (equals(s, b, colon, "mx")) {
		if (mx_pattern(s, vb, ve, p) == -1) {
			*why = p->nmx == STS_MX_MAX ? "more than 32 mx lines" :
			    "an mx value that is not a host name pattern";
			return -1;
		}
		return 0;
	}
	if (equals(s, b, colon, "version")) {
		if (*seen & 1 || !equals(s, vb, ve, "STSv1")) {
			*why = "a version other than one STSv1";
			return -1;
		}
		*seen |= 1;
	} else if (equals(s, b, colon, "mode")) {
		if (*seen & 2)
			goto twice;
		*seen |= 2;
		if (equals(s, vb, ve, "enforce"))
			p->mode = STS_ENFORCE;
		else if (equals(s, vb, ve, "testing"))
			p->mode = STS_TESTING;
		else if (equals(s, vb, ve, "none"))
			p->mode = STS_NONE;
		else {
			*why = "a mode other than enforce, testing or none";
			return -1;
		}
	} else if (equals(s, b, colon, "max_age")) {
		if (*seen & 4)
			goto twice;
		*seen |= 4;
		if (vb == ve || ve - vb > 10) {
			*why = "a max_age that is not 1 to 10 digits";
			return -1;
		}
		for (k = vb, p->max_age = 0; k < ve; k++) {
			if (!isdigit((unsigned char)s[k])) {
				*why = "a max_age that is not 1 to 10 digits";
				return -1;
			}
			if (p->max_age <= STS_AGE_MAX)
				p->max_age = p->max_age * 10 + (s[k] - '0');
		}
		/* longer than the RFC's year: kept for a year */
		if (p->max_age > STS_AGE_MAX)
			p->max_age = STS_AGE_MAX;
	}
	return 0;	/* a field of a later version: ignored */
twice:
	*why = "a field given twice";
	return -1;
}

/*
 * sts_policy_parse - key: value lines, ended by LF or CRLF, in any
 * order (RFC 8461 3.2); version, mode and max_age once each, one to
 * STS_MX_MAX mx lines unless the mode is none.
 */
int
sts_policy_parse(const char *s, size_t n, struct sts_policy *p,
    const char **why)
{
	size_t b, e, ce;
	unsigned int seen = 0;

	memset(p, 0, sizeof(*p));
	if (n > STS_BODY_MAX) {
		*why = "a policy over 64 KiB";
		return -1;
	}
	for (b = 0; b < n; b = e + 1) {
		e = line_end(s, n, b);
		ce = e > b && s[e - 1] == '\r' ? e - 1 : e;
		if (ce == b)
			continue;	/* empty lines: harmless */
		if (policy_field(s, b, ce, p, &seen, why) == -1)
			return -1;
	}
	if (seen != 7) {
		*why = !(seen & 1) ? "no version" : !(seen & 2) ? "no mode" :
		    "no max_age";
		return -1;
	}
	if (p->mode != STS_NONE && p->nmx == 0) {
		*why = "no mx line";
		return -1;
	}
	return 0;
}

int
sts_mx_match(const struct sts_policy *p, const char *host)
{
	size_t i, hl = strlen(host), pl;
	const char *dot;

	for (i = 0; i < p->nmx; i++) {
		if (strcasecmp(p->mx[i], host) == 0)
			return 1;
		if (p->mx[i][0] != '*')
			continue;
		/* "*.example.org": one label, then ".example.org" */
		pl = strlen(p->mx[i] + 1);
		dot = strchr(host, '.');
		if (dot != NULL && dot > host && hl - (size_t)(dot - host) ==
		    pl && strcasecmp(dot, p->mx[i] + 1) == 0)
			return 1;
	}
	return 0;
}
