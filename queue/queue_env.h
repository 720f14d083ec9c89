/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * queue_env - sched's envelope and state file, env/<id>: who sent the
 * message, and per recipient where it stands.  Only sched writes it,
 * always whole, through atomic_write_file().
 *
 *	V1:1,  I<id>  U<injector uid>  A<arrival, unix time>  F<sender>
 *	then, each optional and in this order, O1:1, (SMTPUTF8),
 *	B<bounce id> (a bounce planned or made for the failed recipients),
 *	K<kind> (a notice sched made: b bounce, w delay warning, d double
 *	bounce), P<notice id> (a delay notice planned or made), W1:1,
 *	(the delay notice is done: never another), H1:1, (held by
 *	qctl: not delivered until released), Y<DSN RET: F or H> and
 *	J<DSN ENVID>, then per recipient:
 *	R<address> S<state> C<attempts> N<next attempt> E<last error>
 *	and optionally L<last attempt>, D<DSN NOTIFY letters> and
 *	X<DSN ORCPT>, and the end marker Z0:, as the last bytes.
 *
 * States: p pending, d delivered, f failed for good (a bounce is due),
 * b bounced (the bounce is queued, or was not needed); and for a
 * recipient whose NOTIFY asked for SUCCESS, a success notice due:
 * s delivered, r relayed to a next hop that does not offer DSN, x
 * expanded to several forward addresses; d once it is queued.
 * See qpost-queue(5).
 */
#ifndef QPOST_QUEUE_ENV_H
#define QPOST_QUEUE_ENV_H

#include <sys/types.h>
#include <stddef.h>
#include <time.h>

#include "dsnparam.h"
#include "queue_id.h"
#include "sa.h"

#define QENV_MAX	(16u * 1024 * 1024)	/* bytes in an env file */
#define QENV_ERR_MAX	1000			/* bytes of error text */

#define RCPT_PENDING	'p'
#define RCPT_DELIVERED	'd'
#define RCPT_FAILED	'f'
#define RCPT_BOUNCED	'b'
#define RCPT_TELL_DELIVERED	's'	/* delivered: success notice due */
#define RCPT_TELL_RELAYED	'r'	/* relayed: its notice due */
#define RCPT_TELL_EXPANDED	'x'	/* expanded: its notice due */
#define RCPT_STATES	"pdfbsrx"

/* what a message is, when sched made it (K): how its failure is told */
#define QKIND_MAIL	'\0'	/* anybody's mail: bounced to its sender */
#define QKIND_BOUNCE	'b'	/* a bounce: a double bounce if it fails */
#define QKIND_WARN	'w'	/* a delay notice: dropped if it fails */
#define QKIND_DOUBLE	'd'	/* a double bounce: dropped if it fails */

struct qrcpt {
	char		*addr;
	char		 state;
	unsigned	 tries;
	time_t		 next;
	char		*error;
	time_t		 last;	/* last attempt, 0 if none known (L) */
	unsigned	 notify;	/* DSN NOTIFY (D), 0 if not given */
	char		*orcpt;	/* DSN ORCPT, xtext (X), or NULL */
	int		 busy;	/* in memory only: a delivery is running */
	int		 queued;	/* in memory only: waiting for a slot */
};

struct qenv {
	char		 id[QID_LEN + 1];
	char		 bounce_id[QID_LEN + 1];	/* "" if none */
	unsigned long	 uid;
	time_t		 arrival;
	char		*sender;
	int		 is_utf8;
	char		 kind;		/* QKIND_* */
	char		 notice_id[QID_LEN + 1];	/* delay notice or "" */
	int		 warned;	/* the delay notice is done (W) */
	int		 held;		/* qctl hold: no delivery starts */
	struct dsn_msg	 dsn;		/* DSN RET (Y) and ENVID (J) */
	/*
	 * in memory only: the message was in the queue before this sched
	 * started, so a delivery of it may repeat one whose result a
	 * crash lost (sched_start)
	 */
	int		 is_older;
	size_t		 nrcpt;
	struct qrcpt	*rcpt;
};

int	qenv_encode(const struct qenv *, struct sa *);
int	qenv_decode(const char *, size_t, struct qenv *);
int	qenv_add_rcpt(struct qenv *, const char *);
int	qenv_set_error(struct qrcpt *, const char *);
int	qenv_set_dsn(struct qrcpt *, const struct dsn_rcpt *);
void	qenv_get_dsn(const struct qrcpt *, struct dsn_rcpt *);
int	qenv_tell_due(const struct qrcpt *);
void	qenv_free(struct qenv *);

#endif
