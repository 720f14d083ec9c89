/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * remote - what the parts of the remote sender share: its settings
 * from control/, the delivery it is making, and the hosts to try.
 * See qpost-remote(8).
 */
#ifndef QPOST_REMOTE_H
#define QPOST_REMOTE_H

#include <sys/socket.h>
#include <stddef.h>

#include "addr.h"
#include "dns.h"
#include "dsnparam.h"
#include "sa.h"
#include "spawn_rec.h"
#include "sts.h"

#define REMOTE_HOSTS_MAX	20	/* MX hosts tried for one domain */
#define REMOTE_ADDRS_MAX	10	/* addresses tried for one host */
#define REMOTE_DOWN_MAX		64	/* addresses known to be down */
#define REMOTE_SEVEN_MAX	(64LL * 1024 * 1024)	/* most bytes made
						   7-bit (mime7.h) in memory */

/* control/tlsdestinations policies */
#define TLS_MAY		0	/* opportunistic: STARTTLS if offered */
#define TLS_NONE	1	/* never STARTTLS */
#define TLS_ENCRYPT	2	/* STARTTLS required, any certificate */
#define TLS_VERIFY	3	/* STARTTLS required, certificate checked */
#define TLS_DANE	4	/* DANE where DNSSEC says so, else TLS_MAY */
#define TLS_DANE_ONLY	5	/* DANE, or no delivery */
#define TLS_STS		6	/* MTA-STS where published, else TLS_MAY */

/* what DANE asks of one host under TLS_DANE (remote_dane.c) */
#define DANE_NONE	0	/* no TLSA records DNSSEC vouches for */
#define DANE_ENCRYPT	1	/* TLSA records, none usable: TLS, any cert */
#define DANE_AUTH	2	/* TLS, a certificate that a record matches */

#define REMOTE_TLSA_MAX	8	/* usable TLSA records kept for one host */
#define USAGE_DANE_TA	2	/* TLSA usages (RFC 7218) */
#define USAGE_DANE_EE	3

struct remote_tlsa {			/* one usable TLSA record */
	unsigned char	usage, selector, mtype;
	size_t		len;		/* 32 or 64 */
	unsigned char	data[64];	/* the digest */
};

struct remote_cfg {
	char	helo[ADDR_DOMAIN_MAX + 1];	/* helohost, else me */
	struct sa me;				/* control/me */
	struct sa locals;			/* control/locals */
	int	port;				/* control/remoteport */
	int	timeout_connect;		/* seconds */
	int	timeout_all;			/* timeoutremote, 0: RFC's */
	int	has_src4, has_src6;		/* control/outgoingip */
	struct sockaddr_storage src4, src6;
	char	cafile[1024];			/* control/tlscafile */
	int	tls_policy;			/* for this domain */
	int	sts_fd;				/* its MTA-STS cache, or -1 */
	int	sts_errno;			/* why it is -1 */
	char	sts_domain[DNS_NAME_MAX + 1];	/* in A-labels; "": no STS */
};

/* one host to try: an MX, an smtproutes relay, or the domain itself */
struct remote_host {
	char		name[DNS_NAME_MAX + 1];	/* for logs and TLS names */
	int		port;
	int		is_relay;		/* from smtproutes */
	size_t		naddr;
	struct dns_addr	addr[REMOTE_ADDRS_MAX];
	int		dane;			/* DANE_NONE ... */
	int		sts;			/* STS_NONE ... (sts.h) */
	int		sts_match;		/* the policy names it */
	size_t		ntlsa;
	struct remote_tlsa tlsa[REMOTE_TLSA_MAX];
};

struct remote_route {
	size_t			nhost;
	struct remote_host	host[REMOTE_HOSTS_MAX];
	char			auth_user[256];	/* smarthost AUTH */
	char			auth_pass[256];
	int			has_auth;
};

/* the delivery: one message, one domain, its recipients there */
struct remote_job {
	const char		*id;	/* for logs: the queue id or "-" */
	const char		*domain;
	const char		*sender;
	size_t			 nrcpt;
	char *const		*rcpt;
	int			 msgfd;
	unsigned long long	 msgsize;	/* bytes on the wire */
	int			 is_8bit;	/* body has bytes over 0x7f */
	int			 seven_tried;	/* seven, seven_why are set */
	struct sa		 seven;		/* the message made 7-bit */
	const char		*seven_why;	/* or why it cannot be */
	unsigned long long	 seven_size;	/* seven's bytes on the wire */
	int			 is_utf8;	/* an address needs SMTPUTF8 */
	struct dsn_msg		 dsn;		/* -R, -E: RET and ENVID */
	struct dsn_rcpt		*rcpt_dsn;	/* -N, -O: NOTIFY and ORCPT
						   per recipient; NULL none */
	struct spawn_status	*st;		/* per recipient */
	int			*is_final;	/* a server gave st[i] */
	size_t			 ndown;		/* timed-out addresses */
	char			 down[REMOTE_DOWN_MAX][64];
	int			 is_reported;	/* rspawn has the results */
};

/* what one SMTP session did, for the attempt's log line */
struct remote_attempt {
	const struct remote_host *host;
	char		ip[64];
	char		tls[32];	/* "" or the TLS version */
	int		is_verified;
	int		dane_usage;	/* USAGE_DANE_TA or _EE: the TLSA
					   record that matched; 0: none */
	int		is_next;	/* try the next host */
	int		is_seven;	/* sent made 7-bit (mime7.h) */
	int		timed_out;	/* the address did not answer */
};

struct buf;
struct tls;

/* remote_relay - an smtproutes entry's right-hand side, split. */
struct remote_relay {
	char	host[DNS_NAME_MAX + 1];	/* name or address, no brackets */
	int	port;
};

int	remote_cfg_load(struct remote_cfg *, const char *);
int	remote_any_dane(void);
int	remote_find_route(const char *, struct remote_relay *);
int	remote_find_auth(const char *, struct remote_route *);
int	remote_route_check(void);
void	remote_cfg_free(struct remote_cfg *);
int	remote_route(const struct remote_cfg *, struct remote_job *,
	    struct remote_route *);
int	remote_connect(const struct remote_cfg *, const struct dns_addr *,
	    int, char *, size_t);
void	remote_smtp(const struct remote_cfg *, const struct remote_route *,
	    struct remote_job *, int, struct remote_attempt *);
void	remote_set(struct remote_job *, size_t, char, int, const char *,
	    ...) __attribute__((format(printf, 5, 6)));
void	remote_set_all(struct remote_job *, char, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	remote_report_final(struct remote_job *);
size_t	remote_domain_rank(const char *, size_t, const char *);
struct tls *remote_tls_start(const struct remote_cfg *, const char *, int,
	    struct buf *, struct buf *, int, int, const char **);
void	remote_tls_end(struct tls *, int);
int	remote_dane_lookup(struct remote_host *);
int	remote_dane_match(struct tls *, const struct remote_host *, int *,
	    const char **);
int	remote_addr_text(const struct dns_addr *, char *, size_t);
int	remote_a_label(const char *, char *, size_t);
void	remote_sts_open(struct remote_cfg *, const char *);
void	remote_sts_apply(const struct remote_cfg *, const struct remote_job *,
	    struct remote_route *);
void	remote_sts_close(struct remote_cfg *);

#endif
