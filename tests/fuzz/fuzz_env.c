/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_env - libFuzzer target for sched's envelope and state file,
 * env/<id> (queue/queue_env.c's qenv_decode, which sched's recovery and
 * qadmin run over every file in env/ at start).  Only sched writes these
 * files, but a crash, a full disk or a hand edit can leave anything
 * there, and recovery must refuse it rather than act on half of it.
 * fuzz_qstat already round-trips this decoder through qstat's printers;
 * this target checks the framing: an accepted file ends with the end
 * marker, no proper prefix of it is accepted (a truncated file is
 * refused) and neither is it with any field after the marker; what it
 * holds is clean (no CR, LF or NUL in the sender, a recipient or an
 * error; states p, d, f, b; the bounds of the decoder kept); encoding
 * it again gives a file that decodes to the same and encodes to itself
 * (a fixpoint), and is no longer than the input.  A broken property
 * aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue_env.h"
#include "sa.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_env: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

#define PREFIX_ALL	512	/* files up to this size: every prefix */

static int
clean(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") == NULL;
}

static void
check_env(const struct qenv *e)
{
	size_t i;

	CHECK(strlen(e->id) == QID_LEN && clean(e->sender));
	CHECK(e->bounce_id[0] == '\0' || strlen(e->bounce_id) == QID_LEN);
	CHECK(e->notice_id[0] == '\0' || strlen(e->notice_id) == QID_LEN);
	CHECK(e->kind == QKIND_MAIL || e->kind == QKIND_BOUNCE ||
	    e->kind == QKIND_WARN || e->kind == QKIND_DOUBLE);
	CHECK(e->nrcpt > 0);
	CHECK(e->dsn.ret == 0 || e->dsn.ret == DSN_RET_FULL ||
	    e->dsn.ret == DSN_RET_HDRS);
	CHECK(e->dsn.envid[0] == '\0' || dsn_envid_ok(e->dsn.envid,
	    strlen(e->dsn.envid)));
	for (i = 0; i < e->nrcpt; i++) {
		const struct qrcpt *r = &e->rcpt[i];

		CHECK(clean(r->addr) && clean(r->error));
		CHECK(strlen(r->error) <= QENV_ERR_MAX);
		CHECK(r->state != '\0' && strchr(RCPT_STATES, r->state) != NULL);
		/* DSN requests: as dsnparam.c checks them */
		CHECK(r->orcpt == NULL || dsn_orcpt_ok(r->orcpt,
		    strlen(r->orcpt)));
		CHECK(r->notify == DSN_NOTIFY_NEVER || r->notify <
		    DSN_NOTIFY_NEVER);
		CHECK(r->next >= 0 && r->last >= 0 && r->tries <= 1000000);
		CHECK(!r->busy && !r->queued);
	}
}

static void
same_env(const struct qenv *a, const struct qenv *b)
{
	size_t i;

	CHECK(strcmp(a->id, b->id) == 0 && a->uid == b->uid &&
	    a->arrival == b->arrival && strcmp(a->sender, b->sender) == 0);
	CHECK(a->is_utf8 == b->is_utf8 && a->kind == b->kind &&
	    a->warned == b->warned && a->held == b->held);
	CHECK(strcmp(a->bounce_id, b->bounce_id) == 0 &&
	    strcmp(a->notice_id, b->notice_id) == 0);
	CHECK(a->nrcpt == b->nrcpt);
	for (i = 0; i < a->nrcpt; i++) {
		CHECK(strcmp(a->rcpt[i].addr, b->rcpt[i].addr) == 0);
		CHECK(a->rcpt[i].state == b->rcpt[i].state &&
		    a->rcpt[i].tries == b->rcpt[i].tries &&
		    a->rcpt[i].next == b->rcpt[i].next &&
		    a->rcpt[i].last == b->rcpt[i].last);
		CHECK(strcmp(a->rcpt[i].error, b->rcpt[i].error) == 0);
		CHECK(a->rcpt[i].notify == b->rcpt[i].notify);
		CHECK((a->rcpt[i].orcpt == NULL) == (b->rcpt[i].orcpt == NULL));
		CHECK(a->rcpt[i].orcpt == NULL ||
		    strcmp(a->rcpt[i].orcpt, b->rcpt[i].orcpt) == 0);
	}
	CHECK(a->dsn.ret == b->dsn.ret &&
	    strcmp(a->dsn.envid, b->dsn.envid) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct qenv e, e2;
	struct sa out = SA_INIT, out2 = SA_INIT, more = SA_INIT;
	size_t i;

	if (size > 65536)
		return 0;
	if (qenv_decode(p, size, &e) == -1) {
		qenv_free(&e);
		return 0;
	}
	check_env(&e);
	CHECK(size >= 4 && memcmp(p + size - 4, "Z0:,", 4) == 0);
	/* truncated: refused; every prefix when small, else the tail */
	for (i = size > PREFIX_ALL ? size - 16 : 0; i < size; i++) {
		CHECK(qenv_decode(p, i, &e2) == -1);
		qenv_free(&e2);
	}
	/* a field after the end marker: refused */
	CHECK(sa_copyb(&more, p, size) == 0 && sa_cats(&more, "Z0:,") == 0);
	CHECK(qenv_decode(more.s, more.len, &e2) == -1);
	qenv_free(&e2);
	/* encode, decode: the same; encode again: the same bytes */
	CHECK(qenv_encode(&e, &out) == 0);
	CHECK(out.len <= size);
	CHECK(qenv_decode(out.s, out.len, &e2) == 0);
	same_env(&e, &e2);
	CHECK(qenv_encode(&e2, &out2) == 0);
	CHECK(out2.len == out.len && memcmp(out.s, out2.s, out.len) == 0);
	qenv_free(&e2);
	qenv_free(&e);
	sa_free(&more);
	sa_free(&out);
	sa_free(&out2);
	return 0;
}
