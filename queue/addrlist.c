/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * addrlist - recipients of an RFC 5322 address-list.  See addrlist.h.
 *
 * One pass over the bytes with a little state: whether we are inside
 * <...>, after its '>', inside a group, after a group's ';'.  The
 * current element's text (the addr-spec, or the display name until a
 * '<' or ':' shows it was one) collects in cur without its CFWS;
 * has_gap notes two words that no '.' or '@' joined, which only a
 * display name may have.
 */
#include <string.h>

#include "addr.h"
#include "addrlist.h"

struct parser {
	const char	*v;
	size_t		 n, i;
	const char	*domain;
	struct sa	*out;
	size_t		*count;
	size_t		 found;
	struct sa	 cur;
	int		 in_angle, angle_done, in_group, after_group;
	int		 gap_pending, has_gap;
	const char	*why;
};

/* bad - note why the list is refused; returns ADDRLIST_BAD. */
static int
bad(struct parser *p, const char *why)
{
	p->why = why;
	return ADDRLIST_BAD;
}

/* is_special - the bytes that end an atom (RFC 5322 specials but '.'
 * and '@', which we let addr-specs keep inside one run). */
static int
is_special(unsigned char c)
{
	return strchr("()<>[]:;,\"\\", c) != NULL || c == ' ' || c == '\t' ||
	    c == '\r' || c == '\n';
}

/* is_ctl - bytes no header may carry here: NUL, controls, DEL. */
static int
is_ctl(unsigned char c)
{
	return (c < 32 && c != '\t' && c != '\r' && c != '\n') || c == 127;
}

/* element_reset - forget the current element. */
static void
element_reset(struct parser *p)
{
	p->cur.len = 0;
	p->in_angle = p->angle_done = 0;
	p->gap_pending = p->has_gap = 0;
}

/* word - append one token to cur, noting a gap between two words. */
static int
word(struct parser *p, const char *s, size_t n)
{
	if (p->angle_done)
		return bad(p, "text after the closing '>'");
	if (p->after_group)
		return bad(p, "text after a group's ';' without a ','");
	if (p->gap_pending && p->cur.len > 0 &&
	    strchr(".@", p->cur.s[p->cur.len - 1]) == NULL &&
	    strchr(".@", s[0]) == NULL)
		p->has_gap = 1;
	p->gap_pending = 0;
	if (sa_catb(&p->cur, s, n) == -1)
		return ADDRLIST_NOMEM;
	return ADDRLIST_OK;
}

/* emit - the element ended: append its address, if it has one. */
static int
emit(struct parser *p)
{
	const char *s = p->cur.s, *at;
	size_t n = p->cur.len, need;

	if (p->in_angle)
		return bad(p, "'<' without its '>'");
	if (n == 0) {
		if (p->angle_done)
			return bad(p, "empty <> in a recipient list");
		element_reset(p);
		return ADDRLIST_OK;
	}
	if (p->has_gap)
		return bad(p, p->angle_done ? "a space inside <address>" :
		    "words without an <address>");
	at = memrchr(s, '@', n);
	if (s[0] == '@' || (at != NULL && at == s + n - 1))
		return bad(p, "an address with an empty local part or domain");
	if (at == NULL && (p->domain == NULL || p->domain[0] == '\0'))
		return bad(p, "an address without a domain");
	need = n + (at == NULL ? 1 + strlen(p->domain) : 0);
	if (need > ADDR_PATH_MAX - 2)
		return bad(p, "an address longer than 254 octets");
	if (p->found >= ADDRLIST_MAX)
		return bad(p, "too many addresses");
	if (sa_catb(p->out, s, n) == -1 ||
	    (at == NULL && (sa_catc(p->out, '@') == -1 ||
	    sa_cats(p->out, p->domain) == -1)) || sa_catc(p->out, '\0') == -1)
		return ADDRLIST_NOMEM;
	p->found++;
	(*p->count)++;
	element_reset(p);
	return ADDRLIST_OK;
}

/* comment - skip "(...)", nested, with quoted-pairs; i is at '('. */
static int
comment(struct parser *p)
{
	int depth = 0;

	for (; p->i < p->n; p->i++) {
		unsigned char c = (unsigned char)p->v[p->i];

		if (is_ctl(c))
			return bad(p, "a control byte in a comment");
		if (c == '\\')
			p->i++;
		else if (c == '(')
			depth++;
		else if (c == ')' && --depth == 0) {
			p->i++;
			p->gap_pending = 1;
			return ADDRLIST_OK;
		}
	}
	return bad(p, "'(' without its ')'");
}

/* quoted - a quoted string or a domain literal, kept as written; i is
 * at its opening byte, close is '"' or ']'. */
