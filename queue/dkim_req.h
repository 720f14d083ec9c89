/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * dkim_req - what crosses the signer's socket, and the parsers qpdkim
 * runs on it: the request line, the header's From domain, control/dkim.
 * Pure functions (no I/O), so the fuzzer reaches every one.  The
 * protocol is in qpost-qpdkim(8).
 */
#ifndef QPOST_DKIM_REQ_H
#define QPOST_DKIM_REQ_H

#include <stddef.h>

#include "queue_id.h"
#include "sa.h"

#define DKIM_REQ_LINE_MAX	64	/* "qpdkim1 local <id>\n" and room */
#define DKIM_HEADER_MAX		(1024u * 1024)	/* header bytes read */
#define DKIM_REPLY_MAX		8192	/* the signature header(s) */
#define DKIM_SIG_MAX		4	/* signatures for one domain */
#define DKIM_SOCKET_DEFAULT	"/run/qpost/qpdkim.sock"

#define DKIM_ORIGIN_LOCAL	1	/* sendmail, qinject */
#define DKIM_ORIGIN_AUTH	2	/* smtpd, after AUTH */

struct dkim_req {
	int	origin;
	char	id[QID_LEN + 1];
};

struct dkim_key {
	char	selector[64];
	char	keyfile[1024];	/* absolute, or relative to control/ */
};

int	dkim_req_parse(const char *, size_t, struct dkim_req *);
size_t	dkim_header_end(const char *, size_t);
int	dkim_from_address(const char *, size_t, char *, size_t);
int	dkim_conf_keys(const char *, size_t, const char *, struct dkim_key *,
	    size_t, size_t *, size_t *);
int	dkim_reply_valid(const char *, size_t);

#endif
