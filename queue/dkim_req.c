/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * dkim_req - the parsers of the DKIM signer's input.  See dkim_req.h.
 * Everything here reads bytes another program chose (a local user's
 * request, a message's header, the admin's control file): strict,
 * bounded, never past the length given.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dkim_req.h"
#include "header.h"

#define PREFIX	"qpdkim1 "

/*
 * dkim_req_parse - the request line, without its LF: "qpdkim1 local
 * <id>" or "qpdkim1 auth <id>", id a queue id.  0, or -1 if it is
 * anything else.
 */
int
dkim_req_parse(const char *p, size_t n, struct dkim_req *r)
{
	size_t pl = sizeof(PREFIX) - 1, wl;

	memset(r, 0, sizeof(*r));
	if (n < pl || memcmp(p, PREFIX, pl) != 0)
		return -1;
	p += pl;
	n -= pl;
	if (n > 6 && memcmp(p, "local ", 6) == 0) {
		r->origin = DKIM_ORIGIN_LOCAL;
		wl = 6;
	} else if (n > 5 && memcmp(p, "auth ", 5) == 0) {
		r->origin = DKIM_ORIGIN_AUTH;
		wl = 5;
	} else
		return -1;
	p += wl;
	n -= wl;
	if (n != QID_LEN || !qid_valid(p, n))
		return -1;
	memcpy(r->id, p, n);
	r->id[n] = '\0';
	return 0;
}

/*
 * dkim_header_end - the offset of the body in p (n bytes): just past
 * the empty line that ends the header, LF or CRLF; 0 if p holds no
 * such line (the header goes on, or the message has no body).
 */
