/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_auth - AUTH decoders and the client side of the qpauth socket.
 * See smtpd_auth.h.  Runs inside smtpd (qpsmtpd): everything it
 * decodes comes from the network, so base64 is checked strictly here
 * before libcrypto's lenient EVP_DecodeBlock sees it (which would skip
 * blanks).  Not glibc's b64_pton: it is in libresolv, which smtpd would
 * then map for nothing else, a library more for each connection's exec
 * (under tcpserver) or fork and exit (smtpd -L).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "smtpd_auth.h"

/* b64_char - whether c may appear in base64 text before the padding. */
static int
b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/*
 * auth_b64_decode - strict base64 (RFC 4648, padded, no blanks) of
 * b64[0..n) into out (outsize bytes, NUL-terminated after the data,
 * which may itself hold NULs); *outlen the decoded length.  0, or -1
 * for bad base64 or output that does not fit.  Wipes its copy.
 */
int
auth_b64_decode(const char *b64, size_t n, char *out, size_t outsize,
    size_t *outlen)
{
	unsigned char bin[AUTH_B64_MAX / 4 * 3];
	size_t i, pad = 0, len;
	int r;

	*outlen = 0;
	if (outsize == 0)
		return -1;
	out[0] = '\0';
	if (n % 4 != 0 || n > AUTH_B64_MAX)
		return -1;
	if (n == 0)
		return 0;
	if (b64[n - 1] == '=')
		pad++;
	if (b64[n - 2] == '=')
		pad++;
	for (i = 0; i < n - pad; i++)
		if (!b64_char(b64[i]))
			return -1;
	len = (n / 4) * 3 - pad;
	if (len >= outsize)
		return -1;
	/* it writes a zero byte for each '=', and counts it */
	r = EVP_DecodeBlock(bin, (const unsigned char *)b64, (int)n);
	if (r < 0 || (size_t)r != len + pad) {
		explicit_bzero(bin, sizeof(bin));
		return -1;
	}
	memcpy(out, bin, len);
	explicit_bzero(bin, sizeof(bin));
	out[len] = '\0';
	*outlen = len;
	return 0;
}

/*
 * auth_decode_login - one LOGIN step (user name or password): base64
 * of a non-empty string with no NUL, into out.  0, or -1.
 */
int
auth_decode_login(const char *b64, size_t n, char *out, size_t outsize)
{
	size_t len;

	if (auth_b64_decode(b64, n, out, outsize, &len) == -1)
		return -1;
	if (len == 0 || memchr(out, '\0', len) != NULL) {
		explicit_bzero(out, outsize);
		return -1;
	}
	return 0;
}

/*
 * auth_decode_plain - RFC 4616 "authzid\0authcid\0passwd" from base64
 * into user (the authcid) and pass.  The authzid must be empty or the
 * authcid itself: acting as someone else is not offered.  Exactly two
 * NULs, a non-empty user and password, each fitting its buffer.
 * 0, or -1 with both outputs wiped.
 */
int
auth_decode_plain(const char *b64, size_t n, char *user, size_t usize,
    char *pass, size_t psize)
{
	char raw[AUTH_B64_MAX];
	const char *authz, *authc, *pw, *end;
	size_t len, zlen, clen, plen;

	if (usize == 0 || psize == 0)
		return -1;
	user[0] = pass[0] = '\0';
	if (auth_b64_decode(b64, n, raw, sizeof(raw), &len) == -1)
		return -1;
	end = raw + len;
	authz = raw;
	if ((authc = memchr(authz, '\0', len)) == NULL)
		goto bad;
	zlen = (size_t)(authc - authz);
	authc++;
	if ((pw = memchr(authc, '\0', (size_t)(end - authc))) == NULL)
		goto bad;
	clen = (size_t)(pw - authc);
	pw++;
	plen = (size_t)(end - pw);
	if (memchr(pw, '\0', plen) != NULL || clen == 0 || plen == 0 ||
	    clen >= usize || plen >= psize)
		goto bad;
	if (zlen != 0 && (zlen != clen || memcmp(authz, authc, clen) != 0))
		goto bad;
	memcpy(user, authc, clen);
	user[clen] = '\0';
	memcpy(pass, pw, plen);
	pass[plen] = '\0';
	explicit_bzero(raw, sizeof(raw));
	return 0;
bad:
	explicit_bzero(raw, sizeof(raw));
	explicit_bzero(user, usize);
	explicit_bzero(pass, psize);
	return -1;
}

