/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * queue_env - encode and strictly decode env/<id> files.  See
 * queue_env.h and qpost-queue(5).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "queue_env.h"
#include "rec.h"

/* qenv_get_dsn - a recipient's DSN requests, as a dsnparam.h entry */
void
qenv_get_dsn(const struct qrcpt *r, struct dsn_rcpt *d)
{
	memset(d, 0, sizeof(*d));
	d->notify = r->notify;
	if (r->orcpt != NULL)
		strlcpy(d->orcpt, r->orcpt, sizeof(d->orcpt));
}

/* put_dsn - a recipient's DSN requests, D and X, those it has */
static int
put_dsn(struct sa *out, const struct qrcpt *r)
{
	struct dsn_rcpt d;

	qenv_get_dsn(r, &d);
	return dsn_rec_put_rcpt(out, &d);
}

int
qenv_encode(const struct qenv *e, struct sa *out)
{
	const struct qrcpt *r;
	size_t i;

	out->len = 0;
	if (rec_puts(out, 'V', "1") == -1 || rec_puts(out, 'I', e->id) == -1 ||
	    rec_putu(out, 'U', e->uid) == -1 ||
	    rec_putu(out, 'A', (unsigned long long)e->arrival) == -1 ||
	    rec_puts(out, 'F', e->sender) == -1)
		return -1;
	if (e->is_utf8 && rec_puts(out, 'O', "1") == -1)
		return -1;
	if (e->bounce_id[0] != '\0' && rec_puts(out, 'B', e->bounce_id) == -1)
		return -1;
	if (e->kind != QKIND_MAIL && rec_put(out, 'K', &e->kind, 1) == -1)
		return -1;
	if (e->notice_id[0] != '\0' && rec_puts(out, 'P', e->notice_id) == -1)
		return -1;
	if (e->warned && rec_puts(out, 'W', "1") == -1)
		return -1;
	if (e->held && rec_puts(out, 'H', "1") == -1)
		return -1;
	if (dsn_rec_put_msg(out, &e->dsn) == -1)
		return -1;
	for (i = 0; i < e->nrcpt; i++) {
		r = &e->rcpt[i];
		if (rec_puts(out, 'R', r->addr) == -1 ||
		    rec_put(out, 'S', &r->state, 1) == -1 ||
		    rec_putu(out, 'C', r->tries) == -1 ||
		    rec_putu(out, 'N', (unsigned long long)r->next) == -1 ||
		    rec_puts(out, 'E', r->error ? r->error : "") == -1)
			return -1;
		if (r->last != 0 &&
		    rec_putu(out, 'L', (unsigned long long)r->last) == -1)
			return -1;
		if (put_dsn(out, r) == -1)
			return -1;
	}
	return rec_put(out, 'Z', "", 0);
}

/* dupv - a NUL-terminated copy of a field value, which must be text. */
static char *
dupv(const char *v, size_t n)
{
	char *s;

	if (!rec_value_ok(v, n))
		return (errno = EPROTO, NULL);
	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(s, v, n);
	s[n] = '\0';
	return s;
}

/* expect - the next field must carry this tag. */
static int
expect(struct rec_reader *rr, char want, const char **v, size_t *n)
{
	char tag;

	return rec_next(rr, &tag, v, n) == 1 && tag == want ? 0 : -1;
}

static int
decode_rcpt(struct rec_reader *rr, struct qenv *e, const char *v, size_t n)
{
	unsigned long long u;
	struct qrcpt *r;
	char *addr;

	if ((addr = dupv(v, n)) == NULL)
		return -1;
	if (qenv_add_rcpt(e, addr) == -1) {
		free(addr);
		return -1;
	}
	free(addr);
	r = &e->rcpt[e->nrcpt - 1];
	if (expect(rr, 'S', &v, &n) == -1 || n != 1 || v[0] == '\0' ||
	    strchr(RCPT_STATES, v[0]) == NULL)
		return -1;
	r->state = v[0];
	if (expect(rr, 'C', &v, &n) == -1 || rec_getu(v, n, &u) == -1 ||
	    u > 1000000)
		return -1;
	r->tries = (unsigned)u;
	if (expect(rr, 'N', &v, &n) == -1 || rec_getu(v, n, &u) == -1 ||
	    u > (1ULL << 40))
		return -1;
	r->next = (time_t)u;
	if (expect(rr, 'E', &v, &n) == -1 || n > QENV_ERR_MAX ||
	    (r->error = dupv(v, n)) == NULL)
		return -1;
	return 0;
}

/* the optional message fields, in the one order they may come */
#define HEAD_TAGS	"OBKPWHYJ"

/* decode_head - one optional message field; -1 if its value is wrong. */
static int
decode_head(struct qenv *e, char tag, const char *v, size_t n)
{
	switch (tag) {
	case 'O':
	case 'W':
	case 'H':
		if (n != 1 || v[0] != '1')
			return -1;
		if (tag == 'O')
			e->is_utf8 = 1;
		else if (tag == 'W')
			e->warned = 1;
		else
			e->held = 1;
		return 0;
	case 'B':
	case 'P':
		if (!qid_valid(v, n))
			return -1;
		memcpy(tag == 'B' ? e->bounce_id : e->notice_id, v, QID_LEN);
		return 0;
	case 'K':
		if (n != 1 || v[0] == '\0' || strchr("bwd", v[0]) == NULL)
			return -1;
		e->kind = v[0];
		return 0;
	case 'Y':
	case 'J':
		return dsn_rec_msg_field(tag, v, n, &e->dsn);
	}
	return -1;
}

