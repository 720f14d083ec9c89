/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_auth - libFuzzer target for what reads SMTP AUTH credentials
 * (smtpd/smtpd_auth.c): the strict base64 decoder, the PLAIN (RFC 4616)
 * and LOGIN steps a client sends before it is authenticated, the user
 * name rule, and qpauth's parser of the request smtpd sends it over its
 * socket (auth_request_parse).  The first input byte sizes the output
 * buffers (1..256), the rest is the client's text.  Besides "no
 * sanitizer report" it checks: decoded output fits its buffer, is
 * NUL-terminated and is as long as the padding says; it encodes back
 * to base64 that decodes to the same bytes; an accepted PLAIN gives a
 * non-empty user and password without NUL that fit their buffers, a
 * refused one leaves both empty and nothing decoded in them; an accepted LOGIN step has no NUL; a
 * valid user name keeps to its characters and length; an accepted
 * qpauth request is exactly three NUL-terminated strings filling the
 * input.  A broken property aborts.
 */
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/nameser.h>

#include <resolv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpd_auth.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_auth: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

/* wiped - n bytes at p are NUL or the caller's fill: nothing decoded. */
static int
wiped(const char *p, size_t n, char fill)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != '\0' && p[i] != fill)
			return 0;
	return p[0] == '\0';
}

/* b64 - the decoder: sizes, padding, and decode(encode(x)) == x. */
static void
b64(const char *s, size_t n, size_t outsize)
{
	char out[AUTH_B64_MAX + 1], again[AUTH_B64_MAX + 1];
	char enc[2 * AUTH_B64_MAX + 8];
	size_t len = 99, len2;
	int r;

	r = auth_b64_decode(s, n, out, outsize, &len);
	CHECK(r == 0 || r == -1);
	if (r == -1) {
		CHECK(len == 0);
		return;
	}
	CHECK(n % 4 == 0 && n <= AUTH_B64_MAX);
	CHECK(len < outsize && out[len] == '\0');
	CHECK(len == n / 4 * 3 - (n > 0 && s[n - 1] == '=') -
	    (n > 1 && s[n - 2] == '='));
	r = b64_ntop((const unsigned char *)out, len, enc, sizeof(enc));
	CHECK(r >= 0 && (size_t)r <= n);
	CHECK(auth_b64_decode(enc, (size_t)r, again, sizeof(again),
	    &len2) == 0);
	CHECK(len2 == len && memcmp(again, out, len) == 0);
}

/* request - qpauth's request parser on a copy of the input. */
static void
request(const uint8_t *p, size_t n)
{
	char buf[AUTH_REQUEST_MAX + 1], *user, *pass, *ip;
	size_t lu, lp, li;

	if (n > AUTH_REQUEST_MAX + 1)
		return;
	memcpy(buf, p, n);
	if (auth_request_parse(buf, n, &user, &pass, &ip) == -1)
		return;
	CHECK(n > 0 && n <= AUTH_REQUEST_MAX && user == buf);
	lu = strlen(user);
	CHECK(pass == user + lu + 1);
	lp = strlen(pass);
	CHECK(ip == pass + lp + 1);
	li = strlen(ip);
	CHECK(ip + li == buf + n - 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;
	char user[AUTH_USER_MAX + 2], pass[AUTH_PASS_MAX + 1];
	char out[AUTH_B64_MAX + 1], name[AUTH_USER_MAX + 8];
	size_t n, usize, i;

	if (size < 1 || size > 2 * AUTH_B64_MAX)
		return 0;
	n = size - 1;
	usize = 1 + data[0] % sizeof(user);
	b64(s, n, 1 + data[0]);
	b64(s, n, sizeof(out));
	memset(user, 'u', sizeof(user));
	memset(pass, 'p', sizeof(pass));
	if (auth_decode_plain(s, n, user, usize, pass, sizeof(pass)) == 0) {
		size_t lu = strnlen(user, usize), lp = strnlen(pass,
		    sizeof(pass));

		CHECK(lu > 0 && lu < usize && lp > 0 && lp < sizeof(pass));
	} else
		CHECK(wiped(user, usize, 'u') && wiped(pass, sizeof(pass), 'p'));
	if (auth_decode_login(s, n, out, sizeof(out)) == 0)
		CHECK(strlen(out) > 0);
	/* the user name rule, on the input's first bytes as a string */
	i = n < sizeof(name) - 1 ? n : sizeof(name) - 1;
	memcpy(name, s, i);
	name[i] = '\0';
	if (auth_user_valid(name)) {
		CHECK(strlen(name) > 0 && strlen(name) <= AUTH_USER_MAX);
		CHECK(strspn(name, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-") ==
		    strlen(name) && name[0] != '.' && name[0] != '-');
	}
	request(data + 1, n);
	return 0;
}