/*
 * auth_user_valid - whether s is a user name qpauth and qpasswd take:
 * 1 to AUTH_USER_MAX of [A-Za-z0-9._+-], not starting with '.' or '-'.
 * Names are folded to lowercase by qpauth and qpasswd.
 */
int
auth_user_valid(const char *s)
{
	size_t i;
	char c;

	if (s == NULL || s[0] == '\0' || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		c = s[i];
		if (i >= AUTH_USER_MAX)
			return 0;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr("._+-", c) != NULL)
			continue;
		return 0;
	}
	return 1;
}

/*
 * auth_request_parse - qpauth's side of the wire format: n bytes in buf
 * must be exactly "user\0password\0client-ip\0", no more NULs, at
 * most AUTH_REQUEST_MAX in all.  0 with the three pointing into buf
 * (each string may be empty: qpauth judges them), or -1.
 */
int
auth_request_parse(char *buf, size_t n, char **user, char **pass, char **ip)
{
	char *end = buf + n;

	*user = buf;
	if (n > AUTH_REQUEST_MAX || n == 0 || buf[n - 1] != '\0' ||
	    (*pass = memchr(*user, '\0', n)) == NULL || ++*pass >= end ||
	    (*ip = memchr(*pass, '\0', (size_t)(end - *pass))) == NULL ||
	    ++*ip >= end || memchr(*ip, '\0', (size_t)(end - *ip)) != end - 1)
		return -1;
	return 0;
}

/* auth_socket_path - $QPOST_AUTHSOCKET, else AUTH_SOCKET_DEFAULT. */
const char *
auth_socket_path(void)
{
	const char *p = getenv("QPOST_AUTHSOCKET");

	return p != NULL && p[0] == '/' ? p : AUTH_SOCKET_DEFAULT;
}

/*
 * auth_check - ask qpauth at sockpath whether user and pass are good
 * for a client at ip.  AUTH_OK, AUTH_BAD, or AUTH_TEMP (qpauth is not
 * there, too slow, or said so); the request buffer is wiped.  The
 * wait is bounded by AUTH_TIMEOUT seconds per read and write.
 */
int
auth_check(const char *sockpath, const char *user, const char *pass,
    const char *ip)
{
	struct sockaddr_un sun;
	struct timeval tv;
	char req[AUTH_REQUEST_MAX];
	size_t ul, pl, il, n;
	char answer;
	ssize_t r;
	int fd, result = AUTH_TEMP;

	ul = strlen(user);
	pl = strlen(pass);
	il = strlen(ip);
	if (ul == 0 || pl == 0 || ul + pl + il + 3 > sizeof(req))
		return AUTH_BAD;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, sockpath, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		log_warnx("auth: socket path too long: %s", sockpath);
		return AUTH_TEMP;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("auth: unable to make a socket");
		return AUTH_TEMP;
	}
	tv.tv_sec = AUTH_TIMEOUT;
	tv.tv_usec = 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1) {
		log_warn("auth: unable to set a timeout");
		goto done;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("auth: unable to reach qpauth at %s", sockpath);
		goto done;
	}
	memcpy(req, user, ul + 1);
	n = ul + 1;
	memcpy(req + n, pass, pl + 1);
	n += pl + 1;
	memcpy(req + n, ip, il + 1);
	n += il + 1;
	r = fd_write_all(fd, req, n);
	explicit_bzero(req, sizeof(req));
	if (r == -1 || shutdown(fd, SHUT_WR) == -1) {
		log_warn("auth: unable to write to qpauth");
		goto done;
	}
	do
		r = read(fd, &answer, 1);
	while (r == -1 && errno == EINTR);
	if (r != 1) {
		if (r == 0)
			log_warnx("auth: qpauth closed without an answer");
		else
			log_warn("auth: no answer from qpauth");
		goto done;
	}
	if (answer == '0')
		result = AUTH_OK;
	else if (answer == '1')
		result = AUTH_BAD;
	else if (answer != '2')
		log_warnx("auth: qpauth gave an unknown answer");
done:
	(void)close(fd);
	return result;
}
