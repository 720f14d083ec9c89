/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * verify_dmarc - DMARC (RFC 7489) with libopendmarc.  The policy record
 * is fetched here, through verify_dns.c (the From: domain's
 * _dmarc name, then its organizational domain's: 6.6.3), and handed to
 * the library, which judges alignment against the SPF and DKIM results
 * already found, with the Public Suffix List of Debian's publicsuffix
 * package.  A message without exactly one From: field holding one
 * address is permerror (6.6.1): it names no domain to judge.
 */
#include <stdio.h>
#include <sys/socket.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <opendmarc/dmarc.h>

#include "header.h"
#include "log.h"
#include "verify.h"
#include "verify_ar.h"
#include "verify_dns.h"

#ifndef PSL_FILE
#define PSL_FILE	"/usr/share/publicsuffix/public_suffix_list.dat"
#endif

/* not in dmarc.h, exported by the library: the organizational domain */
int	opendmarc_get_tld(u_char *, u_char *, size_t);

/*
 * find_record - the one DMARC record at _dmarc.domain: 1 with it in
 * rec, 0 when there is none (no name, no TXT, none or several
 * starting "v=DMARC1"), DNS_TEMP on a DNS failure.
 */
static int
find_record(const char *domain, struct sa *rec)
{
	char name[DNS_NAME_MAX + 8];
	struct sa txt = SA_INIT;
	const char *s, *found = NULL;
	size_t n, i, nfound = 0;
	int r;

	snprintf(name, sizeof(name), "_dmarc.%s", domain);
	r = vdns_txt(name, &txt, &n);
	for (i = 0, s = txt.s; r == DNS_OK && i < n; i++, s += strlen(s) + 1) {
		size_t k = strspn(s, " \t");

		/* 6.6.3: "v=DMARC1" first, case as written in 6.4 */
		if (strncmp(s + k, "v=DMARC1", 8) == 0 &&
		    strchr(" \t;", s[k + 8]) != NULL) {
			found = s;
			nfound++;
		}
	}
	if (r == DNS_TEMP) {
		sa_free(&txt);
		return DNS_TEMP;
	}
	r = nfound == 1 && sa_copys(rec, found) == 0 && sa_0(rec) == 0;
	sa_free(&txt);
	return r;
}

/* spf_outcome - libopendmarc's SPF outcome for a result word. */
static int
spf_outcome(const char *w)
{
	if (w == NULL || strcmp(w, "none") == 0)
		return DMARC_POLICY_SPF_OUTCOME_NONE;
	if (strcmp(w, "pass") == 0)
		return DMARC_POLICY_SPF_OUTCOME_PASS;
	if (strcmp(w, "temperror") == 0)
		return DMARC_POLICY_SPF_OUTCOME_TMPFAIL;
	return DMARC_POLICY_SPF_OUTCOME_FAIL;
}

/* dkim_outcome - the same for one signature's word. */
static int
dkim_outcome(const char *w)
{
	if (strcmp(w, "pass") == 0)
		return DMARC_POLICY_DKIM_OUTCOME_PASS;
	if (strcmp(w, "temperror") == 0)
		return DMARC_POLICY_DKIM_OUTCOME_TMPFAIL;
	return DMARC_POLICY_DKIM_OUTCOME_FAIL;
}

/* policy_word - the p= (or sp=) value the library applied. */
static const char *
policy_word(int st)
{
	switch (st) {
	case DMARC_POLICY_REJECT:
		return "reject";
	case DMARC_POLICY_QUARANTINE:
		return "quarantine";
	}
	return "none";
}

/* has_temperror - whether an SPF or DKIM result was a DNS failure. */
static int
has_temperror(const struct verify *v)
{
	size_t i;

	if (v->spf_mfrom != NULL && strcmp(v->spf_mfrom, "temperror") == 0)
		return 1;
	for (i = 0; i < v->ndkim; i++)
		if (strcmp(v->dkim[i].result, "temperror") == 0)
			return 1;
	return 0;
}

/* judge - the library's verdict on rec for v's results. */
static int
judge(const struct verify_in *in, char *rec, char *org, struct verify *v)
{
	DMARC_POLICY_T *p;
	char ip[64];
	size_t i;
	int st;

	/* the library takes no const: a copy of the address */
	strlcpy(ip, in->ip, sizeof(ip));
	p = opendmarc_policy_connect_init((u_char *)ip,
	    strchr(in->ip, ':') != NULL ? DMARC_POLICY_IP_TYPE_IPV6 :
	    DMARC_POLICY_IP_TYPE_IPV4);
	if (p == NULL)
		return -1;
	st = opendmarc_policy_store_from_domain(p, (u_char *)v->from_domain);
	if (st == DMARC_PARSE_OKAY && v->mfrom_domain[0] != '\0')
		st = opendmarc_policy_store_spf(p, (u_char *)v->mfrom_domain,
		    spf_outcome(v->spf_mfrom), in->sender != NULL &&
		    in->sender[0] == '\0' ?
		    DMARC_POLICY_SPF_ORIGIN_HELO :
		    DMARC_POLICY_SPF_ORIGIN_MAILFROM, NULL);
	for (i = 0; st == DMARC_PARSE_OKAY && i < v->ndkim; i++)
		st = opendmarc_policy_store_dkim(p, (u_char *)v->dkim[i].d,
		    (u_char *)v->dkim[i].s, dkim_outcome(v->dkim[i].result),
		    NULL);
	if (st == DMARC_PARSE_OKAY)
		st = opendmarc_policy_store_dmarc(p, (u_char *)rec,
		    (u_char *)v->from_domain, (u_char *)org);
	if (st != DMARC_PARSE_OKAY) {
		/* a record the library cannot parse is no policy (6.6.3) */
		v->dmarc = "none";
		opendmarc_policy_connect_shutdown(p);
		return 0;
	}
	switch ((st = opendmarc_get_policy_to_enforce(p))) {
	case DMARC_POLICY_PASS:
		v->dmarc = "pass";
		break;
	case DMARC_POLICY_REJECT:
	case DMARC_POLICY_QUARANTINE:
	case DMARC_POLICY_NONE:
		v->dmarc = "fail";
		v->dmarc_policy = policy_word(st);
		v->dmarc_reject = st == DMARC_POLICY_REJECT;
		break;
	default:
		v->dmarc = "none";
	}
	opendmarc_policy_connect_shutdown(p);
	/*
	 * A failure that a DNS error may have caused is no failure yet: a
	 * temporary error must never refuse mail for good (RFC 7489 6.6.2).
	 */
	if (strcmp(v->dmarc, "fail") == 0 && has_temperror(v)) {
		v->dmarc = "temperror";
		v->dmarc_policy = NULL;
		v->dmarc_reject = 0;
	}
	return 0;
}

/*
 * org_domain - the organizational domain (RFC 7489 3.2) from the
 * Public Suffix List.  libopendmarc gives "" for a name under a suffix
 * the list does not have (".test", a new TLD): the list's implicit
 * rule "*" then makes the last label the suffix, so the last two are
 * the organizational domain.
 */
static void
org_domain(const char *domain, char *org, size_t size)
{
	const char *p, *last = NULL, *prev = NULL;
	size_t n = strlen(domain), k;

	/* it leaves org as it was when it finds nothing: start empty */
	org[0] = '\0';
	if (opendmarc_get_tld((u_char *)(uintptr_t)domain, (u_char *)org,
	    size) == 0 && (k = strnlen(org, size)) > 0 && k < size &&
	    k <= n && strcasecmp(domain + n - k, org) == 0 &&
	    (k == n || domain[n - k - 1] == '.'))
		return;
	for (p = domain; (p = strchr(p, '.')) != NULL; p++) {
		prev = last;
		last = p;
	}
	strlcpy(org, prev != NULL ? prev + 1 : domain, size);
}

/* verify_dmarc - the From: domain's policy.  See verify.h. */
int
verify_dmarc(const struct verify_in *in, const char *hdr, size_t n,
    struct verify *v)
{
	static OPENDMARC_LIB_T lib;
	static int ready;
	struct sa rec = SA_INIT;
	char org[DNS_NAME_MAX + 1];
	int r, rc;

	if (verify_from_domain(hdr, n, v->from_domain) == -1) {
		v->from_domain[0] = '\0';
		v->dmarc = "permerror";
		return 0;
	}
	if (!ready) {
		memset(&lib, 0, sizeof(lib));
		lib.tld_type = OPENDMARC_TLD_TYPE_MOZILLA;
		strlcpy((char *)lib.tld_source_file, PSL_FILE,
		    sizeof(lib.tld_source_file));
		if (opendmarc_policy_library_init(&lib) != DMARC_PARSE_OKAY) {
			log_warnx("unable to set up libopendmarc with the "
			    "public suffix list %s: install Debian's "
			    "publicsuffix package", PSL_FILE);
			return -1;
		}
		ready = 1;
	}
	org_domain(v->from_domain, org, sizeof(org));
	r = find_record(v->from_domain, &rec);
	if (r == 0 && strcasecmp(org, v->from_domain) != 0)
		r = find_record(org, &rec);
	if (r == DNS_TEMP)
		v->dmarc = "temperror";
	else if (r == 0)
		v->dmarc = "none";
	rc = r == 1 ? judge(in, rec.s, org, v) : 0;
	sa_free(&rec);
	return rc;
}
