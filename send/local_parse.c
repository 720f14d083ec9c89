/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local_parse - the dot-file parsers of local (see local_parse.h).
 * The files are the user's own, but the user may be careless and the
 * bytes may be anything: every function is bounded by its buffer and
 * rejects what it does not understand instead of guessing.
 */
#include <string.h>
#include <strings.h>

#include "local_parse.h"

#define INCLUDE		":include:"

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

void
dot_init(struct dot_reader *r, const char *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->off = 0;
	r->lineno = 0;
}

/*
 * dot_next - the next instruction line of a dot file into line (size
 * bytes, NUL-terminated), without leading blanks and trailing blanks
 * or CR.  Empty lines and lines starting with '#' are skipped.  Returns
 * 1, 0 at the end, or DOT_TOOLONG, DOT_BADBYTE, DOT_INCLUDE; r->lineno
 * then names the line.
 */
int
dot_next(struct dot_reader *r, char *line, size_t size)
{
	const char *s, *e, *nl;

	while (r->off < r->len) {
		s = r->buf + r->off;
		nl = memchr(s, '\n', r->len - r->off);
		e = nl != NULL ? nl : r->buf + r->len;
		r->off = (size_t)(e - r->buf) + (nl != NULL);
		r->lineno++;
		if (memchr(s, '\0', (size_t)(e - s)) != NULL)
			return DOT_BADBYTE;
		while (s < e && is_blank(*s))
			s++;
		while (e > s && (is_blank(e[-1]) || e[-1] == '\r'))
			e--;
		if (s == e || *s == '#')
			continue;
		if ((size_t)(e - s) >= size)
			return DOT_TOOLONG;
		if ((size_t)(e - s) >= sizeof(INCLUDE) - 1 &&
		    strncasecmp(s, INCLUDE, sizeof(INCLUDE) - 1) == 0)
			return DOT_INCLUDE;
		memcpy(line, s, (size_t)(e - s));
		line[e - s] = '\0';
		return 1;
	}
	return 0;
}

/*
 * put_entry - one .forward entry (n bytes at s) as a dot-file
 * instruction: programs, paths, "\user" and "&address" are kept, a
 * bare address gets its '&'.  Returns 1 or a DOT_* error.
 */
static int
put_entry(const char *s, size_t n, char *item, size_t size)
{
	size_t k = 0;

	if (n == 0)
		return DOT_SYNTAX;
	if (n >= sizeof(INCLUDE) - 1 &&
	    strncasecmp(s, INCLUDE, sizeof(INCLUDE) - 1) == 0)
		return DOT_INCLUDE;
	if (memchr(s, '\0', n) != NULL)
		return DOT_BADBYTE;
	if (s[0] != '|' && s[0] != '/' && s[0] != '\\' && s[0] != '&') {
		if (size < 2)
			return DOT_TOOLONG;
		item[k++] = '&';
	}
	if (n >= size - k)
		return DOT_TOOLONG;
	memcpy(item + k, s, n);
	item[k + n] = '\0';
	return 1;
}

/*
 * forward_next - the next entry of one ~/.forward line (from dot_next)
 * starting at *pos, as a dot-file instruction in item.  Entries are
 * separated by commas or blanks; "quoted" entries may hold both (a
 * backslash quotes the next byte); an unquoted |program takes the rest
 * of the line.  Returns 1, 0 at the end of the line, or a DOT_* error.
 */
int
forward_next(const char *line, size_t *pos, char *item, size_t size)
{
	char q[4096];
	const char *s = line + *pos, *e;
	size_t n = 0;

	while (*s == ',' || is_blank(*s))
		s++;
	if (*s == '\0') {
		*pos = (size_t)(s - line);
		return 0;
	}
	if (*s == '"') {
		for (s++; *s != '"'; s++) {
			if (*s == '\\' && s[1] != '\0')
				s++;
			if (*s == '\0')
				return DOT_SYNTAX;
			if (n >= sizeof(q))
				return DOT_TOOLONG;
			q[n++] = *s;
		}
		s++;
		while (is_blank(*s))
			s++;
		if (*s != ',' && *s != '\0')
			return DOT_SYNTAX;
		*pos = (size_t)(s - line);
		return put_entry(q, n, item, size);
	}
	if (*s == '|')
		e = s + strlen(s);
	else
		for (e = s; *e != '\0' && *e != ',' && !is_blank(*e); e++)
			if (*e == '"')
				return DOT_SYNTAX;
	*pos = (size_t)(e - line);
	while (e > s && is_blank(e[-1]))
		e--;
	return put_entry(s, (size_t)(e - s), item, size);
}

