/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * worker_req - a request from lspawn to `local -W', made and read: the
 * format is in local_worker.h.  In a file of its own so that both ends
 * share it and the fuzz target (tests/fuzz/fuzz_worker.c) meets the
 * reader alone.
 */
#include <string.h>

#include "local_worker.h"

/*
 * put - the strings of list, each with its NUL, at *n in buf (of size
 * bytes); their number in *count: 0, or -1 when they do not fit.
 */
static int
put(char *buf, size_t size, size_t *n, char *const list[], uint32_t *count)
{
	size_t len;

	for (*count = 0; list[*count] != NULL; (*count)++) {
		len = strlen(list[*count]) + 1;
		if (*count == WORKER_ARGS_MAX || len > size - *n)
			return -1;
		memcpy(buf + *n, list[*count], len);
		*n += len;
	}
	return 0;
}

/*
 * worker_req_make - the request for a delivery into buf (at most
 * WORKER_REQ_MAX bytes): its length, or 0 when the arguments (at least
 * one) and variables do not fit.
 */
size_t
worker_req_make(char *buf, uint64_t tag, char *const argv[],
    char *const envp[])
{
	struct worker_head h;
	size_t n = sizeof(h);

	memset(&h, 0, sizeof(h));
	h.tag = tag;
	if (put(buf, WORKER_REQ_MAX, &n, argv, &h.argc) == -1 ||
	    h.argc == 0 ||
	    put(buf, WORKER_REQ_MAX, &n, envp, &h.envc) == -1)
		return 0;
	memcpy(buf, &h, sizeof(h));
	return n;
}

/*
 * split - n strings from p (none past end) into list, which ends with
 * NULL: the position after them, or NULL when they are not there.
 */
static char *
split(char *p, const char *end, uint32_t n, char **list)
{
	char *nul;
	uint32_t k;

	for (k = 0; k < n; k++) {
		if (p >= end || (nul = memchr(p, '\0', (size_t)(end - p))) ==
		    NULL)
			return NULL;
		list[k] = p;
		p = nul + 1;
	}
	list[n] = NULL;
	return p;
}

/*
 * worker_req_read - the n bytes of req as a request: its tag, and argv
 * and envp (each of WORKER_ARGS_MAX + 1 slots) pointing into req.
 * Returns 0, or -1 unless the request is exactly as worker_req_make
 * makes them.
 */
int
worker_req_read(char *req, size_t n, uint64_t *tag, char **argv, char **envp)
{
	struct worker_head h;
	char *p, *end = req + n;

	if (n < sizeof(h) || n > WORKER_REQ_MAX)
		return -1;
	memcpy(&h, req, sizeof(h));
	p = req + sizeof(h);
	if (h.argc < 1 || h.argc > WORKER_ARGS_MAX ||
	    h.envc > WORKER_ARGS_MAX ||
	    (p = split(p, end, h.argc, argv)) == NULL ||
	    (p = split(p, end, h.envc, envp)) == NULL || p != end)
		return -1;
	*tag = h.tag;
	return 0;
}
