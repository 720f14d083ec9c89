/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local_worker.h - what lspawn and `local -W' say to each other over
 * the SOCK_SEQPACKET pair between them (qpost-lspawn(8), WORKERS).
 *
 * A request is one packet: struct worker_head (the tag lspawn chose,
 * how many arguments and variables follow), then local's arguments and
 * the environment's "name=value" strings, each NUL-terminated (an
 * argument may be empty: the sender <> is); with it
 * (SCM_RIGHTS) exactly two descriptors: the message file, read-only,
 * and the write end of the pipe for local's result text.  The worker
 * forks, and the child is local started with those arguments,
 * environment, and descriptors on 0 and 1.
 *
 * A report is one packet, struct worker_report: the tag, and the
 * child's wait status once it has ended.  lspawn believes a report
 * only for a tag of a delivery it gave that same worker.
 */
#ifndef QPOST_LOCAL_WORKER_H
#define QPOST_LOCAL_WORKER_H

#include <stddef.h>
#include <stdint.h>

#define WORKER_REQ_MAX	16384	/* bytes in a request */
#define WORKER_ARGS_MAX	32	/* arguments, and variables, in one */

struct worker_head {
	uint64_t	tag;
	uint32_t	argc;	/* at least 1, at most WORKER_ARGS_MAX */
	uint32_t	envc;	/* at most WORKER_ARGS_MAX */
};

struct worker_report {
	uint64_t	tag;
	int32_t		wstatus;
	int32_t		pad;	/* zero: a fixed size, no hole */
};

/* worker_req.c */
size_t	worker_req_make(char *, uint64_t, char *const [], char *const []);
int	worker_req_read(char *, size_t, uint64_t *, char **, char **);

#endif
