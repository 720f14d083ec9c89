/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_runner - libFuzzer target for the request parser of smtpd's
 * queue runner (smtpd/smtpd_runner.c), the one door out of smtpd's
 * sandbox: the input is one request as a compromised smtpd might send
 * it.  Besides "no sanitizer report" it checks: the result is -1, 0 or
 * 1, and 1 only for the flag "1"; an accepted request is within
 * RUNNER_REQ_MAX, ends with a NUL (or is the bare head), and every
 * entry is NAME=value with a name of upper-case letters and "_" (the
 * list's form) and a short value of printable ASCII only; every strict
 * prefix of an accepted request with entries ending mid-entry is
 * refused.  A broken property aborts, which libFuzzer and replay
 * report.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpd_runner.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_runner: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

/* check_entries - the accepted entries have the list's form. */
static void
check_entries(const char *p, size_t n)
{
	const char *end = p + n, *e, *nul, *eq;

	for (e = p + 2; e < end; e = nul + 1) {
		nul = memchr(e, '\0', (size_t)(end - e));
		CHECK(nul != NULL);
		eq = memchr(e, '=', (size_t)(nul - e));
		CHECK(eq != NULL && eq > e);
		for (const char *c = e; c < eq; c++)
			CHECK((*c >= 'A' && *c <= 'Z') || *c == '_');
		CHECK((size_t)(nul - eq - 1) <= RUNNER_VALUE_MAX);
		for (const char *c = eq + 1; c < nul; c++)
			CHECK(*c >= 0x20 && *c <= 0x7e);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	int r;

	if (size > 2 * RUNNER_REQ_MAX)
		return 0;
	r = runner_req_parse(p, size);
	CHECK(r == -1 || r == 0 || r == 1);
	if (r == -1)
		return 0;
	CHECK(size >= 2 && size <= RUNNER_REQ_MAX && p[0] == 'Q');
	CHECK(r == (p[1] == '1'));
	CHECK(size == 2 || p[size - 1] == '\0');
	check_entries(p, size);
	/* cut inside the last entry: no longer a request */
	if (size > 2)
		CHECK(runner_req_parse(p, size - 1) == -1);
	return 0;
}
