/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * mime7 - 8-bit MIME made 7-bit for a server without 8BITMIME.  See
 * mime7.h.
 *
 * The message is walked as a tree of entities (a header section, a
 * blank line, a body), each converted on its own, so one 8-bit text
 * part among attachments changes only that part: the others, and any
 * DKIM signature over a part that needs nothing, stay byte for byte.
 * Every limit is a refusal with a reason, never a guess that would
 * deliver something else than was sent.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "mime7.h"
#include "sa.h"

/* one entity: its bytes, where its header ends and its body starts */
struct ent {
	const char	*p;
	size_t		 len;
	size_t		 hend;	/* the header section is p[0, hend) */
	size_t		 body;	/* the body is p[body, len) */
	int		 is_message;	/* a whole message, not a part */
	int		 is_digest;	/* a part of multipart/digest */
	int		 depth;
};

struct conv {
	struct sa	*out;
	const char	*why;
};

static int	entity(struct conv *, struct ent *);

/* put - append bytes; -1 when out could not grow */
static int
put(struct conv *c, const void *p, size_t n)
{
	return sa_catb(c->out, p, n);
}

/* refuse - the message cannot be converted, for this reason */
static int
refuse(struct conv *c, const char *why)
{
	c->why = why;
	return 1;
}

int
mime7_has8(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] > 0x7f)
			return 1;
	return 0;
}

/* line_end - the offset just past the line starting at i (past its LF) */
static size_t
line_end(const char *p, size_t len, size_t i)
{
	const char *lf = memchr(p + i, '\n', len - i);

	return lf == NULL ? len : (size_t)(lf - p) + 1;
}

/* is_blank - whether p[i, e) is an empty line: LF or CRLF */
static int
is_blank(const char *p, size_t i, size_t e)
{
	return (e - i == 1 && p[i] == '\n') ||
	    (e - i == 2 && p[i] == '\r' && p[i + 1] == '\n');
}

/* split - find where e's header section ends and its body starts */
static void
split(struct ent *e)
{
	size_t i, end;

	for (i = 0; i < e->len; i = end) {
		end = line_end(e->p, e->len, i);
		if (is_blank(e->p, i, end)) {
			e->hend = i;
			e->body = end;
			return;
		}
	}
	e->hend = e->body = e->len;
}

/* field_end - the end of the field starting at i, continuation lines too */
static size_t
field_end(const char *p, size_t hend, size_t i)
{
	size_t end = line_end(p, hend, i);

	while (end < hend && (p[end] == ' ' || p[end] == '\t'))
		end = line_end(p, hend, end);
	return end;
}

/*
 * field_value - if the field p[i, end) is called name (any case; blanks
 * may come before the colon, as RFC 5322 4.5.3 once allowed), its value.
 */
static const char *
field_value(const char *p, size_t i, size_t end, const char *name,
    size_t *vlen)
{
	size_t k = strlen(name), j = i + k;

	if (end - i <= k || strncasecmp(p + i, name, k) != 0)
		return NULL;
	while (j < end && (p[j] == ' ' || p[j] == '\t'))
		j++;
	if (j == end || p[j] != ':')
		return NULL;
	*vlen = end - j - 1;
	return p + j + 1;
}

/* find_field - the value of e's first field called name, or NULL */
static const char *
find_field(const struct ent *e, const char *name, size_t *vlen)
{
	const char *v;
	size_t i, end;

	for (i = 0; i < e->hend; i = end) {
		end = field_end(e->p, e->hend, i);
		if ((v = field_value(e->p, i, end, name, vlen)) != NULL)
			return v;
	}
	return NULL;
}

/*
 * parse_ctype - e's Content-Type, or its default (RFC 2045 5.2, RFC
 * 2046 5.1.5: message/rfc822 inside multipart/digest).  A field that
 * does not parse is taken as the default, as readers take it.
 */
static void
parse_ctype(const struct ent *e, struct mime_ctype *ct)
{
	const char *v;
	size_t n;

	if ((v = find_field(e, "Content-Type", &n)) != NULL &&
	    mime_ctype_parse(v, n, ct) == 0)
		return;
	mime_ctype_default(ct, e->is_digest);
}

/*
 * parse_cte - e's Content-Transfer-Encoding, lower case: "" when it
 * has none (7bit, RFC 2045 6.1), "?" when it does not parse.
 */
static void
parse_cte(const struct ent *e, char *cte, size_t size)
{
	const char *v;
	size_t n, i;

	cte[0] = '\0';
	if ((v = find_field(e, "Content-Transfer-Encoding", &n)) == NULL)
		return;
	i = mime_skip_cfws(v, n, 0);
	if (mime_token(v, n, &i, cte, size, 1) == -1 ||
	    mime_skip_cfws(v, n, i) != n)
		(void)strlcpy(cte, "?", size);
}

