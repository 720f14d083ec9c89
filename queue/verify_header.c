/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * verify_header - qpverify's findings as one Authentication-Results
 * field (RFC 8601 2.2), each result on a line of its own:
 *
 *	Authentication-Results: mx.example.org;
 *		spf=pass smtp.mailfrom=alice@example.com;
 *		spf=pass smtp.helo=mail.example.com;
 *		dkim=pass header.d=example.com header.s=sel header.b=AbCdEfGh;
 *		dmarc=fail (p=reject) header.from=example.com
 *
 * Every property value written is a token, an RFC 8601 pvalue (a
 * domain name, or a dot-atom local part and a domain) or, for header.b,
 * a quoted-string of base64: the parts make sure of it before they
 * fill struct verify.
 */
#include <string.h>

#include "verify.h"
#include "verify_ar.h"

/* verify_header - the field for authserv-id.  See verify.h. */
int
verify_header(const char *id, const struct verify *v, struct sa *out)
{
	size_t i;
	int e = 0;

	if (ar_is_token(id))
		e |= sa_catf(out, "Authentication-Results: %s", id);
	else
		e |= sa_cats(out, "Authentication-Results: \"qpost\"");
	if (v->spf_mfrom != NULL && v->mfrom[0] != '\0')
		e |= sa_catf(out, ";\n\tspf=%s smtp.mailfrom=%s",
		    v->spf_mfrom, v->mfrom);
	if (v->spf_helo != NULL)
		e |= sa_catf(out, ";\n\tspf=%s smtp.helo=%s", v->spf_helo,
		    v->helo);
	if (v->dkim_none != NULL)
		e |= sa_catf(out, ";\n\tdkim=%s", v->dkim_none);
	for (i = 0; i < v->ndkim; i++) {
		const struct verify_dkim *k = &v->dkim[i];

		e |= sa_catf(out, ";\n\tdkim=%s header.d=%s", k->result, k->d);
		if (k->s[0] != '\0')
			e |= sa_catf(out, " header.s=%s", k->s);
		/* RFC 6008: base64's '/' and '=' are no token's: quoted */
		if (k->b[0] != '\0')
			e |= sa_catf(out, ar_is_token(k->b) ? " header.b=%s" :
			    " header.b=\"%s\"", k->b);
	}
	if (v->dmarc != NULL) {
		e |= sa_catf(out, ";\n\tdmarc=%s", v->dmarc);
		if (v->dmarc_policy != NULL)
			e |= sa_catf(out, " (p=%s)", v->dmarc_policy);
		if (v->from_domain[0] != '\0')
			e |= sa_catf(out, " header.from=%s", v->from_domain);
	}
	if (v->spf_mfrom == NULL && v->spf_helo == NULL &&
	    v->dkim_none == NULL && v->ndkim == 0 && v->dmarc == NULL)
		e |= sa_cats(out, "; none");
	e |= sa_catc(out, '\n');
	return e != 0 ? -1 : 0;
}
