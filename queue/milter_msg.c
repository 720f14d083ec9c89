/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * milter_msg - a message as qpmilter holds it for the milters: header
 * fields (name, and the value after the colon as stored, folded lines
 * joined by newlines) and the body, split from the bytes qinject stored,
 * and written back once a milter changed them (qpmilter queues a message
 * no milter changed from its original bytes).  Written and parsed again,
 * a message gives the same fields and body: fuzz_milter checks it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "milter.h"

/* header_start - the length of "Name:" at p, or 0 if p starts no field */
static size_t
header_start(const char *p, const char *end)
{
	const char *q;

	for (q = p; q < end && *q > 0x20 && *q < 0x7f && *q != ':'; q++)
		;
	return q > p && q < end && *q == ':' ? (size_t)(q - p) + 1 : 0;
}

int
milter_msg_parse(struct milter_msg *m, const char *p, size_t n)
{
	const char *end = p + n, *eol, *next;
	struct milter_hdr *h;
	size_t name;
	char *v;

	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		next = eol != NULL ? eol + 1 : end;
		if (eol == p) {
			m->has_blank = 1;
			p = next;
			break;
		}
		if ((*p == ' ' || *p == '\t') && m->nhdr > 0) {
			h = &m->hdr[m->nhdr - 1];
			if (asprintf(&v, "%s\n%.*s", h->value,
			    (int)((eol != NULL ? eol : end) - p), p) == -1)
				return -1;
			free(h->value);
			h->value = v;
		} else if ((name = header_start(p, end)) != 0) {
			if ((h = reallocarray(m->hdr, m->nhdr + 1,
			    sizeof(*h))) == NULL)
				return -1;
			m->hdr = h;
			h += m->nhdr;
			h->name = strndup(p, name - 1);
			h->value = strndup(p + name,
			    (size_t)((eol != NULL ? eol : end) - p) - name);
			if (h->name == NULL || h->value == NULL) {
				free(h->name);
				free(h->value);
				return -1;
			}
			m->nhdr++;
		} else
			break;			/* no blank line: the body */
		p = next;
	}
	if (end > p && sa_copyb(&m->body, p, (size_t)(end - p)) == -1)
		return -1;
	return 0;
}

int
milter_msg_write(const struct milter_msg *m, struct sa *out)
{
	size_t i;

	out->len = 0;
	for (i = 0; i < m->nhdr; i++)
		if (sa_cats(out, m->hdr[i].name) == -1 ||
		    sa_catc(out, ':') == -1 ||
		    sa_cats(out, m->hdr[i].value) == -1 ||
		    sa_catc(out, '\n') == -1)
			return -1;
	/* the blank line, also where a malformed line ended the header:
	   after the fields a milter may have added, it must be body */
	if (((m->has_blank || (m->nhdr > 0 && m->body.len > 0)) &&
	    sa_catc(out, '\n') == -1) ||
	    sa_catb(out, m->body.s, m->body.len) == -1)
		return -1;
	return 0;
}

void
milter_msg_free(struct milter_msg *m)
{
	size_t i;

	for (i = 0; i < m->nhdr; i++) {
		free(m->hdr[i].name);
		free(m->hdr[i].value);
	}
	for (i = 0; i < m->nrcpt; i++)
		free(m->rcpt[i]);
	free(m->hdr);
	free(m->rcpt);
	free(m->sender);
	sa_free(&m->body);
	memset(m, 0, sizeof(*m));
}
