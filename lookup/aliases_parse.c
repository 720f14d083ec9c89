/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * aliases_parse - the text of control/aliases and of :include: files
 * into names and checked, unquoted targets.  See aliases.h.
 *
 * Pure: it reads a buffer and calls back; qcdb, lspawn (for :include:
 * files), the unit tests and the fuzzer share it, so what qcdb accepts
 * is exactly what lspawn expects to read back.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "aliases.h"
#include "ctl.h"

/* an alias being read: its name and targets, until the next name */
struct alias {
	char		 key[ADDR_LOCAL_MAX + 1];
	size_t		 line;		/* where the name is; 0 = none */
	size_t		 ntargets;
	struct sa	*targets;
};

/* fail - fill err (line, the alias, the text) and say ALIASES_SYNTAX. */
static int __attribute__((format(printf, 4, 5)))
fail(struct aliases_error *err, size_t line, const char *name,
    const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	(void)strlcpy(err->name, name != NULL ? name : "", sizeof(err->name));
	va_start(ap, fmt);
	(void)vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
	return ALIASES_SYNTAX;
}

/*
 * quote_end - the index just past the quoted string that starts s[0]
 * ('"'), a backslash escaping the next byte; 0 if it never closes.
 */
static size_t
quote_end(const char *s, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return 0;
}

/*
 * find_unquoted - the first c in s[0..n) outside double quotes, or
 * NULL; *open set when a quote is left open.
 */
static const char *
find_unquoted(const char *s, size_t n, char c, int *open)
{
	size_t i, e;

	*open = 0;
	for (i = 0; i < n; i++) {
		if (s[i] == c)
			return s + i;
		if (s[i] == '"') {
			if ((e = quote_end(s + i, n - i)) == 0) {
				*open = 1;
				return NULL;
			}
			i += e - 1;
		}
	}
	return NULL;
}

/* has_control - whether s[0..n) holds a control byte other than tab. */
static int
has_control(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
		    s[i] == 0x7f)
			return 1;
	return 0;
}

/*
 * unquote - the inside of the quoted string s[0..n) (which is exactly
 * one quoted string) into out, escapes undone; -1 if it does not fit.
 */
static int
unquote(const char *s, size_t n, char *out, size_t size)
{
	size_t i, k = 0;

	for (i = 1; i + 1 < n; i++) {
		if (s[i] == '\\')
			i++;
		if (k + 1 >= size)
			return -1;
		out[k++] = s[i];
	}
	out[k] = '\0';
	return 0;
}

/*
 * special - the kind of a target by its first bytes, or 0 for an
 * address (the forms a local part could also take are read as the
 * special ones, as sendmail does).
 */
static int
special(const char *t, size_t n)
{
	if (n > 0 && t[0] == '|')
		return ALIASES_PROGRAM;
	if (n > 0 && t[0] == '/')
		return ALIASES_FILE;
	if (n > 0 && t[0] == '\\')
		return ALIASES_MAILBOX;
	if (n >= 9 && strncasecmp(t, ":include:", 9) == 0)
		return ALIASES_INCLUDE;
	if (n >= 5 && strncasecmp(t, "lmtp:", 5) == 0)
		return ALIASES_LMTP;
	return 0;
}

/* aliases_kind - the kind of a stored (checked) target. */
int
aliases_kind(const char *t)
{
	int k = special(t, strlen(t));

	return k != 0 ? k : ALIASES_ADDRESS;
}

/*
 * check_special - whether t[0..n) of kind k is well formed: something
 * after the marker, an absolute file for :include:, no "/" alone.
 */
static const char *
check_special(int k, const char *t, size_t n)
{
	struct addr a;
	size_t i;

	switch (k) {
	case ALIASES_PROGRAM:
		for (i = 1; i < n && (t[i] == ' ' || t[i] == '\t'); i++)
			;
		return i == n ? "a program target needs a command" : NULL;
	case ALIASES_FILE:
		return n < 2 ? "\"/\" is not a file or a Maildir" : NULL;
	case ALIASES_MAILBOX:
		if (addr_parse(t + 1, n - 1, &a, ADDR_BARE | ADDR_UTF8) != 1 ||
		    a.domain[0] != '\0')
			return "\\ must be followed by a user name";
		return NULL;
	case ALIASES_INCLUDE:
		return n < 11 || t[9] != '/' ? ":include: needs an absolute "
		    "file name right after it" : NULL;
	case ALIASES_LMTP:
		return n < 6 ? "lmtp: needs a server" : NULL;
	}
	return NULL;
}

