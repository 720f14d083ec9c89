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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>

#include "ctl.h"
#include "log.h"
#include "sa.h"
#include "smtpd_tls.h"
#include "tlsio.h"

/* add_host - the pair tlshosts/NAME.crt and .key; a broken one is logged */
static void
add_host(struct tls_config *cfg, const char *name)
{
	char crt[STLS_NAME_MAX + 32], key[STLS_NAME_MAX + 32];
	struct sa c = SA_INIT, k = SA_INIT;
	int rc, rk;

	(void)snprintf(crt, sizeof(crt), "%s/%s.crt", STLS_HOSTS, name);
	(void)snprintf(key, sizeof(key), "%s/%s.key", STLS_HOSTS, name);
	rc = ctl_read(crt, &c);
	rk = ctl_read(key, &k);
	if (rc == 1 && rk == 0)
		log_warnx("control file %s is there but %s is missing: it is "
		    "not used", crt, key);
	else if (rc == 1 && rk == 1 && tls_config_add_keypair_mem(cfg,
	    (const uint8_t *)c.s, c.len, (const uint8_t *)k.s, k.len) == -1)
		log_warnx("tls: control files %s and %s: %s: they are not "
		    "used", crt, key, tls_config_error(cfg));
	if (k.s != NULL)
		explicit_bzero(k.s, k.len);
	sa_free(&k);
	sa_free(&c);
}

/* name_cmp - qsort's order of names */
static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * add_hosts - the pairs of control/tlshosts/, in the order of their
 * names, after tls.crt's: libtls shows a client that names a host
 * (SNI, RFC 6066 3) the first certificate that names it, and tls.crt
 * to one that names none of them.
 */
static void
add_hosts(struct tls_config *cfg)
{
	char path[1024], *names[STLS_HOSTS_MAX];
	struct dirent *d;
	size_t n = 0, i, len;
	DIR *dir;

	if (ctl_path(path, sizeof(path), STLS_HOSTS) == -1 ||
	    (dir = opendir(path)) == NULL)
		return;
	while ((d = readdir(dir)) != NULL && n < STLS_HOSTS_MAX) {
		len = strlen(d->d_name);
		if (len < 5 || len - 4 > STLS_NAME_MAX || d->d_name[0] == '.' ||
		    strcmp(d->d_name + len - 4, ".crt") != 0 ||
		    strspn(d->d_name, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") != len)
			continue;
		if ((names[n] = strndup(d->d_name, len - 4)) != NULL)
			n++;
	}
	(void)closedir(dir);
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (i = 0; i < n; i++) {
		add_host(cfg, names[i]);
		free(names[i]);
	}
}

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
	add_hosts(t->cfg);
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

const char *
stls_sni(struct smtpd_tls *t)
{
	const char *name = t->conn != NULL ? tls_conn_servername(t->conn) :
	    NULL;
	size_t i, n;

	if (name == NULL || name[0] == '\0')
		return "";
	n = (size_t)snprintf(t->sni, sizeof(t->sni), " sni=%s", name);
	if (n >= sizeof(t->sni))
		n = sizeof(t->sni) - 1;
	for (i = 5; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_", t->sni[i]) ==
		    NULL)
			t->sni[i] = '?';
	return t->sni;
}
