/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_cmd - parsing one SMTP command line (CRLF already removed) and
 * the arguments of MAIL and RCPT.  Pure functions, fuzzed.
 */
#ifndef QPOST_SMTPD_CMD_H
#define QPOST_SMTPD_CMD_H

#include <stddef.h>

#include "addr.h"
#include "dsnparam.h"

#define CMD_LINE_MAX	512	/* octets, CRLF included (4.5.3.1.4) */

enum smtp_verb {
	VERB_UNKNOWN,
	VERB_HELO,
	VERB_EHLO,
	VERB_MAIL,
	VERB_RCPT,
	VERB_DATA,
	VERB_BDAT,
	VERB_RSET,
	VERB_NOOP,
	VERB_QUIT,
	VERB_VRFY,
	VERB_EXPN,
	VERB_HELP,
	VERB_STARTTLS,
	VERB_AUTH
};

struct smtp_cmd {
	enum smtp_verb	 verb;
	const char	*arg;	/* after the verb and one space; "" if none */
	size_t		 arglen;
};

struct mail_args {
	struct addr		 addr;		/* is_null for <> */
	int			 has_size;
	unsigned long long	 size;		/* SIZE= */
	int			 body_8bit;	/* BODY=8BITMIME */
	int			 smtputf8;	/* SMTPUTF8 */
	int			 has_auth;
	char			 auth[ADDR_PATH_MAX + 1];	/* AUTH=, xtext decoded */
	struct dsn_msg		 dsn;		/* RET=, ENVID= (RFC 3461) */
};

struct rcpt_args {
	struct addr	 addr;
	int		 is_postmaster;	/* <Postmaster>, no domain */
	struct dsn_rcpt	 dsn;		/* NOTIFY=, ORCPT= (RFC 3461) */
};

/* results of cmd_parse_mail and cmd_parse_rcpt */
#define ARGS_OK		0
#define ARGS_SYNTAX	501	/* 5.5.4 / 5.1.7 / 5.1.3 */
#define ARGS_UNKNOWN	555	/* 5.5.4: a parameter we do not offer */
#define ARGS_TOOLONG	553	/* 5.1.x: an address over the limits */
#define ARGS_PARAM	5014	/* 501 5.5.4: a DSN parameter wrong or
				   repeated; *err is dsnparam's reason */

int	cmd_parse(const char *, size_t, struct smtp_cmd *);
const char *cmd_verb_name(enum smtp_verb);
int	cmd_parse_mail(const char *, size_t, int, struct mail_args *,
	    const char **);
int	cmd_parse_rcpt(const char *, size_t, int, struct rcpt_args *,
	    const char **);
int	cmd_parse_bdat(const char *, size_t, unsigned long long *, int *);

#endif
