/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * queue_dsn - delivery status notifications (RFC 3464, and RFC 6533
 * for internationalized mail): the bounces, delay notices and double
 * bounces sched queues.  A notice is a multipart/report of three
 * parts: a text for people naming each recipient and the reason, the
 * report for programs, and the original message (whole up to a size
 * limit, else its header).  The format is in qpost-queue(5).
 */
#ifndef QPOST_QUEUE_DSN_H
#define QPOST_QUEUE_DSN_H

#include <sys/types.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "queue_env.h"

#define DSN_FAILED	'f'	/* a bounce: the failed recipients, and
				   those whose success is to be told */
#define DSN_DELAYED	'd'	/* a delay notice: the pending ones */
#define DSN_SUCCESS	's'	/* dsn_parse_result: a success's text */

#define DSN_HEADER_MAX	(64u * 1024)	/* bytes of a header sent back */
#define DSN_STATUS_MAX	16		/* "5.123.123" and a NUL */
#define DSN_HOST_MAX	256

struct dsn_params {
	const struct qenv	*e;	/* the message reported on */
	const char		*me;	/* control/me: Reporting-MTA */
	const char		*id;	/* the notice's own queue id */
	const char		*to;	/* who gets it (header To:) */
	char			 action;	/* DSN_FAILED, DSN_DELAYED */
	int			 is_double;	/* e is a bounce that failed */
	time_t			 now;
	time_t			 retry_until;	/* for DSN_DELAYED */
	int			 mess_fd;	/* e's message, read by pread */
	long long		 maxbytes;	/* sent whole up to this size */
};

/* what a recipient's result text says, for the report */
struct dsn_result {
	char		 status[DSN_STATUS_MAX];	/* x.y.z */
	char		 remote[DSN_HOST_MAX];	/* "" if not a server's */
	const char	*diag;		/* the server's reply, or NULL */
	size_t		 diaglen;
};

void	dsn_parse_result(const char *, char, struct dsn_result *);
int	dsn_reported(char, const struct qrcpt *);
int	dsn_is_global(const struct dsn_params *);
int	dsn_fd_contains(int, off_t, const char *, int *);
off_t	dsn_header_len(int, off_t);
int	dsn_write(const struct dsn_params *, struct buf *);

#endif