/*
 * target - check one target t[0..n) (blanks trimmed) and append its
 * stored form, NUL-terminated, to out.  A quoted target that is one
 * quoted string holding a program, a file or an :include: is stored
 * unquoted; any other quoted form must be an address.
 */
static int
target(const char *t, size_t n, struct sa *out, size_t line,
    const char *name, struct aliases_error *err)
{
	char inner[ALIASES_TARGET_MAX + 1];
	struct addr a;
	const char *why;
	size_t qe;
	int k;

	if (n > ALIASES_TARGET_MAX)
		return fail(err, line, name, "a target longer than %d bytes",
		    ALIASES_TARGET_MAX);
	if (has_control(t, n) || memchr(t, '\t', n) != NULL)
		return fail(err, line, name, "a target holds a control "
		    "byte");
	if (n > 0 && t[0] == '"' && (qe = quote_end(t, n)) == n) {
		if (unquote(t, n, inner, sizeof(inner)) == -1)
			return fail(err, line, name, "a target is too long");
		if ((k = special(inner, strlen(inner))) != 0 &&
		    k != ALIASES_MAILBOX) {
			t = inner;
			n = strlen(inner);
			if (n == 0 || has_control(t, n))
				return fail(err, line, name, "bad quoted "
				    "target");
		}
	}
	if ((k = special(t, n)) != 0) {
		if ((why = check_special(k, t, n)) != NULL)
			return fail(err, line, name, "target \"%.*s\": %s",
			    (int)n, t, why);
	} else if (addr_parse(t, n, &a, ADDR_BARE | ADDR_UTF8) != 1)
		return fail(err, line, name, "target \"%.*s\" is neither a "
		    "local part nor an address", (int)n, t);
	if (sa_catb(out, t, n) == -1 || sa_catc(out, '\0') == -1)
		return ALIASES_SYSERR;
	if (out->len > ALIASES_VALUE_MAX)
		return fail(err, line, name, "targets longer than %u bytes "
		    "in all", ALIASES_VALUE_MAX);
	return ALIASES_OK;
}

/*
 * targets - the comma-separated targets in s[0..n), appended to out.
 * A line may end with a comma (the list goes on on the next line); any
 * other empty target is an error.
 */
static int
targets(const char *s, size_t n, struct sa *out, size_t *count, size_t line,
    const char *name, struct aliases_error *err)
{
	const char *t, *comma, *end = s + n;
	size_t tn;
	int open, r;

	while (s < end) {
		comma = find_unquoted(s, (size_t)(end - s), ',', &open);
		if (open)
			return fail(err, line, name, "a quote is not closed");
		tn = (size_t)((comma ? comma : end) - s);
		t = ctl_trim(s, &tn);
		if (tn == 0) {
			if (comma == NULL)
				break;	/* the blank after a final comma */
			return fail(err, line, name, "an empty target");
		}
		if (++*count > ALIASES_TARGETS_MAX)
			return fail(err, line, name, "more than %d targets",
			    ALIASES_TARGETS_MAX);
		if ((r = target(t, tn, out, line, name, err)) != ALIASES_OK)
			return r;
		if (comma == NULL)
			break;
		s = comma + 1;
	}
	return ALIASES_OK;
}

/*
 * name_key - the plain, lowercased form of the alias name s[0..n)
 * (quoted or not) into key; -1 if it is no local part.
 */
static int
name_key(const char *s, size_t n, char *key, size_t size)
{
	struct addr a;
	size_t i;

	if (n == 0 || addr_parse(s, n, &a, ADDR_BARE | ADDR_UTF8) != 1 ||
	    a.domain[0] != '\0' || addr_localpart_plain(&a, key, size) == -1 ||
	    key[0] == '\0')
		return -1;
	for (i = 0; key[i] != '\0'; i++)
		key[i] = (char)tolower((unsigned char)key[i]);
	return 0;
}

/* flush - hand the alias read so far, if any, to add. */
static int
flush(struct alias *al, aliases_add_fn add, void *arg,
    struct aliases_error *err)
{
	struct aliases_entry e;
	int r;

	if (al->line == 0)
		return ALIASES_OK;
	if (al->ntargets == 0)
		return fail(err, al->line, al->key, "no targets");
	e.key = al->key;
	e.line = al->line;
	e.val = al->targets->s;
	e.vlen = al->targets->len;
	e.ntargets = al->ntargets;
	if ((r = add(arg, &e, err)) != ALIASES_OK)
		return r;
	al->line = 0;
	al->ntargets = 0;
	al->targets->len = 0;
	return ALIASES_OK;
}