static int
quoted(struct parser *p, char close)
{
	size_t start = p->i;

	for (p->i++; p->i < p->n; p->i++) {
		unsigned char c = (unsigned char)p->v[p->i];

		if (is_ctl(c) || c == '\r' || c == '\n')
			return bad(p, "a control byte in quotes or brackets");
		if (c == '\\') {
			if (++p->i == p->n)
				break;
			if (is_ctl((unsigned char)p->v[p->i]) ||
			    p->v[p->i] == '\r' || p->v[p->i] == '\n')
				return bad(p, "a control byte in quotes");
		} else if (c == close) {
			p->i++;
			return word(p, p->v + start, p->i - start);
		} else if (close == ']' && c == '[')
			return bad(p, "'[' inside a domain literal");
	}
	return bad(p, close == '"' ? "'\"' without its closing '\"'" :
	    "'[' without its ']'");
}

/* atom - a run of bytes up to the next special. */
static int
atom(struct parser *p)
{
	size_t start = p->i;

	while (p->i < p->n && !is_special((unsigned char)p->v[p->i])) {
		if (is_ctl((unsigned char)p->v[p->i]))
			return bad(p, "a control byte in an address list");
		p->i++;
	}
	return word(p, p->v + start, p->i - start);
}

/* punct - one of < > : ; , at i. */
static int
punct(struct parser *p, char c)
{
	int r = ADDRLIST_OK;

	p->i++;
	switch (c) {
	case '<':
		if (p->in_angle || p->angle_done || p->after_group)
			return bad(p, "a misplaced '<'");
		p->cur.len = 0;		/* the display name, dropped */
		p->in_angle = 1;
		p->gap_pending = p->has_gap = 0;
		return ADDRLIST_OK;
	case '>':
		if (!p->in_angle)
			return bad(p, "'>' without its '<'");
		p->in_angle = 0;
		p->angle_done = 1;
		return ADDRLIST_OK;
	case ':':
		if (p->in_angle) {
			/* the end of an obsolete route: <@a,@b:user@d> */
			if (p->cur.len == 0 || p->cur.s[0] != '@')
				return bad(p, "a ':' inside <address>");
			p->cur.len = 0;
			p->gap_pending = p->has_gap = 0;
			return ADDRLIST_OK;
		}
		if (p->in_group || p->angle_done || p->after_group)
			return bad(p, "a misplaced ':' (groups do not nest)");
		if (p->cur.len == 0)
			return bad(p, "a group without a name");
		element_reset(p);	/* the group's name, dropped */
		p->in_group = 1;
		return ADDRLIST_OK;
	case ',':
		if (p->in_angle) {
			if (p->cur.len == 0 || p->cur.s[0] != '@')
				return bad(p, "a ',' inside <address>");
			return word(p, ",", 1);
		}
		p->after_group = 0;
		return emit(p);
	default:	/* ';' */
		if (p->in_angle || !p->in_group)
			return bad(p, "a ';' outside a group");
		if ((r = emit(p)) != ADDRLIST_OK)
			return r;
		p->in_group = 0;
		p->after_group = 1;
		return ADDRLIST_OK;
	}
}

/*
 * addrlist_parse - append each address of the list v (n bytes) to out,
 * NUL-terminated, qualified with @domain when it has no domain, and add
 * their number to *count.  Returns ADDRLIST_OK; ADDRLIST_BAD with *why
 * set (static text) and nothing appended; or ADDRLIST_NOMEM.
 */
int
addrlist_parse(const char *v, size_t n, const char *domain, struct sa *out,
    size_t *count, const char **why)
{
	struct parser p;
	size_t had = out->len, had_count = *count;
	int r = ADDRLIST_OK;

	memset(&p, 0, sizeof(p));
	p.v = v;
	p.n = n;
	p.domain = domain;
	p.out = out;
	p.count = count;
	p.why = "";
	while (r == ADDRLIST_OK && p.i < p.n) {
		unsigned char c = (unsigned char)v[p.i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			p.i++;
			p.gap_pending = 1;
		} else if (c == '(')
			r = comment(&p);
		else if (c == '"')
			r = quoted(&p, '"');
		else if (c == '[')
			r = quoted(&p, ']');
		else if (strchr("<>:;,", c) != NULL)
			r = punct(&p, (char)c);
		else if (c == ')' || c == ']')
			r = bad(&p, "a ')' or ']' without its opening one");
		else if (c == '\\')
			r = bad(&p, "a '\\' outside quotes");
		else if (is_ctl(c))
			r = bad(&p, "a control byte in an address list");
		else
			r = atom(&p);
	}
	if (r == ADDRLIST_OK && p.in_group)
		r = bad(&p, "a group not ended by ';'");
	if (r == ADDRLIST_OK)
		r = emit(&p);
	sa_free(&p.cur);
	if (r != ADDRLIST_OK) {
		out->len = had;
		*count = had_count;
	}
	if (why != NULL)
		*why = p.why;
	return r;
}
