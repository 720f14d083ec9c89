/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_dsnparam - libFuzzer target for lib/dsnparam.c, the DSN requests
 * that smtpd, qinject and qpmilter take from strangers: the input's
 * first octet is the number of recipients, the rest a DSN trailer as it
 * may follow qmail-queue's envelope.  Besides "no sanitizer report" it
 * checks: dsn_trailer_parse answers NULL or a reason; what it takes has
 * at most that many N records, each request valid (NOTIFY NEVER alone
 * or a set of the others, an ORCPT dsn_orcpt_ok takes, an ENVID
 * dsn_envid_ok takes); written again with dsn_trailer_msg and
 * dsn_trailer_rcpt it parses to the same requests and writes the same
 * bytes again (a canonical trailer is a fixed point; the input is one
 * exactly when it equals them); dsn_trailer writes that, cut after the
 * last recipient that asked, or nothing when nobody asked; a prefix cut
 * inside a record is refused.  The rest, as a string: xtext decodes
 * what it encodes, and what it encodes is xtext unless the string has
 * a control byte; what dsn_xtext_ok takes decodes and encodes back to
 * xtext that decodes to the same; a NOTIFY value taken writes back to
 * one that parses to the same mask, and so do its queue letters;
 * dsn_opts's -V takes it exactly when its xtext is a valid ENVID; and
 * split at its first '=', MAIL's and RCPT's parameters keep only values
 * their checks take.  A broken property aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsnparam.h"
#include "sa.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_dsnparam: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

#define INPUT_MAX	8192
#define PREFIX_ALL	512	/* trailers up to this size: every prefix */

static int
same(const struct sa *a, const struct sa *b)
{
	return a->len == b->len && (a->len == 0 ||
	    memcmp(a->s, b->s, a->len) == 0);
}

/* valid_rcpt - a request as the parsers may leave it */
static void
valid_rcpt(const struct dsn_rcpt *r)
{
	unsigned all = DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE |
	    DSN_NOTIFY_DELAY;

	CHECK(r->notify == DSN_NOTIFY_NEVER || (r->notify & ~all) == 0);
	CHECK(r->orcpt[0] == '\0' || dsn_orcpt_ok(r->orcpt,
	    strlen(r->orcpt)));
}

static void
valid_msg(const struct dsn_msg *m)
{
	CHECK(m->ret == 0 || m->ret == DSN_RET_FULL ||
	    m->ret == DSN_RET_HDRS);
	CHECK(m->envid[0] == '\0' || dsn_envid_ok(m->envid,
	    strlen(m->envid)));
	CHECK(m->hold == 0 || m->hold == 1);
}

/* rewrite - the trailer of m and list (n entries) in full, into out */
static void
rewrite(const struct dsn_msg *m, const struct sa *list, size_t n,
    struct sa *out, size_t *upto)
{
	struct dsn_rcpt r;
	const char *p = list->s;
	size_t i;

	out->len = 0;
	CHECK(dsn_trailer_msg(out, m) == 0);
	*upto = m->ret != 0 || m->envid[0] != '\0' || m->hold ? out->len : 0;
	for (i = 0; i < n; i++) {
		p = dsn_list_get(p, &r);
		valid_rcpt(&r);
		CHECK(dsn_trailer_rcpt(out, &r) == 0);
		if (r.notify != 0 || r.orcpt[0] != '\0')
			*upto = out->len;
	}
	CHECK(n == 0 || p == list->s + list->len);
}

/* trailer - the input as a trailer for max recipients */
static void
trailer(const char *in, size_t n, size_t max)
{
	struct sa list = SA_INIT, list2 = SA_INIT, out = SA_INIT,
	    out2 = SA_INIT, cut = SA_INIT;
	struct dsn_msg m, m2;
	const char *why;
	size_t got, got2, upto, upto2, i;

	why = dsn_trailer_parse(in, n, &m, &list, max, &got);
	if (why != NULL) {
		CHECK(why[0] != '\0');
		goto done;
	}
	CHECK(got <= max && (n > 0 || got == 0));
	valid_msg(&m);
	rewrite(&m, &list, got, &out, &upto);
	/* written again: the same requests, and a fixed point */
	CHECK(dsn_trailer_parse(out.s, out.len, &m2, &list2, max, &got2) ==
	    NULL);
	CHECK(got2 == got && m2.ret == m.ret && m2.hold == m.hold &&
	    strcmp(m2.envid, m.envid) == 0 && same(&list2, &list));
	rewrite(&m2, &list2, got2, &out2, &upto2);
	CHECK(same(&out2, &out) && upto2 == upto);
	/* an empty input parses to nothing; any other writes the D record */
	CHECK(n == 0 || out.len > 0);
	/* dsn_trailer: cut after the last that asked, or nothing */
	CHECK(dsn_trailer(&cut, &m, &list) == 0);
	CHECK(cut.len == upto && (upto == 0 ||
	    memcmp(cut.s, out.s, upto) == 0));
	/* a prefix that cuts a record short is refused */
	for (i = n > PREFIX_ALL ? n - 16 : 1; i < n; i++)
		if (in[i - 1] != '\0')
			CHECK(dsn_trailer_parse(in, i, &m2, &list2, max,
			    &got2) != NULL);
done:
	sa_free(&list);
	sa_free(&list2);
	sa_free(&out);
	sa_free(&out2);
	sa_free(&cut);
}

