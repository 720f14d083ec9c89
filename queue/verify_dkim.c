/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * verify_dkim - the DKIM signatures of a message (RFC 6376) checked
 * with libopendkim.  Its keys come from a lookup callback of ours
 * (selector._domainkey.domain TXT through verify_dns.c), never from
 * the library's own resolver.  The queue keeps lines ending in LF;
 * DKIM hashes CRLF lines, so the header fields are given with CRLF and
 * the body through the library's FIXCRLF option.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <opendkim/dkim.h>

#include "buf.h"
#include "log.h"
#include "verify.h"
#include "verify_ar.h"
#include "verify_dns.h"

/*
 * key_lookup - libopendkim's key callback: the first TXT record of
 * selector._domainkey.domain into buf.  A name that does not exist or
 * has no TXT is NOTFOUND (permerror); a DNS failure TRYAGAIN
 * (temperror).
 */
static DKIM_CBSTAT
key_lookup(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
	const char *sel = (const char *)dkim_sig_getselector(sig);
	const char *dom = (const char *)dkim_sig_getdomain(sig);
	char name[DNS_NAME_MAX + 2];
	struct sa txt = SA_INIT;
	size_t n;
	int r, len;

	(void)dkim;
	if (sel == NULL || dom == NULL)
		return DKIM_CBSTAT_NOTFOUND;
	len = snprintf(name, sizeof(name), "%s._domainkey.%s", sel, dom);
	if (len < 0 || (size_t)len >= sizeof(name))
		return DKIM_CBSTAT_NOTFOUND;
	r = vdns_txt(name, &txt, &n);
	if (r == DNS_OK && strlcpy((char *)buf, txt.s, buflen) >= buflen)
		r = DNS_NODATA;
	sa_free(&txt);
	if (r == DNS_OK)
		return DKIM_CBSTAT_CONTINUE;
	return r == DNS_TEMP ? DKIM_CBSTAT_TRYAGAIN : DKIM_CBSTAT_NOTFOUND;
}

/* sig_word - RFC 8601's word for one signature's outcome. */
static const char *
sig_word(DKIM_SIGINFO *sig)
{
	int err = dkim_sig_geterror(sig);

	if (DKIM_SIG_CHECK(sig))
		return "pass";
	switch (err) {
	case DKIM_SIGERROR_KEYFAIL:
		return "temperror";
	case DKIM_SIGERROR_NOKEY:
	case DKIM_SIGERROR_DNSSYNTAX:
	case DKIM_SIGERROR_MULTIREPLY:
	case DKIM_SIGERROR_KEYTOOSMALL:
	case DKIM_SIGERROR_KEYREVOKED:
	case DKIM_SIGERROR_KEYDECODE:
	case DKIM_SIGERROR_KEYHASHMISMATCH:
	case DKIM_SIGERROR_KEYUNKNOWNHASH:
	case DKIM_SIGERROR_KEYTYPEMISSING:
	case DKIM_SIGERROR_KEYTYPEUNKNOWN:
	case DKIM_SIGERROR_KEYVERSION:
	case DKIM_SIGERROR_SUBDOMAIN:
		return "permerror";
	case DKIM_SIGERROR_OK:
	case DKIM_SIGERROR_BADSIG:
	case DKIM_SIGERROR_EXPIRED:
		return "fail";
	}
	/* the signature itself is malformed (RFC 8601 2.7.1) */
	return "neutral";
}

/* record - the outcome of each signature into v. */
static void
record(DKIM *d, struct verify *v)
{
	DKIM_SIGINFO **sigs;
	int nsigs, i;
	size_t blen;
	const char *dom, *sel;
	char b[64];

