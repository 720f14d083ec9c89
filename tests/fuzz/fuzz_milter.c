/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_milter - libFuzzer target for queue/milter.c.  The input's first
 * two octets give the length of a message (taken from what follows,
 * parsed by milter_msg_parse, with a two-recipient envelope); the rest
 * is what a milter answers, handed to milter_session from memory while
 * everything qpmilter sends is taken and dropped.  Properties, whatever
 * the milter says: the session ends; a refusal's text is one printable
 * line starting with its class (5 or 4); an accepted message keeps a
 * recipient and writes out to bytes that parse back into exactly its
 * header fields (no value a milter gave can start a new field) and its
 * body; a quarantine's reason is printable, without a double quote.  A
 * broken property aborts, which libFuzzer and replay report.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "milter.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_milter: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

struct mem {
	const uint8_t	*p;
	size_t		 left;
};

static int
mem_read(void *arg, void *buf, size_t n)
{
	struct mem *m = arg;

	if (n > m->left)
		return -1;
	memcpy(buf, m->p, n);
	m->p += n;
	m->left -= n;
	return 0;
}

static int
mem_write(void *arg, const void *buf, size_t n)
{
	(void)arg;
	(void)buf;
	(void)n;
	return 0;
}

static void
check_text(const struct milter_result *r, char class)
{
	const char *t = r->text;

	CHECK(strlen(t) < sizeof(r->text));
	if (t[0] != class)		/* the default texts start so too */
		CHECK(0);
	for (; *t != '\0'; t++)
		CHECK(*t >= 0x20 && *t < 0x7f);
}

/* check_written - the message as written parses back into the same */
static void
check_written(const struct milter_msg *m)
{
	struct milter_msg again;
	struct sa out = SA_INIT;
	size_t i;

	CHECK(milter_msg_write(m, &out) == 0);
	memset(&again, 0, sizeof(again));
	CHECK(milter_msg_parse(&again, out.s, out.len) == 0);
	CHECK(again.nhdr == m->nhdr);
	for (i = 0; i < m->nhdr; i++) {
		CHECK(strcmp(again.hdr[i].name, m->hdr[i].name) == 0);
		CHECK(strcmp(again.hdr[i].value, m->hdr[i].value) == 0);
	}
	CHECK(again.body.len == m->body.len);
	CHECK(m->body.len == 0 ||
	    memcmp(again.body.s, m->body.s, m->body.len) == 0);
	milter_msg_free(&again);
	sa_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct milter_conn c = { "192.0.2.1", "25", NULL, "client.test",
	    NULL, "mx.example.test", "0123456789abcdef" };
	struct milter_msg m;
	struct milter_result r;
	struct milter_io io = { mem_read, mem_write, NULL };
	struct mem mem;
	size_t n;

	if (size < 2)
		return 0;
	n = (size_t)data[0] << 8 | data[1];
	if (n > size - 2)
		n = size - 2;
	memset(&m, 0, sizeof(m));
	if (milter_msg_parse(&m, (const char *)data + 2, n) == -1 ||
	    (m.sender = strdup("s@example.test")) == NULL ||
	    (m.rcpt = calloc(2, sizeof(*m.rcpt))) == NULL ||
	    (m.rcpt[0] = strdup("a@example.test")) == NULL ||
	    (m.rcpt[1] = strdup("b@example.test")) == NULL)
		abort();
	m.nrcpt = 2;
	/* the message as parsed: a field or two, and its body, round trip
	   unless the input's last field has no newline */
	mem.p = data + 2 + n;
	mem.left = size - 2 - n;
	io.arg = &mem;
	milter_session(&io, &c, &m, &r);
	/* a quarantine's reason is printable, safe to log in quotes */
	if (m.quarantined)
		for (size_t i = 0; m.quarantine[i] != '\0'; i++)
			CHECK(m.quarantine[i] >= 0x20 && m.quarantine[i] < 0x7f &&
			    m.quarantine[i] != '"');
	CHECK(m.quarantined || m.quarantine[0] == '\0');
	switch (r.verdict) {
	case MILTER_ACCEPT:
		CHECK(m.nrcpt > 0);
		if (m.changed)
			check_written(&m);
		break;
	case MILTER_REJECT:
		check_text(&r, '5');
		break;
	case MILTER_TEMPFAIL:
		check_text(&r, '4');
		break;
	case MILTER_DISCARD:
	case MILTER_FAILED:
		CHECK(strlen(r.text) < sizeof(r.text));
		break;
	}
	milter_msg_free(&m);
	return 0;
}
