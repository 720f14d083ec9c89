/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_smtp_reply - libFuzzer target for send/smtp_reply.c: the input
 * is what a server sends, lines ended by LF (or CRLF).  It is split
 * into lines and fed to smtp_reply_feed, reply after reply; each state
 * must keep the properties: a complete reply's code in 200..599, text
 * within SMTP_REPLY_TEXT_MAX with textlen equal to its strlen and no
 * control byte but '\n' and tab, nlines within SMTP_REPLY_LINES_MAX.
 * A complete reply goes through smtp_ehlo_parse (flags 0 or 1, and the
 * offer, written as an EHLO reply again, parses to the same) and
 * smtp_reply_oneline (one line, NUL-terminated, within its size).
 * Then smtp_reply_read reads the same bytes from a buf whose transport
 * hands them out from memory in pieces of 1, 7 and all octets (saying
 * "want read" every other call, as TLS does): each must give what the
 * line-by-line reference says (the code, SMTP_R_MALFORMED, _TOOLONG
 * for a line over SMTP_REPLY_LINE_MAX, _EOF at the end) and the same
 * reply.  A broken property aborts, which libFuzzer and replay report.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "smtp_reply.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_smtp_reply: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

#define MAXREPLIES	8	/* replies read from one input */

/* check_reply - the properties every reply state keeps. */
static void
check_reply(const struct smtp_reply *r, int done)
{
	size_t i;

	CHECK(r->textlen <= SMTP_REPLY_TEXT_MAX);
	CHECK(strlen(r->text) == r->textlen);
	CHECK(r->nlines <= SMTP_REPLY_LINES_MAX);
	for (i = 0; i < r->textlen; i++)
		CHECK(((unsigned char)r->text[i] >= 0x20 &&
		    r->text[i] != 0x7f) || r->text[i] == '\n' ||
		    r->text[i] == '\t');
	if (done) {
		CHECK(r->code >= 200 && r->code <= 599);
		CHECK(r->nlines >= 1);
	} else
		CHECK(r->code == 0);
}

/* ehlo_again - the offer in e written as an EHLO reply, fed to r. */
static void
ehlo_again(const struct smtp_ext *e, struct smtp_reply *r)
{
	char line[64];
	const char *kw[8];
	size_t n = 0, i;
	int len;

	kw[n++] = "250-mx.example";
	if (e->pipelining)
		kw[n++] = "250-PIPELINING";
	if (e->starttls)
		kw[n++] = "250-starttls";
	if (e->eightbitmime)
		kw[n++] = "250-8BITMIME";
	if (e->smtputf8)
		kw[n++] = "250-SMTPUTF8";
	if (e->enhancedstatuscodes)
		kw[n++] = "250-ENHANCEDSTATUSCODES";
	if (e->chunking)
		kw[n++] = "250-Chunking";
	if (e->dsn)
		kw[n++] = "250-dsn";
	smtp_reply_init(r);
	for (i = 0; i < n; i++)
		CHECK(smtp_reply_feed(r, kw[i], strlen(kw[i])) == 0);
	len = snprintf(line, sizeof(line), "250-AUTH%s%s",
	    e->auth_plain ? " PLAIN" : "", e->auth_login ? " login" : "");
	CHECK(smtp_reply_feed(r, line, (size_t)len) == 0);
	if (e->has_size && e->size > 0)
		len = snprintf(line, sizeof(line), "250 SIZE %llu", e->size);
	else
		len = snprintf(line, sizeof(line), "250 %s",
		    e->has_size ? "SIZE" : "HELP");
	CHECK(smtp_reply_feed(r, line, (size_t)len) == 1);
}

