/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * srs - SRS0 addresses made and checked.  See srs.h.  The HMAC is
 * libcrypto's (the library libtls brings); everything here is bounded
 * string work on what a stranger may send as a recipient.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "addr.h"
#include "srs.h"

#define SRS_HASH_LEN	4
#define DAY		86400LL

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int
srs_key_parse(const char *s, size_t n, struct srs_key *k)
{
	size_t i;

	if (n > 0 && s[n - 1] == '\n')
		n--;
	if (n < SRS_KEY_MIN || n > SRS_KEY_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return -1;
	memcpy(k->s, s, n);
	k->len = n;
	return 0;
}

int
srs_is_srs(const char *local)
{
	return strncasecmp(local, "SRS0=", 5) == 0 ||
	    strncasecmp(local, "SRS1=", 5) == 0;
}

/* hash - the first SRS_HASH_LEN base64 characters of the HMAC of
   "tt=domain=local", lower case */
static int
hash(const struct srs_key *k, const char *tt, const char *domain,
    const char *local, char *out)
{
	char data[4 + ADDR_DOMAIN_MAX + ADDR_LOCAL_MAX + 4];
	unsigned char md[EVP_MAX_MD_SIZE], b64[EVP_MAX_MD_SIZE * 2];
	unsigned int mdlen = 0;
	size_t i;
	int n;

	n = snprintf(data, sizeof(data), "%s=%s=%s", tt, domain, local);
	if (n < 0 || (size_t)n >= sizeof(data))
		return -1;
	for (i = 0; i < (size_t)n; i++)
		data[i] = (char)tolower((unsigned char)data[i]);
	if (HMAC(EVP_sha1(), k->s, (int)k->len, (unsigned char *)data,
	    (size_t)n, md, &mdlen) == NULL)
		return -1;
	(void)EVP_EncodeBlock(b64, md, (int)mdlen);
	memcpy(out, b64, SRS_HASH_LEN);
	out[SRS_HASH_LEN] = '\0';
	return 0;
}

/* dot_atom - a local part of atext and single dots (RFC 5322 3.2.3) */
static int
dot_atom(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.' && s[i + 1] == '.')
			return 0;
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("!#$%&'*+-/=?^_`{|}~.", s[i]) == NULL)
			return 0;
	}
	return 1;
}

/* fits - the rewritten address (n octets by snprintf, into size) is
   whole and its local part within RFC 5321's 64 octets */
static int
fits(int n, size_t size, const char *srsdomain)
{
	return n > 0 && (size_t)n < size &&
	    (size_t)n - strlen(srsdomain) - 1 <= ADDR_LOCAL_MAX;
}

/*
 * forward_srs1 - a sender that is another forwarder's SRS address
 * (local@domain): SRS1=HHHH=FIRST=GUARDED@srsdomain, where FIRST is the
 * host that made the SRS0 address (domain for an SRS0 sender, the one
 * an SRS1 sender names) and GUARDED that address's part from its "="
 * on; so the chain stays short and a bounce skips the middle hops.
 */
static int
forward_srs1(const struct srs_key *k, const char *local, const char *domain,
    const char *srsdomain, char *out, size_t size)
{
	char first[ADDR_DOMAIN_MAX + 1], h[SRS_HASH_LEN + 1];
	const char *guarded, *p, *eq;

	if (strncasecmp(local, "SRS0=", 5) == 0) {
		if (strlcpy(first, domain, sizeof(first)) >= sizeof(first))
			return 0;
		guarded = local + 4;
	} else {
		p = local + 5;
		if (strlen(p) < SRS_HASH_LEN + 1 || p[SRS_HASH_LEN] != '=')
			return 0;
		p += SRS_HASH_LEN + 1;
		if ((eq = strchr(p, '=')) == NULL || eq == p || eq[1] != '=' ||
		    (size_t)(eq - p) >= sizeof(first) || p[0] == '[' ||
		    !addr_valid_domain(p, (size_t)(eq - p), 0))
			return 0;
		memcpy(first, p, (size_t)(eq - p));
		first[eq - p] = '\0';
		guarded = eq + 1;
	}
	/* what reverse_srs1 takes back: "=" and something */
	if (guarded[1] == '\0' || hash(k, "1", first, guarded, h) == -1)
		return 0;
	return fits(snprintf(out, size, "SRS1=%s=%s=%s@%s", h, first,
	    guarded, srsdomain), size, srsdomain);
}

