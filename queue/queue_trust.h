/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * queue_trust - who may claim which envelope sender.  The owner uid of
 * a drop file is the one fact about its origin nobody can forge; a uid
 * the admin has not listed in control/trusted may only send as itself.
 * qinject checks it to give the user a clear error; sched checks it
 * again, because drop files are hostile.
 */
#ifndef QPOST_QUEUE_TRUST_H
#define QPOST_QUEUE_TRUST_H

#include <sys/types.h>

#include "sa.h"

struct trust {
	struct sa	trusted;	/* control/trusted entries */
	int		has_list;	/* control/trusted exists */
	uid_t		queue_owner;	/* owner of the queue root */
	struct sa	locals;		/* local domains */
	struct sa	me;		/* control/me */
	struct sa	origin;		/* control/origin, else me */
	struct sa	vdomains;	/* control/virtualdomains' text */
};

int	trust_load(struct trust *, int);
void	trust_free(struct trust *);
int	trust_uid_trusted(const struct trust *, uid_t);
int	trust_sender_ok(const struct trust *, uid_t, const char *);
int	trust_is_local_domain(const struct trust *, const char *);
int	trust_me(struct sa *);
int	trust_origin(struct sa *, const char *);

#endif
