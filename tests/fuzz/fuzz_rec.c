/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_rec - libFuzzer target for the pipe records between sched and
 * the spawners: lib/rec.c (netstring frames, tagged fields) and
 * send/spawn_rec.c (request and result decoders).  The spawners run as
 * less privileged users than sched, so a result is a hostile peer's
 * text; a request crosses the other way.  The first input byte sets
 * how many bytes each read hands out (1..8, as a pipe may split a
 * frame anywhere); the rest is the byte stream, read frame by frame
 * through a buf whose transport is the input, and each frame goes to
 * both decoders.  The whole stream also goes to the decoders unframed.
 * Besides "no sanitizer report" it checks: a frame is never longer
 * than the limit asked for and comes from the input; rec_next walks
 * forward inside the record; a decoded request or result is clean
 * (no CR, LF, NUL; the limits kept; DSN requests valid, P only after
 * a K) and survives encode, decode with the same values.  A broken
 * property aborts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rec.h"
#include "sa.h"
#include "spawn_rec.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_rec: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

#define FRAME_MAX	8192	/* the limit the fuzzer asks rec_frame_read for */

struct mem {
	const uint8_t	*p;
	size_t		 len, pos, chunk;
};

/* mem_io - a buf transport that reads the input, chunk bytes at a time. */
static ssize_t
mem_io(void *ctx, int fd, void *p, size_t n, int writing)
{
	struct mem *m = ctx;

	(void)fd;
	if (writing)
		return (errno = EBADF, -1);
	if (n > m->chunk)
		n = m->chunk;
	if (n > m->len - m->pos)
		n = m->len - m->pos;
	memcpy(p, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static int
clean(const char *s)
{
	return strpbrk(s, "\r\n") == NULL;
}

/* walk - rec_next moves forward and stays inside the record. */
static void
walk(const char *p, size_t n)
{
	struct rec_reader rr;
	const char *v;
	size_t vlen, last = 0;
	char tag;
	int r;

	rec_reader_init(&rr, p, n);
	while ((r = rec_next(&rr, &tag, &v, &vlen)) == 1) {
		CHECK(rr.pos > last && rr.pos <= n);
		CHECK(v > p && v + vlen < p + n && v[vlen] == ',');
		last = rr.pos;
	}
	CHECK(r == 0 ? rr.pos == n : r == -1);
}

/*
 * dsn_clean - a request's DSN requests are as dsnparam.h writes them:
 * RET one of its letters, ENVID and each ORCPT valid xtext, each
 * NOTIFY non-empty letters, and a list that is empty or has exactly
 * one entry for each recipient, not all of them empty.
 */
static void
dsn_clean(const struct spawn_req *q)
{
	struct dsn_rcpt d;
	const char *p = q->rcpt_dsn.s, *end = p + q->rcpt_dsn.len;
	size_t i;
	int any = 0;

	CHECK(q->dsn.ret == 0 || q->dsn.ret == DSN_RET_FULL ||
	    q->dsn.ret == DSN_RET_HDRS);
	CHECK(q->dsn.envid[0] == '\0' ||
	    dsn_envid_ok(q->dsn.envid, strlen(q->dsn.envid)));
	if (q->rcpt_dsn.len == 0)
		return;
	for (i = 0; i < q->nrcpt; i++) {
		CHECK(p < end && memchr(p, '\0', (size_t)(end - p)) != NULL);
		p = dsn_list_get(p, &d);
		CHECK(p <= end);
		CHECK(d.orcpt[0] == '\0' ||
		    dsn_orcpt_ok(d.orcpt, strlen(d.orcpt)));
		any |= d.notify != 0 || d.orcpt[0] != '\0';
	}
	CHECK(p == end && any);
}

/* req_again - a decoded request is clean and survives encode, decode. */
static void
req_again(const struct spawn_req *q)
{
	const char **rcpt;
	struct spawn_req q2;
	struct sa out = SA_INIT;
	size_t i;

	CHECK(q->nrcpt > 0 && q->nrcpt <= SPAWN_RCPT_MAX);
	CHECK(strlen(q->id) == QID_LEN && clean(q->sender));
	dsn_clean(q);
	CHECK((rcpt = calloc(q->nrcpt, sizeof(*rcpt))) != NULL);
	for (i = 0; i < q->nrcpt; i++) {
		CHECK(clean(q->rcpt[i]) && q->rcpt[i][0] != '\0');
		rcpt[i] = q->rcpt[i];
	}
	CHECK(spawn_req_encode(&out, q->job, q->id, q->sender, q->is_again,
	    rcpt, q->nrcpt, &q->dsn, &q->rcpt_dsn) == 0);
	CHECK(spawn_req_decode(out.s, out.len, &q2) == 0);
	CHECK(q2.job == q->job && q2.is_again == q->is_again &&
	    strcmp(q2.id, q->id) == 0 &&
	    strcmp(q2.sender, q->sender) == 0 && q2.nrcpt == q->nrcpt);
	for (i = 0; i < q->nrcpt; i++)
		CHECK(strcmp(q2.rcpt[i], q->rcpt[i]) == 0);
	CHECK(q2.dsn.ret == q->dsn.ret &&
	    strcmp(q2.dsn.envid, q->dsn.envid) == 0);
	CHECK(q2.rcpt_dsn.len == q->rcpt_dsn.len &&
	    (q->rcpt_dsn.len == 0 || memcmp(q2.rcpt_dsn.s, q->rcpt_dsn.s,
	    q->rcpt_dsn.len) == 0));
	spawn_req_free(&q2);
	sa_free(&out);
	free(rcpt);
}

/* same_status - two results' recipient i agree, forwards included. */
static void
same_status(const struct spawn_status *a, const struct spawn_status *b)
{
	CHECK(a->status == b->status && strcmp(a->text, b->text) == 0);
	CHECK(a->dsn_passed == b->dsn_passed);
	CHECK(a->nfwd == b->nfwd && a->fwd.len == b->fwd.len);
	CHECK(a->fwd.len == 0 || memcmp(a->fwd.s, b->fwd.s, a->fwd.len) == 0);
}

/* res_again - a decoded result is clean and survives encode, decode. */
static void
res_again(const struct spawn_res *res)
{
	struct spawn_res r2;
	struct sa out = SA_INIT;
	const char *s;
	size_t i, k;

	CHECK(res->n > 0 && res->n <= SPAWN_RCPT_MAX);
	for (i = 0; i < res->n; i++) {
		const struct spawn_status *st = &res->st[i];

		CHECK(st->status == SPAWN_OK || st->status == SPAWN_TEMP ||
		    st->status == SPAWN_PERM);
		CHECK(clean(st->text) && strlen(st->text) <= SPAWN_TEXT_MAX);
		CHECK(st->nfwd <= SPAWN_FWD_MAX);
		CHECK(st->nfwd == 0 || st->status == SPAWN_OK);
		CHECK(!st->dsn_passed || st->status == SPAWN_OK);
		/* nfwd pairs of non-empty, clean, NUL-terminated strings */
		for (s = st->fwd.s, k = 0; k < 2 * st->nfwd; k++) {
			size_t left = st->fwd.len - (size_t)(s - st->fwd.s);
			const char *z = memchr(s, '\0', left);

			CHECK(z != NULL && z > s && z - s <= ADDR_PATH_MAX);
			CHECK(clean(s));
			s = z + 1;
		}
		CHECK(st->nfwd == 0 || s == st->fwd.s + st->fwd.len);
	}
	CHECK(spawn_res_encode(&out, res) == 0);
	CHECK(spawn_res_decode(out.s, out.len, &r2) == 0);
	CHECK(r2.job == res->job && r2.n == res->n);
	for (i = 0; i < res->n; i++)
		same_status(&res->st[i], &r2.st[i]);
	spawn_res_free(&r2);
	sa_free(&out);
}

/* decode - both decoders on one record. */
static void
decode(const char *p, size_t n)
{
	struct spawn_req q;
	struct spawn_res res;

	walk(p, n);
	if (spawn_req_decode(p, n, &q) == 0)
		req_again(&q);
	/* on failure the decoder may leave recipients behind: free them */
	spawn_req_free(&q);
	if (spawn_res_decode(p, n, &res) == 0)
		res_again(&res);
	spawn_res_free(&res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem m;
	struct buf b;
	struct sa rec = SA_INIT;
	char space[64];
	size_t frames = 0;
	int r;

	if (size < 1 || size > 65536)
		return 0;
	m.p = data + 1;
	m.len = size - 1;
	m.pos = 0;
	m.chunk = 1 + data[0] % 8;
	buf_init(&b, -1, space, sizeof(space));
	buf_transport(&b, mem_io, &m);
	while ((r = rec_frame_read(&b, &rec, FRAME_MAX)) == 1) {
		CHECK(rec.len <= FRAME_MAX && rec.len <= m.len);
		decode(rec.s, rec.len);
		frames++;
	}
	CHECK(r == 0 || (r == -1 && errno == EPROTO));
	/* EOF comes only at a frame boundary after the whole input */
	if (r == 0)
		CHECK(m.pos == m.len);
	sa_free(&rec);
	decode((const char *)data + 1, size - 1);
	return 0;
}
