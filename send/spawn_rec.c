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

/*
 * spawn_req_encode - a request: rcpt (n of them), the message's DSN
 * requests (dsn, NULL for none) and the recipients' (rcpt_dsn, a
 * dsnparam.h list with an entry for each recipient; NULL or empty for
 * none).
 */
int
spawn_req_encode(struct sa *out, unsigned long long job, const char *id,
    const char *sender, int is_again, const char *const *rcpt, size_t n,
    const struct dsn_msg *dsn, const struct sa *rcpt_dsn)
{
	struct dsn_rcpt d;
	const char *dp = NULL;
	size_t i;

	out->len = 0;
	if (rec_putu(out, 'J', job) == -1 || rec_puts(out, 'I', id) == -1 ||
	    rec_puts(out, 'F', sender) == -1 ||
	    (is_again && rec_puts(out, 'G', "1") == -1) ||
	    (dsn != NULL && dsn_rec_put_msg(out, dsn) == -1))
		return -1;
	if (rcpt_dsn != NULL && rcpt_dsn->len > 0)
		dp = rcpt_dsn->s;
	for (i = 0; i < n; i++) {
		if (rec_puts(out, 'R', rcpt[i]) == -1)
			return -1;
		if (dp != NULL && dp < rcpt_dsn->s + rcpt_dsn->len) {
			dp = dsn_list_get(dp, &d);
			if (dsn_rec_put_rcpt(out, &d) == -1)
				return -1;
		}
	}
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

/*
 * head_field - G1, Y or J between F and the first recipient, each at
 * most once and in that order: 0, or -1 when it is none of them.
 */
static int
head_field(char tag, const char *v, size_t n, struct spawn_req *q)
{
	if (tag == 'G' && !q->is_again && q->dsn.ret == 0 &&
	    q->dsn.envid[0] == '\0' && n == 1 && v[0] == '1') {
		q->is_again = 1;
		return 0;
	}
	return dsn_rec_msg_field(tag, v, n, &q->dsn);
}

/* add_rcpt - one more recipient (an R field's value) for q. */
static int
add_rcpt(struct spawn_req *q, const char *v, size_t n)
{
	void *nr;

	if (n == 0 || q->nrcpt == SPAWN_RCPT_MAX)
		return -1;
	nr = reallocarray(q->rcpt, q->nrcpt + 1, sizeof(*q->rcpt));
	if (nr == NULL)
		return -1;
	q->rcpt = nr;
	if (copy_text(q->rcpt[q->nrcpt], sizeof(q->rcpt[0]), v, n) == -1)
		return -1;
	q->nrcpt++;
	return 0;
}

/*
 * spawn_req_decode - a request, strictly: J, I, F, the optional G1, Y
 * and J, then R fields each with its optional D and X.  0, or -1 when
 * anything is missing, out of place, repeated or wrong; q is to be
 * freed with spawn_req_free either way.
 */
int
spawn_req_decode(const char *p, size_t n, struct spawn_req *q)
{
	struct rec_reader rr;
	struct dsn_rcpt cur;
	const char *v;
	size_t vlen;
	char tag;
	int r, stage = 0, any_dsn = 0;

	memset(q, 0, sizeof(*q));
	memset(&cur, 0, sizeof(cur));
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
		if (q->nrcpt == 0 && head_field(tag, v, vlen, q) == 0)
			continue;
		if (q->nrcpt > 0 && (tag == 'D' || tag == 'X')) {
			if (dsn_rec_rcpt_field(tag, v, vlen, &cur,
			    &stage) == -1)
				return -1;
			any_dsn = 1;
			continue;
		}
		/* the recipient before, if any, is complete */
		if ((q->nrcpt > 0 && dsn_list_add(&q->rcpt_dsn, &cur) == -1) ||
		    tag != 'R' || add_rcpt(q, v, vlen) == -1)
			return -1;
		memset(&cur, 0, sizeof(cur));
		stage = 0;
	}
	if (r != 0 || q->nrcpt == 0 || dsn_list_add(&q->rcpt_dsn, &cur) == -1)
		return -1;
	/* a list of nothing but empty entries says nothing: keep none */
	if (!any_dsn)
		q->rcpt_dsn.len = 0;
	return 0;
}

