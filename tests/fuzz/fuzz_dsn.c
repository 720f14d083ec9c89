/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_dsn - libFuzzer target for queue/queue_dsn.c: a notice composed
 * from hostile result texts (what remote servers said) and a hostile
 * original message.  The first byte chooses: bit 0 SMTPUTF8 mail, bit 1
 * a delay notice rather than a bounce, bit 2 the original whole rather
 * than its header, bit 3 a double bounce.  The rest, split at NUL
 * bytes, is the original message, then up to 8 result texts, one per
 * recipient (CR and LF made spaces, as no env file holds them; every
 * other byte kept).  Recipients alternate between failed and pending.
 *
 * Properties: dsn_write succeeds; the boundary occurs exactly five
 * times (its parameter, three delimiters, the close delimiter); up to
 * the returned message every line is at most 998 bytes and holds no
 * control byte but tab, and no 8-bit byte unless the notice is global;
 * the report has one Final-Recipient and one well-formed Status per
 * recipient reported on; the returned message is the original (or its
 * header) byte for byte.  A broken property aborts, which libFuzzer and
 * replay report.
 */
#include <sys/mman.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "queue_dsn.h"
#include "queue_env.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_dsn: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

#define MAXRCPT	8

/* memfile - a file in memory holding n bytes of p. */
static int
memfile(const void *p, size_t n)
{
	int fd = memfd_create("fuzz_dsn", 0);

	CHECK(fd != -1);
	CHECK(n == 0 || write(fd, p, n) == (ssize_t)n);
	return fd;
}

/* envelope - a message with a recipient per result text in texts. */
static void
envelope(struct qenv *e, int utf8, const char *texts, size_t n)
{
	static const char *const addr[] = { "a@x.test", "j\xc3\xb6rg@x.test",
	    "\"q u\"@x.test", "b@[192.0.2.1]" };
	const char *t = texts, *end = texts + n, *z;
	char err[QENV_ERR_MAX + 1];
	struct qrcpt *r;
	size_t i, len;

	memset(e, 0, sizeof(*e));
	memcpy(e->id, "0123456789abcdef", QID_LEN);
	e->arrival = 1790000000;
	e->is_utf8 = utf8;
	CHECK((e->sender = strdup("s@example.test")) != NULL);
	for (i = 0; i < MAXRCPT && t < end; i++) {
		z = memchr(t, '\0', (size_t)(end - t));
		len = (size_t)((z != NULL ? z : end) - t);
		if (len > QENV_ERR_MAX)
			len = QENV_ERR_MAX;
		memcpy(err, t, len);
		err[len] = '\0';
		for (z = err; *z != '\0'; z++)
			if (*z == '\r' || *z == '\n')
				err[z - err] = ' ';
		/* an 8-bit address only where SMTPUTF8 could have brought it */
		CHECK(qenv_add_rcpt(e, addr[i % 4 == 1 && !utf8 ? 0 : i % 4]) ==
		    0);
		r = &e->rcpt[e->nrcpt - 1];
		r->state = "fpsrx"[i % 5];
		/* DSN requests: a NOTIFY from the text, ORCPT if it is one */
		r->notify = len > 0 ? (unsigned char)err[0] % 9 : 0;
		if (dsn_orcpt_ok(err, len))
			CHECK((r->orcpt = strdup(err)) != NULL);
		if (i == 0 && dsn_envid_ok(err, len))
			memcpy(e->dsn.envid, err, len + 1);
		r->last = i % 3 ? 1790000050 : 0;
		CHECK((r->error = strdup(err)) != NULL);
		t += len;
		while (t < end && *t != '\0')	/* the part past the max */
			t++;
		t++;
	}
}

static size_t
count(const char *hay, size_t n, const char *needle)
{
	size_t c = 0, nl = strlen(needle);
	const char *p = hay, *end = hay + n;

	while ((p = memmem(p, (size_t)(end - p), needle, nl)) != NULL) {
		c++;
		p++;
	}
	return c;
}