/* check_complete - a whole reply through the EHLO and log helpers. */
static void
check_complete(const struct smtp_reply *r)
{
	struct smtp_reply r2;
	struct smtp_ext e, e2;
	char out[300];
	size_t sizes[] = { 0, 1, 4, 5, 40, sizeof(out) }, i, k, n;

	smtp_ehlo_parse(r, &e);
	CHECK(e.pipelining <= 1 && e.starttls <= 1 && e.eightbitmime <= 1 &&
	    e.smtputf8 <= 1 && e.enhancedstatuscodes <= 1 && e.chunking <= 1 &&
	    e.dsn <= 1 && e.has_size <= 1 && e.auth_plain <= 1 && e.auth_login <= 1);
	CHECK(e.has_size || e.size == 0);
	if (r->code / 100 != 2)
		CHECK(memcmp(&e, &(struct smtp_ext){ 0 }, sizeof(e)) == 0);
	ehlo_again(&e, &r2);
	smtp_ehlo_parse(&r2, &e2);
	CHECK(memcmp(&e, &e2, sizeof(e)) == 0);

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		memset(out, 'Z', sizeof(out));
		smtp_reply_oneline(r, out, sizes[k]);
		if (sizes[k] == 0) {
			CHECK(out[0] == 'Z');
			continue;
		}
		n = strnlen(out, sizes[k]);
		CHECK(n < sizes[k]);
		for (i = 0; i < n; i++)
			CHECK((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
		if (sizes[k] >= 4)
			CHECK(n >= 3 && out[0] == '0' + r->code / 100);
	}
}

/*
 * reference - feed the input's lines, reply after reply, into ref[];
 * what smtp_reply_read must return for each in want[]; the count.
 */
static size_t
reference(const char *s, size_t size, struct smtp_reply *ref, int *want)
{
	size_t start = 0, end, len, nr = 0;
	const char *nl;
	int rc;

	smtp_reply_init(&ref[0]);
	while (nr < MAXREPLIES) {
		nl = memchr(s + start, '\n', size - start);
		if (nl == NULL) {
			want[nr++] = size - start > SMTP_REPLY_LINE_MAX ?
			    SMTP_R_TOOLONG : SMTP_R_EOF;
			break;
		}
		end = (size_t)(nl - s);
		if (end + 1 - start > SMTP_REPLY_LINE_MAX) {
			want[nr++] = SMTP_R_TOOLONG;
			break;
		}
		len = end - start;
		if (len > 0 && s[end - 1] == '\r')
			len--;
		rc = smtp_reply_feed(&ref[nr], s + start, len);
		start = end + 1;
		check_reply(&ref[nr], rc == 1);
		if (rc == -1) {
			CHECK(ref[nr].state == SMTP_RS_BAD);
			CHECK(smtp_reply_feed(&ref[nr], "250 x", 5) == -1);
			want[nr++] = SMTP_R_MALFORMED;
			break;
		}
		if (rc == 1) {
			check_complete(&ref[nr]);
			CHECK(smtp_reply_feed(&ref[nr], "250 x", 5) == -1);
			want[nr] = ref[nr].code;
			if (++nr < MAXREPLIES)
				smtp_reply_init(&ref[nr]);
		}
	}
	return nr;
}

/* The memory "transport": piece octets a call, "want read" in between. */
struct mem {
	const char	*s;
	size_t		 size, off, piece;
	int		 want;
};

static ssize_t
mem_io(void *arg, int fd, void *p, size_t n, int writing)
{
	struct mem *m = arg;

	(void)fd;
	CHECK(!writing);
	if (m->piece != 0 && (m->want = !m->want))
		return BUF_WANT_READ;
	if (m->piece != 0 && n > m->piece)
		n = m->piece;
	if (n > m->size - m->off)
		n = m->size - m->off;
	memcpy(p, m->s + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

/* same_reply - what smtp_reply_read kept equals the reference. */
static int
same_reply(const struct smtp_reply *a, const struct smtp_reply *b)
{
	return a->code == b->code && a->nlines == b->nlines &&
	    a->textlen == b->textlen && a->truncated == b->truncated &&
	    memcmp(a->text, b->text, a->textlen) == 0;
}

/* read_all - smtp_reply_read over the input in pieces of piece octets. */
static void
read_all(const char *s, size_t size, size_t piece,
    const struct smtp_reply *ref, const int *want, size_t nr)
{
	static int readable = -1;	/* poll's "want read" answer at once */
	static struct smtp_reply r;
	char store[512];
	struct mem m = { s, size, 0, piece, 0 };
	struct buf b;
	size_t i;
	int rc;

	if (readable == -1)
		CHECK((readable = open("/dev/null", O_RDONLY)) != -1);
	buf_init(&b, readable, store, sizeof(store));
	buf_transport(&b, mem_io, &m);
	b.timeout = 12345;
	for (i = 0; i < nr; i++) {
		rc = smtp_reply_read(&b, &r, 60000);
		CHECK(rc == want[i]);
		CHECK(b.timeout == 12345 && b.io == mem_io && b.ctx == &m);
		check_reply(&r, rc > 0);
		if (rc != SMTP_R_TOOLONG)
			CHECK(same_reply(&r, &ref[i]));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct smtp_reply ref[MAXREPLIES];
	int want[MAXREPLIES];
	const char *s = (const char *)data;
	size_t nr;

	if (size > 16384)
		return 0;
	nr = reference(s, size, ref, want);
	read_all(s, size, 0, ref, want, nr);
	read_all(s, size, 1, ref, want, nr);
	read_all(s, size, 7, ref, want, nr);
	return 0;
}
