/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * queue_drop - the drop file, the one file format any local user can
 * write: qinject makes it, sched reads it as hostile input.
 *
 *	"QPDROP1 " 20-digit message length "\n"	(QDROP_HDR_LEN bytes)
 *	the message, exactly that many bytes
 *	the envelope: fields F (sender, possibly empty), T (recipient,
 *	at least one, each optionally followed by D, its DSN NOTIFY
 *	letters, and X, its ORCPT), optional O (SMTPUTF8 "1"), optional
 *	Y (DSN RET: "F" or "H") and J (DSN ENVID), then the end marker
 *	field "Z0:," and nothing after it.
 *
 * See qpost-queue(5).
 */
#ifndef QPOST_QUEUE_DROP_H
#define QPOST_QUEUE_DROP_H

#include <stddef.h>
#include <stdint.h>

#include "dsnparam.h"
#include "sa.h"

#define QDROP_MAGIC	"QPDROP1 "
#define QDROP_HDR_LEN	29
#define QDROP_ENV_MAX	(8u * 1024 * 1024)	/* envelope bytes */
#define QDROP_RCPT_MAX	100000			/* recipients */
#define QDROP_MSG_MAX	(1024ULL * 1024 * 1024)	/* message bytes */
#define QDROP_MIN	(QDROP_HDR_LEN + 8)	/* header, F0:, T, Z0: */

struct qdrop_env {
	struct sa	 sender;	/* NUL-terminated */
	struct sa	 rcpts;		/* each NUL-terminated, back to back */
	size_t		 nrcpt;
	int		 is_utf8;
	struct dsn_msg	 dsn;		/* RET, ENVID, and hold (H) */
	struct sa	 rcpt_dsn;	/* a dsnparam.h list entry for each
					   recipient, or empty: none asked */
};

void	qdrop_header(char [QDROP_HDR_LEN], uint64_t);
int	qdrop_parse_header(const char *, size_t, uint64_t *);
const char *qdrop_layout(uint64_t, uint64_t);
int	qdrop_env_encode(struct sa *, const char *, const struct sa *, int,
	    const struct dsn_msg *, const struct sa *);
int	qdrop_env_parse(const char *, size_t, struct qdrop_env *);
void	qdrop_env_free(struct qdrop_env *);

#endif
