/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_worker - libFuzzer target for send/worker_req.c, the request
 * lspawn sends to a local worker (local_worker.h).  The input is read
 * as a request, as `local -W' reads one.  Besides "no sanitizer
 * report" it checks: an accepted request has a tag, 1 to
 * WORKER_ARGS_MAX arguments and at most WORKER_ARGS_MAX variables,
 * each a NUL-terminated string inside the input, in order, with
 * nothing left over; made again by worker_req_make from what was read,
 * it is the same bytes.  And the other way: the input cut into strings
 * at its NULs and made into a request, read back, gives those strings.
 * A broken property aborts, which libFuzzer and replay report.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "local_worker.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_worker: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

static char	 req[WORKER_REQ_MAX + 1];
static char	 made[WORKER_REQ_MAX];
static char	*argv[WORKER_ARGS_MAX + 1], *envp[WORKER_ARGS_MAX + 1];

/* count - the strings of a list read back, each within req, in order. */
static size_t
count(char **list, char **after)
{
	size_t k;

	for (k = 0; list[k] != NULL; k++) {
		CHECK(list[k] >= *after && list[k] < req + sizeof(req));
		*after = list[k] + strlen(list[k]) + 1;
	}
	return k;
}

/* read_input - the input as a request, as the worker reads one. */
static void
read_input(const uint8_t *data, size_t size)
{
	uint64_t tag;
	size_t n, nargs, nenv;
	char *after = req + sizeof(struct worker_head);

	memcpy(req, data, size);
	if (worker_req_read(req, size, &tag, argv, envp) == -1)
		return;
	nargs = count(argv, &after);
	nenv = count(envp, &after);
	CHECK(nargs >= 1 && nargs <= WORKER_ARGS_MAX);
	CHECK(nenv <= WORKER_ARGS_MAX);
	CHECK(after == req + size);
	n = worker_req_make(made, tag, argv, envp);
	CHECK(n == size);
	CHECK(memcmp(made, data, size) == 0);
}

/*
 * make_input - the input cut at its NULs into strings, by turns an
 * argument and a variable (up to one over each limit), its first bytes
 * the tag: made into a request, which is refused exactly when it breaks
 * a limit, and otherwise reads back to the same strings.
 */
static void
make_input(const uint8_t *data, size_t size)
{
	static char copy[WORKER_REQ_MAX + 1];
	char *a[WORKER_ARGS_MAX + 2], *v[WORKER_ARGS_MAX + 2], *p, *end;
	uint64_t tag = 0, got;
	size_t na = 0, nv = 0, n, i, total = sizeof(struct worker_head);

	memcpy(copy, data, size);
	copy[size] = '\0';
	memcpy(&tag, copy, size < sizeof(tag) ? size : sizeof(tag));
	for (p = copy, end = copy + size, i = 0; p < end;
	    p += strlen(p) + 1, i++) {
		if (i % 2 == 0 && na <= WORKER_ARGS_MAX)
			a[na++] = p;
		else if (i % 2 == 1 && nv <= WORKER_ARGS_MAX)
			v[nv++] = p;
		else
			continue;
		total += strlen(p) + 1;
	}
	a[na] = v[nv] = NULL;
	n = worker_req_make(made, tag, a, v);
	if (na == 0 || na > WORKER_ARGS_MAX || nv > WORKER_ARGS_MAX ||
	    total > WORKER_REQ_MAX) {
		CHECK(n == 0);
		return;
	}
	CHECK(n == total);
	memcpy(req, made, n);
	CHECK(worker_req_read(req, n, &got, argv, envp) == 0);
	CHECK(got == tag);
	for (i = 0; i < na; i++)
		CHECK(argv[i] != NULL && strcmp(argv[i], a[i]) == 0);
	CHECK(argv[na] == NULL);
	for (i = 0; i < nv; i++)
		CHECK(envp[i] != NULL && strcmp(envp[i], v[i]) == 0);
	CHECK(envp[nv] == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > WORKER_REQ_MAX)
		return 0;
	read_input(data, size);
	make_input(data, size);
	return 0;
}