/* check - the properties of the notice out (n bytes) for p. */
static void
check(const struct dsn_params *p, const char *out, size_t n,
    const char *orig, size_t olen)
{
	char b[80], delim[96];
	const char *bp, *be, *third, *body;
	size_t i, col = 0, chosen = 0, failed = 0, incl;
	int global = dsn_is_global(p);

	CHECK((bp = memmem(out, n, "boundary=\"", 10)) != NULL);
	bp += 10;
	CHECK((be = memchr(bp, '"', (size_t)(out + n - bp))) != NULL);
	CHECK(be - bp > 0 && (size_t)(be - bp) < sizeof(b));
	memcpy(b, bp, (size_t)(be - bp));
	b[be - bp] = '\0';
	CHECK(count(out, n, b) == 5);
	snprintf(delim, sizeof(delim), "\n--%s\n", b);
	CHECK(count(out, n, delim) == 3);
	third = out;
	for (i = 0; i < 3; i++) {
		third = memmem(third, (size_t)(out + n - third), delim,
		    strlen(delim));
		CHECK(third != NULL);
		third++;
	}
	CHECK((body = memmem(third, (size_t)(out + n - third), "\n\n", 2)) !=
	    NULL);
	body += 2;
	for (i = 0; out + i < body; i++) {
		unsigned char c = (unsigned char)out[i];

		CHECK(c >= 0x20 || c == '\n' || c == '\t');
		CHECK(c != 0x7f);
		CHECK(global || c < 128);
		col = c == '\n' ? 0 : col + 1;
		CHECK(col <= 998);
	}
	for (i = 0; i < p->e->nrcpt; i++) {
		chosen += dsn_reported(p->action, &p->e->rcpt[i]);
		failed += dsn_reported(p->action, &p->e->rcpt[i]) &&
		    !qenv_tell_due(&p->e->rcpt[i]);
	}
	CHECK(count(out, (size_t)(body - out), "\nFinal-Recipient: ") ==
	    chosen);
	CHECK(count(out, (size_t)(body - out), "\nStatus: ") == chosen);
	for (bp = out; (bp = memmem(bp, (size_t)(body - bp), "\nStatus: ",
	    9)) != NULL; bp++) {
		struct dsn_result r;
		char line[32];

		be = memchr(bp + 9, '\n', (size_t)(body - bp - 9));
		CHECK(be != NULL && (size_t)(be - bp - 9) < sizeof(line));
		memcpy(line, bp + 9, (size_t)(be - bp - 9));
		line[be - bp - 9] = '\0';
		/* a well-formed code is taken as it is */
		dsn_parse_result(line, line[0] == '2' ? DSN_SUCCESS :
		    p->action, &r);
		CHECK(strcmp(r.status, line) == 0);
	}
	/* the original, byte for byte, then the close delimiter */
	/* whole when it fits, unless RET=HDRS or only successes are told */
	incl = p->maxbytes > 0 && p->e->dsn.ret != DSN_RET_HDRS &&
	    (failed > 0 || p->action == DSN_DELAYED) ? olen :
	    (size_t)dsn_header_len(p->mess_fd, (off_t)olen);
	CHECK((size_t)(out + n - body) == incl + strlen(b) + 6);
	CHECK(memcmp(body, orig, incl) == 0);
	snprintf(delim, sizeof(delim), "\n--%s--\n", b);
	CHECK(memcmp(body + incl, delim, strlen(delim)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dsn_params p;
	struct qenv e;
	struct buf out;
	char store[4096], *got;
	const char *orig, *z;
	size_t olen;
	off_t n;
	int ofd;

	if (size < 1)
		return 0;
	orig = (const char *)data + 1;
	z = memchr(orig, '\0', size - 1);
	olen = (size_t)((z != NULL ? z : orig + size - 1) - orig);
	envelope(&e, data[0] & 1, z != NULL ? z + 1 : orig + olen,
	    z != NULL ? size - 1 - olen - 1 : 0);
	memset(&p, 0, sizeof(p));
	p.e = &e;
	p.me = "mx.example.test";
	p.id = "fedcba9876543210";
	p.to = (data[0] & 8) ? "postmaster@example.test" : e.sender;
	p.action = (data[0] & 2) ? DSN_DELAYED : DSN_FAILED;
	p.is_double = (data[0] & 8) != 0;
	e.dsn.ret = (data[0] & 16) ? DSN_RET_HDRS : 0;
	p.now = 1790000100;
	p.retry_until = 1790400000;
	p.maxbytes = (data[0] & 4) ? (long long)olen : 0;
	p.mess_fd = memfile(orig, olen);
	ofd = memfile("", 0);
	buf_init(&out, ofd, store, sizeof(store));
	CHECK(dsn_write(&p, &out) == 0);
	CHECK(buf_flush(&out) == 0);
	CHECK((n = lseek(ofd, 0, SEEK_END)) > 0);
	CHECK((got = malloc((size_t)n)) != NULL);
	CHECK(pread(ofd, got, (size_t)n, 0) == n);
	check(&p, got, (size_t)n, orig, olen);
	free(got);
	close(ofd);
	close(p.mess_fd);
	qenv_free(&e);
	return 0;
}