void
spawn_req_free(struct spawn_req *q)
{
	free(q->rcpt);
	q->rcpt = NULL;
	q->nrcpt = 0;
	sa_free(&q->rcpt_dsn);
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

/* addr_ok - an address fit for a forward pair. */
static int
addr_ok(const char *a, size_t n)
{
	return n > 0 && n <= ADDR_PATH_MAX && rec_value_ok(a, n);
}

/*
 * spawn_res_forward - one more forward for recipient i (which must end
 * delivered for it to count): a copy with "Delivered-To: <dt>" on top,
 * to addr.  Returns 0, or -1 when there are SPAWN_FWD_MAX already, an
 * address does not fit, or memory is short.
 */
int
spawn_res_forward(struct spawn_res *res, size_t i, const char *dt,
    const char *addr)
{
	struct spawn_status *st = &res->st[i];
	size_t dn = strlen(dt), an = strlen(addr), len = st->fwd.len;

	if (st->nfwd == SPAWN_FWD_MAX || !addr_ok(dt, dn) ||
	    !addr_ok(addr, an))
		return -1;
	if (sa_catb(&st->fwd, dt, dn + 1) == -1 ||
	    sa_catb(&st->fwd, addr, an + 1) == -1) {
		st->fwd.len = len;
		return -1;
	}
	st->nfwd++;
	return 0;
}

/* encode_forwards - st's pairs: V only where the Delivered-To changes. */
static int
encode_forwards(struct sa *out, const struct spawn_status *st)
{
	const char *dt, *a, *last = NULL;
	size_t k;

	for (dt = st->fwd.s, k = 0; k < st->nfwd; k++) {
		a = dt + strlen(dt) + 1;
		if ((last == NULL || strcmp(last, dt) != 0) &&
		    rec_puts(out, 'V', dt) == -1)
			return -1;
		if (rec_puts(out, 'A', a) == -1)
			return -1;
		last = dt;
		dt = a + strlen(a) + 1;
	}
	return 0;
}

int
spawn_res_encode(struct sa *out, const struct spawn_res *res)
{
	size_t i;

	out->len = 0;
	if (rec_putu(out, 'J', res->job) == -1)
		return -1;
	for (i = 0; i < res->n; i++) {
		if (rec_put(out, 'S', &res->st[i].status, 1) == -1 ||
		    rec_puts(out, 'T', res->st[i].text) == -1)
			return -1;
		/* the next hop took on the notices of a delivery only */
		if (res->st[i].status == SPAWN_OK && res->st[i].dsn_passed &&
		    rec_puts(out, 'P', "1") == -1)
			return -1;
		if (res->st[i].status == SPAWN_OK && res->st[i].is_expanded &&
		    rec_puts(out, 'X', "1") == -1)
			return -1;
		if (res->st[i].status == SPAWN_OK &&
		    encode_forwards(out, &res->st[i]) == -1)
			return -1;
	}
	return 0;
}

/*
 * decode_forward - a V or A field after a recipient's K and T: V sets
 * the Delivered-To address (in dt) of the one or more A fields after it
 * (*need_a says one is still owed).
 */
static int
decode_forward(struct spawn_res *res, char tag, const char *v, size_t vlen,
    char dt[ADDR_PATH_MAX + 1], int *need_a)
{
	char addr[ADDR_PATH_MAX + 1];

	if (res->n == 0 || res->st[res->n - 1].status != SPAWN_OK)
		return -1;
	if (tag == 'V') {
		if (*need_a || vlen == 0)
			return -1;
		*need_a = 1;
		return copy_text(dt, ADDR_PATH_MAX + 1, v, vlen);
	}
	if (dt[0] == '\0' || copy_text(addr, sizeof(addr), v, vlen) == -1)
		return -1;
	*need_a = 0;
	return spawn_res_forward(res, res->n - 1, dt, addr);
}

/* decode_status - an S field's value and the T after it: one more result */
static int
decode_status(struct spawn_res *res, struct rec_reader *rr, const char *v,
    size_t vlen)
{
	struct spawn_status *st;
	char tag;
	void *ns;

	if (vlen != 1 || v[0] == '\0' || strchr("KZD", v[0]) == NULL ||
	    res->n == SPAWN_RCPT_MAX)
		return -1;
	ns = reallocarray(res->st, res->n + 1, sizeof(*res->st));
	if (ns == NULL)
		return -1;
	res->st = ns;
	st = &res->st[res->n];
	memset(st, 0, sizeof(*st));
	st->status = v[0];
	if (rec_next(rr, &tag, &v, &vlen) != 1 || tag != 'T' ||
	    copy_text(st->text, sizeof(st->text), v, vlen) == -1)
		return -1;
	res->n++;
	return 0;
}

/*
 * spawn_res_decode - a result, strictly: J, then S and T for each
 * recipient, P1 and then X1 right after the T of a K, and V and A
 * fields after a K (decode_forward).  0, or -1; res is to be freed with
 * spawn_res_free either way.
 */
int
spawn_res_decode(const char *p, size_t n, struct spawn_res *res)
{
	char dt[ADDR_PATH_MAX + 1];
	int need_a = 0, flags = 0;	/* 1: P may come, 2: X may */
	struct rec_reader rr;
	const char *v;
	size_t vlen;
	char tag;
	int r;

	memset(res, 0, sizeof(*res));
	rec_reader_init(&rr, p, n);
	if (rec_next(&rr, &tag, &v, &vlen) != 1 || tag != 'J' ||
	    rec_getu(v, vlen, &res->job) == -1)
		return -1;
	while ((r = rec_next(&rr, &tag, &v, &vlen)) == 1) {
		if (tag == 'P' && (flags & 1) && vlen == 1 && v[0] == '1') {
			res->st[res->n - 1].dsn_passed = 1;
			flags = 2;
			continue;
		}
		if (tag == 'X' && (flags & 2) && vlen == 1 && v[0] == '1') {
			res->st[res->n - 1].is_expanded = 1;
			flags = 0;
			continue;
		}
		if (tag == 'V' || tag == 'A') {
			if (decode_forward(res, tag, v, vlen, dt,
			    &need_a) == -1)
				return -1;
		} else if (need_a || tag != 'S' ||
		    decode_status(res, &rr, v, vlen) == -1)
			return -1;
		else
			dt[0] = '\0';	/* its forwards start with a V */
		flags = tag == 'S' && res->st[res->n - 1].status == SPAWN_OK ?
		    3 : 0;
	}
	return r == 0 && res->n > 0 && !need_a ? 0 : -1;
}

void
spawn_res_free(struct spawn_res *res)
{
	size_t i;

	for (i = 0; res->st != NULL && i < res->n; i++)
		sa_free(&res->st[i].fwd);
	free(res->st);
	res->st = NULL;
	res->n = 0;
}

/*
 * spawn_status_expanded - whether a delivery reached more than one
 * mailbox, target or forward address: an alias or a dot file expanded
 * the recipient (RFC 3461's "expanded").
 */
int
spawn_status_expanded(const struct spawn_status *st)
{
	return st->is_expanded || st->nfwd > 1;
}
