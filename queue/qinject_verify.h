/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qinject_verify - qinject's one step for mail smtpd took on port 25
 * from an unauthenticated client that may not relay: smtpd names the
 * client in qinject's environment (QPOST_VERIFY_IP, QPOST_VERIFY_HELO,
 * QPOST_VERIFY_FROM) and, unless control/verify is absent or "off",
 * qinject runs qpverify over the message before it queues it.
 */
#ifndef QPOST_QINJECT_VERIFY_H
#define QPOST_QINJECT_VERIFY_H

void	qinject_verify(int);
	/* with drop/'s descriptor: when asked, the message on fd 0 goes
	   through qpverify and fd 0 becomes its output (with our
	   Authentication-Results field); dies with qpverify's exit code
	   when it refuses the message or fails */

#endif
