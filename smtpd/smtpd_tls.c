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
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <tls.h>

#include "ctl.h"
#include "log.h"
#include "sa.h"
#include "smtpd_tls.h"

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

/* tls_io - buf's transport: tls_read/tls_write, "want" mapped for buf. */
static ssize_t
tls_io(void *ctx, int fd, void *p, size_t n, int writing)
{
	struct smtpd_tls *t = ctx;
	ssize_t r;

	(void)fd;
	r = writing ? tls_write(t->conn, p, n) : tls_read(t->conn, p, n);
	if (r == TLS_WANT_POLLIN)
		return BUF_WANT_READ;
	if (r == TLS_WANT_POLLOUT)
		return BUF_WANT_WRITE;
	if (r == -1)
		errno = EIO;
	return r;
}

/* wait_until - poll fd for events until deadline (ms since epoch). */
static int
wait_until(int fd, short events, const struct timespec *end)
{
	struct pollfd pfd;
	struct timespec now;
	long long ms;
	int r;

	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (end->tv_sec - now.tv_sec) * 1000LL +
		    (end->tv_nsec - now.tv_nsec) / 1000000;
		if (ms <= 0)
			return (errno = ETIMEDOUT, -1);
		pfd.fd = fd;
		pfd.events = events;
		r = poll(&pfd, 1, (int)ms);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == 0)
			return (errno = ETIMEDOUT, -1);
		return r == -1 ? -1 : 0;
	}
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
	struct timespec end;
	const char *why;
	int r;

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
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout;
	for (;;) {
		r = tls_handshake(t->conn);
		if (r == 0)
			break;
		if (r == TLS_WANT_POLLIN || r == TLS_WANT_POLLOUT) {
			if (wait_until(r == TLS_WANT_POLLIN ? in->fd : out->fd,
			    r == TLS_WANT_POLLIN ? POLLIN : POLLOUT, &end) == 0)
				continue;
			why = errno == ETIMEDOUT ? "timeout" : strerror(errno);
		} else
			why = tls_error(t->conn);
		log_info("session=%s ip=%s closed reason=tls_handshake "
		    "error=\"%s\"", sid, ip, why != NULL ? why : "unknown");
		return -1;
	}
	snprintf(t->info, sizeof(t->info), "%s:%s:%d", stls_version(t),
	    stls_cipher(t), stls_bits(t));
	buf_transport(in, tls_io, t);
	buf_transport(out, tls_io, t);
	return 0;
}

/* stls_close - send close_notify, waiting at most timeout seconds. */
void
stls_close(struct smtpd_tls *t, int timeout)
{
	struct timespec end;
	int r;

	if (t->conn == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout;
	while ((r = tls_close(t->conn)) == TLS_WANT_POLLIN ||
	    r == TLS_WANT_POLLOUT)
		if (wait_until(r == TLS_WANT_POLLIN ? 0 : 1,
		    r == TLS_WANT_POLLIN ? POLLIN : POLLOUT, &end) == -1)
			break;
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
