/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sendmail - the parts of the sendmail command: the options it was
 * given (sendmail.c), the message read, completed and handed to
 * qinject (sendmail_inject.c), and the input filter (sendmail_body.c,
 * in the library for its unit tests).
 */
#ifndef QPOST_SENDMAIL_H
#define QPOST_SENDMAIL_H

#include <stddef.h>

#include "dsnparam.h"

/* sysexits(3), the exit codes programs that run sendmail expect */
#define SM_EX_OK		0
#define SM_EX_USAGE		64	/* bad command line */
#define SM_EX_DATAERR		65	/* bad message (header syntax) */
#define SM_EX_NOUSER		67	/* a recipient address is invalid */
#define SM_EX_UNAVAILABLE	69	/* a mode qpost does not offer */
#define SM_EX_SOFTWARE		70	/* internal error */
#define SM_EX_OSERR		71	/* fork, exec, out of memory */
#define SM_EX_IOERR		74	/* reading the message failed */
#define SM_EX_TEMPFAIL		75	/* try again later */
#define SM_EX_NOPERM		77	/* refused: e.g. the envelope sender */

struct sm_opts {
	int		 extract;	/* -t */
	int		 dot_ends;	/* no -i / -oi */
	const char	*sender;	/* -f / -r, or NULL */
	const char	*fullname;	/* -F, or NULL */
	char		**rcpts;	/* the arguments */
	int		 nrcpts;
	struct dsn_msg	 dsn;		/* -R, -V */
	struct dsn_rcpt	 every_rcpt;	/* -N, for each recipient */
};

int	sendmail_inject(const struct sm_opts *);
int	sendmail_exit_code(int);

/*
 * The input filter: CRLF becomes LF (the queue stores LF, as qmail
 * does), and without -i a line holding a lone "." ends the message.
 * body_filter_run writes at most n + 2 bytes to out and returns how
 * many; *ended becomes 1 at the lone dot (what follows is ignored).
 * body_filter_end writes what is still pending at end of input (at
 * most 2 bytes).
 */
struct body_filter {
	int	 dot_ends;
	int	 at_bol;	/* the next byte starts a line */
	char	 pend[2];	/* ".", ".\r" or "\r", held back */
	size_t	 npend;
	int	 ended;
};

void	body_filter_init(struct body_filter *, int);
size_t	body_filter_run(struct body_filter *, const char *, size_t, char *);
size_t	body_filter_end(struct body_filter *, char *);

#endif