	if (dkim_getsiglist(d, &sigs, &nsigs) != DKIM_STAT_OK)
		return;
	for (i = 0; i < nsigs && v->ndkim < VERIFY_DKIM_MAX; i++) {
		struct verify_dkim *k = &v->dkim[v->ndkim];

		if ((dkim_sig_getflags(sigs[i]) & DKIM_SIGFLAG_IGNORE) != 0)
			continue;
		dom = (const char *)dkim_sig_getdomain(sigs[i]);
		sel = (const char *)dkim_sig_getselector(sigs[i]);
		if (dom == NULL || dns_name_norm(dom, k->d) == -1)
			continue;	/* nothing we could name it by */
		k->s[0] = '\0';
		if (sel != NULL && ar_is_token(sel))
			strlcpy(k->s, sel, sizeof(k->s));
		k->b[0] = '\0';
		blen = sizeof(b);
		if (dkim_get_sigsubstring(d, sigs[i], b, &blen) ==
		    DKIM_STAT_OK) {
			b[blen < sizeof(b) ? blen : sizeof(b) - 1] = '\0';
			strlcpy(k->b, b, sizeof(k->b));
			/* base64 only: verify_header quotes it when needed */
			if (strspn(k->b, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
			    "klmnopqrstuvwxyz0123456789+/=") != strlen(k->b))
				k->b[0] = '\0';
		}
		k->result = sig_word(sigs[i]);
		k->is_pass = strcmp(k->result, "pass") == 0;
		v->ndkim++;
	}
}

/*
 * feed_header - each header field to libopendkim: without its last
 * line end, with CRLF between its folded lines.
 */
static DKIM_STAT
feed_header(DKIM *d, const char *hdr, size_t n)
{
	struct sa f = SA_INIT;
	size_t i = 0, k, j;
	DKIM_STAT st = DKIM_STAT_OK;

	while (st == DKIM_STAT_OK && (k = ar_field_len(hdr + i, n - i)) > 0) {
		f.len = 0;
		for (j = i; j < i + k; j++) {
			if (hdr[j] == '\r')
				continue;
			if (hdr[j] == '\n' && sa_catc(&f, '\r') == -1)
				st = DKIM_STAT_NORESOURCE;
			if (sa_catc(&f, hdr[j]) == -1)
				st = DKIM_STAT_NORESOURCE;
		}
		while (f.len > 0 && (f.s[f.len - 1] == '\n' ||
		    f.s[f.len - 1] == '\r'))
			f.len--;
		if (st == DKIM_STAT_OK)
			st = dkim_header(d, (u_char *)f.s, f.len);
		i += k;
	}
	sa_free(&f);
	return st;
}

/* feed_body - the rest of fd (the body) to libopendkim. */
static DKIM_STAT
feed_body(DKIM *d, int fd)
{
	char chunk[65536];
	ssize_t r;
	DKIM_STAT st = DKIM_STAT_OK;

	while (st == DKIM_STAT_OK && (r = fd_read(fd, chunk,
	    sizeof(chunk))) > 0)
		st = dkim_body(d, (u_char *)chunk, (size_t)r);
	if (r == -1)
		return DKIM_STAT_INTERNAL;
	return st;
}

/* verify_dkim - the signatures of the message.  See verify.h. */
int
verify_dkim(int fd, const char *hdr, size_t n, struct verify *v)
{
	DKIM_LIB *lib;
	DKIM *d;
	DKIM_STAT st;
	unsigned int flags = DKIM_LIBFLAGS_FIXCRLF;
	int rc = 0;

	v->dkim_none = "none";
	if ((lib = dkim_init(NULL, NULL)) == NULL) {
		log_warnx("unable to set up libopendkim");
		return -1;
	}
	dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
	    sizeof(flags));
	dkim_set_key_lookup(lib, key_lookup);
	if ((d = dkim_verify(lib, (u_char *)"qpverify", NULL, &st)) == NULL) {
		log_warnx("unable to start a DKIM verification: %s",
		    dkim_getresultstr(st));
		dkim_close(lib);
		return -1;
	}
	st = feed_header(d, hdr, n);
	if (st == DKIM_STAT_OK)
		st = dkim_eoh(d);
	if (st == DKIM_STAT_OK) {
		if ((st = feed_body(d, fd)) == DKIM_STAT_OK)
			st = dkim_eom(d, NULL);
		if (st == DKIM_STAT_INTERNAL || st == DKIM_STAT_NORESOURCE) {
			log_warnx("DKIM verification failed: %s",
			    dkim_getresultstr(st));
			rc = -1;
		}
	}
	/* signatures found, whatever became of them, are reported */
	record(d, v);
	if (v->ndkim > 0)
		v->dkim_none = NULL;
	dkim_free(d);
	dkim_close(lib);
	return rc;
}
