/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * remote_tls - STARTTLS for the remote sender, with libtls.  With the
 * policies "may" and "encrypt" any certificate is taken (opportunistic
 * TLS, RFC 7435: encryption against passive eavesdropping is better
 * than none, and most MX certificates would not verify); "verify"
 * checks the chain against control/tlscafile (else the system's CA
 * bundle) and that the certificate names the host we connected to;
 * "dane" takes any certificate here, and remote_dane.c then matches it
 * against the host's TLSA records when it has usable ones.  MTA-STS
 * (remote_sts.c) verifies as "verify" does, for an MX host its policy
 * enforces and for the HTTPS fetch of the policy.
 */
#include <stdio.h>
#include <string.h>
#include <tls.h>

#include "buf.h"
#include "remote.h"
#include "tlsio.h"

static char	why_saved[256];

/* configure - a client configuration for the domain's policy. */
static struct tls_config *
configure(const struct remote_cfg *c, int verify, const char **why)
{
	struct tls_config *cfg;
	uint32_t protos;

	if (tls_init() == -1 || (cfg = tls_config_new()) == NULL) {
		*why = "unable to set up TLS";
		return NULL;
	}
	if (!verify) {
		/* old servers too: any TLS beats clear text here */
		if (tls_config_parse_protocols(&protos, "all") == 0)
			(void)tls_config_set_protocols(cfg, protos);
		tls_config_insecure_noverifycert(cfg);
		tls_config_insecure_noverifyname(cfg);
		tls_config_insecure_noverifytime(cfg);
	} else if (c->cafile[0] != '\0' &&
	    tls_config_set_ca_file(cfg, c->cafile) == -1) {
		*why = tls_config_error(cfg);
		tls_config_free(cfg);
		return NULL;
	}
	return cfg;
}

/*
 * remote_tls_start - the TLS handshake on fd with host name, within
 * timeout seconds, the certificate checked when verify is set; then in
 * and out go through TLS.  Returns the connection, or NULL with *why
 * saying what failed.
 */
struct tls *
remote_tls_start(const struct remote_cfg *c, const char *name, int fd,
    struct buf *in, struct buf *out, int timeout, int verify,
    const char **why)
{
	struct tls_config *cfg;
	struct tls *t;

	if ((cfg = configure(c, verify, why)) == NULL)
		return NULL;
	if ((t = tls_client()) == NULL) {
		*why = "unable to make a TLS client";
		tls_config_free(cfg);
		return NULL;
	}
	if (tls_configure(t, cfg) == -1 ||
	    tls_connect_socket(t, fd, name) == -1) {
		*why = tls_error(t);
		goto fail;
	}
	if (tlsio_handshake(t, fd, fd, timeout, why) == -1)
		goto fail;
	tls_config_free(cfg);
	buf_transport(in, tlsio_tls, t);
	buf_transport(out, tlsio_tls, t);
	return t;
fail:
	/* *why may point into t or cfg: keep it readable for the caller */
	(void)snprintf(why_saved, sizeof(why_saved), "%s",
	    *why != NULL ? *why : "unknown");
	*why = why_saved;
	tls_free(t);
	tls_config_free(cfg);
	return NULL;
}

/* remote_tls_end - close_notify (briefly) and free. */
void
remote_tls_end(struct tls *t, int fd)
{
	if (t == NULL)
		return;
	tlsio_close(t, fd, fd, 5);
	tls_free(t);
}
