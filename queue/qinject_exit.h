/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qinject_exit - qinject's exit codes: qmail-queue's table, so that
 * smtpd and filters written for qmail-queue map them the same way.
 * 11 to 40 are permanent, everything else from 1 to 99 temporary.
 * Documented in qinject(1).
 */
#ifndef QPOST_QINJECT_EXIT_H
#define QPOST_QINJECT_EXIT_H

#define QI_OK		0	/* queued, durably */
#define QI_TOOLONG	11	/* address too long or invalid */
#define QI_REFUSED	31	/* permanently refused (policy, usage) */
#define QI_SPF_FAIL	32	/* qpverify: SPF fail, control/verify rejects */
#define QI_DMARC_FAIL	33	/* qpverify: DMARC fail under p=reject */
#define QI_NOMEM	51	/* out of memory */
#define QI_TIMEOUT	52	/* timeout */
#define QI_WRITE	53	/* write error, e.g. disk full or below minfree */
#define QI_READ		54	/* unable to read the message or envelope */
#define QI_CONTROL	55	/* unable to read a control file */
#define QI_QUEUEDIR	62	/* problem with the queue directory */
#define QI_DROPFILE	63	/* problem with the drop file */
#define QI_TEMPREFUSED	71	/* temporarily refused */
#define QI_BUG		81	/* internal bug */
#define QI_ENVELOPE	91	/* envelope format error */

#define QI_IS_PERMANENT(c)	((c) >= 11 && (c) <= 40)

#endif