/* one_line - "name: target, ..." or a continuation line. */
static int
one_line(struct alias *al, size_t line, const char *s, size_t n,
    int is_cont, aliases_add_fn add, void *arg, struct aliases_error *err)
{
	const char *colon, *name;
	size_t nn;
	int open, r;

	if (is_cont) {
		if (al->line == 0)
			return fail(err, line, NULL, "a continuation line "
			    "with no name before it");
		return targets(s, n, al->targets, &al->ntargets, line, al->key,
		    err);
	}
	if ((r = flush(al, add, arg, err)) != ALIASES_OK)
		return r;
	colon = find_unquoted(s, n, ':', &open);
	if (open)
		return fail(err, line, NULL, "a quote is not closed");
	if (colon == NULL)
		return fail(err, line, NULL, "want name: target, target");
	nn = (size_t)(colon - s);
	name = ctl_trim(s, &nn);
	if (name_key(name, nn, al->key, sizeof(al->key)) == -1)
		return fail(err, line, NULL, "\"%.*s\" is not a name",
		    (int)(nn > 64 ? 64 : nn), name);
	al->line = line;
	return targets(colon + 1, n - (size_t)(colon - s) - 1, al->targets,
	    &al->ntargets, line, al->key, err);
}

/*
 * next_line - the line at *p (before end) without its LF; checks the
 * length and NUL bytes.  Returns ALIASES_OK or ALIASES_SYNTAX.
 */
static int
next_line(const char **p, const char *end, const char **line, size_t *n,
    size_t lineno, const char *name, struct aliases_error *err)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	*line = *p;
	*n = (size_t)((nl ? nl : end) - *p);
	*p = nl ? nl + 1 : end;
	if (*n > CTL_LINE_MAX)
		return fail(err, lineno, name, "longer than %u bytes",
		    CTL_LINE_MAX);
	if (memchr(*line, '\0', *n) != NULL)
		return fail(err, lineno, name, "contains a NUL byte");
	return ALIASES_OK;
}

/*
 * aliases_parse - every alias of the text (len bytes) to add, in order.
 * Returns ALIASES_OK, ALIASES_SYNTAX with err filled (file line, alias,
 * reason), or ALIASES_SYSERR.
 */
int
aliases_parse(const char *text, size_t len, aliases_add_fn add, void *arg,
    struct aliases_error *err)
{
	struct sa vals = SA_INIT;
	struct alias al;
	const char *p = text, *end, *line, *s;
	size_t n, lineno = 0;
	int is_cont, r = ALIASES_OK;

	memset(&al, 0, sizeof(al));
	memset(err, 0, sizeof(*err));
	if (len == 0)
		return ALIASES_OK;	/* text may be NULL then */
	end = text + len;
	al.targets = &vals;
	while (r == ALIASES_OK && p < end) {
		lineno++;
		r = next_line(&p, end, &line, &n, lineno, al.line ? al.key :
		    NULL, err);
		if (r != ALIASES_OK)
			break;
		is_cont = n > 0 && (line[0] == ' ' || line[0] == '\t');
		s = ctl_trim(line, &n);
		if (n == 0 || s[0] == '#')
			continue;
		r = one_line(&al, lineno, s, n, is_cont, add, arg, err);
	}
	if (r == ALIASES_OK)
		r = flush(&al, add, arg, err);
	sa_free(&vals);
	return r;
}

/*
 * aliases_parse_list - the targets of an :include: file (len bytes):
 * one per line or comma-separated, '#' comments, into out (each
 * NUL-terminated), their number in *count.  Same returns as
 * aliases_parse; the error names no alias.
 */
int
aliases_parse_list(const char *text, size_t len, struct sa *out,
    size_t *count, struct aliases_error *err)
{
	const char *p = text, *end, *line, *s;
	size_t n, lineno = 0;
	int r;

	memset(err, 0, sizeof(*err));
	out->len = 0;
	*count = 0;
	if (len == 0)
		return ALIASES_OK;	/* text may be NULL then */
	end = text + len;
	while (p < end) {
		lineno++;
		if ((r = next_line(&p, end, &line, &n, lineno, NULL, err)) !=
		    ALIASES_OK)
			return r;
		s = ctl_trim(line, &n);
		if (n == 0 || s[0] == '#')
			continue;
		if ((r = targets(s, n, out, count, lineno, NULL, err)) !=
		    ALIASES_OK)
			return r;
	}
	return ALIASES_OK;
}