/*
 * dot_name - ".qpost-" + ext (its first extlen bytes) + suffix into
 * dst: the extension lowercased, with '.' and '/' made ':' so that no
 * extension names a file outside the home (qmail's rule).  Returns the
 * length, or -1 when it does not fit or ext holds a NUL.
 */
int
dot_name(char *dst, size_t size, const char *ext, size_t extlen,
    const char *suffix)
{
	static const char pre[] = ".qpost-";
	size_t i, n = sizeof(pre) - 1, sl = strlen(suffix);
	char c;

	if (size <= n || extlen >= size - n || sl >= size - n - extlen)
		return -1;
	memcpy(dst, pre, n);
	for (i = 0; i < extlen; i++) {
		c = ext[i];
		if (c == '\0')
			return -1;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (c == '.' || c == '/')
			c = ':';
		dst[n++] = c;
	}
	memcpy(dst + n, suffix, sl + 1);
	return (int)(n + sl);
}

const char *
dot_strerror(int e)
{
	switch (e) {
	case DOT_TOOLONG:
		return "line too long";
	case DOT_BADBYTE:
		return "NUL byte in line";
	case DOT_INCLUDE:
		return ":include: works only in the aliases";
	case DOT_SYNTAX:
		return "syntax error";
	default:
		return "error";
	}
}

/* field_is - whether the header line s..e starts the field name. */
static const char *
field_is(const char *s, const char *e, const char *name)
{
	size_t n = strlen(name);

	if ((size_t)(e - s) < n || strncasecmp(s, name, n) != 0)
		return NULL;
	for (s += n; s < e && is_blank(*s); s++)
		;
	return s < e && *s == ':' ? s + 1 : NULL;
}

/* names_rcpt - whether a Delivered-To value (v..e) is rcpt. */
static int
names_rcpt(const char *v, const char *e, const char *rcpt)
{
	size_t n = strlen(rcpt);

	while (v < e && is_blank(*v))
		v++;
	while (e > v && (is_blank(e[-1]) || e[-1] == '\r'))
		e--;
	if (e - v >= 2 && *v == '<' && e[-1] == '>') {
		v++;
		e--;
	}
	return n > 0 && (size_t)(e - v) == n && strncasecmp(v, rcpt, n) == 0;
}

/*
 * local_loop_scan - look through the header in hdr (len bytes: the
 * caller bounds it) for the signs of a mail loop: a Delivered-To line
 * naming rcpt (case-insensitive, with or without angle brackets), or
 * more than LOOP_RECEIVED_MAX Received lines.  Stops at the empty line
 * that ends the header.  Returns LOOP_NONE, LOOP_DELIVERED or
 * LOOP_RECEIVED.
 */
int
local_loop_scan(const char *hdr, size_t len, const char *rcpt)
{
	const char *s = hdr, *end = hdr + len, *e, *v;
	unsigned received = 0;

	while (s < end) {
		if ((e = memchr(s, '\n', (size_t)(end - s))) == NULL)
			e = end;
		if (s == e || (e - s == 1 && *s == '\r'))
			break;
		if ((v = field_is(s, e, "Delivered-To")) != NULL &&
		    names_rcpt(v, e, rcpt))
			return LOOP_DELIVERED;
		if (field_is(s, e, "Received") != NULL &&
		    ++received > LOOP_RECEIVED_MAX)
			return LOOP_RECEIVED;
		s = e + 1;
	}
	return LOOP_NONE;
}
