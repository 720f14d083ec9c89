/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * queue_ctl - the command lines of the control FIFO, queue/ctl, which
 * qctl writes and sched reads.  One command per line, written with one
 * write(2) so that lines from several writers never mix:
 *
 *	flush			every pending recipient is due now
 *	flush <domain>		the same, for recipients in one domain
 *	hold <id>		no delivery of the message starts
 *	release <id>		undo hold; its pending recipients are due now
 *	delete <id>		remove the message; no bounce
 *	bounce <id>		fail every pending recipient now: the sender
 *				gets one bounce
 *	reload			read the control files again, as on SIGHUP
 *
 * Strict: lowercase verbs, one space before the argument, a 16-digit
 * queue id or an ASCII domain name, no other byte; the line without
 * its newline fits QCTL_LINE_MAX.  See qctl(8) and qpost-queue(5).
 */
#ifndef QPOST_QUEUE_CTL_H
#define QPOST_QUEUE_CTL_H

#include <stddef.h>

#include "queue_id.h"

#define QFILE_CTL	"ctl"	/* the FIFO, relative to the queue root */
#define QCTL_LINE_MAX	300	/* bytes in a line, newline not counted */
#define QCTL_DOMAIN_MAX	253	/* bytes in a domain name */

enum qctl_verb {
	QCTL_FLUSH,
	QCTL_HOLD,
	QCTL_RELEASE,
	QCTL_DELETE,
	QCTL_BOUNCE,
	QCTL_RELOAD
};

struct qctl_cmd {
	enum qctl_verb	 verb;
	char		 id[QID_LEN + 1];	/* "" for flush, reload */
	char		 domain[QCTL_DOMAIN_MAX + 1];	/* flush; "" = all */
};

int	qctl_parse(const char *, size_t, struct qctl_cmd *, const char **);
int	qctl_format(const struct qctl_cmd *, char *, size_t);
int	qctl_verb(const char *, enum qctl_verb *);
const char *qctl_verb_name(enum qctl_verb);
int	qctl_domain_ok(const char *, size_t);

#endif
