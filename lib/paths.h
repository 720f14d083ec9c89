/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * paths - where an instance lives, and the names of its accounts.
 * The directories are compiled in and overridden by QPOST_CONTROL,
 * QPOST_QUEUE and QPOST_LIBEXEC, as tests and the demo do.
 */
#ifndef QPOST_PATHS_H
#define QPOST_PATHS_H

#ifndef QPOST_CONTROLDIR
#define QPOST_CONTROLDIR	"/etc/qpost"
#endif
#ifndef QPOST_QUEUEDIR
#define QPOST_QUEUEDIR		"/var/spool/qpost"
#endif
#ifndef QPOST_LIBEXECDIR
#define QPOST_LIBEXECDIR	"/usr/local/libexec/qpost"
#endif

#define USER_QUEUE	"qpqueue"	/* sched: owns the queue */
#define USER_REMOTE	"qpremote"	/* rspawn and remote */
#define USER_SMTPD	"qpsmtpd"	/* smtpd */
#define USER_AUTH	"qpauth"	/* qpauth */
#define USER_DKIM	"qpdkim"	/* qpdkim: the only reader of DKIM keys */
#define GROUP_QUEUE	"qpost"		/* may read message files */

/* queue subdirectories, relative to the queue root */
#define QDIR_DROP	"drop"
#define QDIR_SPARE	"spare"	/* drop files kept for reuse */
#define QDIR_MESS	"mess"
#define QDIR_ENV	"env"
#define QDIR_TMP	"tmp"
#define QDIR_STS	"sts"	/* remote's MTA-STS cache, qpremote's */
#define QFILE_TRIGGER	"trigger"

const char *paths_control(void);
const char *paths_queue(void);
const char *paths_libexec(void);
int	paths_program(char *, size_t, const char *);

#endif
