/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_auth - the part of SMTP AUTH (RFC 4954) smtpd does itself:
 * decoding what the client sends for PLAIN (RFC 4616) and LOGIN, and
 * handing the credentials to qpauth over its unix socket.  smtpd never
 * sees the password database; qpauth answers yes, no, or try later.
 *
 * Wire format to qpauth (one request per connection): the bytes
 * "user\0password\0client-ip\0" (at most AUTH_REQUEST_MAX in all),
 * then a half-close; qpauth answers one byte, '0' good, '1' bad,
 * '2' temporary failure, and closes.  See qpost-qpauth(8).
 *
 * Every buffer that held a password is wiped here before returning;
 * the caller wipes its own (explicit_bzero) once auth_check returns.
 */
#ifndef QPOST_SMTPD_AUTH_H
#define QPOST_SMTPD_AUTH_H

#include <stddef.h>

#define AUTH_OK		0	/* good credentials: 235 */
#define AUTH_BAD	1	/* bad credentials: 535 5.7.8 */
#define AUTH_TEMP	2	/* qpauth unreachable or broken: 454 4.7.0 */

#define AUTH_USER_MAX	64	/* octets in a user name */
#define AUTH_PASS_MAX	256	/* octets in a password */
#define AUTH_REQUEST_MAX 512	/* octets in one request to qpauth */
#define AUTH_B64_MAX	1024	/* base64 octets we accept in one step */
#define AUTH_TIMEOUT	60	/* seconds for one qpauth answer (its delay
				 * for repeated failures is at most 30 s) */

/* the socket qpauth -d listens on; env QPOST_AUTHSOCKET overrides */
#define AUTH_SOCKET_DEFAULT	"/run/qpost/qpauth.sock"

/* the LOGIN prompts, base64 of "Username:" and "Password:" */
#define AUTH_LOGIN_USER_PROMPT	"VXNlcm5hbWU6"
#define AUTH_LOGIN_PASS_PROMPT	"UGFzc3dvcmQ6"

int	auth_b64_decode(const char *, size_t, char *, size_t, size_t *);
int	auth_decode_login(const char *, size_t, char *, size_t);
int	auth_decode_plain(const char *, size_t, char *, size_t, char *,
	    size_t);
int	auth_user_valid(const char *);
int	auth_request_parse(char *, size_t, char **, char **, char **);
const char *auth_socket_path(void);
int	auth_check(const char *, const char *, const char *, const char *);

#endif
