/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * remote_dane - DANE for SMTP (RFC 7672) under the tlsdestinations
 * policy "dane": a host's TLSA records, when DNSSEC vouches for them
 * (the AD bit of the validating resolver, dns_secure), and after the
 * handshake the match of the server's certificates against them.
 *
 * Usable records (RFC 7672 3.1): DANE-TA(2) and DANE-EE(3), selector
 * Cert(0) or SPKI(1), matching type SHA2-256(1) or SHA2-512(2) with a
 * digest of that length.  Full(0) data is not supported and counts as
 * unusable, as do PKIX-TA(0) and PKIX-EE(1), which SMTP cannot use.
 * DANE-EE matches the server's own certificate: no name, no dates, no
 * chain (3.1.1).  DANE-TA matches a certificate of the chain the
 * server sent, which must then carry the server's certificate, valid
 * now, to a name that is the MX host's (3.2).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <arpa/nameser.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <tls.h>

#include "remote.h"

/* usable - whether a TLSA record's rdata is one we can match. */
static int
usable(const unsigned char *rd, size_t len)
{
	if (rd[0] != USAGE_DANE_TA && rd[0] != USAGE_DANE_EE)
		return 0;
	if (rd[1] > 1)
		return 0;
	return (rd[2] == 1 && len == 3 + 32) || (rd[2] == 2 && len == 3 + 64);
}

/*
 * remote_dane_lookup - the TLSA records of h, at _port._tcp.name, into
 * h.  Call it only when the MX records (if any) and h's addresses were
 * secure.  DNS_OK with h->dane: DANE_NONE (no records, or none that
 * DNSSEC vouches for: opportunistic TLS), DANE_ENCRYPT (records, none
 * usable: TLS without authentication, RFC 7672 2.2) or DANE_AUTH; or
 * DNS_TEMP when the lookup failed: then h must not be used (2.2.3).
 */
int
remote_dane_lookup(struct remote_host *h)
{
	char name[DNS_NAME_MAX + 32];
	struct dns_rrset set;
	size_t i;
	int r;

	h->dane = DANE_NONE;
	h->ntlsa = 0;
	(void)snprintf(name, sizeof(name), "_%d._tcp.%s", h->port, h->name);
	if ((r = dns_query(name, ns_t_tlsa, &set)) == DNS_TEMP)
		return DNS_TEMP;
	if (r != DNS_OK || !dns_secure()) {
		dns_rrset_free(&set);
		return DNS_OK;
	}
	h->dane = DANE_ENCRYPT;
	for (i = 0; i < set.n && h->ntlsa < REMOTE_TLSA_MAX; i++) {
		struct remote_tlsa *t = &h->tlsa[h->ntlsa];

		if (!usable(set.rr[i].data, set.rr[i].len))
			continue;
		t->usage = set.rr[i].data[0];
		t->selector = set.rr[i].data[1];
		t->mtype = set.rr[i].data[2];
		t->len = set.rr[i].len - 3;
		memcpy(t->data, set.rr[i].data + 3, t->len);
		h->ntlsa++;
	}
	if (h->ntlsa > 0)
		h->dane = DANE_AUTH;
	dns_rrset_free(&set);
	return DNS_OK;
}

/* matches - whether certificate x has the digest a TLSA record holds. */
static int
matches(X509 *x, const struct remote_tlsa *t)
{
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int n, ok;

	n = t->selector == 0 ? i2d_X509(x, &der) :
	    i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (n <= 0)
		return 0;
	ok = EVP_Digest(der, (size_t)n, md, &mdlen, t->mtype == 1 ?
	    EVP_sha256() : EVP_sha512(), NULL) == 1 && mdlen == t->len &&
	    memcmp(md, t->data, mdlen) == 0;
	OPENSSL_free(der);
	return ok;
}

/*
 * leads_to - whether the chain carries the server's certificate (its
 * first) to ta, valid now, with a name that is host's.
 */
static int
leads_to(STACK_OF(X509) *chain, X509 *ta, const char *host)
{
	X509_STORE *store;
	X509_STORE_CTX *ctx = NULL;
	X509_VERIFY_PARAM *param;
	int ok = 0;

	if ((store = X509_STORE_new()) == NULL ||
	    X509_STORE_add_cert(store, ta) != 1 ||
	    (ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0),
	    chain) != 1)
		goto done;
	param = X509_STORE_CTX_get0_param(ctx);
	/* the trust anchor need not be self-signed (RFC 7671 5.2.2) */
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
	X509_VERIFY_PARAM_set_hostflags(param,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (X509_VERIFY_PARAM_set1_host(param, host, 0) != 1)
		goto done;
	ok = X509_verify_cert(ctx) == 1;
done:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok;
}

/* peer_chain - the certificates the server sent, its own first. */
static STACK_OF(X509) *
peer_chain(struct tls *tls)
{
	STACK_OF(X509) *chain;
	const uint8_t *pem;
	BIO *bio;
	X509 *x;
	size_t len;

	if ((pem = tls_peer_cert_chain_pem(tls, &len)) == NULL ||
	    len > INT_MAX || (chain = sk_X509_new_null()) == NULL)
		return NULL;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		sk_X509_free(chain);
		return NULL;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(chain, x) == 0) {
			X509_free(x);
			break;
		}
	ERR_clear_error();	/* the end of the PEM text */
	BIO_free(bio);
	if (sk_X509_num(chain) == 0) {
		sk_X509_free(chain);
		return NULL;
	}
	return chain;
}

/*
 * remote_dane_match - whether the server of tls, h, authenticated by
 * h's TLSA records: 0 with *usage USAGE_DANE_TA or USAGE_DANE_EE (the
 * record that matched), or -1 with *why saying why not.
 */
int
remote_dane_match(struct tls *tls, const struct remote_host *h,
    int *usage, const char **why)
{
	STACK_OF(X509) *chain;
	size_t i;
	int k, ok = 0;

	if ((chain = peer_chain(tls)) == NULL) {
		*why = "the server sent no certificate we could read";
		return -1;
	}
	for (i = 0; i < h->ntlsa && !ok; i++) {
		const struct remote_tlsa *t = &h->tlsa[i];

		if (t->usage == USAGE_DANE_EE)
			ok = matches(sk_X509_value(chain, 0), t);
		else
			for (k = 0; k < sk_X509_num(chain) && !ok; k++)
				ok = matches(sk_X509_value(chain, k), t) &&
				    leads_to(chain, sk_X509_value(chain, k),
				    h->name);
		if (ok)
			*usage = t->usage;
	}
	sk_X509_pop_free(chain, X509_free);
	ERR_clear_error();
	if (!ok)
		*why = "no TLSA record matches the certificates the server "
		    "sent";
	return ok ? 0 : -1;
}
