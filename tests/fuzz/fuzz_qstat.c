/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_qstat - libFuzzer target for what reads the queue's envelopes
 * and the control FIFO: queue/queue_env.c's decoder, qstat's printers
 * (queue/qstat_print.c) and the FIFO's line parser (queue/queue_ctl.c).
 *
 * The input is an env file.  Whether it decodes or not, it must not
 * crash; when it does, it must encode again to something that decodes
 * to the same, and every output format of qstat must stay inside its
 * promises: the text, summary and mailq listings hold no control byte
 * but the newline, no C1 control and no malformed UTF-8; the text
 * listing has one line per message and per recipient; the JSON is all
 * printable ASCII with balanced quotes and brackets.  The input's
 * first line also goes to qctl_parse: an accepted line formats back to
 * itself (verbs in lower case, domains folded) and parses again the
 * same.  A broken property aborts, which libFuzzer and replay report.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "qstat.h"
#include "queue_ctl.h"
#include "queue_env.h"
#include "sa.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_qstat: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

/* the output "transport": everything written is kept in an sa */
static ssize_t
mem_io(void *arg, int fd, void *p, size_t n, int writing)
{
	(void)fd;
	CHECK(writing);
	CHECK(sa_catb(arg, p, n) == 0);
	return (ssize_t)n;
}

/* same - two envelopes hold the same. */
static void
same(const struct qenv *a, const struct qenv *b)
{
	size_t i;

	CHECK(strcmp(a->id, b->id) == 0 && a->uid == b->uid &&
	    a->arrival == b->arrival && strcmp(a->sender, b->sender) == 0 &&
	    a->is_utf8 == b->is_utf8 && a->held == b->held &&
	    strcmp(a->bounce_id, b->bounce_id) == 0 && a->nrcpt == b->nrcpt);
	for (i = 0; i < a->nrcpt; i++)
		CHECK(strcmp(a->rcpt[i].addr, b->rcpt[i].addr) == 0 &&
		    a->rcpt[i].state == b->rcpt[i].state &&
		    a->rcpt[i].tries == b->rcpt[i].tries &&
		    a->rcpt[i].next == b->rcpt[i].next &&
		    strcmp(a->rcpt[i].error, b->rcpt[i].error) == 0);
}

/* text_ok - no control byte but '\n', no C1, UTF-8 well formed. */
static void
text_ok(const struct sa *o)
{
	const unsigned char *s = (const unsigned char *)o->s;
	size_t i = 0, k, len;

	while (i < o->len) {
		if (s[i] < 0x80) {
			CHECK(s[i] == '\n' || (s[i] >= 0x20 && s[i] != 0x7f));
			i++;
			continue;
		}
		len = s[i] >= 0xf0 ? 4 : s[i] >= 0xe0 ? 3 : 2;
		CHECK(s[i] >= 0xc2 && s[i] <= 0xf4 && i + len <= o->len);
		for (k = 1; k < len; k++)
			CHECK((s[i + k] & 0xc0) == 0x80);
		CHECK(!(s[i] == 0xc2 && s[i + 1] < 0xa0));	/* C1 */
		i += len;
	}
}

/* json_ok - printable ASCII, quotes and brackets balanced. */
static void
json_ok(const struct sa *o)
{
	size_t i;
	int in = 0, depth = 0;

	for (i = 0; i < o->len; i++) {
		CHECK(o->s[i] == '\n' || (o->s[i] >= 0x20 && o->s[i] < 0x7f));
		if (in && o->s[i] == '\\') {
			i++;
			CHECK(i < o->len && strchr("\"\\u", o->s[i]) != NULL);
		} else if (o->s[i] == '"')
			in = !in;
		else if (!in && (o->s[i] == '{' || o->s[i] == '['))
			depth++;
		else if (!in && (o->s[i] == '}' || o->s[i] == ']'))
			CHECK(--depth >= 0);
	}
	CHECK(!in && depth == 0);
}

static size_t
lines(const struct sa *o)
{
	size_t i, n = 0;

	for (i = 0; i < o->len; i++)
		n += o->s[i] == '\n';
	return n;
}

/* print - one qstat format of q into o. */
static void
print(const struct qstat *q, int which, struct sa *o)
{
	char store[256];
	struct buf b;
	int r;

	o->len = 0;
	buf_init(&b, -1, store, sizeof(store));
	buf_transport(&b, mem_io, o);
	switch (which) {
	case 0:
		r = qstat_print_text(q, &b);
		break;
	case 1:
		r = qstat_print_json(q, &b);
		break;
	case 2:
		r = qstat_print_summary(q, &b, 0);
		break;
	case 3:
		r = qstat_print_summary(q, &b, 1);
		break;
	default:
		r = qstat_print_mailq(q, &b);
		break;
	}
	CHECK(r == 0 && buf_flush(&b) == 0);
}

static void
env_case(const char *s, size_t size)
{
	struct qstat_msg m;
	struct qstat q;
	struct qenv again;
	struct sa enc = SA_INIT, o = SA_INIT;
	int k;

	memset(&m, 0, sizeof(m));
	if (qenv_decode(s, size, &m.env) == -1) {
		qenv_free(&m.env);
		return;
	}
	CHECK(m.env.nrcpt > 0);
	CHECK(qenv_encode(&m.env, &enc) == 0);
	CHECK(qenv_decode(enc.s, enc.len, &again) == 0);
	same(&m.env, &again);
	qenv_free(&again);

	memset(&q, 0, sizeof(q));
	q.now = m.env.arrival + (time_t)(size % 100000);
	q.msgs = &m;
	q.nmsgs = 1;
	m.size = (long long)size;
	for (k = 0; k < 5; k++) {
		print(&q, k, &o);
		if (k == 1 || k == 3)
			json_ok(&o);
		else
			text_ok(&o);
		if (k == 0)
			CHECK(lines(&o) == 1 + m.env.nrcpt);
	}
	qenv_free(&m.env);
	sa_free(&enc);
	sa_free(&o);
}

static void
ctl_case(const char *s, size_t size)
{
	const char *nl = memchr(s, '\n', size), *why;
	struct qctl_cmd c, d;
	char line[QCTL_LINE_MAX + 2];
	size_t n = nl != NULL ? (size_t)(nl - s) : size;
	int len;

	if (qctl_parse(s, n, &c, &why) == -1) {
		CHECK(why != NULL);
		return;
	}
	len = qctl_format(&c, line, sizeof(line));
	CHECK(len > 0 && (size_t)len == n + 1 && line[n] == '\n');
	CHECK(strncasecmp(line, s, n) == 0);
	CHECK(qctl_parse(line, n, &d, &why) == 0);
	CHECK(memcmp(&c, &d, sizeof(c)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;

	if (size > 65536)
		return 0;
	env_case(s, size);
	ctl_case(s, size);
	return 0;
}
