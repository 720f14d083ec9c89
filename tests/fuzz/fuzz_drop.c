/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_drop - libFuzzer target for the drop file, the one file any
 * local user can write and sched reads (queue/queue_drop.c, in the
 * order queue/sched_pickup.c uses it): the input is a whole drop file.
 * Too short for sched is skipped as sched skips it; otherwise the
 * header, the layout check of the file size against the header's
 * message length, then the envelope after the message.  Besides "no
 * sanitizer report" it checks: an accepted header is the one
 * qdrop_header() writes; an accepted file's parts add up to its size;
 * an accepted envelope holds a valid or empty sender and at least one
 * valid recipient, none with CR, LF or NUL, ends with the end marker
 * and encodes back to exactly its bytes (so nothing in it is ignored);
 * no proper prefix of it is accepted (a truncated file is refused) and
 * neither is it with a byte more.  The envelope part alone also goes
 * to the parser, so the fuzzer need not find a consistent header
 * first.  A broken property aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "queue_drop.h"
#include "sa.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_drop: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

#define PREFIX_ALL	512	/* envelopes up to this size: every prefix */

static void
check_addr(const char *s, int may_be_empty)
{
	struct addr a;
	size_t n = strlen(s);

	CHECK(strpbrk(s, "\r\n") == NULL);
	if (n == 0)
		CHECK(may_be_empty);
	else
		CHECK(addr_parse(s, n, &a, ADDR_UTF8) == 1);
}

/* envelope - parse n bytes as an envelope; check what is accepted. */
static void
envelope(const char *p, size_t n)
{
	struct qdrop_env env, env2;
	struct sa out = SA_INIT, more = SA_INIT;
	const char *r;
	size_t i, k;

	if (qdrop_env_parse(p, n, &env) == -1) {
		qdrop_env_free(&env);
		return;
	}
	CHECK(env.nrcpt > 0 && env.nrcpt <= QDROP_RCPT_MAX);
	CHECK(n >= 4 && memcmp(p + n - 4, "Z0:,", 4) == 0);
	CHECK(env.sender.len == strlen(env.sender.s));
	check_addr(env.sender.s, 1);
	for (r = env.rcpts.s, k = 0; r < env.rcpts.s + env.rcpts.len;
	    r += strlen(r) + 1, k++)
		check_addr(r, 0);
	CHECK(k == env.nrcpt);
	CHECK(qdrop_env_encode(&out, env.sender.s, &env.rcpts,
	    env.is_utf8, &env.dsn, &env.rcpt_dsn) == 0);
	CHECK(out.len == n && memcmp(out.s, p, n) == 0);
	/* truncated: refused; every prefix when small, else the tail */
	for (i = n > PREFIX_ALL ? n - 16 : 0; i < n; i++) {
		CHECK(qdrop_env_parse(p, i, &env2) == -1);
		qdrop_env_free(&env2);
	}
	/* anything after the end marker: refused */
	CHECK(sa_copyb(&more, p, n) == 0 && sa_catc(&more, 'Z') == 0);
	CHECK(qdrop_env_parse(more.s, more.len, &env2) == -1);
	qdrop_env_free(&env2);
	sa_free(&more);
	sa_free(&out);
	qdrop_env_free(&env);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	char hdr[QDROP_HDR_LEN];
	uint64_t msglen;
	size_t envoff;

	if (size > 65536)
		return 0;
	/* the envelope parser alone, on the whole input */
	envelope(p, size);
	if (size < QDROP_MIN)
		return 0;	/* sched: "truncated" */
	if (qdrop_parse_header(p, QDROP_HDR_LEN, &msglen) == -1)
		return 0;
	qdrop_header(hdr, msglen);
	CHECK(memcmp(hdr, p, QDROP_HDR_LEN) == 0);
	if (qdrop_layout(size, msglen) != NULL) {
		/* refused: the message and an end marker do not fit */
		CHECK(msglen > QDROP_MSG_MAX ||
		    (uint64_t)size < QDROP_HDR_LEN + msglen + 4);
		return 0;
	}
	envoff = QDROP_HDR_LEN + (size_t)msglen;
	CHECK(envoff + 4 <= size);
	envelope(p + envoff, size - envoff);
	return 0;
}