/* a recipient's optional fields, in the one order they may come */
#define RCPT_TAGS	"LDX"

/* decode_rcpt_opt - one of them; -1 if its value is wrong */
static int
decode_rcpt_opt(struct qrcpt *r, char tag, const char *v, size_t n)
{
	unsigned long long u;
	struct dsn_rcpt d;
	int stage = 0;	/* RCPT_TAGS keeps their order */

	if (tag == 'L') {
		if (rec_getu(v, n, &u) == -1 || u > (1ULL << 40))
			return -1;
		r->last = (time_t)u;
		return 0;
	}
	qenv_get_dsn(r, &d);
	return dsn_rec_rcpt_field(tag, v, n, &d, &stage) == -1 ? -1 :
	    qenv_set_dsn(r, &d);
}

/*
 * qenv_decode - parse an env file of n bytes into e (zeroed first).
 * Returns 0, or -1 for anything truncated, unknown or out of order;
 * then e holds whatever was allocated, for qenv_free().
 */
int
qenv_decode(const char *p, size_t n, struct qenv *e)
{
	struct rec_reader rr;
	unsigned long long u;
	const char *v, *stage;
	size_t vlen;
	char tag;
	int r;
	ptrdiff_t next_head = 0, next_tail = 0;

	memset(e, 0, sizeof(*e));
	rec_reader_init(&rr, p, n);
	if (expect(&rr, 'V', &v, &vlen) == -1 || vlen != 1 || v[0] != '1')
		return -1;
	if (expect(&rr, 'I', &v, &vlen) == -1 || !qid_valid(v, vlen))
		return -1;
	memcpy(e->id, v, QID_LEN);
	if (expect(&rr, 'U', &v, &vlen) == -1 || rec_getu(v, vlen, &u) == -1 ||
	    u > 0xffffffffULL)
		return -1;
	e->uid = (unsigned long)u;
	if (expect(&rr, 'A', &v, &vlen) == -1 || rec_getu(v, vlen, &u) == -1 ||
	    u > (1ULL << 40))
		return -1;
	e->arrival = (time_t)u;
	if (expect(&rr, 'F', &v, &vlen) == -1 ||
	    (e->sender = dupv(v, vlen)) == NULL)
		return -1;
	while ((r = rec_next(&rr, &tag, &v, &vlen)) == 1) {
		if (e->nrcpt == 0 && (stage = strchr(HEAD_TAGS, tag)) != NULL &&
		    tag != '\0') {
			/* the optional message fields, each once, in order */
			if (stage - HEAD_TAGS < next_head ||
			    decode_head(e, tag, v, vlen) == -1)
				return -1;
			next_head = stage - HEAD_TAGS + 1;
		} else if (tag == 'R') {
			if (decode_rcpt(&rr, e, v, vlen) == -1)
				return -1;
			next_tail = 0;
		} else if (e->nrcpt > 0 &&
		    (stage = strchr(RCPT_TAGS, tag)) != NULL && tag != '\0') {
			/* a recipient's optional fields, each once, in order */
			if (stage - RCPT_TAGS < next_tail ||
			    decode_rcpt_opt(&e->rcpt[e->nrcpt - 1], tag, v,
			    vlen) == -1)
				return -1;
			next_tail = stage - RCPT_TAGS + 1;
		} else if (tag == 'Z' && vlen == 0 && e->nrcpt > 0)
			return rec_next(&rr, &tag, &v, &vlen) == 0 ? 0 : -1;
		else
			return -1;
	}
	return -1;
}

/* qenv_add_rcpt - append a pending recipient with a copy of addr. */
int
qenv_add_rcpt(struct qenv *e, const char *addr)
{
	struct qrcpt *nr;

	if ((nr = reallocarray(e->rcpt, e->nrcpt + 1, sizeof(*nr))) == NULL)
		return -1;
	e->rcpt = nr;
	nr = &e->rcpt[e->nrcpt];
	memset(nr, 0, sizeof(*nr));
	if ((nr->addr = strdup(addr)) == NULL)
		return -1;
	nr->state = RCPT_PENDING;
	e->nrcpt++;
	return 0;
}

/*
 * qenv_set_error - replace a recipient's error text, cut to the max,
 * with control bytes made spaces so the text stays one line.
 */
int
qenv_set_error(struct qrcpt *r, const char *text)
{
	char *s, *c;

	if ((s = strndup(text, QENV_ERR_MAX)) == NULL)
		return -1;
	for (c = s; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	free(r->error);
	r->error = s;
	return 0;
}

/* qenv_set_dsn - a recipient's DSN requests, from a dsnparam.h entry */
int
qenv_set_dsn(struct qrcpt *r, const struct dsn_rcpt *d)
{
	r->notify = d->notify;
	free(r->orcpt);
	r->orcpt = NULL;
	if (d->orcpt[0] != '\0' && (r->orcpt = strdup(d->orcpt)) == NULL)
		return -1;
	return 0;
}

/*
 * qenv_tell_due - a recipient done whose sender asked to hear of its
 * success, and has not yet (states s, r and x).
 */
int
qenv_tell_due(const struct qrcpt *r)
{
	return r->state == RCPT_TELL_DELIVERED ||
	    r->state == RCPT_TELL_RELAYED || r->state == RCPT_TELL_EXPANDED;
}

void
qenv_free(struct qenv *e)
{
	size_t i;

	for (i = 0; i < e->nrcpt; i++) {
		free(e->rcpt[i].addr);
		free(e->rcpt[i].error);
		free(e->rcpt[i].orcpt);
	}
	free(e->rcpt);
	free(e->sender);
	memset(e, 0, sizeof(*e));
}
