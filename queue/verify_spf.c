/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * verify_spf - SPF (RFC 7208) for the MAIL FROM and HELO identities
 * with libspf2, its DNS through verify_dns.c's layer.  A HELO that is
 * not a domain name (an address literal, a bare word) is not checked
 * (RFC 7208 2.3); a null sender is checked as postmaster@HELO (2.4),
 * which is then also the identity DMARC uses.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <spf2/spf.h>
#include <spf2/spf_dns.h>

#include "log.h"
#include "qinject_exit.h"
#include "verify.h"
#include "verify_ar.h"
#include "verify_dns.h"

/*
 * libspf2's message handlers: its default ones print to stdout (our
 * output, the message) and abort on an internal error.  Warnings go to
 * our log; an error is a temporary failure, never a core dump.
 */
static void __attribute__((noreturn))
spf_error(const char *file, int line, const char *msg)
{
	(void)file;
	(void)line;
	diex(QI_TEMPREFUSED, "libspf2: %s", msg);
}

static void
spf_warning(const char *file, int line, const char *msg)
{
	(void)file;
	(void)line;
	log_warnx("libspf2: %s", msg);
}

static void
spf_quiet(const char *file, int line, const char *msg)
{
	(void)file;
	(void)line;
	(void)msg;
}

/* result_word - RFC 8601's word for a libspf2 result. */
static const char *
result_word(SPF_result_t r)
{
	switch (r) {
	case SPF_RESULT_PASS:
		return "pass";
	case SPF_RESULT_FAIL:
		return "fail";
	case SPF_RESULT_SOFTFAIL:
		return "softfail";
	case SPF_RESULT_NEUTRAL:
		return "neutral";
	case SPF_RESULT_NONE:
		return "none";
	case SPF_RESULT_TEMPERROR:
		return "temperror";
	default:
		return "permerror";
	}
}

/* check - one SPF check of identity (an address) for ip and helo. */
static const char *
check(SPF_server_t *srv, const struct verify_in *in, const char *helo,
    const char *identity)
{
	SPF_request_t *req;
	SPF_response_t *resp = NULL;
	const char *word = "temperror";
	SPF_errcode_t err;
	int bad;

	if ((req = SPF_request_new(srv)) == NULL)
		return word;
	bad = strchr(in->ip, ':') != NULL ?
	    SPF_request_set_ipv6_str(req, in->ip) :
	    SPF_request_set_ipv4_str(req, in->ip);
	if (bad == SPF_E_SUCCESS && helo != NULL)
		bad = SPF_request_set_helo_dom(req, helo);
	if (bad == SPF_E_SUCCESS)
		bad = SPF_request_set_env_from(req, identity);
	if (bad != SPF_E_SUCCESS)
		word = "permerror";
	else {
		err = SPF_request_query_mailfrom(req, &resp);
		if (resp != NULL &&
		    SPF_response_result(resp) != SPF_RESULT_INVALID)
			word = result_word(SPF_response_result(resp));
		/*
		 * libspf2 1.2.10 leaves the result unset when the record
		 * itself could not be fetched; the error code says why
		 */
		else if (err == SPF_E_NOT_SPF)
			word = "none";
		else if (err != SPF_E_DNS_ERROR)
			word = "permerror";
	}
	if (resp != NULL)
		SPF_response_free(resp);
	SPF_request_free(req);
	return word;
}

/* is_host_name - a HELO that names a host: a DNS name with a dot. */
static int
is_host_name(const char *helo, char *norm)
{
	return dns_name_norm(helo, norm) == 0 && strchr(norm, '.') != NULL;
}

/* verify_spf - both identities.  See verify.h. */
int
verify_spf(const struct verify_in *in, struct verify *v)
{
	SPF_server_t *srv;
	void *layer;
	char ident[DNS_NAME_MAX + 70];
	const char *at = in->sender != NULL ? strrchr(in->sender, '@') :
	    NULL;
	int has_helo = is_host_name(in->helo, v->helo);

	SPF_error_handler = spf_error;
	SPF_warning_handler = spf_warning;
	SPF_info_handler = spf_quiet;
	SPF_debug_handler = spf_quiet;
	if ((layer = vdns_spf_layer()) == NULL)
		return -1;
	if ((srv = SPF_server_new_dns(layer, 0)) == NULL) {
		SPF_dns_free(layer);
		return -1;
	}
	if (!has_helo)
		v->helo[0] = '\0';
	if (has_helo)
		v->spf_helo = check(srv, in, v->helo, (snprintf(ident,
		    sizeof(ident), "postmaster@%s", v->helo), ident));
	if (in->sender != NULL && at != NULL &&
	    dns_name_norm(at + 1, v->mfrom_domain) == 0) {
		v->spf_mfrom = check(srv, in, has_helo ? v->helo : NULL,
		    in->sender);
		/* smtp.mailfrom: the address if it needs no quoting */
		if (ar_is_dot_atom(in->sender, (size_t)(at - in->sender)))
			snprintf(v->mfrom, sizeof(v->mfrom), "%.*s@%s",
			    (int)(at - in->sender), in->sender,
			    v->mfrom_domain);
		else
			strlcpy(v->mfrom, v->mfrom_domain, sizeof(v->mfrom));
	} else if (in->sender != NULL && in->sender[0] == '\0' && has_helo) {
		/* RFC 7208 2.4: the null sender's identity is the HELO's */
		v->spf_mfrom = v->spf_helo;
		snprintf(v->mfrom, sizeof(v->mfrom), "postmaster@%s", v->helo);
		strlcpy(v->mfrom_domain, v->helo, sizeof(v->mfrom_domain));
	}
	/* a server made with SPF_server_new_dns does not own its layer */
	SPF_server_free(srv);
	SPF_dns_free(layer);
	return 0;
}
