/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * header - header field names and address lists.  See header.h.
 */
#include <string.h>
#include <strings.h>

#include "header.h"

/* header_is - whether line starts field name (any case) and a colon. */
int
header_is(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);

	return n > k && strncasecmp(line, name, k) == 0 && line[k] == ':';
}

/* header_is_field - a field name (printable, no ':' or blank) then ':'. */
int
header_is_field(const char *line, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (line[i] == ':')
			return i > 0;
		if (line[i] <= 32 || line[i] >= 127)
			return 0;
	}
	return 0;
}

/* emit - append one trimmed addr-spec; empty ones are skipped. */
static int
emit(struct sa *out, const char *p, size_t n, size_t *count)
{
	while (n > 0 && (p[0] == ' ' || p[0] == '\t')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 0)
		return 0;
	if (sa_catb(out, p, n) == -1 || sa_catc(out, '\0') == -1)
		return -1;
	(*count)++;
	return 0;
}

/*
 * header_addresses - append to out each address of an RFC 5322
 * address-list (the unfolded value of To, Cc or Bcc), NUL-terminated:
 * the angle-addr of a name-addr, else the addr-spec itself.  Comments
 * and display names are dropped; groups are entered.  Adds the number
 * found to *count.  Returns 0, or -1 when out of memory.
 */
int
header_addresses(const char *v, size_t n, struct sa *out, size_t *count)
{
	struct sa cur = { NULL, 0, 0 };
	const char *angle = NULL;
	int depth = 0, in_quote = 0, r = 0;
	size_t i;

	for (i = 0; i <= n && r == 0; i++) {
		char c = i < n ? v[i] : ',';

		if (in_quote) {
			/* a quoted-pair is kept whole: the backslash, then
			   the byte it quotes (not the backslash twice) */
			if (c == '\\' && i + 1 < n) {
				r = sa_catc(&cur, c);
				c = v[++i];
			} else if (c == '"')
				in_quote = 0;
			if (r == 0)
				r = sa_catc(&cur, c);
		} else if (depth > 0) {
			if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
		} else if (c == '(')
			depth = 1;
		else if (c == '"') {
			in_quote = 1;
			r = sa_catc(&cur, c);
		} else if (c == '<')
			angle = v + i + 1;
		else if (c == '>' && angle != NULL) {
			r = emit(out, angle, (size_t)(v + i - angle), count);
			angle = NULL;
			cur.len = 0;
			/* skip to the next ',' or ';' */
			while (r == 0 && i + 1 < n && v[i + 1] != ',' &&
			    v[i + 1] != ';')
				i++;
		} else if (angle != NULL)
			continue;
		else if (c == ':')
			cur.len = 0;	/* a group's display name */
		else if (c == ',' || c == ';') {
			r = emit(out, cur.s, cur.len, count);
			cur.len = 0;
		} else if (c != '\r' && c != '\n')
			r = sa_catc(&cur, c);
	}
	sa_free(&cur);
	return r;
}
