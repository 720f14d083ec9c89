/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * dsnparam - the DSN requests of RFC 3461: what a client asks, with
 * MAIL's RET and ENVID and RCPT's NOTIFY and ORCPT, to be told about
 * its message.  smtpd and qinject parse them from the client; they
 * travel as an extension of qmail-queue's envelope (a trailer after
 * its last NUL), in the drop file and in sched's env file, and remote
 * passes them to a next hop that offers DSN.  ENVID and ORCPT stay in
 * their xtext form (printable ASCII, no space, no '=') all the way and
 * are decoded only into a notice.
 *
 * The envelope trailer, after the NUL that ends qmail-queue's
 * recipient list, all optional:
 *
 *	"D" [RET=FULL|HDRS] [" " ENVID=xtext] [" " HOLD] NUL
 *	then for the k-th recipient, in order: "N" [NOTIFY=...]
 *	    [" " ORCPT=type;xtext] NUL
 *
 * (the parameters as a client sends them, one space apart, and qpost's
 * own HOLD, which has no value); recipients after the last "N" have
 * asked for nothing.
 */
#ifndef QPOST_DSNPARAM_H
#define QPOST_DSNPARAM_H

#include <stddef.h>

#include "sa.h"

#define DSN_NOTIFY_SUCCESS	0x1
#define DSN_NOTIFY_FAILURE	0x2
#define DSN_NOTIFY_DELAY	0x4
#define DSN_NOTIFY_NEVER	0x8	/* alone: no notice at all */

#define DSN_RET_FULL	'F'
#define DSN_RET_HDRS	'H'

#define DSN_ENVID_MAX	100	/* bytes of ENVID's xtext (RFC 3461 4.4) */
#define DSN_ORCPT_MAX	500	/* bytes of ORCPT's value (RFC 3461 4.2) */
#define DSN_LETTERS_MAX	3	/* "SFD" or "N" */

/* what one recipient asked for: 0 and "" when nothing */
struct dsn_rcpt {
	unsigned	notify;			/* DSN_NOTIFY_* */
	char		orcpt[DSN_ORCPT_MAX + 1];	/* type;xtext */
};

/*
 * what the sender asked for, for the whole message; and hold, not a
 * request of RFC 3461 but qpost's own that rides with them: queue the
 * message held (smtpd's HOLD action), for qctl(8) to release
 */
struct dsn_msg {
	char		ret;			/* 0, DSN_RET_FULL or _HDRS */
	char		envid[DSN_ENVID_MAX + 1];	/* xtext, "" none */
	int		hold;			/* 0, or 1: held */
};

int	dsn_xtext_ok(const char *, size_t);
int	dsn_xtext_decode(const char *, size_t, struct sa *);
int	dsn_xtext_encode(struct sa *, const char *, size_t);
int	dsn_notify_parse(const char *, size_t, unsigned *);
int	dsn_notify_smtp(unsigned, struct sa *);
void	dsn_notify_letters(unsigned, char [DSN_LETTERS_MAX + 1]);
int	dsn_letters_parse(const char *, size_t, unsigned *);
int	dsn_ret_parse(const char *, size_t);
int	dsn_orcpt_ok(const char *, size_t);
int	dsn_envid_ok(const char *, size_t);

int	dsn_mail_param(const char *, size_t, const char *, size_t,
	    struct dsn_msg *, const char **);
int	dsn_rcpt_param(const char *, size_t, const char *, size_t,
	    struct dsn_rcpt *, const char **);

/*
 * A list of recipients' requests, compact: for each, its NOTIFY
 * letters (dsn_notify_letters), a NUL, its ORCPT, a NUL.
 */
int	dsn_list_add(struct sa *, const struct dsn_rcpt *);
int	dsn_list_repeat(struct sa *, const struct dsn_rcpt *, size_t);
const char *dsn_list_get(const char *, struct dsn_rcpt *);

/*
 * The requests as fields of rec.h, in the drop file and the spawner
 * records (qpost-queue(5)): Y (RET: DSN_RET_FULL or _HDRS) and J
 * (ENVID) for the message, in that order; D (NOTIFY letters) and X
 * (ORCPT) after a recipient, in that order; each at most once.
 */
int	dsn_rec_put_msg(struct sa *, const struct dsn_msg *);
int	dsn_rec_msg_field(char, const char *, size_t, struct dsn_msg *);
int	dsn_rec_put_rcpt(struct sa *, const struct dsn_rcpt *);
int	dsn_rec_rcpt_field(char, const char *, size_t, struct dsn_rcpt *,
	    int *);

int	dsn_trailer_msg(struct sa *, const struct dsn_msg *);
int	dsn_trailer_rcpt(struct sa *, const struct dsn_rcpt *);
const char *dsn_trailer_parse(const char *, size_t, struct dsn_msg *,
	    struct sa *, size_t, size_t *);
int	dsn_trailer(struct sa *, const struct dsn_msg *, const struct sa *);

/* the command line's -N, -R and -V (qinject, sendmail) */
const char *dsn_opts(const char *, const char *, const char *,
	    struct dsn_msg *, struct dsn_rcpt *);

#endif