/* is_identity - 7bit, 8bit or binary: no encoding to undo */
static int
is_identity(const char *cte)
{
	return cte[0] == '\0' || strcmp(cte, "7bit") == 0 ||
	    strcmp(cte, "8bit") == 0 || strcmp(cte, "binary") == 0;
}

/* put_cte - a Content-Transfer-Encoding field saying cte */
static int
put_cte(struct conv *c, const char *cte)
{
	static const char name[] = "Content-Transfer-Encoding: ";

	if (put(c, name, sizeof(name) - 1) == -1 ||
	    put(c, cte, strlen(cte)) == -1)
		return -1;
	return put(c, "\n", 1);
}

/*
 * put_header - e's header section with its Content-Transfer-Encoding
 * fields replaced by one saying cte (NULL: kept), then the fields of
 * extra ("" for none), then the blank line.
 */
static int
put_header(struct conv *c, const struct ent *e, const char *cte,
    const char *extra)
{
	size_t i, end, n;
	int is_done = cte == NULL;

	for (i = 0; i < e->hend; i = end) {
		end = field_end(e->p, e->hend, i);
		if (cte != NULL && field_value(e->p, i, end,
		    "Content-Transfer-Encoding", &n) != NULL) {
			if (!is_done && put_cte(c, cte) == -1)
				return -1;
			is_done = 1;
			continue;
		}
		if (put(c, e->p + i, end - i) == -1)
			return -1;
	}
	if (!is_done && put_cte(c, cte) == -1)
		return -1;
	if (put(c, extra, strlen(extra)) == -1)
		return -1;
	return put(c, e->p + e->hend, e->body - e->hend);
}

/*
 * qp_token - one byte, literal or as =XX (RFC 2045 6.7 rules 1 to 3);
 * is_last: it ends its line, where a blank must be encoded.
 */
static size_t
qp_token(unsigned char b, int is_last, char tok[4])
{
	if ((b >= 33 && b <= 126 && b != '=') ||
	    ((b == ' ' || b == '\t') && !is_last)) {
		tok[0] = (char)b;
		return 1;
	}
	(void)snprintf(tok, 4, "=%02X", b);
	return 3;
}

/* qp_line - the line p[0, n) (its line end not included), encoded */
static int
qp_line(struct sa *out, const char *p, size_t n)
{
	char tok[4];
	size_t k, tn, col = 0;
	int is_last;

	for (k = 0; k < n; k++) {
		is_last = k + 1 == n;
		tn = qp_token((unsigned char)p[k], is_last, tok);
		/* a soft break "=" must fit too, unless nothing follows */
		if (col + tn > MIME7_LINE - (is_last ? 0 : 1)) {
			if (sa_catb(out, "=\n", 2) == -1)
				return -1;
			col = 0;
		}
		if (sa_catb(out, tok, tn) == -1)
			return -1;
		col += tn;
	}
	return 0;
}

/*
 * mime7_qp - p[0, n) as quoted-printable: every line end (LF, or CR
 * LF) becomes a hard LF; any other CR is encoded.  -1 when out could
 * not grow.
 */
int
mime7_qp(struct sa *out, const char *p, size_t n)
{
	size_t i, end, ce;
	int has_lf;

	for (i = 0; i < n; i = end) {
		end = line_end(p, n, i);
		has_lf = p[end - 1] == '\n';
		ce = end - has_lf;
		if (has_lf && ce > i && p[ce - 1] == '\r')
			ce--;
		if (qp_line(out, p + i, ce - i) == -1 ||
		    (has_lf && sa_catc(out, '\n') == -1))
			return -1;
	}
	return 0;
}

/*
 * leaf - a part with a body of its own: encoded as quoted-printable,
 * and given MIME-Version (and a Content-Type naming no charset it can
 * know) when it is a message without them.
 */
static int
leaf(struct conv *c, const struct ent *e, const char *cte)
{
	const char *extra = "";
	size_t n;

	if (strcmp(cte, "base64") == 0 || strcmp(cte, "quoted-printable") == 0)
		return refuse(c, "8-bit bytes in a part already encoded");
	if (!is_identity(cte))
		return refuse(c, "8-bit bytes under an unknown "
		    "Content-Transfer-Encoding");
	if (e->is_message && find_field(e, "MIME-Version", &n) == NULL)
		extra = find_field(e, "Content-Type", &n) != NULL ?
		    "MIME-Version: 1.0\n" : "MIME-Version: 1.0\n"
		    "Content-Type: text/plain; charset=unknown-8bit\n";
	if (put_header(c, e, "quoted-printable", extra) == -1)
		return -1;
	return mime7_qp(c->out, e->p + e->body, e->len - e->body);
}

