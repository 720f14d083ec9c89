/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qpdkim - the DKIM signer's parts: signing with libopendkim
 * (qpdkim_sign.c) and making a key pair (qpdkim_key.c).
 */
#ifndef QPOST_QPDKIM_H
#define QPOST_QPDKIM_H

#include <stddef.h>

#include "dkim_req.h"
#include "sa.h"

struct qsig {
	void		*dkim;		/* libopendkim's DKIM handle */
	unsigned char	*key;		/* the PEM text, wiped when done */
	size_t		 keylen;
	const char	*alg;		/* "rsa-sha256" or "ed25519-sha256" */
	char		 selector[64];
};

int	qsign_init(void);
int	qsign_start(struct qsig *, const struct dkim_key *, const char *,
	    const char *, char *, size_t);
int	qsign_chunk(struct qsig *, size_t, const char *, size_t);
int	qsign_finish(struct qsig *, size_t, struct sa *, char *, size_t);
void	qsign_free(struct qsig *, size_t);

int	qpdkim_keygen(const char *, int, const char *, const char *);

#endif
