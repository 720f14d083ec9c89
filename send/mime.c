/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * mime - Content-Type fields and multipart delimiters.  See mime.h.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "mime.h"

size_t
mime_skip_cfws(const char *v, size_t n, size_t i)
{
	int depth = 0;

	for (; i < n; i++) {
		if (depth > 0 && v[i] == '\\' && i + 1 < n)
			i++;
		else if (v[i] == '(')
			depth++;
		else if (depth > 0 && v[i] == ')')
			depth--;
		else if (depth == 0 && !isspace((unsigned char)v[i]))
			break;
	}
	return i;
}

/* is_tchar - a byte of an RFC 2045 token */
static int
is_tchar(char ch)
{
	return ch > ' ' && ch < 127 && strchr("()<>@,;:\\\"/[]?=", ch) == NULL;
}

int
mime_token(const char *v, size_t n, size_t *i, char *dst, size_t size,
    int fold)
{
	size_t k = 0;

	while (*i < n && is_tchar(v[*i])) {
		if (k + 1 >= size)
			return -1;
		dst[k++] = fold ? (char)tolower((unsigned char)v[*i]) : v[*i];
		(*i)++;
	}
	dst[k] = '\0';
	return k == 0 ? -1 : 0;
}

/* quoted - the quoted-string at v[*i] (its opening quote), unquoted */
static int
quoted(const char *v, size_t n, size_t *i, char *dst, size_t size)
{
	size_t k = 0;

	for ((*i)++; *i < n && v[*i] != '"'; (*i)++) {
		if (v[*i] == '\\' && *i + 1 < n)
			(*i)++;
		else if (v[*i] == '\r' || v[*i] == '\n')
			continue;	/* folding */
		if (k + 1 >= size)
			return -1;
		dst[k++] = v[*i];
	}
	dst[k] = '\0';
	if (*i == n)
		return -1;
	(*i)++;
	return 0;
}

/* parse_param - one "; name=value"; 0, or -1 at the end or at garbage */
static int
parse_param(const char *v, size_t n, size_t *i, struct mime_ctype *ct)
{
	char name[64], value[MIME_BOUNDARY_MAX + 1];
	int r;

	*i = mime_skip_cfws(v, n, *i);
	if (*i == n || v[*i] != ';')
		return -1;
	*i = mime_skip_cfws(v, n, *i + 1);
	if (mime_token(v, n, i, name, sizeof(name), 1) == -1)
		return -1;
	*i = mime_skip_cfws(v, n, *i);
	if (*i == n || v[*i] != '=')
		return -1;
	*i = mime_skip_cfws(v, n, *i + 1);
	if (*i < n && v[*i] == '"')
		r = quoted(v, n, i, value, sizeof(value));
	else
		r = mime_token(v, n, i, value, sizeof(value), 0);
	if (r == -1)
		return -1;
	if (strcmp(name, "boundary") == 0)
		(void)strlcpy(ct->boundary, value, sizeof(ct->boundary));
	return 0;
}

int
mime_ctype_parse(const char *v, size_t n, struct mime_ctype *ct)
{
	size_t i;

	memset(ct, 0, sizeof(*ct));
	i = mime_skip_cfws(v, n, 0);
	if (mime_token(v, n, &i, ct->type, sizeof(ct->type), 1) == 0 &&
	    (i = mime_skip_cfws(v, n, i)) < n && v[i] == '/' &&
	    (i = mime_skip_cfws(v, n, i + 1), 1) &&
	    mime_token(v, n, &i, ct->sub, sizeof(ct->sub), 1) == 0) {
		while (parse_param(v, n, &i, ct) == 0)
			;
		return 0;
	}
	memset(ct, 0, sizeof(*ct));
	return -1;
}

void
mime_ctype_default(struct mime_ctype *ct, int in_digest)
{
	memset(ct, 0, sizeof(*ct));
	(void)strlcpy(ct->type, in_digest ? "message" : "text",
	    sizeof(ct->type));
	(void)strlcpy(ct->sub, in_digest ? "rfc822" : "plain",
	    sizeof(ct->sub));
}

int
mime_delimiter(const char *p, size_t end, const char *b)
{
	size_t bl = strlen(b), k;
	int kind = 1;

	if (bl == 0 || end < bl + 2 || p[0] != '-' || p[1] != '-' ||
	    memcmp(p + 2, b, bl) != 0)
		return 0;
	k = 2 + bl;
	if (end - k >= 2 && p[k] == '-' && p[k + 1] == '-') {
		kind = 2;
		k += 2;
	}
	for (; k < end; k++)
		if (p[k] != ' ' && p[k] != '\t' && p[k] != '\r' &&
		    p[k] != '\n')
			return 0;
	return kind;
}

