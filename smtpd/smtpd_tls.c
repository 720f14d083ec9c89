/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_tls - TLS for smtpd with libtls.  See smtpd_tls.h.
 *
 * Runs inside smtpd as qpsmtpd, which alone may read the key (root:
 * qpsmtpd 0440): LibreTLS cannot keep it in another process.  Once the
 * handshake is done, fd 0 and 1 are non-blocking and the session's
 * buffers read and write through tls_read/tls_write (buf_transport),
 * so a TLS_WANT_POLLIN/POLLOUT becomes a poll within the idle timeout
 * instead of a read that could block for ever.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <tls.h>

#include "ctl.h"
#include "log.h"
#include "sa.h"
#include "smtpd_tls.h"
#include "tlsio.h"

/*
 * stls_load - the certificate and key of control/ into a server
 * context.  Returns 1 when TLS can be offered, 0 when there is no
 * certificate (TLS is not configured), -1 when the files are there
 * but unusable (logged; STARTTLS then gets 454).
 */
int
stls_load(struct smtpd_tls *t)
{
	struct sa cert = SA_INIT, key = SA_INIT;
	uint32_t protos;
	int rc, rk, ret = -1;

	memset(t, 0, sizeof(*t));
	if ((rc = ctl_read(STLS_CERT, &cert)) == 0) {
		sa_free(&cert);
		return 0;
	}
	rk = ctl_read(STLS_KEY, &key);
	if (rc == -1 || rk == -1)
		goto out;
	if (rk == 0) {
		log_warnx("control file %s is there but %s is missing: no TLS",
		    STLS_CERT, STLS_KEY);
		goto out;
	}
	if (tls_init() == -1 || (t->cfg = tls_config_new()) == NULL ||
	    (t->srv = tls_server()) == NULL) {
		log_warnx("tls: out of memory");
		goto out;
	}
	/* "secure": TLS 1.2 and 1.3 only */
	if (tls_config_parse_protocols(&protos, "secure") == -1 ||
	    tls_config_set_protocols(t->cfg, protos) == -1 ||
	    tls_config_set_keypair_mem(t->cfg, (const uint8_t *)cert.s,
	    cert.len, (const uint8_t *)key.s, key.len) == -1) {
		log_warnx("tls: control files %s and %s: %s", STLS_CERT,
		    STLS_KEY, tls_config_error(t->cfg));
		goto out;
	}
	if (tls_configure(t->srv, t->cfg) == -1) {
		log_warnx("tls: control files %s and %s: %s", STLS_CERT,
		    STLS_KEY, tls_error(t->srv));
		goto out;
	}
	ret = 1;
out:
	if (key.s != NULL)
		explicit_bzero(key.s, key.len);
	sa_free(&key);
	sa_free(&cert);
	if (ret != 1) {
		if (t->srv != NULL)
			tls_free(t->srv);
		if (t->cfg != NULL)
			tls_config_free(t->cfg);
		t->srv = NULL;
		t->cfg = NULL;
	}
	return ret;
}

/*
 * stls_start - the TLS handshake on fd 0 (in) and 1 (out), within
 * timeout seconds; on success in and out read and write through TLS.
 * On failure one log line says why and -1 is returned: the caller
 * closes the connection.
 */
int
stls_start(struct smtpd_tls *t, struct buf *in, struct buf *out,
    int timeout, const char *sid, const char *ip)
{
	const char *why;

	if (fcntl(in->fd, F_SETFL, fcntl(in->fd, F_GETFL) | O_NONBLOCK) ==
	    -1 || fcntl(out->fd, F_SETFL, fcntl(out->fd, F_GETFL) |
	    O_NONBLOCK) == -1) {
		log_warn("session=%s ip=%s tls failed: fcntl", sid, ip);
		return -1;
	}
	if (tls_accept_fds(t->srv, &t->conn, in->fd, out->fd) == -1) {
		log_warnx("session=%s ip=%s tls failed: %s", sid, ip,
		    tls_error(t->srv));
		return -1;
	}
	if (tlsio_handshake(t->conn, in->fd, out->fd, timeout, &why) == -1) {
		log_info("session=%s ip=%s closed reason=tls_handshake "
		    "error=\"%s\"", sid, ip, why);
		return -1;
	}
	snprintf(t->info, sizeof(t->info), "%s:%s:%d", stls_version(t),
	    stls_cipher(t), stls_bits(t));
	buf_transport(in, tlsio_tls, t->conn);
	buf_transport(out, tlsio_tls, t->conn);
	return 0;
}

/* stls_close - send close_notify, waiting at most timeout seconds. */
void
stls_close(struct smtpd_tls *t, int timeout)
{
	if (t->conn != NULL)
		tlsio_close(t->conn, 0, 1, timeout);
}

const char *
stls_version(const struct smtpd_tls *t)
{
	const char *v = t->conn != NULL ? tls_conn_version(t->conn) : NULL;

	return v != NULL ? v : "unknown";
}

const char *
stls_cipher(const struct smtpd_tls *t)
{
	const char *c = t->conn != NULL ? tls_conn_cipher(t->conn) : NULL;

	return c != NULL ? c : "unknown";
}

int
stls_bits(const struct smtpd_tls *t)
{
	return t->conn != NULL ? tls_conn_cipher_strength(t->conn) : 0;
}
