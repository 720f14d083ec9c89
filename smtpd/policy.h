/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * policy - the client side of Postfix's SMTP access policy delegation
 * protocol (Postfix's SMTPD_POLICY_README), so that the policy servers
 * written for it (postgrey's greylisting, policyd-spf, rate limiters)
 * serve smtpd unchanged.  A request is "name=value" lines and an empty
 * line; so is the reply, which must hold "action=".  This file only
 * builds, parses and decides: smtpd_policy.c talks to the servers.
 *
 * Every reply is treated as hostile: it must end with its empty line
 * within POLICY_REPLY_MAX bytes, hold printable text only, and name an
 * action this file knows; the text put in an SMTP reply or a header is
 * printable ASCII, never a line break.
 */
#ifndef QPOST_POLICY_H
#define QPOST_POLICY_H

#include <stddef.h>

#include "lmtp_client.h"
#include "sa.h"

#define POLICY_REPLY_MAX	4096	/* a whole reply */
#define POLICY_TEXT_MAX		400	/* text of an SMTP reply or header */
#define POLICY_MAX		8	/* services in control/policy */

/* what a reply decides */
enum policy_verdict {
	POLICY_DUNNO,	/* no opinion: ask the next server, then accept */
	POLICY_OK,	/* accept, ask no further server */
	POLICY_REFUSE,	/* reply code and text below */
	POLICY_PREPEND,	/* accept, and add the header in text */
	POLICY_DISCARD,	/* accept, and drop the whole message */
	POLICY_REDIRECT,	/* accept; the message goes to text only */
	POLICY_BCC,	/* accept; the message goes to text too */
	POLICY_HOLD	/* accept; the message is queued held */
};

struct policy_action {
	enum policy_verdict	verdict;
	int			code;		/* POLICY_REFUSE: 4xx or 5xx */
	char			status[16];	/* its enhanced code */
	char			text[POLICY_TEXT_MAX + 1];
	const char		*ignored;	/* an action taken as DUNNO:
						   its name, for the log */
};

int	policy_load(struct lmtp_dest[POLICY_MAX], size_t *);
	/* control/policy's servers (none when it is absent): 0, or -1
	   when it is broken (logged) */
int	policy_addr_parse(const char *, struct lmtp_dest *);
	/* a control/policy line, as a milter's (milter_dest_parse):
	   "unix:/path" without blanks, "inet:ADDR:PORT" or
	   "inet:[ADDR6]:PORT", the address numeric: 0, or -1 */
int	policy_attr(struct sa *, const char *, const char *);
	/* "name=value\n", the value cut at its first control byte: 0 or
	   -1 (out of memory) */
int	policy_reply_end(const char *, size_t);
	/* how many bytes the reply takes (through its empty line), 0 if
	   it has not ended yet, -1 when it cannot be one (too long, a NUL) */
int	policy_reply_parse(const char *, size_t, struct policy_action *,
	    const char **);
	/* a whole reply (policy_reply_end's length): 0, or -1 with why */
int	policy_action_parse(const char *, struct policy_action *);
	/* one action value: 0, or -1 when it is unknown or bad */
int	policy_refuse(struct policy_action *, int, const char *, const char *,
	    const char *);
	/* a refusal with code, an enhanced status of dflt's class taken
	   from the start of text (else dflt), the rest of text made
	   printable (else none): 0 */
int	policy_is_header(const char *);
	/* "Name:" then anything, Name as RFC 5322 2.2 has it: 1 or 0 */

#endif
