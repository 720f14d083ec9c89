/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_verify - smtpd's side of the checks of mail on the way in
 * (qpost-qpverify(8)): name the client to the qinject about to start
 * when this is mail that needs them, and word the replies for the
 * exit codes by which qpverify refuses a message.
 *
 * Mail needs checking when it comes on port 25: not on submission (-a)
 * or SMTPS (-s), not from a local user (-l), not from an authenticated
 * client, not from a client allowed to relay (control/relay or
 * RELAYCLIENT): those are ours, and DKIM signing, not checking, is
 * what they get.
 */
#include <stdlib.h>

#include "qinject_exit.h"
#include "smtpd.h"

/* smtpd_verify_env - QPOST_VERIFY_* for the next qinject, or none. */
void
smtpd_verify_env(const struct session *s)
{
	if (s->authenticated || s->may_relay == 1 || s->needs_auth ||
	    s->implicit_tls || s->is_local) {
		unsetenv("QPOST_VERIFY_IP");
		unsetenv("QPOST_VERIFY_HELO");
		unsetenv("QPOST_VERIFY_FROM");
		return;
	}
	setenv("QPOST_VERIFY_IP", s->ip, 1);
	setenv("QPOST_VERIFY_HELO", s->helo, 1);
	setenv("QPOST_VERIFY_FROM", s->sender, 1);
}

/* smtpd_verify_reply - the reply to a refusal by qpverify, or NULL. */
const char *
smtpd_verify_reply(int code)
{
	switch (code) {
	case QI_SPF_FAIL:
		/* RFC 7372 3.2: 5.7.23, SPF validation failed */
		return "550 5.7.23 Message refused: the sender's domain "
		    "does not allow this host to send its mail (SPF fail)";
	case QI_DMARC_FAIL:
		return "550 5.7.1 Message refused: the From: domain's DMARC "
		    "policy says to reject mail that fails it";
	}
	return NULL;
}
