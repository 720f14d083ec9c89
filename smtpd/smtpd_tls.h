/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_tls - TLS for smtpd with libtls: STARTTLS (RFC 3207) and
 * implicit TLS (RFC 8314) on the session's fd 0 and 1.
 *
 * The certificate chain and the key are the control files tls.crt and
 * tls.key (PEM), read afresh by every session, since each connection is
 * a new smtpd: a renewed certificate is used from the next connection.
 * Other host names this server answers to have theirs in the folder
 * control/tlshosts (NAME.crt, NAME.key), picked by the name the client
 * asks for (SNI).
 */
#ifndef QPOST_SMTPD_TLS_H
#define QPOST_SMTPD_TLS_H

#include "buf.h"

#define STLS_CERT	"tls.crt"
#define STLS_KEY	"tls.key"
#define STLS_HOSTS	"tlshosts"	/* NAME.crt and NAME.key each */
#define STLS_HOSTS_MAX	100		/* pairs read from it */
#define STLS_NAME_MAX	253

struct tls;
struct tls_config;

struct smtpd_tls {
	struct tls_config	*cfg;	/* NULL: no usable certificate */
	struct tls		*srv;
	struct tls		*conn;	/* NULL until a handshake is done */
	char			 info[128];	/* "TLSv1.3:cipher:bits" */
	char			 sni[STLS_NAME_MAX + 8];	/* stls_sni's */
};

int	stls_load(struct smtpd_tls *);
int	stls_start(struct smtpd_tls *, struct buf *, struct buf *, int,
	    const char *, const char *);
void	stls_close(struct smtpd_tls *, int);
const char *stls_version(const struct smtpd_tls *);
const char *stls_cipher(const struct smtpd_tls *);
int	stls_bits(const struct smtpd_tls *);
const char *stls_sni(struct smtpd_tls *);
	/* " sni=NAME" for the log when the client named a host (SNI), a
	   byte outside a host name's as '?'; else "" */

#endif