/* next_delimiter - the start of the next delimiter line at or after i */
static size_t
next_delimiter(const struct ent *e, size_t i, const char *b, int *kind)
{
	size_t end;

	for (; i < e->len; i = end) {
		end = line_end(e->p, e->len, i);
		if ((*kind = mime_delimiter(e->p + i, end - i, b)) != 0)
			return i;
	}
	*kind = 0;
	return e->len;
}

/*
 * part - the body part p[from, to) of a multipart, whose line end
 * before the next delimiter belongs to the delimiter (RFC 2046 5.1.1).
 */
static int
part(struct conv *c, const struct ent *m, size_t from, size_t to,
    int is_digest)
{
	struct ent e;
	size_t end = to;
	int r;

	if (to < m->len && end > from && m->p[end - 1] == '\n') {
		end--;
		if (end > from && m->p[end - 1] == '\r')
			end--;
	}
	memset(&e, 0, sizeof(e));
	e.p = m->p + from;
	e.len = end - from;
	e.is_digest = is_digest;
	e.depth = m->depth + 1;
	split(&e);
	if ((r = entity(c, &e)) != 0)
		return r;
	return put(c, m->p + end, to - end);
}

/* multipart - the header, then each part converted in turn */
static int
multipart(struct conv *c, const struct ent *e, const struct mime_ctype *ct,
    const char *cte)
{
	size_t i, d, end;
	int kind, r, is_digest = strcmp(ct->sub, "digest") == 0;

	if (ct->boundary[0] == '\0')
		return refuse(c, "a multipart without a boundary");
	if (!is_identity(cte))
		return refuse(c, "a multipart under a Content-Transfer-Encoding");
	d = next_delimiter(e, e->body, ct->boundary, &kind);
	if (mime7_has8(e->p + e->body, d - e->body))
		return refuse(c, "8-bit bytes in a multipart's preamble");
	if (put_header(c, e, cte[0] == '\0' ? NULL : "7bit", "") == -1 ||
	    put(c, e->p + e->body, d - e->body) == -1)
		return -1;
	while (kind == 1) {
		end = line_end(e->p, e->len, d);
		if (put(c, e->p + d, end - d) == -1)
			return -1;
		i = end;
		d = next_delimiter(e, i, ct->boundary, &kind);
		if ((r = part(c, e, i, d, is_digest)) != 0)
			return r;
	}
	if (mime7_has8(e->p + d, e->len - d))
		return refuse(c, "8-bit bytes in a multipart's epilogue");
	return put(c, e->p + d, e->len - d);
}

/* message_part - message/rfc822: its header, then the message inside */
static int
message_part(struct conv *c, const struct ent *e, const char *cte)
{
	struct ent m;

	if (!is_identity(cte))
		return refuse(c, "a message/rfc822 part under a "
		    "Content-Transfer-Encoding");
	if (put_header(c, e, cte[0] == '\0' ? NULL : "7bit", "") == -1)
		return -1;
	memset(&m, 0, sizeof(m));
	m.p = e->p + e->body;
	m.len = e->len - e->body;
	m.is_message = 1;
	m.depth = e->depth + 1;
	split(&m);
	return entity(c, &m);
}

/* entity - one entity, converted as its type needs, or copied */
static int
entity(struct conv *c, struct ent *e)
{
	struct mime_ctype ct;
	char cte[32];

	if (!mime7_has8(e->p, e->len))
		return put(c, e->p, e->len);
	if (mime7_has8(e->p, e->hend))
		return refuse(c, "8-bit bytes in a header field");
	if (e->depth > MIME7_DEPTH)
		return refuse(c, "MIME parts nested too deeply");
	parse_ctype(e, &ct);
	parse_cte(e, cte, sizeof(cte));
	if (strcmp(ct.type, "multipart") == 0)
		return multipart(c, e, &ct, cte);
	if (strcmp(ct.type, "message") == 0) {
		if (strcmp(ct.sub, "rfc822") == 0)
			return message_part(c, e, cte);
		return refuse(c, "8-bit bytes in a message/ part other than "
		    "rfc822");
	}
	return leaf(c, e, cte);
}

int
mime7_convert(const char *msg, size_t len, struct sa *out, const char **why)
{
	struct conv c;
	struct ent e;
	size_t start = out->len;
	int r;

	memset(&c, 0, sizeof(c));
	c.out = out;
	memset(&e, 0, sizeof(e));
	e.p = msg;
	e.len = len;
	e.is_message = 1;
	split(&e);
	if ((r = entity(&c, &e)) != 0)
		out->len = start;
	if (r == 1)
		*why = c.why;
	return r;
}
