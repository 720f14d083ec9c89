/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd - the session's state, shared by smtpd.c (start-up, settings)
 * and smtpd_session.c (the state machine).
 */
#ifndef QPOST_SMTPD_H
#define QPOST_SMTPD_H

#include <netinet/in.h>
#include <time.h>

#include "buf.h"
#include "clientaccess.h"
#include "content.h"
#include "dnsbl.h"
#include "sa.h"
#include "smtpd_cmd.h"
#include "smtpd_data.h"
#include "smtpd_queue.h"
#include "smtpd_tls.h"

enum smtp_state {
	STATE_START,	/* greeted, no HELO/EHLO yet */
	STATE_HELO,	/* HELO/EHLO done, no transaction */
	STATE_MAIL,	/* MAIL accepted */
	STATE_RCPT,	/* at least one RCPT accepted */
	STATE_BDAT	/* inside a BDAT message */
};

struct settings {
	struct sa		 me;
	struct sa		 locals;
	unsigned long long	 databytes;	/* 0: no limit */
	long long		 maxrcpt;
	long long		 maxerrors;
	long long		 timeout;	/* idle, seconds */
	long long		 session_timeout;
	long long		 greetdelay;	/* seconds, 0: none */
	long long		 soft_bounce;	/* 1: 55x replies as 45x */
	long long		 reject_unknown_sender;	/* 1: its domain in DNS */
	long long		 reject_bad_helo;	/* 1: HELO an FQDN */
	long long		 lookup_client_name;	/* 1: FCrDNS name */
	long long		 reject_unknown_client;	/* 1: a PTR, 2: and
							   confirmed */
	struct sa		 badmailfrom;	/* refused senders */
	struct sa		 badrcptto;	/* refused recipients */
};

struct session {
	struct settings		 set;
	struct buf		 in, out;
	int			 queue_fd;
	enum smtp_state		 state;
	int			 is_esmtp;
	char			 helo[256];
	char			 ip[INET6_ADDRSTRLEN];
	char			 host[256];	/* TCPREMOTEHOST or "unknown" */
	/* the client's names (smtpd_client.c): host, once confirmed */
	char			 ptr[256];	/* the first PTR name, when
						   client_ptr is not UNASKED */
	int			 client_ptr;	/* CLIENT_PTR_... */
	int			 client_temp;	/* a lookup failed for now */
	char			 client_why[96];	/* why, for the log */
	/* control/clientaccess (smtpd_access.c): action NONE, no rule */
	struct clientaccess_rule access;
	int			 access_broken;	/* not in force: 451 */
	char			 sid[24];	/* for the log */
	int			 may_relay;	/* -1: relay policy broken */
	int			 is_local;	/* -l: a local user (sendmail -bs) */
	time_t			 deadline;	/* end of the whole session */
	long long		 errors;
	unsigned		 messages;
	unsigned		 transactions;	/* MAILs taken */
	/* TLS (smtpd_tls.c) and submission */
	struct smtpd_tls	 tls;
	int			 tls_ok;	/* stls_load: 1, 0 none, -1 broken */
	int			 tls_active;	/* the session is inside TLS */
	int			 implicit_tls;	/* -s: TLS from the first byte */
	int			 needs_auth;	/* -a: AUTH before MAIL (with AUTH) */
	int			 authenticated;	/* AUTH succeeded */
	char			 auth_user[65];	/* who, when authenticated */
	/* DNSBL (smtpd_dnsbl.c): the verdict, looked up at the start */
	struct dnsbl_result	 dnsbl;
	int			 dnsbl_done;	/* looked up (or skipped) */
	int			 dnsbl_at_connect; /* control/dnsblrefuse */
	int			 dnsbl_refused;	/* 554 greeting: 503 to all */
	/* the transaction */
	struct mail_args	 mail;
	char			 sender[ADDR_PATH_MAX + 1];
	struct sa		 rcpts;		/* NUL-terminated, back to back */
	struct sa		 rcpt_dsn;	/* their DSN requests (a
						   dsnparam.h list) */
	struct sa		 prepend;	/* header lines from policy
						   servers (smtpd_policy.c) */
	int			 policy_discard;	/* ... and what they */
	struct sa		 policy_redirect;	/* decided for the */
	struct sa		 policy_bcc;		/* whole message */
	size_t			 policy_nbcc;
	int			 checking;	/* header or body checks */
	struct content		 content;	/* their state (content.h) */
	size_t			 nrcpt;
	struct data		 data;
	int			 job_failed;	/* qinject could not start */
	/* scratch, here so that the end of a session loses nothing */
	struct sa		 line;		/* the command line */
	struct sa		 chunk;		/* message octets for qinject */
	struct sa		 checked;	/* ... as the checks left them */
	struct sa		 authline;	/* an AUTH response: wiped */
	/*
	 * The buffers last, each from the start of a page: a session's
	 * process writes, and so copies from its listener, only the pages
	 * it uses, and the fields above share as few pages as they can.
	 */
	_Alignas(4096) char	 inbuf[16384];
	_Alignas(4096) char	 outbuf[16384];
	_Alignas(4096) struct qjob job;	/* BDAT: the message so far */
};

void	session_run(struct session *);
int	session_load(struct session *);
void	session_proxy(struct session *);	/* smtpd_proxy.c */
void	smtpd_verify_env(const struct session *);	/* smtpd_verify.c */
const char *smtpd_verify_reply(int);
/* smtpd_dnsbl.c */
#define DNSBL_EARLY	0	/* before the sandbox */
#define DNSBL_LATE	1	/* after a balancer's PROXY header */
void	session_dnsbl(struct session *, int);
int	session_dnsbl_refuses(const struct session *, int);
/* smtpd_client.c */
#define CLIENT_PTR_UNASKED	0	/* no lookup: host is tcpserver's */
#define CLIENT_PTR_FOUND	1
#define CLIENT_PTR_NONE		2	/* NXDOMAIN or no PTR record */
#define CLIENT_PTR_TEMP		3	/* the PTR lookup failed for now */
void	session_client_lookup(struct session *, int);
	/* the names, when the knobs or (1) the access rules want them */
int	session_client_refused(struct session *, char *, size_t);
/* smtpd_access.c */
void	session_access(struct session *);
	/* the client's rule, once, after its names (and the DNSBL) */
int	session_access_spares(const struct session *);
	/* an "ok" rule: no DNSBL refusal, no rejectunknownclient */
int	session_access_refused(struct session *, char *, size_t);
	/* at MAIL: 0, or 1 with the reply in the buffer (logged) */
/* smtpd_sender.c */
int	session_is_own(const struct session *);
	/* a local user, a relay client or an authenticated one */
int	session_sender_check(struct session *, char *, size_t);
	/* control/rejectbadhelo and rejectunknownsender at MAIL: 0, or 1
	   refused with the reply in the buffer (logged) */
/* smtpd_checks.c: session_checks_end's verdicts */
#define CHECKS_FAILED		(-1)	/* out of memory: 451 */
#define CHECKS_QUEUE		0
#define CHECKS_REFUSED		1	/* s->content.refusal says how */
#define CHECKS_DISCARDED	2	/* 250, and nothing queued */
int	session_checks_load(void);
void	session_checks_start(struct session *);
void	session_checks_feed(struct session *, const char *, size_t,
	    struct sa *);
int	session_checks_end(struct session *, struct sa *);
/* smtpd_policy.c */
#define POLICY_LINE_MAX	1024	/* session_policy_rcpt's reply */
int	session_policy_load(void);
int	session_policy_rcpt(struct session *, const char *, char *, size_t);

#endif
