/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * content - header and body checks on a streaming message.  See
 * content.h.
 *
 * Lines are gathered until their line end, header fields until the
 * next line that does not continue them; everything else goes to the
 * output as it comes.  The MIME walk follows every multipart's
 * delimiters whatever MIME-Version says: a reader that renders a part
 * must not find its header fields taken for body lines here, where
 * header checks (an attachment's file name, say) would miss them.
 */
#include <string.h>
#include <strings.h>

#include "checks.h"
#include "content.h"
#include "ctl.h"
#include "mime.h"
#include "sa.h"

enum { IN_HEADER, IN_BODY };

void
content_init(struct content *c, const struct checks *header,
    const struct checks *body, content_log_fn *log, void *log_arg)
{
	c->header = header != NULL && header->n > 0 ? header : NULL;
	c->body = body != NULL && body->n > 0 ? body : NULL;
	c->log = log;
	c->log_arg = log_arg;
	c->state = IN_HEADER;
	c->gave_up = 0;
	c->line.len = c->field.len = 0;
	c->field_over = c->field_drop = 0;
	mime_ctype_default(&c->ct, 0);
	c->depth = 0;
	c->body_seen = 0;
	c->verdict = CHECK_DUNNO;
	memset(&c->refusal, 0, sizeof(c->refusal));
	c->redirect.len = c->bcc.len = 0;
	c->nbcc = 0;
	c->hold = 0;
	c->nomem = 0;
}

void
content_free(struct content *c)
{
	sa_free(&c->line);
	sa_free(&c->field);
	sa_free(&c->subject);
	sa_free(&c->result);
	sa_free(&c->redirect);
	sa_free(&c->bcc);
}

/* put - output, unless the message is already refused or dropped */
static int
put(struct content *c, struct sa *out, const char *p, size_t n)
{
	if (c->verdict != CHECK_DUNNO || n == 0)
		return 0;
	return sa_catb(out, p, n);
}

/* put_line - text and a line end */
static int
put_line(struct content *c, struct sa *out, const char *text)
{
	if (put(c, out, text, strlen(text)) == -1)
		return -1;
	return put(c, out, "\n", 1);
}

/* set_subject - p[0, n) without its line end, NUL-terminated */
static int
set_subject(struct content *c, const char *p, size_t n)
{
	if (n > 0 && p[n - 1] == '\n')
		n--;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (sa_copyb(&c->subject, p, n) == -1 || sa_0(&c->subject) == -1)
		return -1;
	return 0;
}

int
content_bcc_add(struct sa *list, size_t *n, const char *addr)
{
	if (*n == CONTENT_BCC_MAX || ctl_list_has(list, addr))
		return 0;	/* once each, and so many at most */
	(*n)++;
	if (sa_cats(list, addr) == -1)
		return -1;
	return sa_catc(list, '\0');
}

/* decided - what the checks decided for the message as a whole */
static int
decided(struct content *c, const struct check_action *a)
{
	switch (a->verdict) {
	case CHECK_REFUSE:
		c->refusal = a->refusal;
		/* FALLTHROUGH */
	case CHECK_DISCARD:
		c->verdict = a->verdict;
		return 0;
	case CHECK_REDIRECT:
		return sa_copys(&c->redirect, a->arg);
	case CHECK_BCC:
		return content_bcc_add(&c->bcc, &c->nbcc, a->arg);
	case CHECK_HOLD:
		c->hold = 1;
		return 0;
	default:
		return 0;
	}
}

/*
 * check - the checked unit p[0, n) (a header field or a body line, as
 * it came) against table, its subject already set; out gets what
 * stays of it.  Returns 1 when it was removed or replaced, so that
 * the rest of a field over the limit goes too; 0; -1 out of memory.
 */
static int
check(struct content *c, const struct checks *table, const char *where,
    const char *p, size_t n, struct sa *out)
{
	struct check_action a;
	int r;

	if (table == NULL || c->verdict != CHECK_DUNNO ||
	    (r = checks_match(table, c->subject.s, &c->result)) == 0)
		return put(c, out, p, n);
	if (r == -1)
		return -1;
	if (r == CHECKS_GAVE_UP) {
		if (c->log != NULL)
			c->log(c->log_arg, where, c->subject.s, NULL,
			    "a pattern gave up at its match limit, taken as "
			    "not matching");
		return put(c, out, p, n);
	}
	if (check_action_parse(c->result.s, table->is_header, &a) == -1) {
		if (c->log != NULL)
			c->log(c->log_arg, where, c->subject.s, NULL,
			    "the rule's result is unfit for the message, "
			    "ignored");
		return put(c, out, p, n);
	}
	if (a.verdict != CHECK_DUNNO && c->log != NULL)
		c->log(c->log_arg, where, c->subject.s, &a, NULL);
	if (decided(c, &a) == -1)
		return -1;
	switch (a.verdict) {
	case CHECK_IGNORE:
		return 1;
	case CHECK_REPLACE:
		return put_line(c, out, a.arg) == -1 ? -1 : 1;
	case CHECK_PREPEND:
		if (put_line(c, out, a.arg) == -1)
			return -1;
		/* FALLTHROUGH */
	default:
		return put(c, out, p, n);
	}
}

/* is_named - p[0, n) starts with name, blanks, then ':' */
static int
is_named(const char *p, size_t n, const char *name)
{
	size_t k = strlen(name);

	if (n < k || strncasecmp(p, name, k) != 0)
		return 0;
	while (k < n && (p[k] == ' ' || p[k] == '\t'))
		k++;
	return k < n && p[k] == ':';
}

/* field_done - the gathered field checked and put out */
static int
field_done(struct content *c, struct sa *out)
{
	const char *p = c->field.s, *colon;
	size_t n = c->field.len;
	int r;

	if (n == 0)
		return 0;
	c->field.len = 0;
	if (c->field_over) {	/* checked and put out when it went over */
		c->field_over = c->field_drop = 0;
		return 0;
	}
	if (is_named(p, n, "Content-Type") &&
	    (colon = memchr(p, ':', n)) != NULL &&
	    mime_ctype_parse(colon + 1, n - (size_t)(colon + 1 - p),
	    &c->ct) == -1)
		mime_ctype_default(&c->ct, 0);
	if (set_subject(c, p, n) == -1)
		return -1;
	r = check(c, c->header, "header", p, n, out);
	return r == -1 ? -1 : 0;
}

/* field_more - a continuation line of the gathered field */
static int
field_more(struct content *c, const char *p, size_t n, struct sa *out)
{
	int r;

	if (c->field_over)
		return c->field_drop ? 0 : put(c, out, p, n);
	if (c->field.len + n <= CONTENT_FIELD_MAX)
		return sa_catb(&c->field, p, n);
	/* over the limit: decided on what came, the rest follows it */
	if (set_subject(c, c->field.s, c->field.len) == -1 ||
	    (r = check(c, c->header, "header", c->field.s, c->field.len,
	    out)) == -1)
		return -1;
	c->field_over = 1;
	c->field_drop = r;
	return c->field_drop ? 0 : put(c, out, p, n);
}

/* section_end - the header section ended: how its body is read */
static void
section_end(struct content *c)
{
	c->body_seen = 0;
	if (strcmp(c->ct.type, "multipart") == 0 && c->ct.boundary[0] != '\0' &&
	    c->depth < CONTENT_DEPTH) {
		(void)strlcpy(c->stack[c->depth].boundary, c->ct.boundary,
		    sizeof(c->stack[c->depth].boundary));
		c->stack[c->depth].is_digest = strcmp(c->ct.sub, "digest") == 0;
		c->depth++;
		c->state = IN_BODY;
	} else if (strcmp(c->ct.type, "message") == 0 &&
	    strcmp(c->ct.sub, "rfc822") == 0) {
		mime_ctype_default(&c->ct, 0);	/* the attached message's */
		c->state = IN_HEADER;
	} else
		c->state = IN_BODY;
}

/* body_check - the body line p[0, n) checked and put out */
static int
body_check(struct content *c, const char *p, size_t n, struct sa *out)
{
	if (c->body == NULL)
		return put(c, out, p, n);
	if (set_subject(c, p, n) == -1)
		return -1;
	return check(c, c->body, "body", p, n, out) == -1 ? -1 : 0;
}

/*
 * delimiter - whether p[0, n) is a delimiter of an open multipart: 1,
 * after it was put out and the walk moved past it; 0; -1.
 */
static int
delimiter(struct content *c, const char *p, size_t n, struct sa *out)
{
	size_t k;
	int kind;

	for (k = c->depth; k-- > 0;) {
		if ((kind = mime_delimiter(p, n, c->stack[k].boundary)) == 0)
			continue;
		if (field_done(c, out) == -1 || body_check(c, p, n, out) == -1)
			return -1;
		if (kind == 1) {	/* a part: its header section next */
			c->depth = k + 1;
			mime_ctype_default(&c->ct, c->stack[k].is_digest);
			c->state = IN_HEADER;
		} else {		/* the multipart's end: its epilogue */
			c->depth = k;
			c->state = IN_BODY;
		}
		c->body_seen = 0;
		return 1;
	}
	return 0;
}

/* is_field_start - "Name:" (blanks allowed before the colon) */
static int
is_field_start(const char *p, size_t n)
{
	size_t k = 0;

	while (k < n && (unsigned char)p[k] > ' ' && (unsigned char)p[k] < 127 &&
	    p[k] != ':')
		k++;
	if (k == 0)
		return 0;
	while (k < n && (p[k] == ' ' || p[k] == '\t'))
		k++;
	return k < n && p[k] == ':';
}

static int	body_line(struct content *, const char *, size_t, struct sa *);

/* header_line - a whole line p[0, n) of a header section */
static int
header_line(struct content *c, const char *p, size_t n, struct sa *out)
{
	int r;

	if (n > 0 && (p[0] == ' ' || p[0] == '\t') && c->field.len > 0)
		return field_more(c, p, n, out);
	if ((r = delimiter(c, p, n, out)) != 0)
		return r == -1 ? -1 : 0;
	if (field_done(c, out) == -1)
		return -1;
	if ((n == 1 && p[0] == '\n') || (n == 2 && p[0] == '\r' &&
	    p[1] == '\n')) {
		section_end(c);
		return put(c, out, p, n);
	}
	if (is_field_start(p, n))
		return sa_catb(&c->field, p, n);
	/* not a header field: the section ended without its empty line */
	section_end(c);
	if (c->state == IN_HEADER)
		return header_line(c, p, n, out);
	return body_line(c, p, n, out);
}

/* body_line - a whole line p[0, n) of a body */
static int
body_line(struct content *c, const char *p, size_t n, struct sa *out)
{
	int r;

	if ((r = delimiter(c, p, n, out)) != 0)
		return r == -1 ? -1 : 0;
	if (c->body_seen >= CONTENT_BODY_MAX)
		return put(c, out, p, n);
	c->body_seen += n;
	return body_check(c, p, n, out);
}

/* line - a whole line, or the last of the message without its end */
static int
line(struct content *c, const char *p, size_t n, struct sa *out)
{
	if (c->state == IN_HEADER)
		return header_line(c, p, n, out);
	return body_line(c, p, n, out);
}

/*
 * give_up - a line over the limit: what is held goes out as it came,
 * then everything.  A field gathered is not checked now: the long line
 * may be its continuation, which a removed field would leave behind.
 */
static int
give_up(struct content *c, struct sa *out)
{
	c->gave_up = 1;
	if ((!c->field_over && put(c, out, c->field.s, c->field.len) == -1) ||
	    put(c, out, c->line.s, c->line.len) == -1)
		return -1;
	c->field.len = c->line.len = 0;
	return 0;
}

int
content_feed(struct content *c, const char *p, size_t n, struct sa *out)
{
	const char *nl;
	size_t take;

	while (n > 0 && c->verdict == CHECK_DUNNO) {
		if (c->gave_up)
			return put(c, out, p, n);
		nl = memchr(p, '\n', n);
		take = nl != NULL ? (size_t)(nl - p) + 1 : n;
		if (c->line.len + take > CONTENT_LINE_MAX) {
			if (give_up(c, out) == -1)
				return -1;
			continue;
		}
		if (nl != NULL && c->line.len == 0) {
			if (line(c, p, take, out) == -1)	/* no copy */
				return -1;
		} else if (sa_catb(&c->line, p, take) == -1)
			return -1;
		else if (nl != NULL) {
			if (line(c, c->line.s, c->line.len, out) == -1)
				return -1;
			c->line.len = 0;
		}
		p += take;
		n -= take;
	}
	return 0;
}

int
content_end(struct content *c, struct sa *out)
{
	if (c->gave_up)
		return 0;
	if (c->line.len > 0) {
		if (line(c, c->line.s, c->line.len, out) == -1)
			return -1;
		c->line.len = 0;
	}
	return field_done(c, out);
}