int
srs_forward(const struct srs_key *k, const char *sender, const char *srsdomain,
    long long now, char *out, size_t size)
{
	char local[ADDR_LOCAL_MAX + 1], tt[3], h[SRS_HASH_LEN + 1];
	const char *at = strrchr(sender, '@');
	long long day = (now / DAY) % 1024;
	size_t ln;
	int n;

	if (at == NULL || at == sender || at[1] == '\0' || at[1] == '[' ||
	    !addr_valid_domain(at + 1, strlen(at + 1), 0) ||
	    (ln = (size_t)(at - sender)) >= sizeof(local) ||
	    !dot_atom(sender, ln) || !addr_is_ascii(sender))
		return 0;
	memcpy(local, sender, ln);
	local[ln] = '\0';
	if (srs_is_srs(local))
		return forward_srs1(k, local, at + 1, srsdomain, out, size);
	tt[0] = b32[(day >> 5) & 31];
	tt[1] = b32[day & 31];
	tt[2] = '\0';
	if (hash(k, tt, at + 1, local, h) == -1)
		return 0;
	n = snprintf(out, size, "SRS0=%s=%s=%s=%s@%s", h, tt, at + 1, local,
	    srsdomain);
	return fits(n, size, srsdomain);
}

/* b32_value - a base32 character's value (any case), or -1 */
static int
b32_value(char c)
{
	const char *p = strchr(b32, toupper((unsigned char)c));

	return c != '\0' && p != NULL ? (int)(p - b32) : -1;
}

/* same_hash - a and b equal but for case, in time independent of where
   they differ */
static int
same_hash(const char *a, const char *b)
{
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < SRS_HASH_LEN; i++)
		d |= (unsigned char)(tolower((unsigned char)a[i]) ^
		    tolower((unsigned char)b[i]));
	return d == 0;
}

/*
 * reverse_srs1 - SRS1=HHHH=FIRST=GUARDED made here: the SRS0 address of
 * FIRST it guards (no date: FIRST checks its own)
 */
static int
reverse_srs1(const struct srs_key *k, const char *local, char *out,
    size_t size, const char **why)
{
	char first[ADDR_DOMAIN_MAX + 1], h[SRS_HASH_LEN + 1];
	const char *p = local + 5, *eq;
	int n;

	*why = "not an SRS address of this host";
	if (strlen(p) < SRS_HASH_LEN + 3 || p[SRS_HASH_LEN] != '=')
		return -1;
	p += SRS_HASH_LEN + 1;
	if ((eq = strchr(p, '=')) == NULL || eq == p || eq[1] != '=' ||
	    eq[2] == '\0' || (size_t)(eq - p) >= sizeof(first) ||
	    !addr_valid_domain(p, (size_t)(eq - p), 0) || p[0] == '[')
		return -1;
	memcpy(first, p, (size_t)(eq - p));
	first[eq - p] = '\0';
	if (hash(k, "1", first, eq + 1, h) == -1 || !same_hash(h, local + 5)) {
		*why = "an SRS address whose hash does not match";
		return -1;
	}
	n = snprintf(out, size, "SRS0%s@%s", eq + 1, first);
	return n > 0 && (size_t)n < size ? 1 : -1;
}

int
srs_reverse(const struct srs_key *k, const char *local, long long now,
    char *out, size_t size, const char **why)
{
	char h[SRS_HASH_LEN + 1], tt[3], domain[ADDR_DOMAIN_MAX + 1];
	const char *p, *eq;
	long long day = (now / DAY) % 1024, made, age;
	int t0, t1, n;

	if (strncasecmp(local, "SRS1=", 5) == 0)
		return reverse_srs1(k, local, out, size, why);
	if (strncasecmp(local, "SRS0=", 5) != 0)
		return 0;
	*why = "not an SRS address of this host";
	p = local + 5;
	if (strlen(p) < SRS_HASH_LEN + 4 || p[SRS_HASH_LEN] != '=' ||
	    (t0 = b32_value(p[SRS_HASH_LEN + 1])) == -1 ||
	    (t1 = b32_value(p[SRS_HASH_LEN + 2])) == -1 ||
	    p[SRS_HASH_LEN + 3] != '=')
		return -1;
	tt[0] = b32[t0];
	tt[1] = b32[t1];
	tt[2] = '\0';
	p += SRS_HASH_LEN + 4;
	if ((eq = strchr(p, '=')) == NULL || eq == p || eq[1] == '\0' ||
	    (size_t)(eq - p) >= sizeof(domain) ||
	    !addr_valid_domain(p, (size_t)(eq - p), 0) || p[0] == '[')
		return -1;
	memcpy(domain, p, (size_t)(eq - p));
	domain[eq - p] = '\0';
	if (hash(k, tt, domain, eq + 1, h) == -1 ||
	    !same_hash(h, local + 5)) {
		*why = "an SRS address whose hash does not match";
		return -1;
	}
	made = t0 * 32 + t1;
	age = (day - made + 1024) % 1024;
	if (age > SRS_MAXAGE) {
		*why = "an SRS address that has expired";
		return -1;
	}
	n = snprintf(out, size, "%s@%s", eq + 1, domain);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return 1;
}