size_t
dkim_header_end(const char *p, size_t n)
{
	size_t i;

	if (n > 0 && p[0] == '\n')
		return 1;
	if (n > 1 && p[0] == '\r' && p[1] == '\n')
		return 2;
	for (i = 0; i + 1 < n; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* field_end - where the field starting at p ends (after its last line). */
static size_t
field_end(const char *p, size_t n)
{
	const char *nl;
	size_t i = 0;

	for (;;) {
		if ((nl = memchr(p + i, '\n', n - i)) == NULL)
			return n;
		i = (size_t)(nl - p) + 1;
		if (i >= n || (p[i] != ' ' && p[i] != '\t'))
			return i;
	}
}

/* word_ok - a domain ([a-z0-9.-]) or selector ([A-Za-z0-9._-]) word. */
static int
word_ok(const char *p, size_t n, size_t max, int is_domain)
{
	size_t i;

	if (n == 0 || n > max || p[0] == '.' || p[0] == '-' ||
	    p[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!isalnum(c) && c != '.' && c != '-' &&
		    (is_domain || c != '_'))
			return 0;
		if (c == '.' && i > 0 && p[i - 1] == '.')
			return 0;
	}
	return 1;
}

/*
 * dkim_from_address - the one address of the one From field in the
 * header hdr (n bytes, the whole header or its start), its domain
 * lower-cased, into out.  1 found; 0 when there is no From, more than
 * one, or one naming no address or several (RFC 6376 5.3 asks a
 * signer to think twice: we do not sign those); -1 out of memory.
 */
int
dkim_from_address(const char *hdr, size_t n, char *out, size_t size)
{
	struct sa val = SA_INIT, list = SA_INIT;
	const char *p = hdr, *colon, *at;
	size_t left = n, len, i, count = 0, nfrom = 0;
	int r = 0;

	while (left > 0 && p[0] != '\n' && p[0] != '\r') {
		len = field_end(p, left);
		if (header_is(p, len, "From")) {
			nfrom++;
			colon = memchr(p, ':', len);
			val.len = 0;
			for (i = (size_t)(colon + 1 - p); i < len; i++)
				if (p[i] != '\r' && p[i] != '\n' &&
				    sa_catc(&val, p[i]) == -1) {
					r = -1;
					goto done;
				}
		}
		p += len;
		left -= len;
	}
	if (nfrom != 1)
		goto done;
	if (header_addresses(val.s != NULL ? val.s : "", val.len, &list,
	    &count) == -1) {
		r = -1;
		goto done;
	}
	/* a local part, and a domain name that can be a d= tag */
	if (count != 1 || (len = strlen(list.s)) >= size ||
	    (at = strrchr(list.s, '@')) == NULL || at == list.s ||
	    !word_ok(at + 1, strlen(at + 1), 253, 1))
		goto done;
	memcpy(out, list.s, len + 1);
	for (i = (size_t)(at - list.s) + 1; i < len; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	r = 1;
done:
	sa_free(&val);
	sa_free(&list);
	return r;
}

/*
 * dkim_conf_keys - the keys control/dkim (text, n bytes) names for
 * domain, at most max into keys, their number in *found.  Lines are
 * "domain:selector" or "domain:selector:keyfile"; # starts a comment.
 * Every line is checked, not only domain's: 0, or -1 with the number
 * of the first bad line in *bad.
 */
int
dkim_conf_keys(const char *text, size_t n, const char *domain,
    struct dkim_key *keys, size_t max, size_t *found, size_t *bad)
{
	const char *p = text, *end = text + n, *nl, *c1, *c2, *le;
	struct dkim_key k;
	size_t line = 0, dl, sl, kl;

	*found = 0;
	*bad = 0;
	while (p < end) {
		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		le = nl != NULL ? nl : end;
		while (p < le && (*p == ' ' || *p == '\t'))
			p++;
		while (le > p && (le[-1] == ' ' || le[-1] == '\t' ||
		    le[-1] == '\r'))
			le--;
		if (p == le || *p == '#')
			goto next;
		if ((c1 = memchr(p, ':', (size_t)(le - p))) == NULL)
			goto broken;
		dl = (size_t)(c1 - p);
		c2 = memchr(c1 + 1, ':', (size_t)(le - c1 - 1));
		sl = (size_t)((c2 != NULL ? c2 : le) - c1 - 1);
		kl = c2 != NULL ? (size_t)(le - c2 - 1) : 0;
		if (!word_ok(p, dl, 253, 1) || !word_ok(c1 + 1, sl,
		    sizeof(k.selector) - 1, 0) ||
		    (c2 != NULL && (kl == 0 || kl >= sizeof(k.keyfile) ||
		    memchr(c2 + 1, ' ', kl) != NULL ||
		    memchr(c2 + 1, '\t', kl) != NULL ||
		    memchr(c2 + 1, '\0', kl) != NULL)))
			goto broken;
		if (strlen(domain) != dl || strncasecmp(p, domain, dl) != 0 ||
		    *found >= max)
			goto next;
		memset(&k, 0, sizeof(k));
		memcpy(k.selector, c1 + 1, sl);
		if (c2 != NULL)
			memcpy(k.keyfile, c2 + 1, kl);
		else if ((size_t)snprintf(k.keyfile, sizeof(k.keyfile),
		    "dkimkeys/%s.%.*s.key", k.selector, (int)dl, p) >=
		    sizeof(k.keyfile))
			goto broken;
		for (kl = 0; c2 == NULL && k.keyfile[kl] != '\0'; kl++)
			k.keyfile[kl] = (char)tolower(
			    (unsigned char)k.keyfile[kl]);
		keys[(*found)++] = k;
next:
		p = nl != NULL ? nl + 1 : end;
	}
	return 0;
broken:
	*bad = line;
	*found = 0;
	return -1;
}

/*
 * dkim_reply_valid - whether p (n bytes) is one or more header fields
 * named DKIM-Signature, LF line ends, folded lines starting with a
 * space or tab, printable ASCII only: what qinject may put on top of
 * a message.
 */
int
dkim_reply_valid(const char *p, size_t n)
{
	static const char name[] = "DKIM-Signature:";
	size_t i;

	if (n == 0 || n > DKIM_REPLY_MAX || p[n - 1] != '\n')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\n') {
			if (i + 1 < n && p[i + 1] != ' ' && p[i + 1] != '\t' &&
			    (n - i - 1 < sizeof(name) - 1 ||
			    strncasecmp(p + i + 1, name, sizeof(name) - 1) != 0))
				return 0;
			continue;
		}
		if ((c < 0x20 && c != '\t') || c > 0x7e)
			return 0;
	}
	return n >= sizeof(name) - 1 &&
	    strncasecmp(p, name, sizeof(name) - 1) == 0;
}