/* has_control - a byte dsn_xtext_ok refuses to decode to */
static int
has_control(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

/* xtext - the input as a raw string, and as xtext */
static void
xtext(const char *in, size_t n)
{
	struct sa x = SA_INIT, back = SA_INIT, x2 = SA_INIT, back2 = SA_INIT;

	CHECK(dsn_xtext_encode(&x, in, n) == 0);
	CHECK(dsn_xtext_ok(x.s, x.len) == !has_control(in, n));
	CHECK(dsn_xtext_decode(x.s, x.len, &back) == 0);
	CHECK(back.len == n && (n == 0 || memcmp(back.s, in, n) == 0));
	if (dsn_xtext_ok(in, n)) {
		CHECK(dsn_xtext_decode(in, n, &back) == 0);
		CHECK(!has_control(back.s, back.len));
		CHECK(dsn_xtext_encode(&x2, back.s, back.len) == 0);
		CHECK(x2.len <= n && dsn_xtext_ok(x2.s, x2.len));
		CHECK(dsn_xtext_decode(x2.s, x2.len, &back2) == 0);
		CHECK(same(&back2, &back));
	}
	sa_free(&x);
	sa_free(&back);
	sa_free(&x2);
	sa_free(&back2);
}

/* words - the input as NOTIFY, RET, -V, and a parameter key=value */
static void
words(const char *in, size_t n)
{
	char letters[DSN_LETTERS_MAX + 1], s[INPUT_MAX + 1];
	struct sa smtp = SA_INIT, x = SA_INIT;
	struct dsn_msg m;
	struct dsn_rcpt r;
	const char *eq, *err = NULL;
	unsigned mask, again;
	int ret, rc;

	if (dsn_notify_parse(in, n, &mask) == 0) {
		r.notify = mask;
		r.orcpt[0] = '\0';
		valid_rcpt(&r);
		CHECK(mask != 0);
		CHECK(dsn_notify_smtp(mask, &smtp) == 0);
		CHECK(dsn_notify_parse(smtp.s, smtp.len, &again) == 0 &&
		    again == mask);
		dsn_notify_letters(mask, letters);
		CHECK(dsn_letters_parse(letters, strlen(letters), &again) ==
		    0 && again == mask);
	}
	if (dsn_letters_parse(in, n, &mask) == 0) {
		dsn_notify_letters(mask, letters);
		CHECK(strlen(letters) == n && memcmp(letters, in, n) == 0);
	}
	ret = dsn_ret_parse(in, n);
	CHECK(ret == -1 || ret == DSN_RET_FULL || ret == DSN_RET_HDRS);
	CHECK(!dsn_envid_ok(in, n) || (n > 0 && n <= DSN_ENVID_MAX));
	CHECK(!dsn_orcpt_ok(in, n) || (n <= DSN_ORCPT_MAX &&
	    memchr(in, ';', n) != NULL));
	/* -V: taken exactly when its xtext is an ENVID, and kept as that */
	if (memchr(in, '\0', n) == NULL) {
		memcpy(s, in, n);
		s[n] = '\0';
		CHECK(dsn_xtext_encode(&x, in, n) == 0);
		if (dsn_opts(NULL, NULL, s, &m, &r) == NULL) {
			CHECK(dsn_envid_ok(x.s, x.len));
			CHECK(strlen(m.envid) == x.len &&
			    memcmp(m.envid, x.s, x.len) == 0);
		} else
			CHECK(!dsn_envid_ok(x.s, x.len));
	}
	/* key=value: what is kept passes its own check */
	if ((eq = memchr(in, '=', n)) != NULL) {
		memset(&m, 0, sizeof(m));
		rc = dsn_mail_param(in, (size_t)(eq - in), eq + 1,
		    n - (size_t)(eq - in) - 1, &m, &err);
		CHECK(rc == 0 || rc == 1 || (rc == -1 && err != NULL));
		if (rc == 1)
			valid_msg(&m);
		memset(&r, 0, sizeof(r));
		rc = dsn_rcpt_param(in, (size_t)(eq - in), eq + 1,
		    n - (size_t)(eq - in) - 1, &r, &err);
		CHECK(rc == 0 || rc == 1 || (rc == -1 && err != NULL));
		if (rc == 1)
			valid_rcpt(&r);
	}
	sa_free(&smtp);
	sa_free(&x);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data + 1;

	if (size < 1 || size > INPUT_MAX)
		return 0;
	trailer(in, size - 1, data[0]);
	xtext(in, size - 1);
	words(in, size - 1);
	return 0;
}
