/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * spawn_rec - the records between sched and the spawners (lspawn,
 * rspawn), each a netstring-framed record of rec.h fields:
 *
 *	request (sched to spawner): J<job> I<message id> F<sender>
 *	    [G1] [Y<ret>] [J<envid>], then one or more R<recipient>,
 *	    each followed by its [D<notify>] [X<orcpt>]
 *	result (spawner to sched): J<job>, then for each recipient of the
 *	    request, in order, S<K|Z|D> T<text> [P1] [X1], and after a K from
 *	    lspawn forwards sched must queue: groups of V<delivered-to>
 *	    (the Delivered-To address of the copy) A<address> ...
 *
 * G1 says the delivery may have been made before, by a sched that
 * crashed before it saved the result, or by an earlier try: lspawn
 * then has local look for the copy a mail reader may have moved out
 * of new/ (local -a).  Y, J, D and X are the DSN requests of RFC 3461
 * (dsnparam.h: RET as DSN_RET_FULL or _HDRS, ENVID in xtext, NOTIFY as
 * letters, ORCPT as type;xtext), each at most once and in that order;
 * rspawn passes them to a next hop that offers DSN, lspawn has no use
 * for them.  K is delivered, Z a temporary failure, D a permanent one
 * (the letters of qmail-remote).  P1, after a K only, says the next
 * hop offered DSN and was given the requests: it, not we, tells the
 * sender about the delivery from there on; X1, after a K from lspawn,
 * that it went to more than one mailbox or target (RFC 3461's
 * "expanded").  A forward is queued by
 * sched, not by the user's `local', so that it keeps the original
 * envelope sender without the user being trusted to choose senders:
 * the delivery is done only once the copy to the forward addresses is
 * in the queue.  See qpost-queue(5).
 */
#ifndef QPOST_SPAWN_REC_H
#define QPOST_SPAWN_REC_H

#include <stddef.h>

#include "addr.h"
#include "dsnparam.h"
#include "queue_id.h"
#include "sa.h"

#define SPAWN_RCPT_MAX	1000	/* recipients in one request */
#define SPAWN_TEXT_MAX	1000	/* bytes of result text */
#define SPAWN_FWD_MAX	100	/* forward addresses for one recipient */

#define SPAWN_OK	'K'
#define SPAWN_TEMP	'Z'
#define SPAWN_PERM	'D'

struct spawn_req {
	unsigned long long	  job;
	char			  id[QID_LEN + 1];
	char			  sender[ADDR_PATH_MAX + 1];
	int			  is_again;	/* G1: may repeat one made */
	struct dsn_msg		  dsn;		/* Y and J */
	size_t			  nrcpt;
	char			(*rcpt)[ADDR_PATH_MAX + 1];
	struct sa		  rcpt_dsn;	/* D and X: a dsnparam.h list
						   entry for each recipient,
						   empty when none asked */
};

struct spawn_status {
	char		 status;
	char		 text[SPAWN_TEXT_MAX + 1];
	int		 dsn_passed;	/* P1: the next hop tells of it */
	int		 is_expanded;	/* X1: lspawn delivered it to more
					   than one mailbox or target */
	size_t		 nfwd;
	struct sa	 fwd;	/* nfwd pairs of NUL-terminated strings:
				   Delivered-To address, forward address */
};

struct spawn_res {
	unsigned long long	 job;
	size_t			 n;
	struct spawn_status	*st;
};

int	spawn_req_encode(struct sa *, unsigned long long, const char *,
	    const char *, int, const char *const *, size_t,
	    const struct dsn_msg *, const struct sa *);
int	spawn_req_decode(const char *, size_t, struct spawn_req *);
void	spawn_req_free(struct spawn_req *);
int	spawn_res_encode(struct sa *, const struct spawn_res *);
int	spawn_res_decode(const char *, size_t, struct spawn_res *);
void	spawn_res_free(struct spawn_res *);
int	spawn_res_alloc(struct spawn_res *, unsigned long long, size_t);
void	spawn_res_set(struct spawn_res *, size_t, char, const char *);
int	spawn_res_forward(struct spawn_res *, size_t, const char *,
	    const char *);
int	spawn_status_expanded(const struct spawn_status *);

#endif
