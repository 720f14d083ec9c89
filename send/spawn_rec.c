/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * spawn_rec - encode and strictly decode the spawner records.  See
 * spawn_rec.h and qpost-queue(5).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"
#include "spawn_rec.h"

int
spawn_req_encode(struct sa *out, unsigned long long job, const char *id,
    const char *sender, const char *const *rcpt, size_t n)
{
	size_t i;

	out->len = 0;
	if (rec_putu(out, 'J', job) == -1 || rec_puts(out, 'I', id) == -1 ||
	    rec_puts(out, 'F', sender) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (rec_puts(out, 'R', rcpt[i]) == -1)
			return -1;
	return 0;
}

/* copy_text - a field value into dst, which must hold it with a NUL. */
static int
copy_text(char *dst, size_t size, const char *v, size_t n)
{
	if (n >= size || !rec_value_ok(v, n))
		return -1;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

int
spawn_req_decode(const char *p, size_t n, struct spawn_req *q)
{
	struct rec_reader rr;
	const char *v;
	size_t vlen;
	char tag;
	void *nr;
	int r;

	memset(q, 0, sizeof(*q));
	rec_reader_init(&rr, p, n);
	if (rec_next(&rr, &tag, &v, &vlen) != 1 || tag != 'J' ||
	    rec_getu(v, vlen, &q->job) == -1)
		return -1;
	if (rec_next(&rr, &tag, &v, &vlen) != 1 || tag != 'I' ||
	    !qid_valid(v, vlen))
		return -1;
	memcpy(q->id, v, QID_LEN);
	if (rec_next(&rr, &tag, &v, &vlen) != 1 || tag != 'F' ||
	    copy_text(q->sender, sizeof(q->sender), v, vlen) == -1)
		return -1;
	while ((r = rec_next(&rr, &tag, &v, &vlen)) == 1) {
		if (tag != 'R' || vlen == 0 || q->nrcpt == SPAWN_RCPT_MAX)
			return -1;
		nr = reallocarray(q->rcpt, q->nrcpt + 1, sizeof(*q->rcpt));
		if (nr == NULL)
			return -1;
		q->rcpt = nr;
		if (copy_text(q->rcpt[q->nrcpt], sizeof(q->rcpt[0]), v,
		    vlen) == -1)
			return -1;
		q->nrcpt++;
	}
	return r == 0 && q->nrcpt > 0 ? 0 : -1;
}

void
spawn_req_free(struct spawn_req *q)
{
	free(q->rcpt);
	q->rcpt = NULL;
	q->nrcpt = 0;
}

/* spawn_res_alloc - a result for job with n recipients, all temporary. */
int
spawn_res_alloc(struct spawn_res *res, unsigned long long job, size_t n)
{
	size_t i;

	res->job = job;
	res->n = n;
	if ((res->st = calloc(n ? n : 1, sizeof(*res->st))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		res->st[i].status = SPAWN_TEMP;
	return 0;
}

/* spawn_res_set - one recipient's outcome, text cut and made one line. */
void
spawn_res_set(struct spawn_res *res, size_t i, char status, const char *text)
{
	char *c;

	res->st[i].status = status;
	strlcpy(res->st[i].text, text, sizeof(res->st[i].text));
	for (c = res->st[i].text; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
}

int
spawn_res_encode(struct sa *out, const struct spawn_res *res)
{
	size_t i;

	out->len = 0;
	if (rec_putu(out, 'J', res->job) == -1)
		return -1;
	for (i = 0; i < res->n; i++)
		if (rec_put(out, 'S', &res->st[i].status, 1) == -1 ||
		    rec_puts(out, 'T', res->st[i].text) == -1)
			return -1;
	return 0;
}

int
spawn_res_decode(const char *p, size_t n, struct spawn_res *res)
{
	struct rec_reader rr;
	const char *v;
	size_t vlen;
	char tag;
	void *ns;
	int r;

	memset(res, 0, sizeof(*res));
	rec_reader_init(&rr, p, n);
	if (rec_next(&rr, &tag, &v, &vlen) != 1 || tag != 'J' ||
	    rec_getu(v, vlen, &res->job) == -1)
		return -1;
	while ((r = rec_next(&rr, &tag, &v, &vlen)) == 1) {
		if (tag != 'S' || vlen != 1 || v[0] == '\0' ||
		    strchr("KZD", v[0]) == NULL || res->n == SPAWN_RCPT_MAX)
			return -1;
		ns = reallocarray(res->st, res->n + 1, sizeof(*res->st));
		if (ns == NULL)
			return -1;
		res->st = ns;
		res->st[res->n].status = v[0];
		if (rec_next(&rr, &tag, &v, &vlen) != 1 || tag != 'T' ||
		    copy_text(res->st[res->n].text, sizeof(res->st[0].text), v,
		    vlen) == -1)
			return -1;
		res->n++;
	}
	return r == 0 && res->n > 0 ? 0 : -1;
}

void
spawn_res_free(struct spawn_res *res)
{
	free(res->st);
	res->st = NULL;
	res->n = 0;
}
